/** Cluster side, pure core: plain Kubernetes objects and Helm values from the plan. No Pulumi. */
export * from "./objects";
export * from "./defaults";
export * from "./context";
export * from "./set-values";
export * from "./cilium-values";
export * from "./node-patches";
export * from "./lb-ipam";
export * from "./bgp";
export * from "./istio";
export * from "./clustermesh";
export * from "./policy";
export * from "./policy-builder";
export * from "./external-endpoints";
export * from "./validate";
export * from "./render";
