/**
 * IPv6-only racks: a rack of a dual-stack data center without `nodeNetwork` (IPv4). Its nodes
 * have only `address6`, an IPv6 PodCIDR, IPv6 sessions and a router id derived from their slot
 * (`derivedRouterId`, sdk/resolve/allocate.ts). Checked before the per-family rules, which need
 * every rack's families settled:
 *
 * - `rack-node-network`: a rack has at least one node network (`nodeNetwork`, `nodeNetwork6`);
 * - `node-address-family`: a node has the address of each family its rack has, and no address
 *   (nor PodCIDR pin) of a family it has not;
 * - `cluster-mixed-families`: a cluster's nodes are either all on IPv6-only racks (an IPv6-only
 *   cluster: Cilium with IPv4 off) or none is — Kubernetes and Cilium need the same families on
 *   every node of one cluster, and an IPv6-only node has no IPv4 PodCIDR;
 * - `family-mismatch`: an IPv4 VIP pool does not name an announcer on an IPv6-only rack, nor an
 *   IPv6-only cluster (whose LB-IPAM hands out IPv6 addresses only);
 * - `router-id-range`: a node of an IPv6-only rack has a derived router id (its slot fits 0.0.0.0/8);
 * - `router-id-collision`: no IPv4 switch loopback or node address equals a derived router id.
 */
import { DataCenterSpec, RackSpec } from "../spec/types";
import { addressProblem, familyOf, prefixProblem } from "../net/prefix";
import { DERIVED_ROUTER_ID_MAX_SLOT, DERIVED_ROUTER_ID_POOL, derivedRouterId, nodeSlot, switchLoopback } from "../resolve/allocate";
import { ProblemList, quote } from "./errors";

/** True for a rack with an IPv6 network and no IPv4 one. */
export function isIpv6OnlyRack(rack: RackSpec): boolean {
  return rack.nodeNetwork === undefined && rack.nodeNetwork6 !== undefined;
}

/**
 * Check the families of racks and nodes. Returns true when a problem leaves a rack or node
 * without what the per-family rules read (they are then not run).
 */
export function checkRackFamilies(dc: DataCenterSpec, problems: ProblemList): boolean {
  let blocking = false;
  const v6Only = new Map<string, string>(); // node name → rack name
  dc.racks.forEach((rack, ri) => {
    const at = `racks[${ri}]`;
    if (rack.nodeNetwork === undefined && rack.nodeNetwork6 === undefined) {
      problems.add(at, "rack-node-network", `rack ${quote(rack.name)} has no node network: set ${at}.nodeNetwork (IPv4), ${at}.nodeNetwork6 (IPv6) or both`);
      blocking = true;
      return;
    }
    rack.nodes.forEach((node, ni) => {
      const np = `${at}.nodes[${ni}]`;
      if (rack.nodeNetwork !== undefined && node.address === undefined) {
        problems.add(`${np}.address`, "node-address-family", `node ${quote(node.name)} needs an IPv4 address on ${at}.nodeNetwork ${quote(rack.nodeNetwork)}`);
        blocking = true;
      }
      if (rack.nodeNetwork === undefined) {
        for (const key of ["address", "podCIDR"] as const)
          if (node[key] !== undefined)
            problems.add(`${np}.${key}`, "node-address-family", `node ${quote(node.name)} is on IPv6-only rack ${quote(rack.name)} (no ${at}.nodeNetwork): its ${key} ${quote(node[key])} has no IPv4 network to live on`);
        v6Only.set(node.name, rack.name);
      }
      if (rack.nodeNetwork6 === undefined && node.address6 !== undefined)
        problems.add(`${np}.address6`, "node-address-family", `node ${quote(node.name)} has an IPv6 address ${quote(node.address6)} but rack ${quote(rack.name)} has no ${at}.nodeNetwork6`);
    });
  });
  if (v6Only.size === 0) return blocking;
  const v6OnlyClusters = new Set<string>();
  (dc.clusters ?? []).forEach((c, ci) => {
    const only6 = c.nodes.filter((name) => v6Only.has(name));
    if (only6.length === 0) return;
    if (only6.length === c.nodes.length) return void v6OnlyClusters.add(c.name);
    // the minority is what is out of place: report its nodes (the IPv6-only ones on a tie)
    const firstDual = c.nodes.find((name) => !v6Only.has(name))!;
    const reportV6 = only6.length * 2 <= c.nodes.length;
    c.nodes.forEach((name, j) => {
      if (v6Only.has(name) !== reportV6) return;
      problems.add(
        `clusters[${ci}].nodes[${j}]`,
        "cluster-mixed-families",
        reportV6
          ? `node ${quote(name)} is on IPv6-only rack ${quote(v6Only.get(name))}, but node ${quote(firstDual)} of cluster ${quote(c.name)} has IPv4 too; every node of a cluster needs the same families (Kubernetes and Cilium), so a cluster is either IPv6-only or holds no node of an IPv6-only rack`
          : `node ${quote(name)} has an IPv4 network, but cluster ${quote(c.name)} is mostly on IPv6-only racks (${only6.map((n) => quote(n)).join(", ")}); every node of a cluster needs the same families (Kubernetes and Cilium), so a cluster is either IPv6-only or holds no node of an IPv6-only rack`,
      );
    });
  });
  (dc.pools.vips ?? []).forEach((v, vi) => {
    if (prefixProblem(v.cidr) || familyOf(v.cidr) !== "ipv4") return;
    if (v.cluster !== undefined && v6OnlyClusters.has(v.cluster))
      problems.add(`pools.vips[${vi}].cluster`, "family-mismatch", `IPv4 VIP pool ${quote(v.name)} (${quote(v.cidr)}) names cluster ${quote(v.cluster)}, whose nodes are all on IPv6-only racks: its Cilium runs IPv6 only and cannot hand out or announce IPv4 addresses`);
    (v.announcers ?? []).forEach((name, ai) => {
      const rack = v6Only.get(name);
      if (rack !== undefined)
        problems.add(`pools.vips[${vi}].announcers[${ai}]`, "family-mismatch", `IPv4 VIP pool ${quote(v.name)} (${quote(v.cidr)}) names ${quote(name)}, a node of IPv6-only rack ${quote(rack)} without IPv4 sessions`);
    });
  });
  // derived router ids: in range, and never an IPv4 address of the plan
  const derived = new Map<string, string>();
  dc.racks.forEach((rack, ri) => {
    if (!isIpv6OnlyRack(rack) || !Number.isInteger(rack.id) || rack.id < 1) return; // bad ids: id-range
    rack.nodes.forEach((node, ni) => {
      if (!Number.isInteger(node.id) || node.id < 1) return;
      const id = derivedRouterId(dc, rack, node);
      if (id === undefined)
        problems.add(
          `racks[${ri}].nodes[${ni}].id`,
          "router-id-range",
          `node ${quote(node.name)} (slot ${nodeSlot(dc, rack, node).toLocaleString("en-US")}) is past the last derived router id of ${DERIVED_ROUTER_ID_POOL} (slot ${DERIVED_ROUTER_ID_MAX_SLOT.toLocaleString("en-US")}); IPv6-only nodes need a smaller rack id or pools.podCidr.perRack`,
        );
      else derived.set(id, `racks[${ri}].nodes[${ni}]`);
    });
  });
  const collide = (path: string, address: string | undefined) => {
    if (address === undefined || addressProblem(address) || familyOf(address) !== "ipv4") return;
    const owner = derived.get(address);
    if (owner !== undefined) problems.add(path, "router-id-collision", `${quote(address)} is the router id derived for ${owner} (an IPv6-only node, from ${DERIVED_ROUTER_ID_POOL})`);
  };
  if (!prefixProblem(dc.pools.loopbacks)) dc.switches.forEach((s, i) => collide(s.loopback !== undefined ? `switches[${i}].loopback` : `switches[${i}].id`, switchLoopback(dc, s)));
  dc.racks.forEach((r, ri) => r.nodes.forEach((n, ni) => collide(`racks[${ri}].nodes[${ni}].address`, n.address)));
  return blocking;
}
