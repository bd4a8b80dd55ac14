/**
 * A hand-made dual-stack variant of a plan (the resolver is IPv4-only today): node `nodeName`
 * gets an IPv6 PodCIDR and a twin IPv6 session to each of its peers, and those switches get the
 * matching inbound filter. Used to show that both renderers structure their output per family.
 */
import { Plan, PlanSession } from "../../sdk/plan/types";

/** The IPv6 PodCIDR given to the node. */
export const V6_POD_CIDR = "2001:db8:1000::/64";

/** Dual-stack copy of `plan` for `nodeName`. */
export function dualStackPlan(plan: Plan, nodeName: string): Plan {
  const p = JSON.parse(JSON.stringify(plan)) as Plan;
  const node = p.nodes.find((n) => n.name === nodeName)!;
  node.announcements.push({ family: "ipv6", prefix: V6_POD_CIDR, kind: "podCIDR" });
  const uplinks = p.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === nodeName);
  uplinks.forEach((s, k) => {
    const twin: PlanSession = {
      ...JSON.parse(JSON.stringify(s)),
      id: `${s.id}--v6`,
      family: "ipv6",
      a: { ...s.a, address: "2001:db8:10::11" },
      b: { ...s.b, address: `2001:db8:10::${k + 1}` },
      nodeProtocol: `${s.nodeProtocol}_v6`,
    };
    p.sessions.push(twin);
    const sw = p.switches.find((x) => x.name === s.b.device)!;
    sw.inboundFilters.push({ neighbor: twin.a.address, device: nodeName, entries: [{ family: "ipv6", prefix: V6_POD_CIDR, ge: 64, le: 64 }] });
  });
  return p;
}
