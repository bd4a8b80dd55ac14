// Package controllers provides the one constant Cilium v1.20.2 uses from sigs.k8s.io/mcs-api/controllers
// (value as in mcs-api v0.5.2, pkg controllers/common.go).
package controllers

// DerivedServiceAnnotation is set on an imported service to name the service derived from it.
const DerivedServiceAnnotation = "multicluster.kubernetes.io/derived-service"
