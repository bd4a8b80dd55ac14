/**
 * Property: for random valid specs (both topologies, every node ASN scheme, with and without
 * VIPs, BFD, graceful restart and passwords), every rendered node and switch config is accepted
 * by the real parsers, and both ends of every session name each other.
 */
import { strict as assert } from "assert";
import { mkdirSync } from "fs";
import { join } from "path";
import * as fc from "fast-check";
import { resolve } from "../sdk/resolve/resolve";
import { renderBirdConfig, renderBirdSecrets } from "../sdk/render/bird";
import { renderSwitchConfig, renderSwitchSecrets } from "../sdk/render/switch";
import { arbitrarySpec } from "./support/arbitrary-spec";
import { birdParse, canRunDaemonCheck, frrDaemonCheck, mapPool, requireParsers, TempDir, vtyshDryrun } from "./support/real-parsers";
import { birdBgpProtocols, frrRouterBgp } from "./support/rendered-config";

const PASSWORDS = { "bgp-nodes": "r4ndom\\Pass#1", "bgp-upstream": "upstr3am;Pass|x" };
const RUNS = 20;

describe("renderers on random specs", () => {
  let dir: TempDir;
  before(() => {
    requireParsers();
    dir = new TempDir("dcnet-render-random-");
  });
  after(() => dir?.dispose());

  it(`bird -p and vtysh --dryrun (and bgpd/bfdd -C as root) accept every config of ${RUNS} random specs`, async function () {
    this.timeout(180000);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(arbitrarySpec(), async (spec) => {
        const plan = resolve(spec);
        const tag = `run${run++}`;
        const secretsDir = join(dir.path, `${tag}-secrets`);
        mkdirSync(secretsDir, { recursive: true, mode: 0o755 });
        const jobs: (() => Promise<string[]>)[] = [];
        for (const node of plan.nodes) {
          for (const f of renderBirdSecrets(plan, node.name, PASSWORDS)) dir.write(join(`${tag}-secrets`, f.file), f.text);
          const file = dir.write(`${tag}-${node.name}.bird.conf`, renderBirdConfig(plan, node.name, { secretsDir }));
          jobs.push(async () => {
            const r = await birdParse(file);
            return r.ok ? [] : [`${node.name}: ${r.output}`];
          });
        }
        for (const sw of plan.switches) {
          const { text } = renderSwitchConfig(plan, sw.name);
          const full = text + renderSwitchSecrets(plan, sw.name, PASSWORDS);
          const main = dir.write(`${tag}-${sw.name}.frr.conf`, text);
          const withSecrets = dir.write(`${tag}-${sw.name}.full.conf`, full);
          jobs.push(async () => {
            const out: string[] = [];
            for (const f of [main, withSecrets]) {
              const r = await vtyshDryrun(dir, f);
              if (!r.ok) out.push(`${sw.name}: vtysh: ${r.output}`);
            }
            if (canRunDaemonCheck()) {
              const d = await frrDaemonCheck(dir, `${tag}-${sw.name}`, full);
              if (!d.ok) out.push(`${sw.name}: daemons: ${d.output}`);
            }
            return out;
          });
        }
        const problems = (await mapPool(jobs, 8, (job) => job())).flat();
        assert.deepEqual(problems, [], JSON.stringify(spec));

        // both ends name each other
        const frr = new Map(plan.switches.map((s) => [s.name, frrRouterBgp(renderSwitchConfig(plan, s.name).text)]));
        for (const s of plan.sessions) {
          if (s.kind === "node-uplink") {
            const p = birdBgpProtocols(renderBirdConfig(plan, s.a.device)).find((x) => x.name === s.nodeProtocol)!;
            assert.deepEqual(p.neighbor, { address: s.b.address, asn: frr.get(s.b.device)!.asn });
            assert.equal(frr.get(s.b.device)!.neighbors.get(s.a.address)?.remoteAs, p.local!.asn);
          } else {
            assert.equal(frr.get(s.a.device)!.neighbors.get(s.b.address)?.remoteAs, frr.get(s.b.device)!.asn);
            assert.equal(frr.get(s.b.device)!.neighbors.get(s.a.address)?.remoteAs, frr.get(s.a.device)!.asn);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
