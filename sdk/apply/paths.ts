/**
 * Where the daemons' files are on a device. Production defaults follow the Debian packages
 * (bird2, frr); the lab and unusual hosts override them per device.
 */
import { checkPath } from "./shell";

/** Paths of BIRD on a node. */
export interface BirdPaths {
  /** Main config file BIRD runs (`birdc configure` reloads exactly this file). Default `/etc/bird/bird.conf`. */
  configFile: string;
  /** Directory of the secret files the config includes (0700; files 0600). Default `/etc/bird/dcnet-secrets`. */
  secretsDir: string;
  /** BIRD control socket (`birdc -s`). Default `/run/bird/bird.ctl`. */
  controlSocket: string;
  /** `bird` executable (used for `bird -p -c`). Default `bird`. */
  bird: string;
  /** `birdc` executable. Default `birdc`. */
  birdc: string;
}

/** Paths of FRR on a switch. */
export interface FrrPaths {
  /**
   * The integrated config file FRR runs (the assembled main config + secrets overlay). Its folder
   * is passed to `frr-reload.py --confdir`; name it `frr.conf` (frr-reload writes the running
   * config to `<confdir>/frr.conf` otherwise). Default `/etc/frr/frr.conf`.
   */
  configFile: string;
  /** Folder where dcnet keeps the visible main config it installed (`frr.base.conf`). Default `/etc/frr/dcnet`. */
  stateDir: string;
  /** Folder of the secrets overlay (`frr-secrets.conf`, 0600). Default `/etc/frr/dcnet-secrets`. */
  secretsDir: string;
  /** `vtysh` executable. Default `vtysh`. */
  vtysh: string;
  /** `frr-reload.py`; when missing on the device the scripts fall back to `vtysh -f` (additive). Default `/usr/lib/frr/frr-reload.py`. */
  reloadScript: string;
  /** Folder of the daemons' vty sockets (`vtysh --vty_socket`), empty for FRR's default. */
  vtySocketDir: string;
  /** FRR path space (`vtysh -N`), empty for none. */
  pathspace: string;
  /** Scratch folder for frr-reload.py (`--rundir`). Default `/var/run/frr` (or `vtySocketDir` when set). */
  runDir: string;
}

/** Production defaults for BIRD. */
export const DEFAULT_BIRD_PATHS: BirdPaths = {
  configFile: "/etc/bird/bird.conf",
  secretsDir: "/etc/bird/dcnet-secrets",
  controlSocket: "/run/bird/bird.ctl",
  bird: "bird",
  birdc: "birdc",
};

/** Production defaults for FRR. */
export const DEFAULT_FRR_PATHS: FrrPaths = {
  configFile: "/etc/frr/frr.conf",
  stateDir: "/etc/frr/dcnet",
  secretsDir: "/etc/frr/dcnet-secrets",
  vtysh: "vtysh",
  reloadScript: "/usr/lib/frr/frr-reload.py",
  vtySocketDir: "",
  pathspace: "",
  runDir: "",
};

const isCommand = (s: string) => /^[A-Za-z0-9_./+-]+$/.test(s);

function checkCommand(cmd: string, what: string): string {
  if (!isCommand(cmd)) throw new Error(`${what} ${JSON.stringify(cmd)} must be a command name or path (letters, digits, ./_+-)`);
  return cmd;
}

/** Defaults filled in and every path checked. */
export function birdPaths(over?: Partial<BirdPaths>): BirdPaths {
  const p = { ...DEFAULT_BIRD_PATHS, ...stripUndefined(over ?? {}) };
  return {
    configFile: checkPath(p.configFile, "bird configFile"),
    secretsDir: checkPath(p.secretsDir, "bird secretsDir"),
    controlSocket: checkPath(p.controlSocket, "bird controlSocket"),
    bird: checkCommand(p.bird, "bird executable"),
    birdc: checkCommand(p.birdc, "birdc executable"),
  };
}

/** Defaults filled in and every path checked. */
export function frrPaths(over?: Partial<FrrPaths>): FrrPaths {
  const p = { ...DEFAULT_FRR_PATHS, ...stripUndefined(over ?? {}) };
  if (p.pathspace && !/^[A-Za-z0-9_-]+$/.test(p.pathspace)) throw new Error(`frr pathspace ${JSON.stringify(p.pathspace)} is not a safe name`);
  const vtySocketDir = p.vtySocketDir ? checkPath(p.vtySocketDir, "frr vtySocketDir") : "";
  return {
    configFile: checkPath(p.configFile, "frr configFile"),
    stateDir: checkPath(p.stateDir, "frr stateDir"),
    secretsDir: checkPath(p.secretsDir, "frr secretsDir"),
    vtysh: checkCommand(p.vtysh, "vtysh executable"),
    reloadScript: checkCommand(p.reloadScript, "frr-reload script"),
    vtySocketDir,
    pathspace: p.pathspace,
    runDir: p.runDir ? checkPath(p.runDir, "frr runDir") : vtySocketDir || "/var/run/frr",
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as Partial<T>;
}

/** A device path under `root` (local-folder mode stands a folder in for the device's root filesystem), or the path itself. */
export function prefixRoot(root: string | undefined, path: string): string {
  return root ? `${root.replace(/\/+$/, "")}${path}` : path;
}
