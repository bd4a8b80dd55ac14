/**
 * The lab's state: everything `labUp` created, recorded in `<runDir>/state.json` BEFORE each
 * thing is created, so `labDown` can remove it all after a complete, failed or interrupted `up`.
 *
 * Layout of a run directory (`runDir`, default `/tmp/dcnet-lab/<prefix>`, mode 0755 so the
 * `frr` user can reach its switch folders):
 *
 * - `state.json` (0600): this state, `plan.json`: the plan the lab was built from.
 * - `<node>/` (0700): `bird.conf` (BIRD config), `bird.ctl` (birdc socket: `birdc -s`),
 *   `bird.pid`, `bird.log` (stdout/stderr), `secrets/<passwordRef>.conf` (0600),
 *   `device.env`.
 * - `<switch>/` (0750, owned by `frr`): `frr.conf` (0600: rendered config + secrets overlay;
 *   applied with `vtysh --vty_socket <switch dir> --config_dir <switch dir> -f frr.conf`),
 *   `vtysh.conf`, `zebra.vty`/`bgpd.vty`/`bfdd.vty` (vty sockets: the vty socket dir is the
 *   switch dir), `zserv.api`, `bfdd.sock`, `*.pid`, `*.log`, `device.env`.
 * - ssh mode, per device: `ssh_host_ed25519_key(.pub)`, `authorized_keys`, `sshd_config`,
 *   `sshd.pid`, `sshd.log`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { join } from "path";
import { Plan } from "../plan/types";
import type { ClusterDaemon, LabClusterState } from "./cluster/types";

/** Which configuration the daemons start with. */
export type LabConfigs = "planned" | "baseline";

/** A process the lab started. `pid` is recorded right after spawning; `pidFile` before. */
export interface LabProcess {
  device: string;
  daemon: "bird" | "zebra" | "bgpd" | "bfdd" | "sshd" | ClusterDaemon;
  pidFile: string;
  pid?: number;
  /** Command line (for humans). */
  cmd: string;
}

/** BIRD on a node: where its files are. */
export interface LabBirdInfo {
  /** Main config file (what `dcnet plan` renders, secrets dir pointing into the run dir). */
  conf: string;
  /** Control socket: `birdc -s <socket>`. */
  socket: string;
  pidFile: string;
  /** Directory of the secret files the config includes (`<passwordRef>.conf`, 0600). */
  secretsDir: string;
  log: string;
}

/** FRR on a switch: where its files are. */
export interface LabFrrInfo {
  /** Running config file (rendered config + secrets overlay), 0600. */
  conf: string;
  /** Directory of the daemons' vty sockets: `vtysh --vty_socket <dir>`. Also vtysh's `--config_dir`. */
  vtySocketDir: string;
  /** FRR path space (`-N`) of the daemons. */
  pathspace: string;
  /** zebra's zserv socket (`-z`). */
  zservSocket: string;
  /** bfdd's control socket (`--bfdctl`). */
  bfdctlSocket: string;
  logDir: string;
}

/** Management access to a device (ssh mode). */
export interface LabSshInfo {
  /** Address of the device on the management bridge (reachable from the root namespace). */
  host: string;
  port: number;
  user: string;
  /** Pinned host key: `ssh-ed25519 AAAA...` (generated per run). */
  hostPublicKey: string;
  /** A known_hosts line for the device (`<host> ssh-ed25519 AAAA...`). */
  knownHostsLine: string;
}

/** One device of the lab. */
export interface LabDevice {
  name: string;
  kind: "node" | "switch";
  /** Network namespace: `ip netns exec <namespace> ...`. */
  namespace: string;
  /** The device's folder in the run dir. */
  dir: string;
  /** Shell-sourceable file describing the device's paths (`DCNET_*` variables). */
  envFile: string;
  bird?: LabBirdInfo;
  frr?: LabFrrInfo;
  ssh?: LabSshInfo;
}

/** Times measured by `labUp`, in ms since `up` started. */
export interface LabTimings {
  startedAt: string;
  /** Namespaces, links and addresses ready. */
  topologyMs?: number;
  /** All daemons started and configured. */
  daemonsMs?: number;
  /** Every planned session Established on both ends (planned mode). */
  establishedMs?: number;
  /** Every switch selects every planned route over the planned next hops. */
  convergedMs?: number;
}

/** Everything a lab run created and how to reach it. */
export interface LabState {
  version: 1;
  /** Human name of the run (`--name` or the spec). */
  name: string;
  /** Run prefix of every created name. */
  prefix: string;
  runDir: string;
  planName: string;
  topology: Plan["topology"];
  configs: LabConfigs;
  status: "creating" | "up" | "failed" | "down";
  /** Error that stopped `up`, if any. */
  error?: string;
  hubNamespace: string;
  /** Namespaces (recorded before `ip netns add`). */
  namespaces: string[];
  /** Interfaces in the root namespace (ssh mode: management bridge and ports). */
  rootLinks: string[];
  processes: LabProcess[];
  /** FRR path-space folders the daemons create under /var/run/frr (removed by down). */
  frrRunDirs: string[];
  /** Claim files of the management subnet (removed by down). */
  claims: string[];
  devices: Record<string, LabDevice>;
  /** The lab's upstream routers (FRR), by upstream name. */
  upstreams?: Record<string, LabDevice>;
  /** Per-run BGP passwords by passwordRef. */
  passwords: Record<string, string>;
  /** Management network (ssh mode). */
  mgmt?: { prefix: string; hostAddress: string; bridge: string };
  /** The cluster side (API servers, operators, agents): see sdk/lab/cluster. */
  cluster?: LabClusterState;
  timings: LabTimings;
}

/** Path of the state file of a run dir. */
export function stateFile(runDir: string): string {
  return join(runDir, "state.json");
}

/** Write the state atomically (0600). */
export function saveState(state: LabState): void {
  const file = stateFile(state.runDir);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, file);
}

/** Read the state of a run dir, or undefined when there is none. */
export function loadState(runDir: string): LabState | undefined {
  const file = stateFile(runDir);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, "utf8")) as LabState;
  if (state.version !== 1 || !state.prefix || !state.runDir) throw new Error(`${file} is not a dcnet lab state file`);
  return state;
}

/** The plan saved with a run. */
export function loadRunPlan(runDir: string): Plan | undefined {
  const file = join(runDir, "plan.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Plan) : undefined;
}

/** Create a directory with a mode (recursive, then chmod so umask does not interfere). */
export function makeDir(dir: string, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
}
