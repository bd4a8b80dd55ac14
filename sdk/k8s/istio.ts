/**
 * Istio ingress: the `base`, `istiod` and `gateway` charts, the gateway Service of type
 * LoadBalancer pinned to a VIP (`lbipam.cilium.io/ips`) and labelled for its pool's service
 * selector, and one `Gateway` plus one `VirtualService` per host.
 *
 * In a dual-stack cluster the Service is single-stack in the VIP's family (`service.ipFamilyPolicy:
 * SingleStack`, `service.ipFamilies`, gateway chart values since Istio 1.19): a Service without them
 * gets the cluster's first family only, and an IPv6 VIP pinned on an IPv4 Service (LB-IPAM assigns a
 * requested address of any family) has no IPv6 endpoint behind it.
 */
import { containsAddress, familyOf } from "../net/prefix";
import { IngressHostSpec } from "../spec/cluster-types";
import { ClusterContext } from "./context";
import { clusterFamilies } from "./families";
import { GATEWAY_RELEASE, INGRESS_NAMESPACE, ISTIO_SYSTEM_NAMESPACE } from "./defaults";
import { dcnetLabels, K8sObject, LBIPAM_IPS_ANNOTATION, toDnsLabel } from "./objects";

/** Name of the Istio `Gateway` object. */
export const GATEWAY_NAME = "dcnet-ingress";
/** Selector of the gateway pods (the gateway chart labels them `istio=<release without istio->`). */
export const GATEWAY_SELECTOR = { istio: "ingressgateway" };

/** Namespace of the gateway. */
export function ingressNamespace(ctx: ClusterContext): string {
  return ctx.k8s.ingress?.namespace ?? INGRESS_NAMESPACE;
}

/** `ipFamilyPolicy`/`ipFamilies` of the gateway Service: the VIP's family in a dual-stack cluster, nothing otherwise. */
function serviceFamilies(ctx: ClusterContext, address: string): { ipFamilyPolicy?: string; ipFamilies?: string[] } {
  if (clusterFamilies(ctx.cluster).length < 2) return {};
  return { ipFamilyPolicy: "SingleStack", ipFamilies: [familyOf(address) === "ipv6" ? "IPv6" : "IPv4"] };
}

/** Helm values of the three Istio charts (undefined without an ingress). */
export function istioValues(ctx: ClusterContext): { base: Record<string, unknown>; istiod: Record<string, unknown>; gateway: Record<string, unknown> } | undefined {
  const ing = ctx.k8s.ingress;
  if (!ing) return undefined;
  const pool = ctx.pools.find((p) => containsAddress(p.cidr, ing.address));
  const replicas = ing.replicas ?? 2;
  return {
    base: { defaultRevision: "default" },
    istiod: { global: { istioNamespace: ISTIO_SYSTEM_NAMESPACE }, meshConfig: { accessLogFile: "/dev/stdout" } },
    gateway: {
      name: GATEWAY_RELEASE,
      replicaCount: replicas,
      autoscaling: { enabled: false },
      labels: { ...(pool?.serviceSelector ?? {}) },
      service: {
        type: "LoadBalancer",
        annotations: { [LBIPAM_IPS_ANNOTATION]: ing.address },
        ...serviceFamilies(ctx, ing.address),
        ports: [
          { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 },
          { name: "http2", port: 80, protocol: "TCP", targetPort: 80 },
          { name: "https", port: 443, protocol: "TCP", targetPort: 443 },
        ],
      },
    },
  };
}

/**
 * Object and port name of a host: the host itself (a DNS subdomain), `*.` spelled `wildcard.`.
 * toDnsLabel made shop.example.com and shop-example.com meet; a literal host wildcard.x beside
 * *.x is a validation problem (rendered-object).
 */
function hostName(h: IngressHostSpec): string {
  return h.host.replace(/^\*\./, "wildcard.");
}

/** Namespaces, the Gateway and the VirtualServices of the ingress (empty without one). */
export function istioObjects(ctx: ClusterContext): K8sObject[] {
  const ing = ctx.k8s.ingress;
  if (!ing) return [];
  const ns = ingressNamespace(ctx);
  const labels = dcnetLabels(ctx.cluster.name);
  const namespaces = [...new Set([ISTIO_SYSTEM_NAMESPACE, ns])].map(
    (name): K8sObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }),
  );
  const servers: Record<string, unknown>[] = [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ing.hosts.map((h) => h.host) }];
  for (const h of ing.hosts.filter((x) => x.tlsSecret)) {
    servers.push({
      port: { number: 443, name: `https-${hostName(h)}`, protocol: "HTTPS" },
      hosts: [h.host],
      tls: { mode: "SIMPLE", credentialName: h.tlsSecret },
    });
  }
  const gateway: K8sObject = {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: GATEWAY_NAME, namespace: ns, labels },
    spec: { selector: { ...GATEWAY_SELECTOR }, servers },
  };
  const virtualServices = ing.hosts.map(
    (h): K8sObject => ({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: hostName(h), namespace: ns, labels },
      spec: {
        hosts: [h.host],
        gateways: [`${ns}/${GATEWAY_NAME}`],
        http: h.routes.map((r) => ({
          name: toDnsLabel(`${r.service}-${r.pathPrefix}`),
          match: [{ uri: { prefix: r.pathPrefix } }],
          route: [{ destination: { host: `${r.service}.${r.namespace ?? "default"}.svc.cluster.local`, port: { number: r.port } } }],
        })),
      },
    }),
  );
  return [...namespaces, gateway, ...virtualServices];
}
