/**
 * `DataCenter` (`dcnet:index:DataCenter`): the whole data center in one component. It resolves the
 * spec once, renders every device's config, and creates one command per device directly below
 * itself (`<name>-<node>-bird`, `<name>-<switch>-frr`: config on stdin, secrets in a secret
 * environment variable, see `device-apply.ts`), after the scripts delivery `<name>-scripts` (one
 * per data center: dcnet's script files on every device, see `script-delivery.ts`; or
 * `scripts.delivery: inline`), in rollout order (`sdk/apply/rollout.ts`):
 *
 * - default `waves`: spines/cores one at a time; a canary (the first rack's switches one at a
 *   time, then one of its nodes); then every other rack in parallel (or `racksPerWave` at a
 *   time), inside a rack its switches one at a time, then at most `maxUnavailable` nodes;
 * - `sequential`: the earlier order (racks one after another or all at once);
 * - a node always after both of its peer switches; each apply is its own health gate (sessions
 *   Established) and a failure stops what depends on it (Pulumi starts nothing new after it);
 * - removal: Pulumi deletes dependents first, so when a switch and its nodes go away together the
 *   nodes stop announcing first. Within one `pulumi up` Pulumi applies creates and updates before
 *   deleting resources that left the program: removing one node from the spec updates its
 *   switches first (they drop the session, which withdraws the node's prefixes just as stopping
 *   the node would), then resets the node to the baseline. For strict node-first removal run
 *   `pulumi destroy --target <the node's command URN>` before removing the node.
 *
 * Stacks from the earlier layout (a `NodeHost`/`SwitchHost` component per device with a config
 * and a secrets command below it) upgrade in place: each command keeps its name and aliases its
 * old parent, so it is updated, not replaced; the old secrets commands are deleted, and their
 * delete scripts leave what the merged command installed running (see `switch-host.ts`).
 *
 * Resource names derive from this component's name and device names only, so editing the spec
 * never renames (replaces) an unrelated device's resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { resolve as resolvePath } from "path";
import { Plan } from "../sdk/plan/types";
import { DataCenterSpec } from "../sdk/spec/types";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";
import { renderBirdConfig, renderBirdSecrets } from "../sdk/render/bird";
import { renderSwitchConfig, renderSwitchSecrets } from "../sdk/render/switch/index";
import { deviceHasPasswords, planPasswordRefs } from "../sdk/render/plan-query";
import { birdPaths, frrPaths, nodeProtocols, rolloutPlan, sha256Hex, switchNeighbors } from "../sdk/apply";
import { nodeCommand, nodeSecretsPayload } from "./node-host";
import { switchCommand, switchSecretsPayload } from "./switch-host";
import { requirePinnedHostKeys, sshTarget, stripUndefined, SshTarget, withShallowStacks } from "./device-command";
import { peerAllocationsGate, PublishedAllocations } from "./allocations";
import { publishedAllocations } from "../sdk/fleet/allocations";
import { GateDevice, WaveGate, waveGate, wavesOf } from "./wave-gates";
import { hooksSupported, linesHash, StepGates } from "./step-gates";
import { DEFAULT_SCRIPTS_DIR, ScriptsDelivery } from "./script-delivery";
import { checkRoot } from "../sdk/apply";
import { BirdPathsArgs, DeviceVerificationResult, DataCenterSpecArgs, DeliveryMode, FrrPathsArgs, HostArgs, RackOrder, RolloutArgs, RolloutStrategy, ScriptDelivery, ScriptsArgs, SshSettingsArgs } from "./types";

/** Arguments of `DataCenter`. */
export interface DataCenterArgs {
  /** The spec as an object (same shape as the YAML). Give this or `specFile`. */
  spec?: DataCenterSpecArgs;
  /** Path of a YAML/JSON spec file (relative to the program's working directory). Give this or `spec`. */
  specFile?: string;
  /** BGP session passwords by secret name (the spec's `bgp.passwordRef`); pass Pulumi secrets. */
  passwords?: { [name: string]: pulumi.Input<string> };
  /** `ssh` (default): configure the real devices; `localFolder`: write into local folders instead. */
  mode?: DeliveryMode;
  /** Folder mode: parent folder of the per-device folders (default `out-local`). */
  localFolder?: string;
  /** SSH settings for every device (user, key, port, jump host). */
  ssh?: SshSettingsArgs;
  /** SSH settings per rack (below a host's own, above `ssh`); spines and cores use `ssh` only. */
  rackSsh?: { [rack: string]: SshSettingsArgs };
  /** Per-device connection (host, pinned host key, overrides), by device name. */
  hosts?: { [device: string]: HostArgs };
  /** BIRD paths on every node (a host's `birdPaths` overrides). */
  birdPaths?: BirdPathsArgs;
  /** FRR paths on every switch (a host's `frrPaths` overrides). */
  frrPaths?: FrrPathsArgs;
  /** Rollout order and verification. */
  rollout?: RolloutArgs;
  /** How dcnet's apply scripts reach the devices (default: once per data center, see `ScriptDelivery`). */
  scripts?: ScriptsArgs;
  /**
   * Escape hatch, by device name: text appended verbatim to that device's rendered config (a
   * switch's frr.conf, a node's bird.conf) for a setting dcnet does not model. It is part of the
   * visible config (never put a secret here), shows in `pulumi preview --diff`, and goes through
   * the same checks as the rest: the device's parser validates it before anything changes, and a
   * config the device rejects fails that device's resource with the device's own error text.
   */
  extraConfig?: { [device: string]: string };
  /**
   * Several data centers, one stack each: the allocations other stacks publish (their `allocations`
   * output, e.g. `new pulumi.StackReference("acme/dc-ams1/prod").getOutput("allocations")`). An
   * overlapping pool or rack network, a shared ASN, or (with `meshWithPeers`) a cluster name or id
   * used twice is refused at preview, before any device resource (`components/allocations.ts`).
   */
  peers?: pulumi.Input<PublishedAllocations>[];
  /** Check cluster names and ids against the peers too (they may be meshed); default true. */
  meshWithPeers?: boolean;
}

const plans = new WeakMap<DataCenter, Plan>();
const stepGatesOf = new WeakMap<DataCenter, StepGates>();

/** @internal The step gates of a data center (`rollout.peerCheck`), for tests that play the engine's part (call its hooks). */
export function stepGatesOfDataCenter(dc: DataCenter): StepGates | undefined {
  return stepGatesOf.get(dc);
}

/** A data center applied to its hosts and switches. */
export class DataCenter extends pulumi.ComponentResource {
  /** Plan name (the spec's `name`). */
  public readonly planName: pulumi.Output<string>;
  /** `spineLeaf` or `threeTier`. */
  public readonly topology: pulumi.Output<string>;
  /** One-line summary of the plan. */
  public readonly summary: pulumi.Output<string>;
  /** PodCIDR of every node. */
  public readonly podCIDRs: pulumi.Output<{ [node: string]: string }>;
  /** ASN of every node. */
  public readonly nodeAsns: pulumi.Output<{ [node: string]: number }>;
  /** SHA-256 of the main config every switch runs: known once its command succeeded (a device that rejected the new config keeps the previous value). */
  public readonly switchConfigSha256: pulumi.Output<{ [switchName: string]: string }>;
  /** SHA-256 of the BIRD config every node runs: known once its command succeeded. */
  public readonly nodeConfigSha256: pulumi.Output<{ [node: string]: string }>;
  /** Resources per device (1: its command). */
  public readonly resourceCounts: pulumi.Output<{ [device: string]: number }>;
  /** Rollout order: each device with the devices it waits for. */
  public readonly rolloutOrder: pulumi.Output<{ [device: string]: string[] }>;
  /** What this data center uses of the shared address and ASN space: export it for the other stacks' `peers`. */
  public readonly allocations: pulumi.Output<PublishedAllocations>;
  /**
   * With `rollout.verifyAfterWave`: per device, what its wave's gate found once it passed
   * (`status`, `sessions` Established / checked, `peersHold` prefixes its peers hold / planned,
   * `problems`, `wave`); no secret in any field. Empty without gates.
   */
  public readonly verification: pulumi.Output<{ [device: string]: DeviceVerificationResult }>;

  constructor(name: string, args: DataCenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:DataCenter", name, {}, opts);
    if ((args.spec === undefined) === (args.specFile === undefined)) throw new Error(`DataCenter ${name}: give exactly one of spec and specFile`);
    const spec = (args.spec as DataCenterSpec | undefined) ?? loadSpecFile(resolvePath(args.specFile!));
    const plan = resolve(spec);
    plans.set(this, plan);
    const mode = args.mode ?? DeliveryMode.ssh;
    const folder = (args.localFolder ?? "out-local").replace(/\/+$/, "");
    // user-keyed maps are read by own key only: a device named "constructor" must not find Object
    const hosts = ownKeys(args.hosts);
    const names = new Set(plan.devices.map((d) => d.name));
    for (const h of Object.keys(hosts)) if (!names.has(h)) throw new Error(`DataCenter ${name}: hosts.${h} names no device of the plan`);
    const extra = ownKeys(args.extraConfig);
    for (const d of Object.keys(extra)) if (!names.has(d)) throw new Error(`DataCenter ${name}: extraConfig.${d} names no device of the plan`);
    const withExtra = (device: string, text: string) => (extra[device] ? `${text}${text.endsWith("\n") ? "" : "\n"}${extra[device].replace(/\n?$/, "\n")}` : text);
    for (const r of Object.keys(args.rackSsh ?? {}))
      if (!plan.devices.some((d) => d.rack === r)) throw new Error(`DataCenter ${name}: rackSsh.${r} names no rack of the plan`);

    // passwords: every passwordRef of the plan must have a value
    const refs = planPasswordRefs(plan);
    const missing = refs.filter((r) => !(r in (args.passwords ?? {})));
    if (missing.length) throw new Error(`DataCenter ${name}: no password given for passwordRef ${missing.map((m) => `"${m}"`).join(", ")} (args.passwords)`);
    const passwords = pulumi.secret(pulumi.output(args.passwords ?? {})) as pulumi.Output<Record<string, string>>;
    const placeholder = Object.fromEntries(refs.map((r) => [r, "placeholder"]));

    // ssh targets: refuse unpinned hosts before creating anything
    const rackSsh = ownKeys(args.rackSsh);
    const targets = new Map<string, SshTarget>();
    if (mode === DeliveryMode.ssh) {
      for (const d of plan.devices) targets.set(d.name, sshTarget(d.name, d.routerId, hosts[d.name], d.rack ? rackSsh[d.rack] : undefined, args.ssh));
      requirePinnedHostKeys([...targets.values()]);
    }

    const ro = args.rollout ?? {};
    const waves = (ro.strategy ?? RolloutStrategy.waves) === RolloutStrategy.waves;
    const rollout = rolloutPlan(plan, {
      strategy: waves ? "waves" : "sequential",
      rackOrder: ro.rackOrder === RackOrder.parallel ? "parallel" : "sequential",
      maxInFlightPerRack: (waves ? ro.maxUnavailable : undefined) ?? ro.maxHostsInFlightPerRack ?? 1,
      ...(ro.canaryNodes !== undefined ? { canaryNodes: ro.canaryNodes } : {}),
      ...(ro.racksPerWave !== undefined ? { racksPerWave: ro.racksPerWave } : {}),
    });
    const verify = ro.verifyTimeoutSeconds;
    if (ro.verifyAfterWave && mode !== DeliveryMode.ssh) throw new Error(`DataCenter ${name}: rollout.verifyAfterWave needs mode ssh (the gate reads the devices' BGP state over ssh)`);
    const gateParallel = ro.verifyParallel ?? 8;
    wholeNumber(name, "rollout.verifyParallel", ro.verifyParallel, gateParallel, 256);
    const waveList = ro.verifyAfterWave ? wavesOf(rollout) : [];
    const gateInfo = new Map<string, GateDevice>();
    if (ro.peerCheck === true && mode !== DeliveryMode.ssh) throw new Error(`DataCenter ${name}: rollout.peerCheck needs mode ssh (the check reads the devices' BGP state over ssh)`);
    const peerTimeout = ro.peerCheckTimeoutSeconds ?? 60;
    wholeNumber(name, "rollout.peerCheckTimeoutSeconds", ro.peerCheckTimeoutSeconds, peerTimeout, 3600);
    const peerParallel = ro.peerCheckParallel ?? 32;
    wholeNumber(name, "rollout.peerCheckParallel", ro.peerCheckParallel, peerParallel, 256);
    const stepGates = mode === DeliveryMode.ssh && ro.peerCheck !== false ? new StepGates(name, plan, rollout, gateInfo, { parallel: peerParallel, timeoutMs: peerTimeout * 1000 }, hooksSupported()) : undefined;
    if (stepGates) stepGatesOf.set(this, stepGates);
    const needsGateInfo = waveList.length > 0 || stepGates !== undefined;
    const shas = new Map<string, string>();
    const gates: WaveGate[] = [];
    const rolledOut: string[] = [];
    // the gates of every wave before `wave` (each created once all its devices exist)
    const gatesBefore = (wave: number) => {
      while (gates.length < waveList.length && waveList[gates.length][0] < wave) {
        const [w, devs] = waveList[gates.length];
        gates.push(waveGate(name, plan, w, devs, [...rolledOut], gateInfo, devs.map((d) => shas.get(d)!), gateParallel, { parent: this, dependsOn: devs.map((d) => created.get(d)!) }));
        rolledOut.push(...devs);
      }
      return gates.length ? [gates[gates.length - 1].command] : [];
    };
    // The URN a command had in the earlier layout. A DataCenter at the stack's root (the usual
    // case) knows it as a plain string: no Output per device (an alias through createUrn costs
    // ~110 MB and ~1.4 s of CPU per 1,000 devices under mocks); below another parent its type
    // chain is only known as an Output, so the alias goes by parent as before.
    const commandType = mode === DeliveryMode.localFolder ? "command:local:Command" : "command:remote:Command";
    const oldUrn = (hostType: string, hostName: string, commandName: string): pulumi.Input<pulumi.Alias | string> =>
      opts?.parent === undefined
        ? `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::dcnet:index:DataCenter$${hostType}$${commandType}::${commandName}`
        : { parent: pulumi.createUrn(hostName, hostType, this) };
    // several data centers: every device command waits for the peers' check (refused at preview)
    const gate = peerAllocationsGate(name, this, plan, args.peers, args.meshWithPeers ?? true);
    // the scripts: once per data center (bundle, default) or on every device command (inline)
    const sc = args.scripts ?? {};
    let scripts: ScriptsDelivery | undefined;
    if ((sc.delivery ?? ScriptDelivery.bundle) === ScriptDelivery.bundle) {
      const scriptsParallel = sc.parallel ?? 16;
      wholeNumber(name, "scripts.parallel", sc.parallel, scriptsParallel, 256);
      let dir: string;
      try {
        dir = checkRoot(sc.dir ?? DEFAULT_SCRIPTS_DIR, "scripts.dir");
      } catch (e) {
        throw new pulumi.RunError(`DataCenter ${name}: ${(e as Error).message}`);
      }
      scripts = new ScriptsDelivery(name, dir, scriptsParallel, this, gate ? [gate.dependency] : []);
    }
    const byName = new Map(plan.devices.map((d) => [d.name, d]));
    const created = new Map<string, pulumi.Resource>();
    const counts: Record<string, number> = {};
    const reported: pulumi.Output<[string, string, string]>[] = [];
    withShallowStacks(() => {
      try {
        for (const step of rollout) {
          const device = byName.get(step.device)!;
          const host = hosts[device.name];
          const common = {
            mode,
            ...(mode === DeliveryMode.localFolder ? { localFolder: `${folder}/${device.name}` } : {}),
            ...(host ? { host } : {}),
            ...(device.rack && rackSsh[device.rack] ? { sshDefaults: mergeDefaults(rackSsh[device.rack], args.ssh) } : args.ssh ? { sshDefaults: args.ssh } : {}),
            ...(verify !== undefined ? { verifyTimeoutSeconds: verify } : {}),
          };
          const resourceName = `${name}-${device.name}-${device.kind === "node" ? "bird" : "frr"}`;
          const hooks = stepGates?.bind(resourceName, device.name);
          const at = {
            parent: this,
            ...(hooks ? { hooks } : {}),
            dependsOn: [...step.dependsOn.map((d) => created.get(d)!), ...(gate ? [gate.dependency] : []), ...(scripts ? [scripts.command] : []), ...(waveList.length ? gatesBefore(step.wave) : [])],
            // earlier layout: the command below a per-device host component of the same name
            aliases: [oldUrn(device.kind === "node" ? "dcnet:index:NodeHost" : "dcnet:index:SwitchHost", `${name}-${device.name}`, resourceName)],
          };
          let cmd: pulumi.CustomResource & { stdout: pulumi.Output<string> };
          let text: string;
          if (device.kind === "switch") {
            if ((device.dialect ?? "frr") !== "frr") throw new Error(`DataCenter ${name}: switch ${device.name} uses dialect ${device.dialect}; only frr has apply scripts`);
            text = withExtra(device.name, renderSwitchConfig(plan, device.name).text);
            const neighbors = switchNeighbors(plan, device.name, rollout);
            const hasSecrets = deviceHasPasswords(plan, device.name);
            const paths = { ...stripUndefined(args.frrPaths), ...stripUndefined(host?.frrPaths) };
            const fp = frrPaths(paths); // check early
            if (needsGateInfo) gateInfo.set(device.name, { target: targets.get(device.name)!, frr: fp });
            cmd = switchCommand(
              resourceName,
              `DataCenter ${name}: switch ${device.name}`,
              {
                switchName: device.name,
                frrConfig: text,
                plannedNeighbors: neighbors.planned,
                requiredNeighbors: neighbors.required,
                routerId: device.routerId,
                frrPaths: paths,
                ...common,
              },
              at,
              scripts?.delivery,
              // one apply on the secret passwords: the payload is secret as it is made
              hasSecrets ? passwords.apply((p) => switchSecretsPayload(renderSwitchSecrets(plan, device.name, p))) : undefined,
            );
          } else {
            const paths = { ...stripUndefined(args.birdPaths), ...stripUndefined(host?.birdPaths) };
            const bp = birdPaths(paths);
            if (needsGateInfo) gateInfo.set(device.name, { target: targets.get(device.name)!, bird: bp });
            text = withExtra(device.name, renderBirdConfig(plan, device.name, { secretsDir: bp.secretsDir }));
            const fileNames = renderBirdSecrets(plan, device.name, placeholder).map((f) => f.file);
            cmd = nodeCommand(
              resourceName,
              `DataCenter ${name}: node ${device.name}`,
              {
                node: device.name,
                birdConfig: text,
                protocols: nodeProtocols(plan, device.name),
                routerId: device.routerId,
                ...(fileNames.length ? { secretFileNames: fileNames } : {}),
                birdPaths: paths,
                ...common,
              },
              at,
              scripts?.delivery,
              fileNames.length ? passwords.apply((p) => nodeSecretsPayload(device.name, fileNames, Object.fromEntries(renderBirdSecrets(plan, device.name, p).map((f) => [f.file, f.text])))) : undefined,
            );
          }
          scripts?.add({ device: device.name, kind: device.kind, ...(mode === DeliveryMode.localFolder ? { root: checkRoot(`${folder}/${device.name}`) } : { target: targets.get(device.name)! }) });
          created.set(device.name, cmd);
          counts[device.name] = 1;
          const sha = sha256Hex(text);
          shas.set(device.name, sha);
          // known once the device's command succeeded: what the device runs, not only what was planned
          reported.push(cmd.stdout.apply(() => [device.kind, device.name, sha] as [string, string, string]));
        }
        scripts?.finish();
      } catch (e) {
        scripts?.fail(e as Error);
        throw e;
      }
    });
    const runs = pulumi.all(reported);
    // the last step: the peers' check of what no step waits for (and of anything applied but not checked yet)
    if (stepGates) {
      const waitedFor = new Set(rollout.flatMap((s) => s.dependsOn));
      const last = rollout.filter((s) => !waitedFor.has(s.device)).map((s) => created.get(s.device)!);
      // replaced when a device's inputs change: its config, dcnet's scripts, the passwords (hashed as a secret; no output
      // of the devices, whose dependencies would put every device's URN into this resource's state)
      const planned = linesHash([...[...shas.entries()].map(([d, h]) => `${d} ${h}`), ...(scripts ? scripts.files.entries().map(([f]) => f) : [])]);
      const secretsHash = pulumi.secret(passwords.apply((p) => linesHash(Object.keys(p).sort().map((k) => `${k} ${p[k]}`))));
      stepGates.finalCheck(last, [planned, secretsHash], this);
    }
    const shaOf = (kind: string) => runs.apply((r) => Object.fromEntries(r.filter(([k]) => k === kind).map(([, d, h]) => [d, h])));

    const switches = plan.devices.filter((d) => d.kind === "switch").length;
    const nodes = plan.devices.length - switches;
    const total = Object.values(counts).reduce((a, b) => a + b, 1) + (scripts ? 1 : 0) + (stepGates ? 1 : 0);
    this.planName = pulumi.output(plan.name);
    this.topology = pulumi.output(plan.topology);
    this.summary = pulumi.output(
      `${plan.name} (${plan.topology}): ${switches} switches, ${nodes} nodes, ${plan.sessions.length} BGP sessions, ${total} resources (${mode})`,
    );
    this.podCIDRs = pulumi.output(Object.fromEntries(plan.nodes.map((n) => [n.name, n.podCIDR.prefix])));
    this.nodeAsns = pulumi.output(Object.fromEntries(plan.devices.filter((d) => d.kind === "node").map((d) => [d.name, d.asn])));
    this.switchConfigSha256 = shaOf("switch");
    this.nodeConfigSha256 = shaOf("node");
    this.resourceCounts = pulumi.output(counts);
    this.rolloutOrder = pulumi.output(Object.fromEntries(rollout.map((s) => [s.device, s.dependsOn])));
    this.allocations = gate?.allocations ?? pulumi.output(publishedAllocations(plan));
    gatesBefore(Infinity); // the last wave's gate
    this.verification = pulumi.all(gates.map((g) => g.summary)).apply((all) => Object.assign({}, ...all) as Record<string, DeviceVerificationResult>);
    this.registerOutputs({
      allocations: this.allocations,
      planName: this.planName,
      topology: this.topology,
      summary: this.summary,
      podCIDRs: this.podCIDRs,
      nodeAsns: this.nodeAsns,
      switchConfigSha256: this.switchConfigSha256,
      nodeConfigSha256: this.nodeConfigSha256,
      resourceCounts: this.resourceCounts,
      rolloutOrder: this.rolloutOrder,
      verification: this.verification,
    });
  }

  /** The resolved plan (TypeScript callers; not a Pulumi output). */
  getPlan(): Plan {
    return plans.get(this)!;
  }
}

/** Refuse `value` (the option's effective value; `given` is what the user wrote) unless it is a whole number from 1 to `max`. */
function wholeNumber(dc: string, option: string, given: unknown, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`DataCenter ${dc}: ${option} must be a whole number between 1 and ${max}, got ${JSON.stringify(given)}`);
}

function mergeDefaults(rack: SshSettingsArgs, dc: SshSettingsArgs | undefined): SshSettingsArgs {
  return { ...stripUndefined(dc), ...stripUndefined(rack) };
}

/** A copy of a user-keyed map with only its own keys, without a prototype (`hosts`, `rackSsh`, `extraConfig`). */
function ownKeys<T>(map: { [key: string]: T } | undefined): { [key: string]: T } {
  const out = Object.create(null) as { [key: string]: T };
  for (const k of Object.keys(map ?? {})) Object.defineProperty(out, k, { value: map![k], enumerable: true, writable: true, configurable: true });
  return out;
}
