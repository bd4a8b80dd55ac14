/** One test per validation rule, asserting the path, the rule and the message. */
import { strict as assert } from "assert";
import * as path from "path";
import { validate } from "../sdk/validate/validate";
import { resolve } from "../sdk/resolve/resolve";
import { SpecError, SpecProblem } from "../sdk/validate/errors";
import { loadSpecFile, parseSpecText } from "../sdk/spec/load";
import { DataCenterSpec, NodeAsnScheme, NodeRole, SwitchRole } from "../sdk/spec/types";

const examples = path.join(__dirname, "..", "examples");
const spineLeaf = () => loadSpecFile(path.join(examples, "spine-leaf", "datacenter.yaml"));
const threeTier = () => loadSpecFile(path.join(examples, "three-tier", "datacenter.yaml"));

/** Run validate() and return the problems of one rule. */
function problemsOf(spec: unknown, rule: string): SpecProblem[] {
  return validate(spec).filter((p) => p.rule === rule);
}

/** Assert exactly one problem of `rule` at `path` whose message contains every fragment. */
function expectProblem(spec: unknown, rule: string, at: string, ...fragments: string[]): void {
  const all = validate(spec);
  const found = all.filter((p) => p.rule === rule && p.path === at);
  assert.equal(found.length, 1, `expected one ${rule} at ${at}, got: ${JSON.stringify(all, null, 1)}`);
  for (const f of fragments) assert.ok(found[0].message.includes(f), `message "${found[0].message}" lacks "${f}"`);
}

describe("validation rules", () => {
  it("the bundled examples are valid", () => {
    assert.deepEqual(validate(spineLeaf()), []);
    assert.deepEqual(validate(threeTier()), []);
  });

  describe("shape (JSON Schema)", () => {
    it("reports path-qualified schema errors instead of crashing", () => {
      const spec = parseSpecText("name: x\ntopology: ring\nasn: {}\npools: 5\nswitches: []\nracks: 7\n");
      const problems = validate(spec);
      assert.ok(problems.some((p) => p.path === "topology" && p.rule === "schema-enum" && p.message.includes("spineLeaf")));
      assert.ok(problems.some((p) => p.path === "pools" && p.rule === "schema-type"));
      assert.ok(problems.some((p) => p.path === "racks" && p.rule === "schema-type"));
    });
    it("rejects unknown keys with their name", () => {
      const spec = spineLeaf() as unknown as Record<string, unknown>;
      (spec.racks as Record<string, unknown>[])[0].colour = "red";
      expectProblem(spec, "schema-additionalProperties", "racks[0]", "colour");
    });
    it("reports a YAML syntax error as a spec problem", () => {
      assert.throws(() => parseSpecText("racks: [\n  - a: 1\n", "dc.yaml"), (e: unknown) => e instanceof SpecError && e.problems[0].rule === "yaml-syntax");
    });
  });

  it("overlap: pools and node networks must not overlap", () => {
    const spec = spineLeaf();
    spec.pools.vips![0].cidr = "198.19.3.0/29";
    expectProblem(spec, "overlap", "pools.vips[0].cidr", '"198.19.3.0/29" overlaps pools.podCidr.cidr "198.19.0.0/16"');
  });

  it("overlap: a pinned PodCIDR must not overlap another node's", () => {
    const spec = spineLeaf();
    spec.racks[2].nodes[1].podCIDR = "198.19.0.0/24"; // allocated to racks[0].nodes[0]
    expectProblem(spec, "overlap", "racks[2].nodes[1].podCIDR", 'racks[2].nodes[1].podCIDR "198.19.0.0/24" overlaps racks[0].nodes[0].podCIDR "198.19.0.0/24"');
  });

  it("podcidr-outside-pool: pins must lie in the pool", () => {
    const spec = spineLeaf();
    spec.racks[0].nodes[0].podCIDR = "198.18.99.0/24";
    expectProblem(spec, "podcidr-outside-pool", "racks[0].nodes[0].podCIDR", "198.18.99.0/24", "198.19.0.0/16");
  });

  it("podcidr-length: prefix length must be 24 or 25", () => {
    const spec = spineLeaf();
    spec.pools.podCidr.prefixLength = 26;
    expectProblem(spec, "podcidr-length", "pools.podCidr.prefixLength", "26 must be 24 or 25");
  });

  it("podcidr-length: a pinned PodCIDR must have the pool's length", () => {
    const spec = spineLeaf();
    spec.racks[0].nodes[0].podCIDR = "198.19.200.0/25";
    expectProblem(spec, "podcidr-length", "racks[0].nodes[0].podCIDR", "not a /24");
  });

  it("pool-exhausted: says how many nodes fit", () => {
    const spec = spineLeaf();
    spec.pools.podCidr.cidr = "198.19.0.0/22"; // 4 /24s = 0 racks of 16
    spec.pools.podCidr.perRack = 2;
    spec.racks.forEach((r) => r.nodes.splice(2));
    for (const c of spec.clusters!) c.nodes = c.nodes.filter((n) => /n[12]$/.test(n));
    expectProblem(spec, "pool-exhausted", "racks[2].id", "holds 4 /24 PodCIDRs = 2 racks of 2 nodes (4 nodes)");
  });

  it("id-range: non-integer ids are reported, not a crash", () => {
    const spec = spineLeaf();
    spec.switches[2].id = 1.5;
    spec.racks[2].id = 2.5;
    spec.racks[0].nodes[0].id = 0.5;
    expectProblem(spec, "id-range", "switches[2].id", "switch id 1.5 must be an integer ≥ 1");
    expectProblem(spec, "id-range", "racks[2].id", "rack id 2.5 must be an integer ≥ 1");
    expectProblem(spec, "id-range", "racks[0].nodes[0].id", "node id 0.5 must be an integer in 1–16");
    assert.deepEqual(problemsOf(spec, "pool-exhausted"), []);
  });

  it("per-rack: pools.podCidr.perRack must be an integer ≥ 1, not a crash", () => {
    for (const bad of [0, -1, 1.5]) {
      const spec = spineLeaf();
      spec.pools.podCidr.perRack = bad;
      expectProblem(spec, "per-rack", "pools.podCidr.perRack", `pools.podCidr.perRack ${bad} must be an integer ≥ 1`);
      assert.deepEqual(problemsOf(spec, "id-range"), []);
    }
  });

  it("prefix-invalid: host bits and garbage are rejected", () => {
    const spec = spineLeaf();
    spec.pools.loopbacks = "198.18.0.1/24";
    spec.racks[0].nodeNetwork = "banana";
    expectProblem(spec, "prefix-invalid", "pools.loopbacks", "host bits");
    expectProblem(spec, "prefix-invalid", "racks[0].nodeNetwork", "banana");
  });

  for (const asn of [0, 23456, 65535, 4294967295]) {
    it(`asn-reserved: ${asn}`, () => {
      const spec = spineLeaf();
      spec.asn.spine = asn;
      expectProblem(spec, "asn-reserved", "asn.spine", `ASN ${asn} is reserved`);
    });
  }

  it("asn-invalid: out of range", () => {
    const spec = threeTier();
    spec.asn.fabric = 5_000_000_000;
    expectProblem(spec, "asn-invalid", "asn.fabric", "5000000000");
  });

  it("asn-public: public ASNs only when allowed", () => {
    const spec = threeTier();
    spec.asn.fabric = 3320;
    expectProblem(spec, "asn-public", "asn.fabric", "ASN 3320 is public", "64512–65534");
    spec.asn.allowPublic = true;
    assert.deepEqual(problemsOf(spec, "asn-public"), []);
  });

  it("asn-public: the RFC 6996 32-bit range is private", () => {
    const spec = threeTier();
    spec.asn.fabric = 4200000001;
    assert.deepEqual(validate(spec), []);
  });

  it("asn-reuse: a node ASN equal to the spine ASN breaks the scheme", () => {
    const spec = spineLeaf();
    spec.racks[1].nodes[0].asn = 65000;
    expectProblem(spec, "asn-reuse", "racks[1].nodes[0].asn", "ASN 65000 is also used by asn.spine");
  });

  it("asn-reuse: perNode scheme forbids two nodes sharing an ASN", () => {
    const spec = spineLeaf();
    spec.asn.nodeScheme = NodeAsnScheme.perNode;
    spec.racks[0].nodes[1].asn = 65201; // = racks[0].nodes[0]'s scheme ASN
    expectProblem(spec, "asn-reuse", "racks[0].nodes[1].asn", "ASN 65201", "each node");
  });

  it("asn-reuse: two racks' leaf pairs must not share an ASN", () => {
    const spec = spineLeaf();
    spec.racks[1].leafAsn = 65101;
    expectProblem(spec, "asn-reuse", "racks[1].leafAsn", "ASN 65101 is also used by racks[0] (leaf ASN)");
  });

  it("asn-scheme: threeTier nodes must use the fabric ASN", () => {
    const spec = threeTier();
    spec.racks[0].nodes[2].asn = 65011;
    expectProblem(spec, "asn-scheme", "racks[0].nodes[2].asn", "65011", "65010");
  });

  it("asn-exhausted: the leaf range must hold every rack", () => {
    const spec = spineLeaf();
    spec.asn.leaves = { from: 65101, to: 65102 };
    expectProblem(spec, "asn-exhausted", "racks[2].id", "65101–65102", "rack id 3");
  });

  it("duplicate: names, ids and addresses", () => {
    const spec = spineLeaf();
    spec.racks[1].nodes[0].name = "r1n1";
    spec.racks[2].nodes[0].address = "198.18.12.12";
    spec.switches[3].id = 3;
    expectProblem(spec, "duplicate", "racks[1].nodes[0].name", 'device name "r1n1" is already used by racks[0].nodes[0].name');
    expectProblem(spec, "duplicate", "racks[2].nodes[1].address", '"198.18.12.12" is already used by racks[2].nodes[0].address');
    expectProblem(spec, "duplicate", "switches[3].id", "switch id 3");
  });

  it("two-peers: a rack whose nodes would not have two BGP peers", () => {
    const spec = spineLeaf();
    spec.switches = spec.switches.filter((s) => s.name !== "leaf2b");
    expectProblem(spec, "two-peers", "racks[1]", '1 BGP peer(s) ("leaf2a")', "exactly two");
  });

  it("unknown-reference: racks, switches, clusters and nodes", () => {
    const spec = spineLeaf();
    spec.switches[2].rack = "r9";
    spec.racks[1].peers = ["leaf2a", "leafX"];
    spec.clusters![0].nodes.push("ghost");
    spec.pools.vips![0].cluster = "nowhere";
    expectProblem(spec, "unknown-reference", "switches[2].rack", 'unknown rack "r9"');
    expectProblem(spec, "unknown-reference", "racks[1].peers", 'unknown switch "leafX"');
    expectProblem(spec, "unknown-reference", `clusters[0].nodes[${spec.clusters![0].nodes.length - 1}]`, 'unknown node "ghost"');
    expectProblem(spec, "unknown-reference", "pools.vips[0].cluster", 'unknown cluster "nowhere"');
  });

  it("peer-role: spineLeaf nodes peer with their own rack's leaves", () => {
    const spec = spineLeaf();
    spec.racks[0].peers = ["leaf1a", "leaf2a"];
    expectProblem(spec, "peer-role", "racks[0].peers", '"leaf2a" is not a leaf of rack "r1"');
  });

  it("cluster-id-range and duplicate cluster ids", () => {
    const spec = spineLeaf();
    spec.clusters![0].id = 0;
    spec.clusters![1].id = 256;
    expectProblem(spec, "cluster-id-range", "clusters[0].id", "cluster id 0 must be 1–255");
    expectProblem(spec, "cluster-id-range", "clusters[1].id", "256");
    const dup = spineLeaf();
    dup.clusters![1].id = 1;
    expectProblem(dup, "duplicate", "clusters[1].id", "cluster id 1 is already used by clusters[0].id");
  });

  it("cluster-name-length: at most 32 characters", () => {
    const spec = spineLeaf();
    spec.clusters![0].name = "a".repeat(33);
    expectProblem(spec, "cluster-name-length", "clusters[0].name", "33 characters", "at most 32");
  });

  it("ecmp-limit: more announcing nodes for a VIP than the switch's ECMP limit", () => {
    const spec = spineLeaf();
    spec.switches.find((s) => s.name === "leaf1a")!.maxPaths = 1;
    expectProblem(spec, "ecmp-limit", "pools.vips[0]", 'announced by 2 nodes ("r1n1", "r1n2") to "leaf1a"', "maxPaths) is 1");
    assert.throws(() => resolve(spec), (e: unknown) => e instanceof SpecError && e.problems.some((p) => p.rule === "ecmp-limit"));
  });

  it("vip-announcer-role: only l4lb nodes announce VIPs", () => {
    const spec = spineLeaf();
    spec.pools.vips![0].announcers = ["r1n1", "r3n3"];
    expectProblem(spec, "vip-announcer-role", "pools.vips[0].announcers[1]", '"r3n3" is not an l4lb node');
  });

  it("address-outside and address-reserved: node addresses on the rack network", () => {
    const spec = spineLeaf();
    spec.racks[0].nodes[0].address = "198.18.11.50";
    spec.racks[0].nodes[1].address = "198.18.10.2";
    expectProblem(spec, "address-outside", "racks[0].nodes[0].address", 'outside racks[0].nodeNetwork "198.18.10.0/24"');
    expectProblem(spec, "address-reserved", "racks[0].nodes[1].address", `reserved for the rack's BGP peer "leaf1b"`);
  });

  it("role-topology: core switches do not exist in spine–leaf", () => {
    const spec = spineLeaf();
    (spec.switches[0] as { role: string }).role = "core";
    expectProblem(spec, "role-topology", "switches[0].role", "core does not exist in a spineLeaf");
  });

  it("name-format: names must be usable as host, file and Kubernetes names", () => {
    const spec = spineLeaf();
    spec.racks[0].nodes[0].name = "R1 N1";
    spec.clusters![0].nodes[0] = "R1 N1";
    expectProblem(spec, "name-format", "racks[0].nodes[0].name", '"R1 N1"');
  });

  it("secret-ref-format: password references are safe file names", () => {
    const spec = spineLeaf();
    spec.bgp!.passwordRef = "../etc/passwd";
    expectProblem(spec, "secret-ref-format", "bgp.passwordRef", "../etc/passwd");
  });

  it("secret-ref-format: a reference the renderers refuse (leading '_' or '-') is refused here too", () => {
    for (const ref of ["_bgp", "-bgp"]) {
      const spec = spineLeaf();
      spec.bgp!.passwordRef = ref;
      expectProblem(spec, "secret-ref-format", "bgp.passwordRef", JSON.stringify(ref), "starting with a letter or digit");
    }
  });

  it("family-mismatch: an IPv6 VIP pool cannot ride IPv4 sessions", () => {
    const spec = spineLeaf();
    spec.pools.vips![0].cidr = "2001:db8:200::/120";
    expectProblem(spec, "family-mismatch", "pools.vips[0]", "2001:db8:200::/120", "r1n1");
  });

  it("family-mismatch: PodCIDRs of one family cannot ride the other family's sessions", () => {
    const spec = spineLeaf();
    spec.pools.vips = [];
    spec.racks[0].nodeNetwork = "2001:db8:10::/64";
    spec.racks[0].nodes.forEach((n, i) => (n.address = `2001:db8:10::${i + 11}`));
    expectProblem(spec, "family-mismatch", "racks[0].nodeNetwork", 'rack "r1" peer over "2001:db8:10::/64"', 'ipv4 PodCIDRs from pools.podCidr.cidr "198.19.0.0/16"');
    assert.equal(problemsOf(spec, "family-mismatch").length, 1);
  });

  it("router-id-zero: an address whose 32-bit router id is 0.0.0.0 is reported, not left to the renderers", () => {
    const spec = spineLeaf();
    spec.switches[0].loopback = "2001:db8::";
    expectProblem(spec, "router-id-zero", "switches[0].loopback", "router id derived from 2001:db8:: is 0.0.0.0");
    const v6 = spineLeaf();
    v6.racks[0].nodeNetwork = "2001:db8:10::/64";
    v6.racks[0].nodes[0].address = "2001:db8:10:0:0:1::";
    expectProblem(v6, "router-id-zero", "racks[0].nodes[0].address", "router id derived from 2001:db8:10:0:0:1:: is 0.0.0.0");
  });

  it("asn-scheme: a leaf with a pinned ASN but no known rack is a missing rack, not 'must use NaN'", () => {
    const spec = spineLeaf();
    delete spec.switches[2].rack;
    spec.switches[2].asn = 65101;
    expectProblem(spec, "required", "switches[2].rack", 'leaf "leaf1a" needs a rack');
    assert.deepEqual(problemsOf(spec, "asn-scheme"), []);
    assert.ok(validate(spec).every((p) => !p.message.includes("NaN")));
  });

  it("bgp-option: timers and limits are whole numbers in protocol ranges", () => {
    const spec = spineLeaf();
    spec.bgp = { ...spec.bgp, keepalive: -1, hold: 2, restartTime: 1.5, maxPrefixSlack: -100, bfd: { enabled: true, intervalMs: 0, multiplier: 1 } };
    expectProblem(spec, "bgp-option", "bgp.keepalive", "keepalive -1 must be an integer in 1–65535");
    expectProblem(spec, "bgp-option", "bgp.hold", "hold time 2 must be an integer in 3–65535");
    expectProblem({ ...spec, bgp: { connectRetry: 0 } }, "bgp-option", "bgp.connectRetry", "connect retry 0 must be an integer in 1–65535");
    expectProblem(spec, "bgp-option", "bgp.restartTime", "graceful restart time 1.5");
    expectProblem(spec, "bgp-option", "bgp.maxPrefixSlack", "maxPrefixSlack -100");
    expectProblem(spec, "bgp-option", "bgp.bfd.intervalMs", "BFD interval (ms) 0 must be an integer in 10–60000");
    expectProblem(spec, "bgp-option", "bgp.bfd.multiplier", "BFD multiplier 1 must be an integer in 2–255");
    spec.bgp = { keepalive: 30 }; // default hold 9: bird -p says "Keepalive time must be at most hold time"
    expectProblem(spec, "bgp-option", "bgp.keepalive", "keepalive 30 must be at most the hold time 9");
    spec.bgp = { keepalive: 1, hold: 3, restartTime: 4095, bfd: { intervalMs: 10, multiplier: 255 } };
    assert.deepEqual(problemsOf(spec, "bgp-option"), []);
  });

  it("duplicate: a VIP pool names an announcer once", () => {
    const spec = spineLeaf();
    spec.pools.vips![0].announcers = ["r1n1", "r1n2", "r1n1"];
    expectProblem(spec, "duplicate", "pools.vips[0].announcers[2]", 'announcer "r1n1" is already used by pools.vips[0].announcers[0]');
  });

  it("pool-exhausted: threeTier core–core links need a /31 too (resolve() crashed)", () => {
    const spec = threeTier();
    spec.pools.fabricLinks = "198.18.1.0/32";
    expectProblem(spec, "pool-exhausted", "switches[0].id", 'fabric link pool "198.18.1.0/32" has no /31 for "core1"–"core2"');
    assert.throws(() => resolve(spec), (e: unknown) => e instanceof SpecError);
  });

  it("rack-network-size: a rack network, even without nodes, holds its peers' hosts 1 and 2", () => {
    const spec = spineLeaf();
    spec.racks.push({ name: "r4", id: 4, nodeNetwork: "198.18.13.0/31", nodes: [] });
    spec.switches.push({ name: "leaf4a", role: SwitchRole.leaf, id: 9, rack: "r4" }, { name: "leaf4b", role: SwitchRole.leaf, id: 10, rack: "r4" });
    expectProblem(spec, "rack-network-size", "racks[3].nodeNetwork", `"198.18.13.0/31" has no host 2 for the rack's BGP peer "leaf4b"`);
    assert.equal(problemsOf(spec, "rack-network-size").length, 1);
  });

  it("overlap: a pinned loopback must not lie in a rack network or another pool", () => {
    const spec = spineLeaf();
    spec.switches[0].loopback = "198.18.11.1"; // leaf2a's address on rack r2
    spec.switches[1].loopback = "198.18.200.3"; // a VIP
    expectProblem(spec, "overlap", "switches[0].loopback", 'loopback "198.18.11.1" lies in racks[1].nodeNetwork "198.18.11.0/24"');
    expectProblem(spec, "overlap", "switches[1].loopback", 'loopback "198.18.200.3" lies in pools.vips[0].cidr "198.18.200.0/29"');
    spec.switches[0].loopback = "198.18.0.200"; // in the loopback pool: fine
    assert.deepEqual(problemsOf(spec, "overlap").map((p) => p.path), ["switches[1].loopback"]);
  });

  it("duplicate: two IPv6 loopbacks with the same low 32 bits would share a BGP router id", () => {
    const spec = spineLeaf();
    spec.switches[0].loopback = "2001:db8:1::1";
    spec.switches[1].loopback = "2001:db8:2::1";
    expectProblem(spec, "duplicate", "switches[1].loopback", 'loopback "2001:db8:2::1" gives router id 0.0.0.1, already the router id of switches[0]');
  });

  it("address-reserved: no 'broadcast' in IPv6 (the top of a /64 was refused through float rounding)", () => {
    const spec = spineLeaf();
    spec.racks[0].nodeNetwork = "2001:db8:10::/64";
    spec.racks[0].nodes.forEach((n, i) => (n.address = `2001:db8:10::${i + 11}`));
    spec.racks[0].nodes[0].address = "2001:db8:10:0:ffff:ffff:ffff:fc00";
    spec.racks[0].nodes[1].address = "2001:db8:10::";
    assert.deepEqual(problemsOf(spec, "address-reserved").map((p) => p.path), ["racks[0].nodes[1].address"]);
    spec.racks[0].nodeNetwork = "198.18.10.0/24";
    spec.racks[0].nodes.forEach((n, i) => (n.address = `198.18.10.${i + 11}`));
    spec.racks[0].nodes[0].address = "198.18.10.255";
    expectProblem(spec, "address-reserved", "racks[0].nodes[0].address", '"198.18.10.255" is the network or broadcast address of "198.18.10.0/24"');
  });

  it("reports every problem at once", () => {
    const spec: DataCenterSpec = spineLeaf();
    spec.asn.spine = 0;
    spec.pools.podCidr.prefixLength = 23;
    spec.clusters![0].id = 300;
    spec.racks[0].nodes[3].role = NodeRole.l4lb;
    spec.switches.find((s) => s.name === "leaf1a")!.maxPaths = 2;
    const rules = new Set(validate(spec).map((p) => p.rule));
    for (const r of ["asn-reserved", "podcidr-length", "cluster-id-range"]) assert.ok(rules.has(r), `missing ${r}`);
    assert.throws(() => resolve(spec), (e: unknown) => e instanceof SpecError && e.message.includes("asn.spine") && e.message.includes("clusters[0].id"));
  });
});
