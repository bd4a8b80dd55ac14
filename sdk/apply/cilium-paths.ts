/**
 * Where a host-mode Cilium agent's files are on a node (`deployment: host`). Checked like the BIRD
 * and FRR paths (`pathProblems`): absolute, a strict character set, not a system directory.
 */
import { DevicePathProblem, DevicePathsError, PathLabel, pathProblems } from "./paths";
import { quote } from "../validate/errors";

/** Paths of a host-mode agent on a node. */
export interface CiliumHostPaths {
  /**
   * The agent's `--config-dir`. dcnet keeps each version in `<configDir>.dcnet/<sha256>/` and makes
   * this path a symbolic link to the current one (replaced atomically, as a mounted ConfigMap).
   * Default `/etc/cilium/config`.
   */
  configDir: string;
  /** The systemd unit file (its name is the service's). Default `/etc/systemd/system/cilium-agent.service`. */
  unitFile: string;
  /** Absolute path of `cilium-agent` (the unit's ExecStart). Default `/usr/local/bin/cilium-agent`. */
  agent: string;
  /** `cilium-dbg` (readiness: `cilium-dbg status --brief`). Default `cilium-dbg`. */
  ciliumDbg: string;
  /** The agent's API socket. Default `/var/run/cilium/cilium.sock`. */
  socket: string;
  /**
   * Empty (the default): restart with `systemctl`. Otherwise an executable called as
   * `HOOK restart|active|logs|stop UNIT_FILE` instead — the lab's, which has no systemd.
   */
  restartHook: string;
}

/** Production defaults. */
export const DEFAULT_CILIUM_HOST_PATHS: CiliumHostPaths = {
  configDir: "/etc/cilium/config",
  unitFile: "/etc/systemd/system/cilium-agent.service",
  agent: "/usr/local/bin/cilium-agent",
  ciliumDbg: "cilium-dbg",
  socket: "/var/run/cilium/cilium.sock",
  restartHook: "",
};

const COMMAND = /^[A-Za-z0-9_./+-]+$/;

/** Defaults filled in and every path checked: the paths, or every problem. */
export function checkCiliumHostPaths(over?: Partial<CiliumHostPaths>, label: PathLabel = (f) => `ciliumHostPaths.${f}`): { paths: CiliumHostPaths; problems: DevicePathProblem[] } {
  const p: CiliumHostPaths = { ...DEFAULT_CILIUM_HOST_PATHS, ...Object.fromEntries(Object.entries(over ?? {}).filter(([, v]) => v !== undefined)) };
  const problems: DevicePathProblem[] = [];
  const path = (f: "configDir" | "unitFile" | "agent" | "socket" | "restartHook") => {
    const r = pathProblems(p[f], label(f));
    problems.push(...r.problems);
    return r.path;
  };
  const paths: CiliumHostPaths = {
    configDir: path("configDir"),
    unitFile: path("unitFile"),
    agent: path("agent"),
    ciliumDbg: p.ciliumDbg,
    socket: path("socket"),
    restartHook: p.restartHook ? path("restartHook") : "",
  };
  if (!COMMAND.test(p.ciliumDbg) || p.ciliumDbg.split("/").includes(".."))
    problems.push({ path: label("ciliumDbg"), message: `${quote(p.ciliumDbg)} must be a command name or path (letters, digits, "./_+-", no "..")`, rule: "command-name" });
  if (paths.unitFile && !/\/[A-Za-z0-9_.@-]+\.service$/.test(paths.unitFile))
    problems.push({ path: label("unitFile"), message: `${quote(paths.unitFile)} must name a unit file ending in .service`, rule: "unit-name" });
  return { paths, problems };
}

/** Defaults filled in and every path checked; throws `DevicePathsError` listing every problem. */
export function ciliumHostPaths(over?: Partial<CiliumHostPaths>, label?: PathLabel, context?: string): CiliumHostPaths {
  const r = checkCiliumHostPaths(over, label);
  if (r.problems.length) throw new DevicePathsError(r.problems, context);
  return r.paths;
}
