/**
 * IPv6-only racks (examples/dual-stack-v6only-rack: rack r3 has only `nodeNetwork6`): the plan
 * (addresses, derived router ids, IPv6 sessions only, exact filters, underlay, expected routes),
 * stability (the rack moves nothing of the others), the renderers and the real parsers, and one
 * test per rule of sdk/validate/ipv6-only-racks.ts. The lab run is in test/lab-dual-stack.test.ts.
 */
import { strict as assert } from "assert";
import { join } from "path";
import { mkdirSync } from "fs";
import { resolve } from "../sdk/resolve/resolve";
import { validate } from "../sdk/validate/validate";
import { loadSpecFile } from "../sdk/spec/load";
import { DataCenterSpec, NodeSessionFamilies } from "../sdk/spec/types";
import { Plan } from "../sdk/plan/types";
import { sessionFamilies } from "../sdk/plan/sessions";
import { renderSwitchConfig, renderSwitchSecrets } from "../sdk/render/switch";
import { renderBirdConfig, renderBirdSecrets } from "../sdk/render/bird";
import { derivedRouterId } from "../sdk/resolve/allocate";
import { renderClusterManifests, validateClusterSide } from "../sdk/k8s";
import { birdParse, requireParsers, TempDir, vtyshDryrun } from "./support/real-parsers";
import { frrRouterBgp } from "./support/rendered-config";

const ROOT = join(__dirname, "..");
const EXAMPLE = "dual-stack-v6only-rack";
const specOf = (example = EXAMPLE) => loadSpecFile(join(ROOT, "examples", example, "datacenter.yaml")) as DataCenterSpec;
const PASSWORDS = { "bgp-nodes": "n0de-S3cret" };
const R3 = ["r3n1", "r3n2", "r3n3"];

function expectProblem(spec: unknown, rule: string, at: string, ...fragments: string[]): void {
  const all = validate(spec);
  const found = all.filter((p) => p.rule === rule && p.path === at);
  assert.equal(found.length, 1, `expected one ${rule} at ${at}, got: ${JSON.stringify(all, null, 1)}`);
  for (const f of fragments) assert.ok(found[0].message.includes(f), `message "${found[0].message}" lacks "${f}"`);
}

/** The example without rack r3, its leaves, its VIP pool and its cluster. */
function withoutR3(): DataCenterSpec {
  const spec = specOf();
  spec.racks = spec.racks.filter((r) => r.name !== "r3");
  spec.switches = spec.switches.filter((s) => s.rack !== "r3");
  spec.pools.vips = spec.pools.vips!.filter((v) => v.name !== "edge6");
  spec.clusters = spec.clusters!.filter((c) => c.name !== "edge");
  return spec;
}

describe("IPv6-only racks (examples/dual-stack-v6only-rack)", () => {
  let plan: Plan;
  let dir: TempDir | undefined;
  before(() => {
    plan = resolve(specOf());
  });
  after(() => dir?.dispose());

  it("the example is valid; r3's nodes have only IPv6 (address, PodCIDR, static default) and router ids 0.0.0.0/8 + slot + 1", () => {
    assert.deepEqual(validate(specOf()), []);
    for (const [i, name] of R3.entries()) {
      const d = plan.devices.find((x) => x.name === name)!;
      assert.deepEqual(d.interfaces.map((x) => `${x.name} ${x.addresses.map((a) => `${a.family} ${a.cidr}`).join(",")}`), [`eth0 ipv6 2001:db8:12::1${i + 1}/64`]);
      assert.deepEqual(d.staticRoutes.map((r) => `${r.prefix} via ${r.nextHops.join(",")}`), ["::/0 via 2001:db8:12::1,2001:db8:12::2"]);
      assert.equal(d.routerId, `0.0.0.${32 + i + 1}`, "slot (3 − 1) × 16 + (node.id − 1), plus one");
      const n = plan.nodes.find((x) => x.name === name)!;
      assert.equal(n.podCIDR.family, "ipv6");
      assert.deepEqual(n.podCIDR6, n.podCIDR);
      assert.ok(n.announcements.every((a) => a.family === "ipv6"), name);
    }
    assert.equal(plan.nodes.find((x) => x.name === "r3n2")!.podCIDR.prefix, "2001:db8:1000:21::/64"); // slot 33
    assert.equal(plan.nodes.find((x) => x.name === "r3n3")!.podCIDR.prefix, "2001:db8:1000:fe::/64"); // pinned
    // every router id of the plan is distinct
    const ids = plan.devices.map((d) => d.routerId);
    assert.equal(new Set(ids).size, ids.length);
    // the rack's segment and the leaves' rack interfaces are IPv6 only
    const seg = plan.segments.find((s) => s.name === "rack-r3")!;
    assert.deepEqual([seg.family, seg.prefix, seg.prefix6], ["ipv6", "2001:db8:12::/64", undefined]);
    for (const leaf of ["leaf3a", "leaf3b"]) {
      const d = plan.devices.find((x) => x.name === leaf)!;
      assert.ok(d.interfaces.find((x) => x.name === "rack3")!.addresses.every((a) => a.family === "ipv6"), leaf);
      assert.equal(d.routerId, leaf === "leaf3a" ? "198.18.0.7" : "198.18.0.8", "switches keep their IPv4 loopback");
    }
  });

  it("adding the IPv6-only rack moves nothing: the other devices' plan is that of the spec without it", () => {
    const before = resolve(withoutR3());
    const byName = new Map(plan.devices.map((d) => [d.name, d]));
    for (const d of before.devices.filter((x) => x.kind === "node")) assert.deepEqual(byName.get(d.name), d, d.name);
    for (const n of before.nodes) assert.deepEqual(plan.nodes.find((x) => x.name === n.name), n, n.name);
    const sessions = new Map(plan.sessions.map((s) => [s.id, s]));
    for (const s of before.sessions) assert.deepEqual(sessions.get(s.id), s, s.id);
    for (const sw of before.devices.filter((x) => x.kind === "switch")) {
      const lo = (p: Plan) => p.devices.find((x) => x.name === sw.name)!.interfaces.filter((i) => !i.name.startsWith("fab") || Number(i.name.slice(3)) < 7);
      assert.deepEqual(lo(plan), lo(before), sw.name);
    }
    assert.deepEqual(plan.clusters.filter((c) => c.name !== "edge"), before.clusters);
  });

  it("sessions: IPv6 only for r3's nodes (twin ids and protocols), with exact filters and expected routes; IPv4 never mentions r3", () => {
    const up = plan.sessions.filter((s) => s.kind === "node-uplink" && R3.includes(s.a.device));
    assert.deepEqual(up.map((s) => s.id), R3.flatMap((n) => [`${n}--leaf3a--v6`, `${n}--leaf3b--v6`]));
    for (const s of up) assert.deepEqual([s.family, sessionFamilies(s), s.nodeProtocol!.endsWith("_v6")], ["ipv6", ["ipv6"], true], s.id);
    const leaf = plan.switches.find((s) => s.name === "leaf3a")!;
    const f = leaf.inboundFilters.filter((x) => x.device === "r3n1");
    assert.equal(f.length, 1);
    assert.deepEqual(f[0].entries.map((e) => `${e.family} ${e.prefix} ${e.ge}-${e.le}`), ["ipv6 2001:db8:1000:20::/64 64-64", "ipv6 2001:db8:201::/126 128-128"]);
    // leaves originate the rack's IPv6 network; no IPv4 rack network for r3 anywhere
    assert.deepEqual(leaf.originates.filter((o) => o.kind === "rackNetwork").map((o) => o.prefix), ["2001:db8:12::/64"]);
    const spine = plan.switches.find((s) => s.name === "spine1")!;
    const v6 = spine.expectedRoutes.filter((g) => g.family === "ipv6");
    const via = (p: string) => v6.find((g) => g.prefixes.includes(p))?.via;
    assert.deepEqual(via("2001:db8:12::/64"), ["leaf3a", "leaf3b"]);
    assert.deepEqual(via("2001:db8:1000:21::/64"), ["leaf3a", "leaf3b"]);
    assert.deepEqual(via("2001:db8:201::3/128"), ["leaf3a", "leaf3b"]);
    const v4 = spine.expectedRoutes.filter((g) => g.family === "ipv4");
    for (const g of v4) assert.ok(!g.via.includes("leaf3a") || g.prefixes.every((p) => p === "198.18.0.7/32"), `spine1 IPv4 over leaf3a: ${g.prefixes.join(", ")}`);
    // leaf3a's IPv4: only the fabric (other racks over the spines), never a node of its own
    assert.ok(leaf.expectedRoutes.filter((g) => g.family === "ipv4").every((g) => g.via.every((v) => v.startsWith("spine"))));
    assert.ok(!leaf.inboundFilters.some((x) => R3.includes(x.device) && x.entries.some((e) => e.family === "ipv4")));
  });

  it("BIRD on an IPv6-only node: only IPv6 channels and protocols; FRR on its leaves: the node neighbors in IPv6 only", () => {
    const bird = renderBirdConfig(plan, "r3n1");
    assert.match(bird, /^router id 0\.0\.0\.33;$/m);
    assert.ok(!/\bipv4\b|NET_IP4|kernel4|static4/.test(bird), "no IPv4 in r3n1's BIRD config");
    assert.deepEqual([...bird.matchAll(/^protocol (\w+) (\w+)/gm)].map((m) => `${m[1]} ${m[2]}`), ["kernel kernel6", "static static6", "bgp uplink0_v6", "bgp uplink1_v6"]);
    const frr = frrRouterBgp(renderSwitchConfig(plan, "leaf3a").text);
    for (const [i, n] of R3.entries()) {
      const nb = frr.neighbors.get(`2001:db8:12::1${i + 1}`)!;
      assert.ok(nb.af.get("ipv6")!.includes(`prefix-list PL-IN-${n} in`), n);
      assert.equal(nb.af.get("ipv4"), undefined, `${n} not in the IPv4 address family`);
    }
  });

  it("vtysh --dryrun accepts every switch config, bird -p every node config (IPv6-only nodes included)", async function () {
    this.timeout(60000);
    requireParsers();
    dir ??= new TempDir();
    for (const sw of plan.devices.filter((d) => d.kind === "switch").map((d) => d.name)) {
      const v = await vtyshDryrun(dir, dir.write(`${sw}.conf`, renderSwitchConfig(plan, sw).text + renderSwitchSecrets(plan, sw, PASSWORDS)));
      assert.ok(v.ok, `${sw}: ${v.output}`);
    }
    for (const n of plan.nodes.map((x) => x.name)) {
      const secretsDir = join(dir.path, `${n}-secrets`);
      mkdirSync(secretsDir, { recursive: true, mode: 0o755 });
      for (const f of renderBirdSecrets(plan, n, PASSWORDS)) dir.write(join(`${n}-secrets`, f.file), f.text);
      const r = await birdParse(dir.write(`${n}.bird.conf`, renderBirdConfig(plan, n, { secretsDir })));
      assert.ok(r.ok, `${n}: ${r.output}`);
    }
  });

  for (const base of ["dual-stack-three-tier", "dual-stack-unnumbered"])
    it(`${base} with its last rack made IPv6-only: valid, IPv6-only nodes and sessions, parsed by bird -p and vtysh --dryrun`, async function () {
      this.timeout(60000);
      requireParsers();
      const spec = specOf(base);
      const rack = spec.racks[spec.racks.length - 1];
      delete rack.nodeNetwork;
      for (const n of rack.nodes) delete n.address;
      const gone = new Set(rack.nodes.map((n) => n.name));
      for (const c of spec.clusters ?? []) c.nodes = c.nodes.filter((n) => !gone.has(n));
      for (const v of spec.pools.vips ?? []) if (v.announcers && !v.cidr.includes(":")) v.announcers = v.announcers.filter((n) => !gone.has(n));
      assert.deepEqual(validate(spec), []);
      const p = resolve(spec);
      for (const name of gone) {
        const d = p.devices.find((x) => x.name === name)!;
        assert.match(d.routerId, /^0\./, name);
        assert.ok(d.interfaces.every((i) => i.addresses.every((a) => a.family === "ipv6")), name);
        assert.ok(p.sessions.filter((s) => s.a.device === name).every((s) => s.family === "ipv6" && sessionFamilies(s).join() === "ipv6"), name);
      }
      assert.ok(!p.segments.find((s) => s.name === `rack-${rack.name}`)!.members.some((m) => !m.address.includes(":")), "the rack segment is IPv6 only");
      dir ??= new TempDir();
      for (const sw of p.devices.filter((d) => d.kind === "switch").map((d) => d.name)) {
        const v = await vtyshDryrun(dir, dir.write(`${base}-${sw}.conf`, renderSwitchConfig(p, sw).text + renderSwitchSecrets(p, sw, PASSWORDS)));
        assert.ok(v.ok, `${sw}: ${v.output}`);
      }
      for (const n of p.nodes.map((x) => x.name)) {
        const secretsDir = join(dir.path, `${base}-${n}-secrets`);
        mkdirSync(secretsDir, { recursive: true, mode: 0o755 });
        for (const f of renderBirdSecrets(p, n, PASSWORDS)) dir.write(join(`${base}-${n}-secrets`, f.file), f.text);
        const r = await birdParse(dir.write(`${base}-${n}.bird.conf`, renderBirdConfig(p, n, { secretsDir })));
        assert.ok(r.ok, `${n}: ${r.output}`);
      }
    });

  it("bgp.nodeSessions: ipv4 — the dual-stack racks get one IPv4 session for both families, r3's nodes keep their IPv6 sessions", () => {
    const spec = specOf();
    spec.bgp = { ...spec.bgp, nodeSessions: NodeSessionFamilies.ipv4 };
    assert.deepEqual(validate(spec), []);
    const p = resolve(spec);
    const up = p.sessions.filter((s) => s.kind === "node-uplink");
    assert.deepEqual(up.filter((s) => s.a.device === "r1n2").map((s) => `${s.id} ${sessionFamilies(s).join("+")}`), ["r1n2--leaf1a ipv4+ipv6", "r1n2--leaf1b ipv4+ipv6"]);
    assert.deepEqual(up.filter((s) => s.a.device === "r3n2").map((s) => `${s.id} ${sessionFamilies(s).join("+")}`), ["r3n2--leaf3a--v6 ipv6", "r3n2--leaf3b--v6 ipv6"]);
    assert.match(renderBirdConfig(p, "r3n2"), /protocol bgp uplink0_v6 \{/);
    const f = p.switches.find((s) => s.name === "leaf3a")!.inboundFilters.find((x) => x.device === "r3n2")!;
    assert.equal(f.neighbor, "2001:db8:12::12");
  });

  it("bgp.nodeSessions: ipv6 — the dual-stack racks get one IPv6 session for both families, r3's nodes their IPv6 sessions carrying IPv6 only", () => {
    const spec = specOf();
    spec.bgp = { ...spec.bgp, nodeSessions: NodeSessionFamilies.ipv6 };
    assert.deepEqual(validate(spec), []);
    const p = resolve(spec);
    const up = p.sessions.filter((s) => s.kind === "node-uplink");
    assert.deepEqual(up.filter((s) => s.a.device === "r1n2").map((s) => `${s.id} ${sessionFamilies(s).join("+")}`), ["r1n2--leaf1a--v6 ipv4+ipv6", "r1n2--leaf1b--v6 ipv4+ipv6"]);
    assert.deepEqual(up.filter((s) => s.a.device === "r3n2").map((s) => `${s.id} ${sessionFamilies(s).join("+")}`), ["r3n2--leaf3a--v6 ipv6", "r3n2--leaf3b--v6 ipv6"]);
    assert.equal(up.length, 2 * p.nodes.length, "no session twice");
    assert.ok(!/\bipv4 \{/.test(renderBirdConfig(p, "r3n2").split("protocol bgp")[1]), "r3n2's sessions have no IPv4 channel");
  });

  it("cluster side: prod's objects name no node of r3, and its LB-IPAM leaves out edge6 (the IPv6-only cluster edge's, announced only from r3)", () => {
    const inputs = { prod: { apiServer: { host: "198.18.10.12", port: 6443 } } };
    assert.deepEqual(validateClusterSide(plan, inputs), []);
    const files = renderClusterManifests(plan, inputs);
    const text = files.map((f) => f.text).join("\n");
    assert.ok(!/\br3n\d\b/.test(text), "no r3 node in prod's objects");
    assert.deepEqual(files.filter((f) => /ciliumloadbalancerippool-/.test(f.path)).map((f) => f.path.split("/").pop()), ["ciliumloadbalancerippool-public.yaml", "ciliumloadbalancerippool-public6.yaml"]);
    assert.ok(!text.includes("2001:db8:201::"), "edge6's block not handed out by prod");
  });

  it("derived router ids: slot + 1 in 0.0.0.0/8, unique per slot, none past 0.255.255.255", () => {
    const spec = specOf();
    const rack = spec.racks[2];
    assert.equal(derivedRouterId(spec, rack, { name: "x", id: 16 }), "0.0.0.48");
    assert.equal(derivedRouterId(spec, { ...rack, id: 1 + Math.floor((2 ** 24 - 2) / 16) }, { name: "x", id: 15 }), "0.255.255.255");
    assert.equal(derivedRouterId(spec, { ...rack, id: 1 + Math.floor((2 ** 24 - 2) / 16) }, { name: "x", id: 16 }), undefined);
  });

  describe("rules", () => {
    it("rack-node-network: a rack needs at least one node network", () => {
      const spec = specOf();
      delete spec.racks[2].nodeNetwork6;
      expectProblem(spec, "rack-node-network", "racks[2]", '"r3"', "nodeNetwork6");
      const v4 = specOf("spine-leaf");
      delete v4.racks[0].nodeNetwork;
      expectProblem(v4, "rack-node-network", "racks[0]");
    });

    it("node-address-family: the address of each family the rack has, none of one it has not", () => {
      const spec = specOf();
      delete spec.racks[0].nodes[1].address;
      spec.racks[2].nodes[0].address = "198.18.12.11";
      spec.racks[2].nodes[1].podCIDR = "198.19.40.0/24";
      expectProblem(spec, "node-address-family", "racks[0].nodes[1].address", '"r1n2"', "198.18.10.0/24");
      expectProblem(spec, "node-address-family", "racks[2].nodes[0].address", "IPv6-only rack", '"198.18.12.11"');
      expectProblem(spec, "node-address-family", "racks[2].nodes[1].podCIDR", "IPv6-only rack");
      const v4 = specOf("spine-leaf");
      v4.racks[0].nodes[0].address6 = "2001:db8:10::11"; // makes it dual-stack; the rack has no IPv6 network
      expectProblem(v4, "node-address-family", "racks[0].nodes[0].address6", "nodeNetwork6");
    });

    it("cluster-mixed-families: a cluster is IPv6-only or holds no node of an IPv6-only rack (the minority is reported)", () => {
      const spec = specOf();
      spec.clusters = spec.clusters!.filter((c) => c.name !== "edge");
      spec.pools.vips = spec.pools.vips!.filter((v) => v.cluster !== "edge");
      spec.clusters[0].nodes.push("r3n2");
      expectProblem(spec, "cluster-mixed-families", "clusters[0].nodes[4]", '"r3n2"', '"r3"', '"r1n1"', "either IPv6-only");
      assert.equal(validate(spec).length, 1, JSON.stringify(validate(spec)));
      // mostly IPv6-only: the dual-stack node is the one out of place
      const most6 = specOf();
      most6.clusters = [{ name: "edge", id: 2, nodes: ["r3n1", "r3n2", "r1n2"] }];
      most6.pools.vips = most6.pools.vips!.filter((v) => v.cluster === undefined || v.cluster === "edge");
      expectProblem(most6, "cluster-mixed-families", "clusters[0].nodes[2]", '"r1n2"', '"r3n1", "r3n2"');
      assert.equal(validate(most6).length, 1, JSON.stringify(validate(most6)));
      assert.deepEqual(validate(specOf()), [], "the example's IPv6-only cluster edge is valid");
    });

    it("family-mismatch: an IPv4 VIP pool does not name an IPv6-only cluster", () => {
      const spec = specOf();
      spec.pools.vips!.push({ name: "edge4", cidr: "198.18.201.0/30", cluster: "edge" });
      expectProblem(spec, "family-mismatch", "pools.vips[3].cluster", '"edge4"', '"edge"', "IPv6 only");
      // and no node could announce it (edge's only l4lb node, r3n1, has no IPv4 session)
      assert.deepEqual(validate(spec).map((p) => `${p.path} ${p.rule}`), ["pools.vips[3].cluster family-mismatch", "pools.vips[3] vip-no-announcer"]);
    });

    it("family-mismatch: an IPv4 VIP pool names no announcer on an IPv6-only rack", () => {
      const spec = specOf();
      spec.pools.vips!.push({ name: "edge4", cidr: "198.18.201.0/30", announcers: ["r1n1", "r3n1"] });
      expectProblem(spec, "family-mismatch", "pools.vips[3].announcers[1]", '"edge4"', '"r3n1"');
      assert.equal(validate(spec).length, 1, JSON.stringify(validate(spec)));
    });

    it("router-id-range: an IPv6-only node's slot must fit 0.0.0.0/8", () => {
      const spec = specOf();
      spec.pools.podCidr6 = { cidr: "2001:db8:1000::/39", prefixLength: 64 }; // room for the slot
      spec.asn.leaves = { from: 4200000000, to: 4209999999 };
      spec.asn.nodes = { from: 4210000000, to: 4219999999 };
      spec.racks[2].id = 2 ** 20 + 1; // slot 2^20 × 16 = 2^24
      assert.deepEqual(validate(spec).map((p) => `${p.path} ${p.rule}`), [0, 1, 2].map((i) => `racks[2].nodes[${i}].id router-id-range`));
      spec.racks[2].id = 2 ** 20; // slot 2^24 − 16: fits
      assert.deepEqual(validate(spec), []);
      assert.equal(resolve(spec).devices.find((d) => d.name === "r3n1")!.routerId, "0.255.255.241");
      spec.racks[2].id = 2 ** 20 + 1;
      expectProblem(spec, "router-id-range", "racks[2].nodes[0].id", '"r3n1"', "0.0.0.0/8");
    });

    it("router-id-collision: no IPv4 loopback or node address equals a derived router id", () => {
      const spec = specOf();
      spec.switches[0].loopback = "0.0.0.34";
      expectProblem(spec, "router-id-collision", "switches[0].loopback", '"0.0.0.34"', "racks[2].nodes[1]");
    });
  });
});
