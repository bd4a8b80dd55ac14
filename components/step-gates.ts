/**
 * Internal: the peers' view as the health gate of every rollout step (`rollout.peerCheck`, on by
 * default in ssh mode). A device's own apply is its first gate (its sessions Established, else
 * it rolls back). This adds what its peers see, with Pulumi resource hooks: program code the
 * engine calls around each step, so nothing of it is in the state but the hooks' names.
 *
 * - After a device's command was created or updated, it counts as applied in this `up`.
 * - Before a device's command is created or updated, every device it waits for that was applied
 *   in this `up` is checked once (`sdk/verify/gate.ts`, over ssh with the pinned host keys,
 *   read-only): its sessions with rolled-out peers Established with the planned address and ASN,
 *   and each of its switch peers holding every prefix the plan has it announce as a valid, not
 *   stale path from its session address. The check is retried until `timeoutMs`; if it still
 *   fails, the hook throws, the dependent's step fails and Pulumi starts nothing after it.
 * - The devices nobody waits for (each rack's last nodes), and devices whose dependents did not
 *   change, are checked by one last resource, `<dc>-rollout-check`, which waits for every device
 *   and is replaced whenever a device's inputs change (hashes of the configs, the script files
 *   and, as a secret, the passwords).
 *
 * Under Pulumi mocks (no engine to call the hooks) the hooks are not bound; tests call
 * `beforeStep` and `afterStep` themselves (`stepGatesOfDataCenter`).
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Plan } from "../sdk/plan/types";
import { RolloutStep } from "../sdk/apply";
import { DeviceConnection } from "../sdk/verify/inventory";
import { gateExpectations, GateReport, runGate } from "../sdk/verify/gate";
import { connectionOf, GateDevice } from "./wave-gates";

/** How the step gates run their checks. */
export interface StepGateOptions {
  /** Checks at the same time (devices of different racks). */
  parallel: number;
  /** How long one device's check is retried before its dependent fails. */
  timeoutMs: number;
  /** Pause between two attempts (default 2 s). */
  intervalMs?: number;
  /** The gate runner (default `runGate`: ssh to the devices); tests replace it. */
  run?: typeof runGate;
}

/** The step gates of one data center. */
export class StepGates {
  /** Runs before a device command is created or updated: checks the applied devices it waits for (absent without an engine: `withHooks` false). */
  readonly before?: pulumi.ResourceHook;
  /** Runs after a device command was created or updated: the device counts as applied. */
  readonly after?: pulumi.ResourceHook;
  /** Devices applied in this `up`, in order. */
  readonly applied = new Set<string>();
  private readonly checks = new Map<string, Promise<void>>();
  /** Each contacted device's connection, resolved once per `up` (a leaf is a peer in every check of its rack's nodes). */
  private readonly connections = new Map<string, Promise<DeviceConnection>>();
  private readonly deviceOf = new Map<string, string>();
  private readonly dependsOn: Map<string, string[]>;
  private readonly sessionsOf = new Map<string, Plan["sessions"]>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly name: string,
    private readonly plan: Plan,
    rollout: RolloutStep[],
    private readonly info: Map<string, GateDevice>,
    private readonly opts: StepGateOptions,
    withHooks: boolean,
  ) {
    this.dependsOn = new Map(rollout.map((s) => [s.device, s.dependsOn]));
    for (const s of plan.sessions)
      for (const d of [s.a.device, s.b.device]) (this.sessionsOf.get(d) ?? this.sessionsOf.set(d, []).get(d)!).push(s);
    // a hook registers itself with the engine when it is made: only where an engine calls hooks
    if (withHooks) {
      this.before = new pulumi.ResourceHook(`${name}-peer-check`, (a) => this.beforeStep(a.name));
      this.after = new pulumi.ResourceHook(`${name}-applied`, (a) => this.afterStep(a.name));
    }
  }

  /** The hooks of a device command (`resourceName`) of `device` (undefined without hooks). */
  bind(resourceName: string, device: string): pulumi.ResourceHookBinding | undefined {
    this.deviceOf.set(resourceName, device);
    if (!this.before || !this.after) return undefined;
    return { beforeCreate: [this.before], beforeUpdate: [this.before], afterCreate: [this.after], afterUpdate: [this.after] };
  }

  /** Name the last step's resource (its `before` checks every applied device not checked yet). */
  bindFinal(resourceName: string): void {
    this.deviceOf.set(resourceName, "");
  }

  /**
   * The last step, `<dc>-rollout-check`: waits for every device (`last`: the devices nobody waits
   * for), replaced whenever one of `triggers` (hashes of the devices' inputs) changes, and checks,
   * before it is created, every device applied in this `up` that no step checked yet.
   */
  finalCheck(last: pulumi.Resource[], triggers: pulumi.Input<string>[], parent: pulumi.Resource): command.local.Command {
    const resourceName = `${this.name}-rollout-check`;
    this.bindFinal(resourceName);
    return new command.local.Command(
      resourceName,
      { create: "true", triggers, addPreviousOutputInEnv: false },
      { parent, dependsOn: last, ...(this.before ? { hooks: { beforeCreate: [this.before], beforeUpdate: [this.before] } } : {}) },
    );
  }

  /** Before `resourceName`'s step: its applied dependencies checked (the last step: every applied device). */
  async beforeStep(resourceName: string): Promise<void> {
    const device = this.deviceOf.get(resourceName);
    if (device === undefined) return;
    const todo = device === "" ? [...this.applied] : (this.dependsOn.get(device) ?? []).filter((d) => this.applied.has(d));
    const results = await Promise.allSettled(todo.map((d) => this.check(d)));
    const failed = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
    if (failed.length) throw new Error(`${device ? `${device} does not start` : "the rollout is not complete"}: ${failed.join("; ")}`);
  }

  /** After `resourceName`'s step: its device was applied in this `up`. */
  afterStep(resourceName: string): void {
    const device = this.deviceOf.get(resourceName);
    if (device) this.applied.add(device);
  }

  /** The peers' view of `device` (once per `up`, shared by every step that waits for it). */
  check(device: string): Promise<void> {
    let p = this.checks.get(device);
    if (!p) this.checks.set(device, (p = this.limited(() => this.checkNow(device))));
    return p;
  }

  private async limited<T>(f: () => Promise<T>): Promise<T> {
    // a finished check hands its slot to the next waiting one (no newcomer can take it in between)
    if (this.active >= this.opts.parallel) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** The devices `device` waits for, directly or not. */
  private ancestors(device: string): Set<string> {
    const seen = new Set<string>();
    const todo = [...(this.dependsOn.get(device) ?? [])];
    for (let d = todo.pop(); d !== undefined; d = todo.pop()) {
      if (seen.has(d)) continue;
      seen.add(d);
      todo.push(...(this.dependsOn.get(d) ?? []));
    }
    return seen;
  }

  private async checkNow(device: string): Promise<void> {
    // rolled out: what it waits for and what this `up` applied (a peer not applied yet is not asked to hold anything)
    const rolledOut = new Set([...this.ancestors(device), ...this.applied]);
    rolledOut.delete(device);
    const view: Plan = { ...this.plan, sessions: this.sessionsOf.get(device) ?? [] };
    const expectations = gateExpectations(view, { devices: [device], rolledOut: [...rolledOut] });
    const connections = await Promise.all(
      expectations.map((e) => this.connections.get(e.device) ?? this.connections.set(e.device, this.connection(e.device, e.kind)).get(e.device)!),
    );
    const run = this.opts.run ?? runGate;
    const deadline = Date.now() + this.opts.timeoutMs;
    let report: GateReport;
    for (let attempt = 1; ; attempt++) {
      report = await run(this.plan.name, expectations, connections, { parallel: expectations.length, timeoutMs: 30000 });
      if (report.ok || Date.now() + (this.opts.intervalMs ?? 2000) > deadline || attempt >= 1000) break;
      await new Promise((r) => setTimeout(r, this.opts.intervalMs ?? 2000));
    }
    if (report.ok) {
      const peers = expectations.filter((e) => e.device !== device).map((e) => e.device);
      pulumi.log.info(peers.length ? `dcnet: ${device}: its sessions are Established and its peers (${peers.join(", ")}) hold its planned prefixes` : `dcnet: ${device}: no peer of it has rolled out yet: nothing to check`);
      return;
    }
    const problems = report.problems.slice(0, 8).join("; ") + (report.problems.length > 8 ? `; … ${report.problems.length - 8} more` : "");
    throw new Error(`${device} was applied, but its peers' check fails after ${Math.round(this.opts.timeoutMs / 1000)} s: ${problems}`);
  }

  /** @internal Replace the gate runner (tests play the devices' part). */
  useRunner(run: typeof runGate): void {
    this.opts.run = run;
  }

  /** A device's connection with its private key's text (resolved in this process, never written anywhere). */
  private async connection(device: string, kind: "node" | "switch"): Promise<DeviceConnection> {
    const keys = new Map<pulumi.Input<string>, number>();
    const conn = connectionOf(device, kind, this.info.get(device)!, keys);
    const all = pulumi.all([conn, pulumi.all([...keys.keys()])]);
    const [c, texts] = await new Promise<[DeviceConnection, string[]]>((res) => all.apply((v) => res(v as [DeviceConnection, string[]])));
    const real = (ref: string | undefined) => (ref && /^\$DCNET_SSH_KEY_(\d+)$/.test(ref) ? texts[Number(ref.slice("$DCNET_SSH_KEY_".length))] : ref);
    return {
      ...c,
      ...(c.privateKey !== undefined ? { privateKey: real(c.privateKey) } : {}),
      ...(c.proxy ? { proxy: { ...c.proxy, ...(c.proxy.privateKey !== undefined ? { privateKey: real(c.proxy.privateKey) } : {}) } } : {}),
    };
  }
}

/** A short hash of some lines (the last step's triggers). */
export function linesHash(parts: string[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 32);
}

/** Whether the engine calls resource hooks back (not under Pulumi mocks, whose monitor has no hooks). */
export function hooksSupported(): boolean {
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResourceHook?: unknown } | undefined;
  return typeof monitor?.registerResourceHook === "function";
}
