/**
 * Internal: the health gates of `DataCenter`'s rollout (`rollout.verifyAfterWave`). After each
 * wave, one `local.Command` (`<name>-verify-wave-<n>`) runs `dcnet verify - --inventory -` on the
 * machine running `pulumi up`: read-only checks over ssh of the wave's devices and their rolled-out
 * switch peers (`sdk/verify/gate.ts`). Its stdin is the wave's expectations and the contacted
 * devices' connections (plain: addresses, pinned host keys, paths); private keys travel in the
 * secret environment variable `DCNET_SSH_KEYS`. Every device of the next wave depends on it, so a
 * failed gate (exit 1 or 2) stops every later wave. Its stdout is the gate report (JSON, no secret:
 * session states and prefixes), summarized per device in the `verification` output.
 *
 * The stdin changes only when the wave's expectations or connections do (a config change of one of
 * its devices re-runs the gate through `triggers`), so a no-op `up` runs no gate.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { join, relative } from "path";
import { Plan } from "../sdk/plan/types";
import { RolloutStep } from "../sdk/apply";
import { DeviceConnection } from "../sdk/verify/inventory";
import { GateExpectation, gateExpectations, GateReport, GateSummary, summarizeGate } from "../sdk/verify/gate";
import { shq } from "../sdk/apply/shell";
import { SshTarget } from "./device-command";
import { JumpHostArgs } from "./types";

/** What `DataCenter` knows of a device for its gate: its SSH target and daemon paths. */
export interface GateDevice {
  target: SshTarget;
  bird?: { configFile: string; secretsDir: string; controlSocket: string; birdc: string };
  frr?: { configFile: string; vtysh: string; vtySocketDir: string; pathspace: string };
}

/** The dcnet CLI of this package, relative to the program's folder (the command text stays the same on every checkout). */
export const CLI = relative(process.cwd(), join(__dirname, "..", "bin", "dcnet")) || ".";

/** The waves of a rollout, in order: wave number → its devices. */
export function wavesOf(steps: RolloutStep[]): [number, string[]][] {
  const m = new Map<number, string[]>();
  for (const s of steps) m.set(s.wave, [...(m.get(s.wave) ?? []), s.device]);
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

/** How the gate's and the scripts delivery's ssh runner reach a device (`DeviceConnection` without the daemon paths). */
export type SshConnection = Pick<DeviceConnection, "device" | "kind" | "host" | "port" | "user" | "hostKey" | "insecure" | "privateKey" | "proxy">;

/** A device's SSH connection for the ssh runner; private keys replaced by `$DCNET_SSH_KEY_<n>` (texts collected in `keys`). */
export function sshConnectionOf(name: string, kind: "node" | "switch", target: SshTarget, keys: Map<pulumi.Input<string>, number>): pulumi.Output<SshConnection> {
  return pulumi.output(sshConnectionFields(name, kind, target, keys)) as pulumi.Output<SshConnection>;
}

/** The fields of `sshConnectionOf` as given (Inputs where the target holds them). */
export function sshConnectionFields(name: string, kind: "node" | "switch", target: SshTarget, keys: Map<pulumi.Input<string>, number>): pulumi.Input<SshConnection> {
  // one entry per distinct key value (devices share the data center's or rack's key object)
  const keyRef = (k: pulumi.Input<string>) => {
    if (!keys.has(k)) keys.set(k, keys.size);
    return `$DCNET_SSH_KEY_${keys.get(k)}`;
  };
  const s = target.ssh;
  const proxy = s.proxy as JumpHostArgs | undefined;
  return {
    device: name,
    kind,
    host: target.host,
    port: s.port ?? 22,
    user: s.user ?? "root",
    ...(target.hostKey !== undefined ? { hostKey: target.hostKey } : {}),
    insecure: target.insecureSkipHostKeyCheck === true,
    ...(s.privateKey !== undefined ? { privateKey: keyRef(s.privateKey) } : {}),
    ...(proxy
      ? {
          proxy: {
            host: proxy.host,
            ...(proxy.port !== undefined ? { port: proxy.port } : {}),
            ...(proxy.user !== undefined ? { user: proxy.user } : {}),
            ...(proxy.hostKey !== undefined ? { hostKey: proxy.hostKey } : {}),
            ...(proxy.insecureSkipHostKeyCheck ? { insecureSkipHostKeyCheck: true } : {}),
            ...(proxy.privateKey !== undefined ? { privateKey: keyRef(proxy.privateKey) } : {}),
          },
        }
      : {}),
  } as pulumi.Input<SshConnection>;
}

/** Connection settings of a device as the gate's ssh runner takes them (with its daemon paths). */
export function connectionOf(name: string, kind: "node" | "switch", g: GateDevice, keys: Map<pulumi.Input<string>, number>): pulumi.Output<DeviceConnection> {
  return sshConnectionOf(name, kind, g.target, keys).apply((c) => ({
    ...c,
    bird: {
      configFile: g.bird?.configFile ?? "/etc/bird/bird.conf",
      secretsDir: g.bird?.secretsDir ?? "/etc/bird/dcnet-secrets",
      birdc: g.bird?.birdc ?? "birdc",
      ...(g.bird?.controlSocket ? { controlSocket: g.bird.controlSocket } : {}),
    },
    frr: {
      configFile: g.frr?.configFile ?? "/etc/frr/frr.conf",
      vtysh: g.frr?.vtysh ?? "vtysh",
      ...(g.frr?.vtySocketDir ? { vtySocketDir: g.frr.vtySocketDir } : {}),
      ...(g.frr?.pathspace ? { pathspace: g.frr.pathspace } : {}),
    },
  }));
}

/** One wave's gate command. */
export interface WaveGate {
  wave: number;
  devices: string[];
  expectations: GateExpectation[];
  command: command.local.Command;
  /** Per device of the wave, once the gate passed. */
  summary: pulumi.Output<Record<string, GateSummary & { wave: number }>>;
}

/**
 * Create the gate of wave `wave` (`devices`, every earlier wave in `rolledOut`), depending on the
 * wave's commands; `configShas` (the wave's devices' config hashes) re-run it when one changes.
 */
export function waveGate(
  name: string,
  plan: Plan,
  wave: number,
  devices: string[],
  rolledOut: string[],
  info: Map<string, GateDevice>,
  configShas: string[],
  parallel: number,
  at: { parent: pulumi.Resource; dependsOn: pulumi.Resource[] },
): WaveGate {
  const expectations = gateExpectations(plan, { devices, rolledOut });
  const keys = new Map<pulumi.Input<string>, number>();
  const connections = expectations.map((e) => connectionOf(e.device, e.kind, info.get(e.device)!, keys));
  const stdin = pulumi.all(connections).apply((cs) => JSON.stringify({ plan: plan.name, expectations, connections: cs }) + "\n");
  const distinct = keys.size ? pulumi.all([...keys.keys()]).apply((ks) => JSON.stringify(ks)) : undefined;
  const cmd = new command.local.Command(
    `${name}-verify-wave-${wave}`,
    {
      create: `node ${shq(CLI)} verify - --inventory - --json --parallel ${parallel}`,
      stdin,
      triggers: configShas,
      addPreviousOutputInEnv: false,
      ...(distinct ? { environment: { DCNET_SSH_KEYS: pulumi.secret(distinct) } } : {}),
    },
    { parent: at.parent, dependsOn: at.dependsOn, ...(distinct ? { additionalSecretOutputs: ["environment"] } : {}) },
  );
  const summary = cmd.stdout.apply((out) => {
    const r = JSON.parse(out.trim().split("\n").pop() || "{}") as GateReport;
    const s = summarizeGate(r, devices);
    return Object.fromEntries(Object.entries(s).map(([d, v]) => [d, { ...v, wave }]));
  });
  return { wave, devices, expectations, command: cmd, summary };
}
