/**
 * Internal: one device command (`remote.Command` over SSH, or `local.Command` in folder mode)
 * with dcnet's conventions: a short launcher is the command text, the scripts and the config go on
 * stdin, the secrets in a secret environment variable (see `device-apply.ts`), the previous output
 * is not injected into the environment, deletes happen before a replacement.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { checkRoot, DevicePathProblem, DevicePathsError } from "../sdk/apply";
import { DeliveryMode, HostArgs, JumpHostArgs, SshSettingsArgs } from "./types";

/** A resolved SSH target. */
export interface SshTarget {
  /** Device name (messages). */
  device: string;
  /** Address or name to connect to (default: the device's router id). */
  host: pulumi.Input<string>;
  /** Pinned host key (authorized_keys format). */
  hostKey?: pulumi.Input<string>;
  /** Connect without checking the host key (explicit opt-out). */
  insecureSkipHostKeyCheck?: boolean;
  /** Merged SSH settings (host, rack, data center layers). */
  ssh: SshSettingsArgs;
}

/** Pick per field: the first defined value of the layers (most specific first). */
export function mergeSsh(...layers: (SshSettingsArgs | undefined)[]): SshSettingsArgs {
  const out: Record<string, unknown> = {};
  // defineProperty: an own "__proto__" key of a user's object stays a plain field, never a prototype
  for (const layer of [...layers].reverse())
    if (layer) for (const [k, v] of Object.entries(layer)) if (v !== undefined) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out as SshSettingsArgs;
}

/** Why a target may not be used (no pinned key and no opt-out), or undefined. */
export function hostKeyProblem(t: SshTarget): string | undefined {
  if (t.hostKey === undefined && !t.insecureSkipHostKeyCheck)
    return `${t.device}: no pinned SSH host key (hosts.${t.device}.hostKey, e.g. from \`ssh-keyscan -t ed25519 HOST\`); set hosts.${t.device}.insecureSkipHostKeyCheck = true to connect without checking it`;
  const proxy = t.ssh.proxy;
  if (proxy && proxy.hostKey === undefined && !proxy.insecureSkipHostKeyCheck)
    return `${t.device}: the jump host has no pinned SSH host key (proxy.hostKey); set proxy.insecureSkipHostKeyCheck = true to connect without checking it`;
  return undefined;
}

/** Throw one error listing every device that has no pinned host key. */
export function requirePinnedHostKeys(targets: SshTarget[]): void {
  const problems = targets.map(hostKeyProblem).filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new Error(`dcnet refuses to connect to hosts whose SSH host key is not pinned:\n  ${problems.join("\n  ")}`);
}

function proxyConnection(p: JumpHostArgs): command.types.input.remote.ProxyConnectionArgs {
  return {
    host: p.host,
    ...(p.port !== undefined ? { port: p.port } : {}),
    ...(p.user !== undefined ? { user: p.user } : {}),
    ...(p.privateKey !== undefined ? { privateKey: p.privateKey } : {}),
    ...(p.privateKeyPassword !== undefined ? { privateKeyPassword: p.privateKeyPassword } : {}),
    ...(p.agentSocketPath !== undefined ? { agentSocketPath: p.agentSocketPath } : {}),
    ...(p.hostKey !== undefined ? { hostKey: p.hostKey } : {}),
  };
}

/** The `connection` input of a remote command (the provider marks it secret as a whole). */
export function connectionOf(t: SshTarget): command.types.input.remote.ConnectionArgs {
  const s = t.ssh;
  return {
    host: t.host,
    user: s.user ?? "root",
    ...(s.port !== undefined ? { port: s.port } : {}),
    ...(s.privateKey !== undefined ? { privateKey: s.privateKey } : {}),
    ...(s.privateKeyPassword !== undefined ? { privateKeyPassword: s.privateKeyPassword } : {}),
    ...(s.agentSocketPath !== undefined ? { agentSocketPath: s.agentSocketPath } : {}),
    ...(s.dialErrorLimit !== undefined ? { dialErrorLimit: s.dialErrorLimit } : {}),
    ...(s.perDialTimeout !== undefined ? { perDialTimeout: s.perDialTimeout } : {}),
    ...(t.hostKey !== undefined ? { hostKey: t.hostKey } : {}),
    ...(s.proxy ? { proxy: proxyConnection(s.proxy) } : {}),
  };
}

/** Everything needed to create one device command. */
export interface DeviceCommandSpec {
  /** Resource name. */
  name: string;
  /** `ssh` (remote command) or `localFolder` (local command). */
  mode: DeliveryMode;
  /** SSH mode: the target. */
  target?: SshTarget;
  /** Create/update command text (no secrets: it is a plain input). */
  create: string;
  /** Delete command text. */
  delete: string;
  /** Payload on the command's stdin (visible: script line + config). */
  stdin: pulumi.Input<string>;
  /** Secrets payload, passed as the environment variable DCNET_SECRETS: a secret Output (`pulumi.secret`, or an apply on one), used as given. */
  secrets?: pulumi.Output<string>;
  /** Parent resource. */
  parent: pulumi.Resource;
  /** Resources to wait for (rollout order). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /** Earlier names/parents of this resource (upgrades without replacement). */
  aliases?: pulumi.Input<pulumi.Alias | string>[];
  /** Resource hooks (the rollout's step gates). */
  hooks?: pulumi.ResourceHookBinding;
}

/** Create the command. */
export function deviceCommand(s: DeviceCommandSpec): command.remote.Command | command.local.Command {
  const opts: pulumi.CustomResourceOptions = {
    parent: s.parent,
    dependsOn: s.dependsOn,
    deleteBeforeReplace: true,
    ...(s.secrets !== undefined ? { additionalSecretOutputs: ["environment"] } : {}),
    ...(s.aliases?.length ? { aliases: s.aliases } : {}),
    ...(s.hooks ? { hooks: s.hooks } : {}),
  };
  // the same script semantics in both modes; only the transport differs
  const args = {
    create: s.create,
    delete: s.delete,
    stdin: s.stdin,
    addPreviousOutputInEnv: false,
    ...(s.secrets !== undefined ? { environment: { DCNET_SECRETS: s.secrets } } : {}),
  };
  if (s.mode === DeliveryMode.localFolder) return new command.local.Command(s.name, args, opts);
  if (!s.target) throw new Error(`${s.name}: ssh mode needs a target`);
  return new command.remote.Command(s.name, { connection: connectionOf(s.target), ...args }, opts);
}

/**
 * Run `register` (the creation of many resources) with `Error.stackTraceLimit` at 0, restored
 * after. Pulumi's SDK records a formatted stack for every promise it makes (its leak debugger's
 * `_debugStackTrace`: four per output property of every resource, 50+ per command), and with
 * source maps on (ts-node's source-map-support in `pulumi up`, tsx in the tests) formatting them
 * was ~40 % of a data center's registration. The resources' own source positions are unaffected
 * (the SDK captures those with its own, unlimited, stack trace); errors thrown in between carry
 * messages only, which is all dcnet shows of them anyway.
 */
export function withShallowStacks<T>(register: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return register();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Resolve a host's SSH target from its args and the defaults. */
export function sshTarget(device: string, defaultHost: string, host: HostArgs | undefined, ...defaults: (SshSettingsArgs | undefined)[]): SshTarget {
  return {
    device,
    host: host?.host ?? defaultHost,
    ...(host?.hostKey !== undefined ? { hostKey: host.hostKey } : {}),
    ...(host?.insecureSkipHostKeyCheck ? { insecureSkipHostKeyCheck: true } : {}),
    ssh: mergeSsh(host?.ssh, ...defaults),
  };
}

/** The explicit dependencies of a resource options object, as a list. */
export function normalizeDeps(d: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> | undefined): pulumi.Input<pulumi.Resource>[] {
  if (d === undefined) return [];
  if (Array.isArray(d)) return d as pulumi.Input<pulumi.Resource>[];
  return [d as pulumi.Input<pulumi.Resource>];
}

/** A copy without undefined fields. */
export function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What a device command's start needs: its delivery, its layered daemon paths and their checker. */
export interface DevicePreambleArgs<P extends object, C> {
  device: string;
  routerId: string;
  mode?: DeliveryMode;
  localFolder?: string;
  host?: HostArgs;
  sshDefaults?: SshSettingsArgs;
  /** `birdPaths` or `frrPaths`: the field name in messages. */
  pathsField: string;
  /** Data center / rack layer of the paths, and the host's own layer (wins). */
  paths?: P;
  hostPaths?: P;
  check: (paths: P, label: (field: string) => string) => { paths: C; problems: DevicePathProblem[] };
}

/**
 * The start both device commands share: the layered daemon paths checked before anything exists
 * (one error naming each problem by its layer, no stack trace), the local-folder root, the SSH
 * target with its pinned host key required, and the owner tag of the installed files.
 */
export function devicePreamble<P extends object, C>(name: string, label: string, a: DevicePreambleArgs<P, C>) {
  const mode = a.mode ?? DeliveryMode.ssh;
  const paths = { ...a.paths, ...stripUndefined(a.hostPaths) } as P;
  const hostPaths = (a.hostPaths ?? {}) as Record<string, unknown>;
  const checked = a.check(paths, (f) => (hostPaths[f] !== undefined && hostPaths[f] !== "" ? `host.${a.pathsField}.${f}` : `${a.pathsField}.${f}`));
  if (checked.problems.length) throw new pulumi.RunError(new DevicePathsError(checked.problems, label).message);
  let root: string | undefined;
  try {
    root = mode === DeliveryMode.localFolder ? checkRoot(a.localFolder ?? `out-local/${a.device}`) : undefined;
  } catch (e) {
    throw new pulumi.RunError(`${label}: ${(e as Error).message}`);
  }
  const target = mode === DeliveryMode.ssh ? sshTarget(a.device, a.routerId, a.host, a.sshDefaults) : undefined;
  if (target) requirePinnedHostKeys([target]);
  const owner = `${pulumi.getProject()}/${pulumi.getStack()}/${name}`;
  return { mode, paths, checked, root, target, owner, t: { device: a.device, paths, owner, ...(root ? { root } : {}) } };
}
