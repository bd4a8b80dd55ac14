/**
 * `bgp.nodeSessions: ipv4` / `ipv6`: one node session per switch of that family carrying both
 * families (the other family's routes with the node's address of that family as next hop),
 * planned, rendered for BIRD and FRR, accepted by the real parsers; its rule. (The lab runs are in
 * test/lab-dual-stack.test.ts.)
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
import { birdParse, requireParsers, TempDir, vtyshDryrun } from "./support/real-parsers";
import { frrRouterBgp } from "./support/rendered-config";

const ROOT = join(__dirname, "..");
const specOf = (example: string) => loadSpecFile(join(ROOT, "examples", example, "datacenter.yaml")) as DataCenterSpec;
const PASSWORDS = { "bgp-nodes": "n0de-S3cret" };

/** The unnumbered dual-stack example with one node session per switch over `mode`. */
function singleSessionSpec(mode: NodeSessionFamilies): DataCenterSpec {
  const spec = specOf("dual-stack-unnumbered");
  spec.bgp = { ...spec.bgp, nodeSessions: mode };
  return spec;
}

function expectProblem(spec: unknown, rule: string, at: string, ...fragments: string[]): void {
  const all = validate(spec);
  const found = all.filter((p) => p.rule === rule && p.path === at);
  assert.equal(found.length, 1, `expected one ${rule} at ${at}, got: ${JSON.stringify(all, null, 1)}`);
  for (const f of fragments) assert.ok(found[0].message.includes(f), `message "${found[0].message}" lacks "${f}"`);
}

describe("one node session for both families (bgp.nodeSessions)", () => {
  let dir: TempDir;
  after(() => dir?.dispose());

  for (const mode of [NodeSessionFamilies.ipv4, NodeSessionFamilies.ipv6]) {
    describe(`over ${mode}`, () => {
      let plan: Plan;
      const other = mode === NodeSessionFamilies.ipv4 ? "ipv6" : "ipv4";
      // the transport family's session ids and BIRD protocols: `--v6` / `_v6` for IPv6
      const id = (base: string) => (mode === NodeSessionFamilies.ipv6 ? `${base}--v6` : base);
      const proto = (base: string) => (mode === NodeSessionFamilies.ipv6 ? `${base}_v6` : base);
      const ownAddress = { ipv4: "198.18.10.12", ipv6: "2001:db8:10::12" };
      before(() => {
        plan = resolve(singleSessionSpec(mode));
      });

      it("two sessions per node (one per switch), of the transport family, carrying both; max-prefix counts both", () => {
        const perFamily = resolve(specOf("dual-stack-unnumbered"));
        const up = plan.sessions.filter((s) => s.kind === "node-uplink");
        assert.equal(up.length, 2 * plan.nodes.length);
        for (const s of up) {
          assert.deepEqual([s.family, sessionFamilies(s), s.extendedNextHop === true], [mode, ["ipv4", "ipv6"], false], s.id);
          assert.equal(s.id.endsWith("--v6") && s.nodeProtocol!.endsWith("_v6"), mode === NodeSessionFamilies.ipv6, s.id);
          assert.equal(s.a.address.includes(":"), mode === NodeSessionFamilies.ipv6, s.id);
          const node = plan.nodes.find((n) => n.name === s.a.device)!;
          assert.equal(s.maxPrefix, node.announcements.length + 8, `${s.id} max-prefix`);
        }
        assert.equal(perFamily.sessions.filter((s) => s.kind === "node-uplink").length, 4 * plan.nodes.length);
      });

      it("each switch has one filter per node, at its transport address, exact in both families; the leaves' next hops", () => {
        const leaf = plan.switches.find((s) => s.name === "leaf1a")!;
        const filters = leaf.inboundFilters.filter((f) => f.device === "r1n2");
        assert.equal(filters.length, 1);
        const s = plan.sessions.find((x) => x.id === id("r1n2--leaf1a"))!;
        assert.equal(filters[0].neighbor, s.a.address);
        assert.equal(s.a.address, ownAddress[mode as "ipv4" | "ipv6"]);
        assert.deepEqual(filters[0].entries.map((e) => `${e.family} ${e.prefix}`).sort(), ["ipv4 198.19.1.0/24", "ipv6 2001:db8:1000:1::/64"]);
        // its IPv4 PodCIDR via its IPv4 address, its IPv6 PodCIDR via its IPv6 address (BIRD's next hop address)
        const g4 = leaf.expectedRoutes.find((g) => g.family === "ipv4" && g.prefixes.includes("198.19.1.0/24"))!;
        const g6 = leaf.expectedRoutes.find((g) => g.family === "ipv6" && g.prefixes.includes("2001:db8:1000:1::/64"))!;
        assert.deepEqual(g4.nextHops, ["198.18.10.12"]);
        assert.deepEqual(g6.nextHops, ["2001:db8:10::12"]);
      });

      it(`BIRD: one protocol per switch with both channels (${other} with its own next hop), FRR: the node neighbor active in both address families`, () => {
        const bird = renderBirdConfig(plan, "r1n2");
        const block = bird.match(new RegExp(`protocol bgp ${proto("uplink0")} \\{[\\s\\S]*?\\n\\}`))![0];
        assert.match(block, /  ipv4 \{\n    import none;\n    export filter dcnet_export;\n    next hop self;/);
        assert.match(block, /  ipv6 \{\n    import none;\n    export filter dcnet_export;\n    next hop self;/);
        assert.ok(block.includes(`  ${other} {\n    import none;\n    export filter dcnet_export;\n    next hop self;\n    next hop address ${ownAddress[other]};\n  };`), block);
        assert.ok(!block.includes(`  ${mode} {\n    import none;\n    export filter dcnet_export;\n    next hop self;\n    next hop address`), "the transport family's channel takes the session's address");
        assert.equal((bird.match(/^protocol bgp /gm) ?? []).length, 2, "one protocol per switch");
        assert.ok(!bird.includes(`protocol bgp ${mode === NodeSessionFamilies.ipv6 ? "uplink0 " : "uplink0_v6"}`));
        const frr = frrRouterBgp(renderSwitchConfig(plan, "leaf1a").text);
        const n = frr.neighbors.get(plan.sessions.find((x) => x.id === id("r1n2--leaf1a"))!.a.address)!;
        for (const f of ["ipv4", "ipv6"]) assert.ok(n.af.get(f)!.includes("activate") && n.af.get(f)!.includes("prefix-list PL-IN-r1n2 in"), `${mode}: ${f}`);
        assert.ok(!n.global.includes("capability extended-nexthop"), "no extended next hop toward nodes");
      });

      it("vtysh --dryrun accepts every switch config, bird -p every node config", async () => {
        requireParsers();
        dir ??= new TempDir();
        for (const sw of plan.devices.filter((d) => d.kind === "switch").map((d) => d.name)) {
          const v = await vtyshDryrun(dir, dir.write(`${mode}-${sw}.conf`, renderSwitchConfig(plan, sw).text + renderSwitchSecrets(plan, sw, PASSWORDS)));
          assert.ok(v.ok, `${sw}: ${v.output}`);
        }
        for (const n of plan.nodes.map((x) => x.name)) {
          const secretsDir = join(dir.path, `${mode}-${n}-secrets`);
          mkdirSync(secretsDir, { recursive: true, mode: 0o755 });
          for (const f of renderBirdSecrets(plan, n, PASSWORDS)) dir.write(join(`${mode}-${n}-secrets`, f.file), f.text);
          const r = await birdParse(dir.write(`${mode}-${n}.bird.conf`, renderBirdConfig(plan, n, { secretsDir })));
          assert.ok(r.ok, `${n}: ${r.output}`);
        }
      });
    });
  }

  it("node-sessions-dual-stack: one session for both families needs two families", () => {
    const spec = specOf("spine-leaf");
    spec.bgp = { ...spec.bgp, nodeSessions: NodeSessionFamilies.ipv4 };
    expectProblem(spec, "node-sessions-dual-stack", "bgp.nodeSessions", "IPv4 only");
  });
});
