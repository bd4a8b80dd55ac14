/**
 * BGP unnumbered and extended next hop: `fabric.unnumbered` gives one leaf–spine session per link
 * on the interfaces (link-local addresses, no fabric link pool) carrying every family, IPv4 with
 * RFC 8950 extended next hop; FRR renders `neighbor <ifname> interface`, router advertisements on
 * the link and exact per-family filters; the real parsers accept both dual-stack examples; one test
 * per fabric rule; three-tier unnumbered (core mesh by interface, rack tags, lower local preference
 * for the other cores' copies of a core's own racks' paths).
 */
import { strict as assert } from "assert";
import { join } from "path";
import { mkdirSync } from "fs";
import { resolve } from "../sdk/resolve/resolve";
import { validate } from "../sdk/validate/validate";
import { loadSpecFile } from "../sdk/spec/load";
import { DataCenterSpec } from "../sdk/spec/types";
import { Plan } from "../sdk/plan/types";
import { sessionFamilies } from "../sdk/plan/sessions";
import { renderSwitchConfig, renderSwitchSecrets } from "../sdk/render/switch";
import { renderBirdConfig, renderBirdSecrets } from "../sdk/render/bird";
import { frrInboundListName } from "../sdk/render/switch/frr";
import { birdParse, canRunDaemonCheck, frrDaemonCheck, mapPool, requireParsers, TempDir, vtyshDryrun } from "./support/real-parsers";
import { entryKey, entryRange, frrPrefixLists, frrRouterBgp } from "./support/rendered-config";
import { fourCoreSpec } from "./support/four-core-spec";

const ROOT = join(__dirname, "..");
const specOf = (example: string) => loadSpecFile(join(ROOT, "examples", example, "datacenter.yaml")) as DataCenterSpec;
const PASSWORDS = { "bgp-nodes": "n0de-S3cret\\x#!?'" };
const sortedKeys = (xs: string[]) => [...new Set(xs)].sort();

function expectProblem(spec: unknown, rule: string, at: string, ...fragments: string[]): void {
  const all = validate(spec);
  const found = all.filter((p) => p.rule === rule && p.path === at);
  assert.equal(found.length, 1, `expected one ${rule} at ${at}, got: ${JSON.stringify(all, null, 1)}`);
  for (const f of fragments) assert.ok(found[0].message.includes(f), `message "${found[0].message}" lacks "${f}"`);
}

describe("unnumbered fabric (examples/dual-stack-unnumbered)", () => {
  let plan: Plan;
  let dir: TempDir;
  before(() => {
    plan = resolve(specOf("dual-stack-unnumbered"));
  });
  after(() => dir?.dispose());

  it("one session per leaf–spine link on the interfaces, carrying IPv4 (extended next hop) and IPv6, between link-local fe80::<switch id>", () => {
    const fabric = plan.sessions.filter((s) => s.kind === "leaf-spine");
    assert.equal(fabric.length, 4 * 2, "4 leaves × 2 spines, no IPv6 twin");
    for (const s of fabric) {
      assert.deepEqual([s.unnumbered, s.extendedNextHop, s.family, sessionFamilies(s)], [true, true, "ipv6", ["ipv4", "ipv6"]], s.id);
      const id = (d: string) => plan.devices.find((x) => x.name === d)!;
      assert.equal(s.a.interface, `fab${s.b.device === "spine1" ? 1 : 2}`);
      for (const end of [s.a, s.b]) {
        const dev = id(end.device);
        const iface = dev.interfaces.find((i) => i.name === end.interface)!;
        assert.deepEqual(iface.addresses.map((a) => a.cidr), [`${end.address}/64`], `${end.device} ${end.interface}: only its link-local address`);
        assert.match(end.address, /^fe80::[0-9a-f]+$/);
      }
    }
    assert.equal(plan.sessions.find((s) => s.id === "leaf2b--spine1")!.a.address, "fe80::6");
    assert.equal(plan.pools.fabricLinks, undefined);
    assert.equal(plan.pools.fabricLinks6, undefined);
    for (const seg of plan.segments.filter((x) => x.kind === "p2p")) assert.deepEqual([seg.prefix, seg.prefix6], ["fe80::/64", undefined], seg.name);
    // node sessions still per family over the rack networks
    assert.equal(plan.sessions.filter((s) => s.kind === "node-uplink" && s.family === "ipv6").length, 12);
  });

  it("underlay and node routes of both families over the same unnumbered peers, filters exact per family", () => {
    const spine = plan.switches.find((s) => s.name === "spine1")!;
    const v4 = spine.expectedRoutes.find((g) => g.family === "ipv4" && g.prefixes.includes("198.19.0.0/24"))!;
    const v6 = spine.expectedRoutes.find((g) => g.family === "ipv6" && g.prefixes.includes("2001:db8:1000::/64"))!;
    assert.deepEqual([v4.nextHops, v4.via], [["fe80::3", "fe80::4"], ["leaf1a", "leaf1b"]]);
    assert.deepEqual([v6.nextHops, v6.via], [["fe80::3", "fe80::4"], ["leaf1a", "leaf1b"]]);
    const toLeaf = spine.inboundFilters.filter((f) => f.device === "leaf1a");
    assert.equal(toLeaf.length, 1, "one filter per unnumbered neighbor");
    const fams = new Set(toLeaf[0].entries.map((e) => e.family));
    assert.deepEqual([...fams].sort(), ["ipv4", "ipv6"]);
    assert.ok(toLeaf[0].entries.some((e) => e.prefix === "198.18.0.3/32") && toLeaf[0].entries.some((e) => e.prefix === "2001:db8:0:1::3/128"), "the leaf's loopbacks, exactly");
  });

  it("FRR: neighbor <ifname> interface, router advertisements on the link, extended next hop, exact prefix-lists in both address families", () => {
    for (const sw of plan.switches) {
      const { text } = renderSwitchConfig(plan, sw.name);
      const bgp = frrRouterBgp(text);
      const lists = frrPrefixLists(text);
      for (const s of plan.sessions.filter((x) => x.unnumbered && (x.a.device === sw.name || x.b.device === sw.name))) {
        const [local, remote] = s.a.device === sw.name ? [s.a, s.b] : [s.b, s.a];
        const n = bgp.neighbors.get(local.interface);
        assert.ok(n, `${sw.name}: neighbor ${local.interface}`);
        assert.ok(!bgp.neighbors.has(remote.address), "never by address");
        assert.ok(n.global.includes(`interface remote-as ${remote.asn}`) && n.global.includes("capability extended-nexthop"), `${sw.name} ${local.interface}: ${n.global.join("; ")}`);
        assert.match(text, new RegExp(`^interface ${local.interface}\\n description [^\\n]*\\n ipv6 nd ra-interval \\d+\\n no ipv6 nd suppress-ra\\nexit$`, "m"));
        const filter = sw.inboundFilters.find((f) => f.device === remote.device)!;
        for (const fam of ["ipv4", "ipv6"] as const) {
          const af = n.af.get(fam)!;
          assert.ok(af.includes("activate") && af.includes(`prefix-list ${frrInboundListName(remote.device)} in`), `${sw.name} ${local.interface} ${fam}`);
          const permits = lists.get(frrInboundListName(remote.device))!.filter((e) => e.family === fam && e.action === "permit");
          assert.deepEqual(sortedKeys(permits.map((e) => entryKey(entryRange(e)))), sortedKeys(filter.entries.filter((e) => e.family === fam).map(entryKey)), `${sw.name} ← ${remote.device} ${fam}`);
        }
      }
    }
  });

  describe("the real parsers accept both dual-stack examples", () => {
    before(() => {
      requireParsers();
      dir = new TempDir();
    });
    for (const example of ["dual-stack-unnumbered", "dual-stack-three-tier", "dual-stack-three-tier-unnumbered"]) {
      it(`${example}: vtysh --dryrun (bgpd/bfdd -C as root) for every switch with its overlay, bird -p for every node`, async () => {
        const p = resolve(specOf(example));
        const switches = p.devices.filter((d) => d.kind === "switch").map((d) => d.name);
        const problems = (
          await mapPool(switches, 6, async (sw) => {
            const text = renderSwitchConfig(p, sw).text + renderSwitchSecrets(p, sw, PASSWORDS);
            const file = dir.write(`${example}-${sw}.conf`, text);
            const out: string[] = [];
            const v = await vtyshDryrun(dir, file);
            if (!v.ok) out.push(`${sw}: vtysh exit ${v.code}: ${v.output}`);
            if (canRunDaemonCheck()) {
              const d = await frrDaemonCheck(dir, `${example}-${sw}`, text);
              if (!d.ok) out.push(`${sw}: daemon check: ${d.output}`);
            }
            return out;
          })
        ).flat();
        assert.deepEqual(problems, []);
        const nodes = p.devices.filter((d) => d.kind === "node").map((d) => d.name);
        const parsed = await mapPool(nodes, 6, async (n) => {
          const secretsDir = join(dir.path, `${example}-${n}-secrets`);
          mkdirSync(secretsDir, { recursive: true, mode: 0o755 });
          for (const f of renderBirdSecrets(p, n, PASSWORDS)) dir.write(join(`${example}-${n}-secrets`, f.file), f.text);
          return { n, r: await birdParse(dir.write(`${example}-${n}.bird.conf`, renderBirdConfig(p, n, { secretsDir }))) };
        });
        assert.deepEqual(parsed.filter((x) => !x.r.ok).map((x) => `${x.n}: ${x.r.output}`), []);
        assert.equal(parsed.length, p.nodes.length);
      });
    }
  });

  it("IPv4-only unnumbered: the sessions carry IPv4 alone over link-local addresses", () => {
    const spec = loadSpecFile(join(ROOT, "examples", "spine-leaf", "datacenter.yaml")) as DataCenterSpec;
    delete spec.pools.fabricLinks;
    spec.fabric = { unnumbered: true };
    const p = resolve(spec);
    const s = p.sessions.find((x) => x.kind === "leaf-spine")!;
    assert.deepEqual([s.family, sessionFamilies(s), s.extendedNextHop], ["ipv6", ["ipv4"], true]);
    const text = renderSwitchConfig(p, s.b.device).text;
    assert.match(text, new RegExp(`^ neighbor ${s.b.interface} interface remote-as ${s.a.asn}$`, "m"));
    assert.ok(!text.includes("address-family ipv6 unicast"), "no IPv6 address family: nothing of IPv6 to carry");
    assert.ok(!text.includes("ipv6 prefix-list"));
  });

  it("fabric-links-required: a numbered fabric needs pools.fabricLinks", () => {
    const spec = specOf("dual-stack");
    delete spec.pools.fabricLinks;
    expectProblem(spec, "fabric-links-required", "pools.fabricLinks", "fabric.unnumbered");
  });

  it("unnumbered-fabric-links: an unnumbered fabric refuses the link pools (both families)", () => {
    const spec = specOf("dual-stack-unnumbered");
    spec.pools.fabricLinks = "198.18.1.0/24";
    spec.pools.fabricLinks6 = "2001:db8:0:2::/64";
    expectProblem(spec, "unnumbered-fabric-links", "pools.fabricLinks", '"198.18.1.0/24" is not used');
    expectProblem(spec, "unnumbered-fabric-links", "pools.fabricLinks6", '"2001:db8:0:2::/64" is not used');
  });

  it("three-tier unnumbered (examples/dual-stack-three-tier-unnumbered): core–core sessions by interface on link-local, rack tags and a lower local preference for the other cores' copies, reflected IPv4 routes over the cores' link-local addresses", () => {
    const p = resolve(specOf("dual-stack-three-tier-unnumbered"));
    const mesh = p.sessions.filter((s) => s.kind === "core-mesh");
    assert.equal(mesh.length, 3, "one session per core pair, no IPv6 twin");
    for (const s of mesh) assert.deepEqual([s.unnumbered, s.extendedNextHop, sessionFamilies(s), s.ownRackPreference, s.a.address], [true, true, ["ipv4", "ipv6"], 90, `fe80::${s.a.device.slice(4)}`], s.id);
    assert.equal(p.pools.fabricLinks, undefined);
    assert.equal(p.sessions.find((s) => s.id === "r3n1--core1")!.rackTag, "65010:1:3");
    const core1 = p.switches.find((s) => s.name === "core1")!;
    const group = (prefix: string, fam: string) => core1.expectedRoutes.find((g) => g.family === fam && g.prefixes.includes(prefix))!;
    const r2n1 = p.nodes.find((n) => n.name === "r2n1")!;
    assert.deepEqual([group(r2n1.podCIDR.prefix, "ipv4").nextHops, group(r2n1.podCIDR.prefix, "ipv4").fibNextHops], [["fe80::2", "fe80::3"], undefined], "IPv4: BGP and kernel over the cores of r2");
    const g6 = group(r2n1.podCIDR6!.prefix, "ipv6");
    assert.deepEqual([g6.nextHops, g6.fibNextHops], [["2001:db8:21::11"], ["fe80::2", "fe80::3"]], "IPv6: the node as BGP next hop, the kernel over the cores");
    assert.deepEqual(group(p.nodes.find((n) => n.name === "r1n1")!.podCIDR.prefix, "ipv4").nextHops, ["198.18.20.11"], "a directly peered node only");
    const { text } = renderSwitchConfig(p, "core1");
    const bgp = frrRouterBgp(text);
    assert.ok(bgp.neighbors.get("fab2")!.global.includes("interface remote-as 65010") && !bgp.neighbors.has("fe80::2"));
    assert.match(text, /^bgp large-community-list standard DCNET-OWN-RACKS permit 65010:1:1\nbgp large-community-list standard DCNET-OWN-RACKS permit 65010:1:3\n/m);
    assert.match(text, /^route-map DCNET-OWN-RACKS-LP90 permit 10\n match large-community DCNET-OWN-RACKS\n set local-preference 90\nexit\nroute-map DCNET-OWN-RACKS-LP90 permit 20\nexit$/m);
    for (const fam of ["ipv4", "ipv6"] as const) {
      assert.ok(bgp.neighbors.get("fab3")!.af.get(fam)!.includes("route-map DCNET-OWN-RACKS-LP90 in"), `fab3 ${fam}`);
      assert.ok(bgp.neighbors.get(fam === "ipv4" ? "198.18.22.11" : "2001:db8:22::11")!.af.get(fam)!.includes("route-map DCNET-TAG-65010-1-3 in"), `r3n1 ${fam}`);
    }
  });

  it("three-tier unnumbered with an upstream: the rack tags are not sent to it; vtysh --dryrun accepts every core", async function () {
    const spec = fourCoreSpec();
    delete spec.pools.fabricLinks;
    spec.fabric = { unnumbered: true };
    const p = resolve(spec);
    const text = renderSwitchConfig(p, "core1").text;
    assert.match(text, /^ {2}no neighbor 198\.18\.2\.1 send-community large$/m);
    // core3 peers r2 and r3: their tags; the copies of r1's paths from core1 and core2 stay at 100
    assert.match(renderSwitchConfig(p, "core3").text, /permit 65010:1:2\nbgp large-community-list standard DCNET-OWN-RACKS permit 65010:1:3\n!/);
    requireParsers();
    dir ??= new TempDir();
    for (const sw of ["core1", "core2", "core3", "core4"]) {
      const v = await vtyshDryrun(dir, dir.write(`four-core-unnumbered-${sw}.conf`, renderSwitchConfig(p, sw).text));
      assert.ok(v.ok, `${sw}: ${v.output}`);
    }
  });
});
