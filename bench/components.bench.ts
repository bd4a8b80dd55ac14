/**
 * Benchmark: Pulumi mock registration of dcnet's DataCenter (ssh mode: every node's BIRD config
 * and secrets, every switch's FRR config and overlay, rollout dependsOn chains) for generated
 * spine–leaf specs of 100, 1,000 and 4,000 nodes, against the same number of bare
 * `remote.Command` resources (the SDK's own floor). Each case runs in a fresh process; reported:
 * wall time from the first constructor call until every resource is registered, and the RSS /
 * heap growth over the case. Render-only addresses (10.0.0.0/8, see resolve-render.bench.ts).
 *
 *   node --expose-gc --import tsx bench/components.bench.ts            table + JSON
 *   node --expose-gc --import tsx bench/components.bench.ts --json     JSON only
 *   ... --sizes 100,1000                                                 other sizes (nodes)
 */
import { spawnSync } from "child_process";
import { generateSpec } from "./resolve-render.bench";

interface CaseResult {
  kind: "dataCenter" | "bareCommands";
  nodes: number;
  resources: number;
  ms: number;
  rssMB: number;
  heapMB: number;
}

const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;

async function runCase(kind: CaseResult["kind"], nodes: number, commands: number): Promise<CaseResult> {
  const pulumi = await import("@pulumi/pulumi");
  const { DataCenter } = await import("../components");
  const command = await import("@pulumi/command");
  let registered = 0;
  await pulumi.runtime.setMocks({ newResource: (a) => ((registered++), { id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "bench", "bench", false);
  const nodesPerRack = Math.min(40, nodes);
  const racks = Math.ceil(nodes / nodesPerRack);
  const spec = generateSpec(racks, nodesPerRack, 4);
  (global as any).gc?.();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  let expected: number;
  if (kind === "dataCenter") {
    const hosts: Record<string, { host: string; hostKey: string }> = {};
    for (const s of spec.switches) hosts[s.name] = { host: `${s.name}.mgmt`, hostKey: "ssh-ed25519 AAAAbench" };
    for (const r of spec.racks) for (const n of r.nodes) hosts[n.name] = { host: `${n.name}.mgmt`, hostKey: "ssh-ed25519 AAAAbench" };
    const dc = new DataCenter("bench", { spec, passwords: { "bgp-nodes": pulumi.secret("bench-pw") }, hosts, ssh: { privateKey: pulumi.secret("k") } });
    const counts = await new Promise<Record<string, number>>((r) => dc.resourceCounts.apply(r));
    expected = Object.values(counts).reduce((a, b) => a + b, 1);
  } else {
    for (let i = 0; i < commands; i++) new command.remote.Command(`c${i}`, { connection: { host: `h${i}` }, create: "true" });
    expected = commands;
  }
  while (registered < expected) await new Promise((r) => setTimeout(r, 5));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const mem = process.memoryUsage();
  return { kind, nodes, resources: expected, ms: Math.round(ms), rssMB: mb(mem.rss - rss0), heapMB: mb(mem.heapUsed - heap0) };
}

function child(kind: string, nodes: number, commands: number): CaseResult {
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, "--case", kind, String(nodes), String(commands)], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${kind} ${nodes}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "--case") {
    const res = await runCase(argv[1] as CaseResult["kind"], Number(argv[2]), Number(argv[3]));
    console.log(JSON.stringify(res));
    process.exit(0);
  }
  const json = argv.includes("--json");
  const sizesArg = argv.indexOf("--sizes");
  const sizes = sizesArg >= 0 ? argv[sizesArg + 1].split(",").map(Number) : [100, 1000, 4000];
  const rows: { nodes: number; dc: CaseResult; bare: CaseResult; timeRatio: number; rssRatio: number }[] = [];
  for (const n of sizes) {
    const dc = child("dataCenter", n, 0);
    // the same number of custom resources as the DataCenter created (components are not commands)
    const nodesPerRack = Math.min(40, n);
    const racks = Math.ceil(n / nodesPerRack);
    const spec = generateSpec(racks, nodesPerRack, 4);
    const devices = spec.switches.length + spec.racks.reduce((a, r) => a + r.nodes.length, 0);
    const customs = dc.resources - 1 - devices;
    const bare = child("bareCommands", n, customs);
    rows.push({ nodes: n, dc, bare, timeRatio: Math.round((dc.ms / bare.ms) * 100) / 100, rssRatio: Math.round((dc.rssMB / Math.max(bare.rssMB, 0.1)) * 100) / 100 });
  }
  if (!json) {
    console.log("nodes  resources  DataCenter ms / RSS MB / heap MB   bare commands (n)  ms / RSS MB / heap MB   time ratio  RSS ratio");
    for (const r of rows)
      console.log(
        `${String(r.nodes).padStart(5)}  ${String(r.dc.resources).padStart(9)}  ${String(r.dc.ms).padStart(13)} / ${String(r.dc.rssMB).padStart(6)} / ${String(r.dc.heapMB).padStart(7)}   ${String(r.bare.resources).padStart(17)}  ${String(r.bare.ms).padStart(3)} / ${String(r.bare.rssMB).padStart(6)} / ${String(r.bare.heapMB).padStart(7)}   ${String(r.timeRatio).padStart(10)}  ${String(r.rssRatio).padStart(9)}`,
      );
  }
  console.log(JSON.stringify({ benchmark: "components-mock-registration", rows }, null, json ? 2 : undefined));
}

if (require.main === module) void main();
