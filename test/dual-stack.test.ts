/** Dual-stack: IPv6 allocation and sessions beside IPv4, and one test per dual-stack rule. */
import { strict as assert } from "assert";
import * as path from "path";
import { validate } from "../sdk/validate/validate";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { DataCenterSpec } from "../sdk/spec/types";
import { ipv4Projection } from "../sdk/resolve/dual-stack";
import { renderBirdConfig } from "../sdk/render/bird";
import { renderSwitchConfig } from "../sdk/render/switch";

const file = path.join(__dirname, "..", "examples", "dual-stack", "datacenter.yaml");
const dual = () => loadSpecFile(file) as DataCenterSpec;

function expectProblem(spec: unknown, rule: string, at: string, ...fragments: string[]): void {
  const all = validate(spec);
  const found = all.filter((p) => p.rule === rule && p.path === at);
  assert.equal(found.length, 1, `expected one ${rule} at ${at}, got: ${JSON.stringify(all, null, 1)}`);
  for (const f of fragments) assert.ok(found[0].message.includes(f), `message "${found[0].message}" lacks "${f}"`);
}

describe("dual-stack", () => {
  it("the example is valid and its IPv4 half is the plan of the IPv4-only spec", () => {
    assert.deepEqual(validate(dual()), []);
    const plan = resolve(dual());
    const v4 = resolve(ipv4Projection(dual()).spec);
    assert.deepEqual(
      plan.sessions.filter((s) => s.family === "ipv4"),
      v4.sessions,
    );
    for (const n of v4.nodes) assert.deepEqual(plan.nodes.find((x) => x.name === n.name)!.podCIDR, n.podCIDR);
  });

  it("allocates IPv6 by the IPv4 rules: PodCIDR slot, loopback host id, rack hosts 1 and 2, /127 per id pair; pins win", () => {
    const plan = resolve(dual());
    const node = (n: string) => plan.nodes.find((x) => x.name === n)!;
    assert.equal(node("r1n1").podCIDR6!.prefix, "2001:db8:1000::/64"); // slot 0
    assert.equal(node("r2n2").podCIDR6!.prefix, "2001:db8:1000:11::/64"); // slot 16 + 1 = 17
    assert.equal(node("r1n3").podCIDR6!.prefix, "2001:db8:1000:ff::/64"); // pinned
    const lo = (d: string) => plan.devices.find((x) => x.name === d)!.interfaces.find((i) => i.name === "lo")!.addresses.map((a) => a.address);
    assert.deepEqual(lo("leaf1a"), ["198.18.0.3", "2001:db8:0:1::3"]);
    const rack = plan.devices.find((x) => x.name === "leaf1b")!.interfaces.find((i) => i.name === "rack1")!;
    assert.deepEqual(rack.addresses.map((a) => a.cidr), ["198.18.10.2/24", "2001:db8:10::2/64"]);
    const s = plan.sessions.find((x) => x.id === "leaf1a--spine1--v6")!;
    assert.equal(s.family, "ipv6");
    assert.deepEqual([s.a.address, s.b.address], ["2001:db8:0:2::3", "2001:db8:0:2::2"]); // link index (3−1)(3−2)/2 + 0 = 1
    // adding a rack moves nothing of the others
    const spec = dual();
    spec.racks.push({ name: "r9", id: 9, nodeNetwork: "198.18.19.0/24", nodeNetwork6: "2001:db8:19::/64", nodes: [] });
    spec.switches.push({ name: "leaf9a", role: "leaf" as never, id: 7, rack: "r9" }, { name: "leaf9b", role: "leaf" as never, id: 8, rack: "r9" });
    const after = resolve(spec);
    for (const n of plan.nodes) assert.deepEqual(after.nodes.find((x) => x.name === n.name)!.podCIDR6, n.podCIDR6);
  });

  it("sessions per family: node uplinks over the IPv6 rack network, exact filters, BFD, every expected route", () => {
    const plan = resolve(dual());
    const up = plan.sessions.filter((s) => s.kind === "node-uplink");
    assert.equal(up.filter((s) => s.family === "ipv6").length, up.filter((s) => s.family === "ipv4").length);
    const s6 = plan.sessions.find((s) => s.id === "r1n1--leaf1a--v6")!;
    assert.deepEqual([s6.a.address, s6.b.address, s6.nodeProtocol, s6.bfd.enabled], ["2001:db8:10::11", "2001:db8:10::1", "uplink0_v6", true]);
    const leaf = plan.switches.find((s) => s.name === "leaf1a")!;
    const f = leaf.inboundFilters.find((x) => x.neighbor === "2001:db8:10::12")!;
    assert.deepEqual(f.entries, [{ family: "ipv6", prefix: "2001:db8:1000:1::/64", ge: 64, le: 64 }]);
    const spine = plan.switches.find((s) => s.name === "spine1")!;
    const v6routes = spine.expectedRoutes.filter((g) => g.family === "ipv6").flatMap((g) => g.prefixes);
    assert.ok(v6routes.includes("2001:db8:1000:11::/64") && v6routes.includes("2001:db8:200::7/128") && v6routes.includes("2001:db8:11::/64"));
    assert.ok(leaf.originates.some((o) => o.family === "ipv6" && o.prefix === "2001:db8:10::/64"));
    const bird = renderBirdConfig(plan, "r1n1");
    assert.match(bird, /protocol bgp uplink0_v6 \{[^}]*neighbor 2001:db8:10::1 as 65101;[^}]*bfd on;/);
    const frr = renderSwitchConfig(plan, "leaf1a").text;
    assert.match(frr, /ipv6 prefix-list PL-IN-r1n2 seq 10 permit 2001:db8:1000:1::\/64\n/);
    assert.match(frr, /address-family ipv6 unicast[\s\S]* neighbor 2001:db8:10::12 prefix-list PL-IN-r1n2 in/);
  });

  it("dual-stack-incomplete: every IPv6 pool, rack network and node address is needed", () => {
    const spec = dual();
    delete spec.pools.loopbacks6;
    delete spec.racks[1].nodes[0].address6;
    expectProblem(spec, "dual-stack-incomplete", "pools.loopbacks6", "IPv6 loopback pool");
    expectProblem(spec, "dual-stack-incomplete", "racks[1].nodes[0].address6", '"r2n1"');
  });

  it("ipv6-family: an IPv4 prefix or address in an IPv6 field", () => {
    const spec = dual();
    spec.racks[0].nodeNetwork6 = "198.18.50.0/24";
    expectProblem(spec, "ipv6-family", "racks[0].nodeNetwork6", '"198.18.50.0/24" is not an IPv6 prefix');
  });

  it("ipv6-link-local: a link-local address where a global one is needed", () => {
    const spec = dual();
    spec.racks[0].nodes[1].address6 = "fe80::12";
    expectProblem(spec, "ipv6-link-local", "racks[0].nodes[1].address6", "link-local", "global address");
  });

  it("ipv6-reserved: multicast, ::/8 and the other reserved ranges", () => {
    const spec = dual();
    spec.pools.podCidr6 = { cidr: "ff00:1000::/48" };
    spec.pools.fabricLinks6 = "::ffff:0:0/96";
    expectProblem(spec, "ipv6-reserved", "pools.podCidr6.cidr", "multicast");
    expectProblem(spec, "ipv6-reserved", "pools.fabricLinks6", "::/8");
  });

  it("podcidr-length (IPv6): 48–120, default 64", () => {
    const spec = dual();
    spec.pools.podCidr6!.prefixLength = 40;
    expectProblem(spec, "podcidr-length", "pools.podCidr6.prefixLength", "IPv6 PodCIDR prefix length 40 must be 48–120");
  });

  it("the IPv4 rules run on the IPv6 fields: overlap, pins, node addresses (paths name the IPv6 fields)", () => {
    const spec = dual();
    spec.pools.loopbacks6 = "2001:db8:10::/120"; // inside rack r1's IPv6 network
    spec.racks[0].nodes[0].podCIDR6 = "2001:db8:9999::/64";
    spec.racks[1].nodes[1].address6 = "2001:db8:10::40";
    expectProblem(spec, "overlap", "racks[0].nodeNetwork6", "pools.loopbacks6");
    expectProblem(spec, "podcidr-outside-pool", "racks[0].nodes[0].podCIDR6", "2001:db8:9999::/64");
    expectProblem(spec, "address-outside", "racks[1].nodes[1].address6", "racks[1].nodeNetwork6");
  });

  it("duplicate: VIP pool names are unique across families", () => {
    const spec = dual();
    spec.pools.vips![1].name = "public";
    expectProblem(spec, "duplicate", "pools.vips[1].name", '"public"');
  });
});
