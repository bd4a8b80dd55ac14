/**
 * Upstreams (the way out) and the underlay: one test per validation rule (path, rule, message),
 * the plan's underlay for both topologies (origination, expected routes, exact per-peer filters),
 * three-tier cores on different racks, and allocation stability of the new prefixes.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { validate } from "../sdk/validate/validate";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { DataCenterSpec, SwitchRole, UpstreamPodCidrs } from "../sdk/spec/types";
import { expandExpectedRoutes } from "../sdk/plan/expected-routes";
import { Plan } from "../sdk/plan/types";
import { renderSwitchConfig } from "../sdk/render/switch";
import { nthSubnet } from "../sdk/net/prefix";

const examples = path.join(__dirname, "..", "examples");
const spineLeaf = (): DataCenterSpec => loadSpecFile(path.join(examples, "spine-leaf", "datacenter.yaml"));
const threeTier = (): DataCenterSpec => loadSpecFile(path.join(examples, "three-tier", "datacenter.yaml"));

function expectProblem(spec: DataCenterSpec, rule: string, at: string, ...fragments: string[]): void {
  const all = validate(spec);
  const found = all.filter((p) => p.rule === rule && p.path === at);
  assert.equal(found.length, 1, `expected one ${rule} at ${at}, got: ${JSON.stringify(all, null, 1)}`);
  for (const f of fragments) assert.ok(found[0].message.includes(f), `message "${found[0].message}" lacks "${f}"`);
}

const routesOf = (plan: Plan, sw: string) => new Map(expandExpectedRoutes(plan, plan.switches.find((s) => s.name === sw)!).map((r) => [r.prefix, r.via.slice().sort()]));
const filterOf = (plan: Plan, sw: string, peer: string) => plan.switches.find((s) => s.name === sw)!.inboundFilters.find((f) => f.device === peer)!.entries;

describe("upstreams: validation", () => {
  it("the spine–leaf example with its upstream is valid", () => assert.deepEqual(validate(spineLeaf()), []));

  it("name-format and duplicate names (also against device names)", () => {
    const s = spineLeaf();
    s.upstreams![0].name = "Wan_1";
    expectProblem(s, "name-format", "upstreams[0].name", '"Wan_1"');
    const d = spineLeaf();
    d.upstreams!.push({ ...d.upstreams![0], links: [{ switch: "leaf1a", address: "198.18.2.4/31", peerAddress: "198.18.2.5" }, { switch: "leaf1b", address: "198.18.2.6/31", peerAddress: "198.18.2.7" }] });
    expectProblem(d, "duplicate", "upstreams[1].name", "upstreams[0]");
    const dev = spineLeaf();
    dev.upstreams![0].name = "spine1";
    expectProblem(dev, "duplicate", "upstreams[0].name", "device name");
  });

  it("unknown border switch; a switch linked twice", () => {
    const s = spineLeaf();
    s.upstreams![0].links[0].switch = "leaf9z";
    expectProblem(s, "unknown-reference", "upstreams[0].links[0].switch", '"leaf9z"');
    const t = spineLeaf();
    t.upstreams![0].links[1].switch = "leaf3a";
    expectProblem(t, "duplicate", "upstreams[0].links[1].switch", "already links");
  });

  it("upstream-link: address form and length, peer inside the link and not ours", () => {
    const cases: [string, string, string, string][] = [
      ["198.18.2.0", "198.18.2.1", "upstreams[0].links[0].address", "with the link's length"],
      ["198.18.2.0/16", "198.18.2.1", "upstreams[0].links[0].address", "/24–/31"],
      ["198.18.2.0/30", "198.18.2.1", "upstreams[0].links[0].address", "network or broadcast"],
      ["198.18.2.1/31", "198.18.2.9", "upstreams[0].links[0].peerAddress", "outside the link"],
      ["198.18.2.0/31", "198.18.2.0", "upstreams[0].links[0].peerAddress", "own address"],
      ["198.18.2.1/30", "198.18.2.3", "upstreams[0].links[0].peerAddress", "network or broadcast"],
    ];
    for (const [address, peer, at, fragment] of cases) {
      const s = spineLeaf();
      s.upstreams![0].links[0] = { switch: "leaf3a", address, peerAddress: peer };
      expectProblem(s, "upstream-link", at, fragment);
    }
  });

  it("overlap: the upstream's address inside a dcnet pool or another link", () => {
    const s = spineLeaf();
    s.upstreams![0].links[0] = { switch: "leaf3a", address: "198.18.1.200/31", peerAddress: "198.18.1.201" };
    expectProblem(s, "overlap", "upstreams[0].links[0].address", "pools.fabricLinks");
    const t = spineLeaf();
    t.upstreams![0].links[1] = { switch: "leaf3b", address: "198.18.2.1/31", peerAddress: "198.18.2.0" };
    expectProblem(t, "overlap", "upstreams[0].links[1].address", "upstreams[0].links[0]");
  });

  it("family: every link and listed prefix in the upstream's family", () => {
    const s = spineLeaf();
    s.upstreams![0].links[1] = { switch: "leaf3b", address: "2001:db8:2::/127", peerAddress: "2001:db8:2::1" };
    expectProblem(s, "family", "upstreams[0].links[1]", "ipv4");
    const t = spineLeaf();
    t.upstreams![0].accept = { prefixes: ["2001:db8:99::/48"] };
    expectProblem(t, "family", "upstreams[0].accept.prefixes[0]", "ipv4");
  });

  it("upstream-asn: never one of the data center's ASNs or ranges; reserved ASNs refused, public allowed", () => {
    for (const [asn, what] of [
      [65000, "asn.spine"],
      [65101, "switch"],
      [65150, "asn.leaves"],
      [65290, "asn.nodes"],
    ] as const) {
      const s = spineLeaf();
      s.upstreams![0].asn = asn;
      expectProblem(s, "upstream-asn", "upstreams[0].asn", what);
    }
    const r = spineLeaf();
    r.upstreams![0].asn = 23456;
    expectProblem(r, "asn-reserved", "upstreams[0].asn");
    const p = spineLeaf();
    p.upstreams![0].asn = 3320; // a public ASN: a provider's
    assert.deepEqual(validate(p), []);
  });

  it("secret-ref-format of the upstream's passwordRef", () => {
    const s = spineLeaf();
    s.upstreams![0].passwordRef = "../etc/passwd";
    expectProblem(s, "secret-ref-format", "upstreams[0].passwordRef", '"../etc/passwd"');
  });

  it("upstream-accept-overlap: an upstream may not send our own space; the default route is a flag, not a prefix", () => {
    const s = spineLeaf();
    s.upstreams![0].accept = { prefixes: ["198.19.0.0/24"] };
    expectProblem(s, "upstream-accept-overlap", "upstreams[0].accept.prefixes[0]", "pools.podCidr.cidr");
    const v = spineLeaf();
    v.upstreams![0].accept = { prefixes: ["198.18.200.0/24"] };
    expectProblem(v, "upstream-accept-overlap", "upstreams[0].accept.prefixes[0]", "pools.vips[0].cidr");
    const d = spineLeaf();
    d.upstreams![0].accept = { prefixes: ["0.0.0.0/0"] };
    expectProblem(d, "upstream-accept", "upstreams[0].accept.prefixes[0]", "accept.defaultRoute");
    const bad = spineLeaf();
    bad.upstreams![0].accept = { prefixes: ["198.18.77.1/24"] };
    expectProblem(bad, "prefix", "upstreams[0].accept.prefixes[0]", "host bits");
  });

  it("upstream-accept-empty and upstream-max-prefix", () => {
    const s = spineLeaf();
    s.upstreams![0].accept = { defaultRoute: false };
    expectProblem(s, "upstream-accept-empty", "upstreams[0].accept", "accepts nothing");
    const m = spineLeaf();
    m.upstreams![0].accept = { defaultRoute: true, prefixes: ["198.18.128.0/24", "198.18.129.0/24"], maxPrefix: 2 };
    expectProblem(m, "upstream-max-prefix", "upstreams[0].accept.maxPrefix", "from 3");
  });

  it("announce: unknown clusters and pools, clusters without PodCIDRs of the family, pool family", () => {
    const s = spineLeaf();
    s.upstreams![0].announce = { clusters: ["prod-z"], vipPools: ["private"] };
    expectProblem(s, "unknown-reference", "upstreams[0].announce.clusters[0]", '"prod-z"');
    expectProblem(s, "unknown-reference", "upstreams[0].announce.vipPools[0]", '"private"');
    const e = spineLeaf();
    e.clusters!.push({ name: "empty", id: 9, nodes: [] });
    e.upstreams![0].announce = { clusters: ["empty"] };
    expectProblem(e, "aggregate-coverage", "upstreams[0].announce.clusters[0]", "no ipv4 PodCIDR");
  });

  it("aggregate-coverage and aggregate-overlap: node-network aggregates cover what they claim, and only that", () => {
    const cases: [string[], string, string, string][] = [
      [["198.18.64.0/24", "198.18.8.0/21"], "aggregate-coverage", "upstreams[0].announce.nodeNetworks[0]", "covers no rack network"],
      [["198.18.10.0/24"], "aggregate-coverage", "upstreams[0].announce.nodeNetworks", "leave out"],
      [["198.18.10.0/25", "198.18.8.0/21"], "aggregate-coverage", "upstreams[0].announce.nodeNetworks[0]", "only part of"],
      [["198.18.0.0/16"], "aggregate-overlap", "upstreams[0].announce.nodeNetworks[0]", "pools.loopbacks"],
    ];
    for (const [aggs, rule, at, fragment] of cases) {
      const s = spineLeaf();
      s.upstreams![0].announce = { nodeNetworks: aggs };
      expectProblem(s, rule, at, fragment);
    }
  });

  it("upstream-asn-group: spine–leaf switches sharing a border switch's ASN must be border switches accepting the same", () => {
    const s = spineLeaf();
    s.upstreams![0].links = [s.upstreams![0].links[0]]; // leaf3a only; leaf3b shares AS 65103
    expectProblem(s, "upstream-asn-group", "switches[6]", '"leaf3b"', "65103");
    const sp = spineLeaf();
    sp.upstreams![0].links = [{ switch: "spine1", address: "198.18.2.0/31", peerAddress: "198.18.2.1" }];
    expectProblem(sp, "upstream-asn-group", "switches[0]", '"spine2"');
    // three-tier cores share the fabric ASN but carry upstream routes over the iBGP mesh (next-hop-self)
    const t = threeTier();
    const core = t.switches.find((x) => x.role === SwitchRole.core)!;
    t.upstreams = [{ name: "wan", asn: 64500, links: [{ switch: core.name, address: "198.18.2.0/31", peerAddress: "198.18.2.1" }] }];
    assert.deepEqual(validate(t), []);
  });

  it("all problems at once, values quoted (a newline in a value cannot split a line)", () => {
    const s = spineLeaf();
    s.upstreams![0].name = "a\nb";
    s.upstreams![0].links[0].switch = "x\u001b[31m";
    const problems = validate(s);
    assert.ok(problems.length >= 2);
    assert.ok(problems.every((p) => !/[\n\u001b]/.test(p.message)));
  });
});

describe("underlay in the plan", () => {
  it("spine–leaf: spines hold rack networks over their leaves, leaf loopbacks each over its leaf, the default over the border pair", () => {
    const plan = resolve(spineLeaf());
    const spine = routesOf(plan, "spine1");
    assert.deepEqual(spine.get("198.18.10.0/24"), ["leaf1a", "leaf1b"]);
    assert.deepEqual(spine.get("198.18.0.3/32"), ["leaf1a"]);
    assert.deepEqual(spine.get("0.0.0.0/0"), ["leaf3a", "leaf3b"]);
    assert.ok(!spine.has("198.18.0.2/32"), "spines share an ASN and never hold each other's loopbacks");
    const leaf = routesOf(plan, "leaf1a");
    assert.deepEqual(leaf.get("198.18.11.0/24"), ["spine1", "spine2"]);
    assert.deepEqual(leaf.get("198.18.0.4/32"), ["spine1", "spine2"], "the sibling's loopback over the spines (allowas-in origin)");
    assert.deepEqual(leaf.get("198.18.0.1/32"), ["spine1"]);
    assert.deepEqual(leaf.get("0.0.0.0/0"), ["spine1", "spine2"]);
    assert.ok(!leaf.has("198.18.10.0/24") && !leaf.has("198.18.0.3/32"), "its own rack network and loopback are connected, not learned");
    assert.deepEqual(routesOf(plan, "leaf3a").get("0.0.0.0/0"), ["wan"]);
    // per-peer exact: leaf1a accepts from spine1 exactly the underlay it expects over spine1
    const entries = filterOf(plan, "leaf1a", "spine1").filter((e) => e.ge === e.le && !e.prefix.startsWith("198.19.") && !e.prefix.startsWith("198.18.200."));
    const want = [...leaf].filter(([p, via]) => via.includes("spine1") && !p.startsWith("198.19.") && !p.startsWith("198.18.200.")).map(([p]) => p).sort();
    // exact ranges (S ge L le L) expanded: precisely the planned prefixes, nothing more
    const expand = (e: { prefix: string; ge: number }) => {
      const len = Number(e.prefix.split("/")[1]);
      return Array.from({ length: 2 ** (e.ge - len) }, (_, i) => nthSubnet(e.prefix, e.ge, i)!);
    };
    assert.deepEqual(entries.flatMap(expand).sort(), want);
    assert.ok(entries.length < want.length, "aggregated: fewer entries than prefixes");
    // origination
    const o = plan.switches.find((s) => s.name === "leaf3a")!.originates;
    assert.deepEqual(o.filter((x) => x.kind !== "aggregate").map((x) => x.prefix), ["198.18.12.0/24", "198.18.0.7/32"]);
    assert.deepEqual(o.filter((x) => x.kind === "aggregate").map((x) => x.prefix).sort(), plan.upstreams[0].announce.map((e) => e.prefix).sort());
    assert.deepEqual(plan.sessions.find((s) => s.id === "leaf1a--spine1")!.acceptOwnOrigin, ["leaf1a"]);
  });

  it("announce: supernets by default, the covering prefix or node PodCIDRs only when asked; nothing by default", () => {
    const base = spineLeaf();
    const prodA = resolve(base).clusters.find((c) => c.name === "prod-a")!;
    for (const [mode, want] of [
      [undefined, prodA.supernets.map((p) => p.prefix)],
      [UpstreamPodCidrs.covering, [prodA.coveringPrefix!.prefix]],
      [UpstreamPodCidrs.nodes, prodA.podCIDRs.map((p) => p.prefix)],
    ] as const) {
      const s = spineLeaf();
      s.upstreams![0].announce = { clusters: ["prod-a"], ...(mode ? { podCidrs: mode } : {}) };
      assert.deepEqual(resolve(s).upstreams[0].announce.map((e) => e.prefix).sort(), [...want].sort(), String(mode));
    }
    const none = spineLeaf();
    delete none.upstreams![0].announce;
    const plan = resolve(none);
    assert.deepEqual(plan.upstreams[0].announce, []);
    assert.match(renderSwitchConfig(plan, "leaf3a").text, /^ip prefix-list PL-OUT-wan seq 10 deny any$/m, "nothing out by default (RFC 8212)");
    assert.ok(plan.switches.every((s) => s.originates.every((o) => o.kind !== "aggregate")));
  });

  it("three-tier: cores on different racks route each other's rack networks and loopbacks over the mesh", () => {
    const s = threeTier();
    const cores = s.switches.filter((x) => x.role === SwitchRole.core);
    const maxId = Math.max(...s.switches.map((x) => x.id));
    s.switches.push({ name: "core3", role: SwitchRole.core, id: maxId + 1 }, { name: "core4", role: SwitchRole.core, id: maxId + 2 });
    s.racks[0].peers = [cores[0].name, cores[1].name];
    for (const r of s.racks.slice(1)) r.peers = ["core3", "core4"];
    const plan = resolve(s);
    const c1 = routesOf(plan, cores[0].name);
    assert.deepEqual(c1.get(s.racks[1].nodeNetwork!), ["core3", "core4"]);
    assert.ok(!c1.has(s.racks[0].nodeNetwork!), "a rack it sits on is connected");
    for (const other of [cores[1].name, "core3", "core4"]) {
      const lb = plan.devices.find((d) => d.name === other)!.routerId;
      assert.deepEqual(c1.get(`${lb}/32`), [other]);
    }
    assert.ok(plan.sessions.filter((x) => x.kind === "core-mesh").every((x) => x.nextHopSelf));
    assert.match(renderSwitchConfig(plan, cores[0].name).text, /neighbor \S+ next-hop-self/);
  });

  it("adding a rack, a node or an upstream never moves an underlay allocation, and the plan is deterministic", () => {
    const a = resolve(spineLeaf());
    const s = spineLeaf();
    s.racks[0].nodes.push({ name: "r1n9", id: 9, address: "198.18.10.19" });
    s.switches.push({ name: "leaf4a", role: SwitchRole.leaf, id: 9, rack: "r4" }, { name: "leaf4b", role: SwitchRole.leaf, id: 10, rack: "r4" });
    s.racks.push({ name: "r4", id: 4, nodeNetwork: "198.18.13.0/24", nodes: [{ name: "r4n1", id: 1, address: "198.18.13.11" }] });
    s.upstreams![0].announce!.nodeNetworks = ["198.18.8.0/21"];
    const b = resolve(s);
    for (const sw of a.switches) {
      const after = b.switches.find((x) => x.name === sw.name)!;
      for (const o of sw.originates.filter((x) => x.kind !== "aggregate")) assert.ok(after.originates.some((x) => x.prefix === o.prefix && x.kind === o.kind), `${sw.name} still originates ${o.prefix}`);
      const before = routesOf(a, sw.name);
      const now = routesOf(b, sw.name);
      for (const [p, via] of before) if (!p.startsWith("198.19.")) assert.deepEqual(now.get(p), via, `${sw.name} ${p}`);
    }
    assert.deepEqual(JSON.stringify(resolve(spineLeaf())), JSON.stringify(a));
  });
});
