/**
 * Benchmark: Pulumi mock registration of dcnet's DataCenter (ssh mode: one command per device with
 * its config on stdin and, for devices with passwords, the secrets in a secret environment
 * variable; rollout dependsOn) for generated spine–leaf specs (racks of 40 nodes, 4 spines),
 * against the floor: one bare `remote.Command` per device with that device's rendered config on
 * stdin, same connection settings, its configs resolved and rendered inside its clock as the
 * DataCenter does (and, as "bareShallow", the same floor registered with the DataCenter's
 * `withShallowStacks`, for the strictest comparison). Each case runs in a fresh process; reported: wall time from the
 * first constructor call until every resource is registered, RSS / heap growth, and the
 * approximate state size (under mocks: the JSON of every registered resource's inputs and
 * outputs, which is what the engine's checkpoint holds per resource, without its URNs and
 * metadata). Also: the rollout depth (longest dependsOn chain) of the default (waves) and of the
 * sequential strategy, and a simulated `up` under mocks where every device command takes 2 s (the
 * mock answers each registration after 2 s; a command is registered only after its dependencies
 * are, as the engine would run it).
 *
 *   node --expose-gc --import tsx bench/components.bench.ts            table + JSON
 *   node --expose-gc --import tsx bench/components.bench.ts --json     JSON only
 *   ... --sizes 1000,4000 --no-simulate                                  other sizes (nodes)
 */
import { spawnSync } from "child_process";
import { generateSpec } from "./resolve-render.bench";

interface CaseResult {
  kind: "dataCenter" | "bareCommands" | "bareShallow" | "simulatedUp";
  nodes: number;
  resources: number;
  ms: number;
  /** CPU time (user + system) of the registration: robust when the machine is shared. */
  cpuMs: number;
  rssMB: number;
  heapMB: number;
  stateMB: number;
}

const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;

function specOf(nodes: number) {
  const nodesPerRack = Math.min(40, nodes);
  return generateSpec(Math.ceil(nodes / nodesPerRack), nodesPerRack, 4);
}

async function runCase(kind: CaseResult["kind"], nodes: number): Promise<CaseResult> {
  const pulumi = await import("@pulumi/pulumi");
  const { DataCenter } = await import("../components");
  const command = await import("@pulumi/command");
  const { resolve } = await import("../sdk/resolve/resolve");
  const { renderBirdConfig } = await import("../sdk/render/bird");
  const { renderSwitchConfig } = await import("../sdk/render/switch/index");
  const { withShallowStacks } = await import("../components/device-command");
  let registered = 0;
  let stateBytes = 0;
  const delay = kind === "simulatedUp" ? 2000 : 0;
  await pulumi.runtime.setMocks(
    {
      newResource: async (a) => {
        // state ≈ inputs + outputs (the command provider's outputs repeat its inputs)
        if (a.custom !== false) stateBytes += 2 * JSON.stringify(a.inputs).length;
        if (delay && a.type.startsWith("command:")) await new Promise((r) => setTimeout(r, delay));
        registered++;
        return { id: `${a.name}-id`, state: { ...a.inputs, stdout: "ok" } };
      },
      call: (a) => a.inputs,
    },
    "bench",
    "bench",
    false,
  );
  const spec = specOf(nodes);
  const devices = [...spec.switches.map((s) => s.name), ...spec.racks.flatMap((r) => r.nodes.map((n) => n.name))];
  const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIbenchbenchbenchbenchbenchbenchbenchbench";
  (global as any).gc?.();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let expected: number;
  if (kind === "dataCenter" || kind === "simulatedUp") {
    const hosts: Record<string, { host: string; hostKey: string }> = {};
    for (const d of devices) hosts[d] = { host: `${d}.mgmt`, hostKey };
    const dc = new DataCenter("bench", { spec, passwords: { "bgp-nodes": pulumi.secret("bench-pw") }, hosts, ssh: { privateKey: pulumi.secret("k") } });
    const counts = await new Promise<Record<string, number>>((r) => dc.resourceCounts.apply(r));
    // the component, its scripts delivery, every device's command, the rollout's last check (rollout.peerCheck)
    expected = Object.values(counts).reduce((a, b) => a + b, 3);
  } else {
    // the floor renders its configs inside the clock too: the DataCenter's figure includes its
    // resolve and render (same spec object, same sdk calls), so the difference is the graph alone
    const plan = resolve(spec);
    const key = pulumi.secret("k");
    const register = () =>
      plan.devices.forEach(
        (d, i) =>
          new command.remote.Command(`c${i}`, {
            connection: { host: `${d.name}.mgmt`, hostKey, privateKey: key },
            create: "true",
            stdin: d.kind === "node" ? renderBirdConfig(plan, d.name) : renderSwitchConfig(plan, d.name).text,
          }),
      );
    // bareShallow: the same floor with the DataCenter's stack treatment (withShallowStacks)
    if (kind === "bareShallow") withShallowStacks(register);
    else register();
    expected = devices.length;
  }
  while (registered < expected) await new Promise((r) => setTimeout(r, 5));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  return { kind, nodes, resources: expected, ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), rssMB: mb(mem.rss - rss0), heapMB: mb(mem.heapUsed - heap0), stateMB: mb(stateBytes) };
}

function child(kind: string, nodes: number): CaseResult {
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, "--case", kind, String(nodes)], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${kind} ${nodes}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

async function depths(nodes: number) {
  const { resolve } = await import("../sdk/resolve/resolve");
  const { rolloutPlan, rolloutDepth } = await import("../sdk/apply/rollout");
  const plan = resolve(specOf(nodes));
  // + 1: the scripts delivery (<dc>-scripts) runs before every device command
  return {
    waves: rolloutDepth(rolloutPlan(plan, { strategy: "waves" })).depth + 1,
    sequential: rolloutDepth(rolloutPlan(plan, { strategy: "sequential" })).depth + 1,
  };
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "--case") {
    const res = await runCase(argv[1] as CaseResult["kind"], Number(argv[2]));
    console.log(JSON.stringify(res));
    process.exit(0);
  }
  const json = argv.includes("--json");
  const simulate = !argv.includes("--no-simulate");
  const sizesArg = argv.indexOf("--sizes");
  const sizes = sizesArg >= 0 ? argv[sizesArg + 1].split(",").map(Number) : [1000, 4000];
  const rows = [];
  for (const n of sizes) {
    const dc = child("dataCenter", n);
    const bare = child("bareCommands", n);
    const shallow = child("bareShallow", n);
    const depth = await depths(n);
    const sim = simulate ? child("simulatedUp", n) : undefined;
    const ratio = (a: number, b: number) => Math.round((a / Math.max(b, 0.1)) * 100) / 100;
    rows.push({
      nodes: n,
      dc,
      bare,
      timeRatio: ratio(dc.ms, bare.ms),
      cpuRatio: ratio(dc.cpuMs, bare.cpuMs),
      shallow,
      cpuRatioShallowFloor: ratio(dc.cpuMs, shallow.cpuMs),
      rssRatio: ratio(dc.rssMB, bare.rssMB),
      stateRatio: ratio(dc.stateMB, bare.stateMB),
      depth,
      simulatedUpS: sim ? Math.round(sim.ms / 100) / 10 : undefined,
      sequentialUpS: depth.sequential * 2,
    });
  }
  if (!json) {
    console.log("nodes  resources (floor)  DataCenter ms / CPU ms / RSS MB / state MB   floor ms / CPU ms / RSS MB / state MB   ratio time / CPU / RSS / state   CPU vs shallow floor   depth waves (sequential)   simulated up (2 s/device; sequential ≥ depth × 2 s)");
    for (const r of rows)
      console.log(
        `${String(r.nodes).padStart(5)}  ${String(r.dc.resources).padStart(9)} (${r.bare.resources})  ${String(r.dc.ms).padStart(13)} / ${String(r.dc.cpuMs).padStart(6)} / ${String(r.dc.rssMB).padStart(6)} / ${String(r.dc.stateMB).padStart(6)}   ${String(r.bare.ms).padStart(8)} / ${String(r.bare.cpuMs).padStart(6)} / ${String(r.bare.rssMB).padStart(6)} / ${String(r.bare.stateMB).padStart(6)}   ${r.timeRatio} / ${r.cpuRatio} / ${r.rssRatio} / ${r.stateRatio}   ${r.cpuRatioShallowFloor} (${r.shallow.cpuMs} ms)   ${r.depth.waves} (${r.depth.sequential})   ${r.simulatedUpS ?? "-"} s (sequential ≥ ${r.sequentialUpS} s)`,
      );
  }
  console.log(JSON.stringify({ benchmark: "components-mock-registration", rows }, null, json ? 2 : undefined));
}

if (require.main === module) void main();
