/**
 * Where the daemons' files are on a device. Production defaults follow the Debian packages
 * (bird2, frr); the lab and unusual hosts override them per device.
 *
 * Every path is checked before any script is rendered (`birdPaths`, `frrPaths` throw a
 * `DevicePathsError` listing every problem as `path: message [rule]`): absolute, a strict
 * character set (letters, digits, `._+-/`; nothing a shell, sed or awk could read as syntax),
 * no `.`/`..`/empty segment, at most 1024 characters, not a system directory (`/`, `/etc`,
 * `/usr`, `/var`, … and anything inside `/proc`, `/sys`, `/dev`), and the folders dcnet owns
 * (secrets, state) are folders of their own: not the config file's folder nor one of its parents.
 */
import { quote } from "../validate/errors";

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

/** One problem with a device path: where (e.g. `hosts.r1n1.birdPaths.secretsDir`), what, which rule. */
export interface DevicePathProblem {
  path: string;
  message: string;
  rule: string;
}

/**
 * Thrown when a device path is refused, before any script exists. Pulumi prints its message
 * without a stack trace (it carries Pulumi's RunError marker; this module does not load Pulumi).
 */
export class DevicePathsError extends Error {
  /** Pulumi's RunError marker: the engine shows the message only. */
  readonly __pulumiRunError = true;
  constructor(public readonly problems: DevicePathProblem[], context = "") {
    super(
      `${context ? `${context}: ` : ""}device paths refused (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  ${p.path}: ${p.message} [${p.rule}]`).join("\n"),
    );
    this.name = "DevicePathsError";
  }
}

/** Folders dcnet never writes into as its own, changes the mode of, or deletes from. */
export const SYSTEM_DIRS: ReadonlySet<string> = new Set([
  "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/lost+found", "/media", "/mnt", "/opt",
  "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys", "/tmp", "/usr", "/var",
  "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec", "/usr/local", "/usr/local/bin", "/usr/local/etc",
  "/usr/local/lib", "/usr/local/sbin", "/usr/local/share", "/usr/sbin", "/usr/share", "/usr/src",
  "/var/backups", "/var/cache", "/var/lib", "/var/local", "/var/lock", "/var/log", "/var/mail", "/var/opt", "/var/run", "/var/spool", "/var/tmp",
  "/run/lock", "/run/user", "/etc/apt", "/etc/cron.d", "/etc/default", "/etc/init.d", "/etc/network", "/etc/pam.d", "/etc/profile.d",
  "/etc/security", "/etc/ssh", "/etc/ssl", "/etc/sudoers.d", "/etc/systemd", "/etc/systemd/system",
]);
/** Trees that hold no file of dcnet's at any depth (kernel and device filesystems). */
const SYSTEM_TREES = ["/proc", "/sys", "/dev"];
const MAX_PATH = 1024;
const PATH_CHARS = /^[A-Za-z0-9._+/-]+$/;

/**
 * Problems of one device path (`absolute`: false for a local folder that may be relative).
 * `label` names it in messages. Returns the path without trailing slashes.
 */
export function pathProblems(value: unknown, label: string, absolute = true): { path: string; problems: DevicePathProblem[] } {
  const problems: DevicePathProblem[] = [];
  const bad = (message: string, rule: string) => problems.push({ path: label, message, rule });
  if (typeof value !== "string" || value === "") {
    bad(`${quote(value)} is not a path`, "path-type");
    return { path: "", problems };
  }
  const q = quote(value);
  if (value.length > MAX_PATH) bad(`${q} is longer than ${MAX_PATH} characters`, "path-length");
  if (absolute && !value.startsWith("/")) bad(`${q} is not an absolute path`, "path-absolute");
  if (!PATH_CHARS.test(value)) bad(`${q} holds a character other than letters, digits and "._+-/"`, "path-charset");
  const path = value.length > 1 ? value.replace(/\/+$/, "") : value;
  const segments = path.split("/").slice(path.startsWith("/") ? 1 : 0);
  if (path !== "/" && segments.some((s) => s === "" || s === "." || s === ".."))
    bad(`${q} has an empty, "." or ".." segment`, "path-segment");
  if (SYSTEM_DIRS.has(path)) bad(`${q} is a system directory; give dcnet a path of its own`, "path-system-dir");
  else if (SYSTEM_TREES.some((t) => path.startsWith(`${t}/`))) bad(`${q} is inside ${SYSTEM_TREES.find((t) => path.startsWith(`${t}/`))}`, "path-system-dir");
  return { path, problems };
}

/** A folder dcnet owns must not be the config file's folder nor a parent of it. */
function dedicatedProblems(dir: string, dirLabel: string, configFile: string, configLabel: string): DevicePathProblem[] {
  const confDir = configFile.slice(0, configFile.lastIndexOf("/")) || "/";
  if (!dir || !configFile) return [];
  if (dir === confDir || confDir.startsWith(dir === "/" ? "/" : `${dir}/`))
    return [{ path: dirLabel, message: `${quote(dir)} holds ${configLabel} ${quote(configFile)}; dcnet needs a folder of its own here`, rule: "path-dedicated-dir" }];
  return [];
}

const COMMAND = /^[A-Za-z0-9_./+-]+$/;
function commandProblems(value: unknown, label: string): DevicePathProblem[] {
  if (typeof value === "string" && COMMAND.test(value) && !value.split("/").includes("..")) return [];
  return [{ path: label, message: `${quote(value)} must be a command name or path (letters, digits, "./_+-", no "..")`, rule: "command-name" }];
}

/** How a field is named in messages (e.g. `f => "hosts.r1n1.birdPaths." + f`). */
export type PathLabel = (field: string) => string;

/**
 * Paths already checked without a problem, by their merged values (every device of a data center
 * usually has the same): the checks run once per distinct set, not several times per device.
 * A problem depends on the labels, so only clean results are kept.
 */
const goodBird = new Map<string, BirdPaths>();
const goodFrr = new Map<string, FrrPaths>();

function remember<P>(map: Map<string, P>, key: string, paths: P): void {
  if (map.size >= 1024) map.clear();
  map.set(key, { ...paths });
}

/** Defaults filled in and every path checked: the paths, or every problem. */
export function checkBirdPaths(over?: Partial<BirdPaths>, label: PathLabel = (f) => `birdPaths.${f}`): { paths: BirdPaths; problems: DevicePathProblem[] } {
  const p = { ...DEFAULT_BIRD_PATHS, ...stripUndefined(over ?? {}) };
  const key = JSON.stringify(p);
  const known = goodBird.get(key);
  if (known) return { paths: { ...known }, problems: [] };
  const problems: DevicePathProblem[] = [];
  const path = (f: "configFile" | "secretsDir" | "controlSocket") => {
    const r = pathProblems(p[f], label(f));
    problems.push(...r.problems);
    return r.path;
  };
  const paths: BirdPaths = { configFile: path("configFile"), secretsDir: path("secretsDir"), controlSocket: path("controlSocket"), bird: p.bird, birdc: p.birdc };
  problems.push(...commandProblems(p.bird, label("bird")), ...commandProblems(p.birdc, label("birdc")));
  if (!problems.length) problems.push(...dedicatedProblems(paths.secretsDir, label("secretsDir"), paths.configFile, label("configFile")));
  if (!problems.length) remember(goodBird, key, paths);
  return { paths, problems };
}

/** Defaults filled in and every path checked; throws `DevicePathsError` listing every problem. */
export function birdPaths(over?: Partial<BirdPaths>, label?: PathLabel, context?: string): BirdPaths {
  const r = checkBirdPaths(over, label);
  if (r.problems.length) throw new DevicePathsError(r.problems, context);
  return r.paths;
}

/** Defaults filled in and every path checked: the paths, or every problem. */
export function checkFrrPaths(over?: Partial<FrrPaths>, label: PathLabel = (f) => `frrPaths.${f}`): { paths: FrrPaths; problems: DevicePathProblem[] } {
  const p = { ...DEFAULT_FRR_PATHS, ...stripUndefined(over ?? {}) };
  const key = JSON.stringify(p);
  const known = goodFrr.get(key);
  if (known) return { paths: { ...known }, problems: [] };
  const problems: DevicePathProblem[] = [];
  const path = (f: "configFile" | "stateDir" | "secretsDir" | "vtySocketDir" | "runDir") => {
    const r = pathProblems(p[f], label(f));
    problems.push(...r.problems);
    return r.path;
  };
  if (p.pathspace && !/^[A-Za-z0-9_-]{1,64}$/.test(p.pathspace))
    problems.push({ path: label("pathspace"), message: `${quote(p.pathspace)} is not a path space name (letters, digits, "_-")`, rule: "frr-pathspace" });
  const vtySocketDir = p.vtySocketDir ? path("vtySocketDir") : "";
  const paths: FrrPaths = {
    configFile: path("configFile"),
    stateDir: path("stateDir"),
    secretsDir: path("secretsDir"),
    vtysh: p.vtysh,
    reloadScript: p.reloadScript,
    vtySocketDir,
    pathspace: p.pathspace,
    runDir: p.runDir ? path("runDir") : vtySocketDir || "/var/run/frr",
  };
  problems.push(...commandProblems(p.vtysh, label("vtysh")), ...commandProblems(p.reloadScript, label("reloadScript")));
  if (!problems.length) {
    problems.push(...dedicatedProblems(paths.stateDir, label("stateDir"), paths.configFile, label("configFile")));
    problems.push(...dedicatedProblems(paths.secretsDir, label("secretsDir"), paths.configFile, label("configFile")));
    if (paths.stateDir === paths.secretsDir)
      problems.push({ path: label("secretsDir"), message: `${quote(paths.secretsDir)} is also ${label("stateDir")}; the secrets overlay needs a folder of its own`, rule: "path-dedicated-dir" });
  }
  if (!problems.length) remember(goodFrr, key, paths);
  return { paths, problems };
}

/** Defaults filled in and every path checked; throws `DevicePathsError` listing every problem. */
export function frrPaths(over?: Partial<FrrPaths>, label?: PathLabel, context?: string): FrrPaths {
  const r = checkFrrPaths(over, label);
  if (r.problems.length) throw new DevicePathsError(r.problems, context);
  return r.paths;
}

/** Check a local folder standing for a device's root (folder mode; may be relative). Throws `DevicePathsError`. */
export function checkRoot(root: string, label = "localFolder", context?: string): string {
  const r = pathProblems(root, label, false);
  if (r.problems.length) throw new DevicePathsError(r.problems, context);
  return r.path;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "")) as Partial<T>;
}

/** A device path under `root` (local-folder mode stands a folder in for the device's root filesystem), or the path itself. */
export function prefixRoot(root: string | undefined, path: string): string {
  return root ? `${root.replace(/\/+$/, "")}${path}` : path;
}
