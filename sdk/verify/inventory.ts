/**
 * The inventory `dcnet verify` connects with: the components' connection settings
 * (`components/types.ts` HostArgs / SshSettingsArgs / JumpHostArgs, plain values here) as a
 * YAML or JSON file:
 *
 * ```yaml
 * ssh: { user: root, identityFile: ~/.ssh/dcnet, proxy: { host: bastion, hostKey: "ssh-ed25519 AAAA..." } }
 * rackSsh: { r2: { port: 2222 } }
 * birdPaths: { configFile: /etc/bird/bird.conf }
 * hosts:
 *   leaf1a: { host: 198.18.0.11, hostKey: "ssh-ed25519 AAAA..." }
 *   r1n1:   { host: 198.18.1.11, port: 22, user: root, hostKey: "ssh-ed25519 AAAA...", proxy: { host: bastion2 } }
 * ```
 *
 * A file without any of the keys `ssh`, `rackSsh`, `hosts`, `birdPaths`, `frrPaths` is read as
 * the `hosts` map itself. Per host, `port`, `user` and `proxy` may be given directly or under `ssh`.
 */
import { readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { Plan, PlanDevice } from "../plan/types";
import { UserError } from "../cli/errors";

/** A jump host. */
export interface VerifyJumpHost {
  host: string;
  port?: number;
  user?: string;
  /** Pinned host key (`ssh-ed25519 AAAA...`). Required unless `insecureSkipHostKeyCheck`. */
  hostKey?: string;
  insecureSkipHostKeyCheck?: boolean;
  /** Private key file for the jump host. */
  identityFile?: string;
  /** Private key text for the jump host (written to a 0600 temporary file). */
  privateKey?: string;
}

/** SSH settings (data center, rack or host level). */
export interface VerifySshSettings {
  user?: string;
  port?: number;
  /** Private key file (`ssh -i`). */
  identityFile?: string;
  /** Private key text (written to a 0600 temporary file for the run). */
  privateKey?: string;
  proxy?: VerifyJumpHost;
}

/** BIRD paths on a node (defaults: Debian's bird2). */
export interface VerifyBirdPaths {
  configFile?: string;
  secretsDir?: string;
  controlSocket?: string;
  birdc?: string;
}

/** FRR paths on a switch (defaults: Debian's frr). */
export interface VerifyFrrPaths {
  configFile?: string;
  vtysh?: string;
  vtySocketDir?: string;
  pathspace?: string;
}

/** One device of the inventory. */
export interface VerifyHost extends VerifySshSettings {
  /** Address or name (default: the device's router id). */
  host?: string;
  hostKey?: string;
  insecureSkipHostKeyCheck?: boolean;
  ssh?: VerifySshSettings;
  birdPaths?: VerifyBirdPaths;
  frrPaths?: VerifyFrrPaths;
}

/** The whole inventory. */
export interface Inventory {
  ssh?: VerifySshSettings;
  rackSsh?: Record<string, VerifySshSettings>;
  hosts: Record<string, VerifyHost>;
  birdPaths?: VerifyBirdPaths;
  frrPaths?: VerifyFrrPaths;
}

/** How to reach and read one device, every default applied. */
export interface DeviceConnection {
  device: string;
  kind: "node" | "switch";
  host: string;
  port: number;
  user: string;
  /** Pinned host key, or undefined with `insecure`. */
  hostKey?: string;
  insecure: boolean;
  identityFile?: string;
  privateKey?: string;
  proxy?: VerifyJumpHost;
  bird: Required<Pick<VerifyBirdPaths, "configFile" | "secretsDir" | "birdc">> & { controlSocket?: string };
  frr: Required<Pick<VerifyFrrPaths, "configFile" | "vtysh">> & { vtySocketDir?: string; pathspace?: string };
  /** Why the device is not contacted (no pinned host key), if so. */
  refused?: string;
}

const INVENTORY_KEYS = ["ssh", "rackSsh", "hosts", "birdPaths", "frrPaths"];

function own<T>(o: Record<string, T> | undefined, key: string): T | undefined {
  return o && Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

const expandHome = (p: string | undefined) => (p && p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p);

/** Parse inventory text (YAML or JSON). Throws UserError with the file name on a bad shape. */
export function parseInventory(text: string, source = "inventory"): Inventory {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new UserError(`${source}: not YAML or JSON: ${(e as Error).message}`);
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) throw new UserError(`${source}: expected a mapping of devices (or { ssh, rackSsh, hosts, birdPaths, frrPaths })`);
  const obj = data as Record<string, unknown>;
  const inv: Inventory = Object.keys(obj).some((k) => INVENTORY_KEYS.includes(k)) ? ({ hosts: {}, ...obj } as Inventory) : { hosts: obj as Record<string, VerifyHost> };
  const problems: string[] = [];
  const unknown = Object.keys(obj).filter((k) => INVENTORY_KEYS.includes(k) === false);
  if (inv.hosts !== obj && unknown.length) problems.push(`unknown top-level keys ${unknown.join(", ")} (expected ${INVENTORY_KEYS.join(", ")})`);
  if (!inv.hosts || typeof inv.hosts !== "object") problems.push("hosts: expected a mapping of device names");
  for (const [name, h] of Object.entries(inv.hosts ?? {})) {
    if (!h || typeof h !== "object") {
      problems.push(`hosts.${name}: expected a mapping ({ host, port, user, hostKey, proxy })`);
      continue;
    }
    for (const k of ["port"] as const) if (h[k] !== undefined && !(Number.isInteger(h[k]) && h[k]! > 0 && h[k]! < 65536)) problems.push(`hosts.${name}.${k}: expected a port number`);
    for (const k of ["host", "user", "hostKey", "identityFile"] as const) if (h[k] !== undefined && typeof h[k] !== "string") problems.push(`hosts.${name}.${k}: expected a string`);
    if (typeof h.hostKey === "string" && !/^(ssh-|ecdsa-|sk-)\S+ \S+/.test(h.hostKey.trim())) problems.push(`hosts.${name}.hostKey: expected an OpenSSH public key ("ssh-ed25519 AAAA...")`);
  }
  if (problems.length) throw new UserError(`${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return inv;
}

/** Read an inventory file. */
export function loadInventory(file: string): Inventory {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`cannot read inventory ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseInventory(text, file);
}

/** Field by field: the first layer that sets a field wins. */
function merge(...layers: (VerifySshSettings | undefined)[]): VerifySshSettings {
  const out: VerifySshSettings = {};
  for (const l of layers) {
    if (!l) continue;
    for (const k of ["user", "port", "identityFile", "privateKey", "proxy"] as const) if (out[k] === undefined && l[k] !== undefined) (out as Record<string, unknown>)[k] = l[k];
  }
  return out;
}

/** Every device's connection (default host: the router id, as the components do). */
export function deviceConnections(plan: Plan, inv: Inventory): DeviceConnection[] {
  return plan.devices.map((d) => connectionOf(d, inv));
}

function connectionOf(d: PlanDevice, inv: Inventory): DeviceConnection {
  const h = own(inv.hosts, d.name) ?? {};
  const { ssh: hostSsh, host, hostKey, insecureSkipHostKeyCheck, birdPaths, frrPaths, ...direct } = h;
  const s = merge(direct, hostSsh, d.rack ? own(inv.rackSsh, d.rack) : undefined, inv.ssh);
  const b = { ...inv.birdPaths, ...birdPaths };
  const f = { ...inv.frrPaths, ...frrPaths };
  const out: DeviceConnection = {
    device: d.name,
    kind: d.kind === "node" ? "node" : "switch",
    host: host ?? d.routerId,
    port: s.port ?? 22,
    user: s.user ?? "root",
    ...(hostKey ? { hostKey: hostKey.trim() } : {}),
    insecure: insecureSkipHostKeyCheck === true,
    ...(s.identityFile ? { identityFile: expandHome(s.identityFile) } : {}),
    ...(s.privateKey ? { privateKey: s.privateKey } : {}),
    ...(s.proxy ? { proxy: { ...s.proxy, ...(s.proxy.identityFile ? { identityFile: expandHome(s.proxy.identityFile) } : {}) } } : {}),
    bird: {
      configFile: b.configFile ?? "/etc/bird/bird.conf",
      secretsDir: b.secretsDir ?? "/etc/bird/dcnet-secrets",
      birdc: b.birdc ?? "birdc",
      ...(b.controlSocket ? { controlSocket: b.controlSocket } : {}),
    },
    frr: {
      configFile: f.configFile ?? "/etc/frr/frr.conf",
      vtysh: f.vtysh ?? "vtysh",
      ...(f.vtySocketDir ? { vtySocketDir: f.vtySocketDir } : {}),
      ...(f.pathspace ? { pathspace: f.pathspace } : {}),
    },
  };
  if (!out.hostKey && !out.insecure) out.refused = `no pinned host key (hosts.${d.name}.hostKey, e.g. from \`ssh-keyscan -t ed25519 ${out.host}\`) and no insecureSkipHostKeyCheck: not contacted`;
  else if (out.proxy && !out.proxy.hostKey && !out.proxy.insecureSkipHostKeyCheck) out.refused = `jump host ${out.proxy.host} has no pinned host key (proxy.hostKey) and no insecureSkipHostKeyCheck: not contacted`;
  return out;
}
