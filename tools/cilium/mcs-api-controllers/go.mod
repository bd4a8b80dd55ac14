// Stand-in for sigs.k8s.io/mcs-api/controllers v0.5.2, which the Go module proxy does not serve.
// Cilium v1.20.2 uses exactly one identifier from it: the DerivedServiceAnnotation constant.
module sigs.k8s.io/mcs-api/controllers

go 1.24
