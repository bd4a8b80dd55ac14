/**
 * What the lab needs on this machine, and where it is. `labPrerequisites()` never throws: it
 * lists every missing piece so `dcnet lab` can say exactly what to install.
 */
import { run, findExecutable } from "./exec";

/** Paths of the programs the lab runs. */
export interface LabTools {
  ip: string;
  bird: string;
  birdc: string;
  zebra: string;
  bgpd: string;
  bfdd: string;
  vtysh: string;
  sshd?: string;
  sshKeygen?: string;
}

/** Result of the prerequisite check. */
export interface LabPrerequisites {
  ok: boolean;
  /** One human line per missing piece (what, and how to get it). */
  missing: string[];
  /** Paths found (only complete when `ok`). */
  tools: Partial<LabTools>;
}

const FRR_DIRS = ["/usr/lib/frr", "/usr/libexec/frr", "/usr/sbin", "/usr/local/sbin", "/usr/lib/frr/bin"];

function frrDaemon(name: string): string | undefined {
  const dirs = process.env.DCNET_FRR_DIR ? [process.env.DCNET_FRR_DIR, ...FRR_DIRS] : FRR_DIRS;
  return findExecutable(dirs.map((d) => `${d}/${name}`));
}

/** Check root, iproute2 (netns), bird2, frr (zebra, bgpd, bfdd, vtysh, user `frr`) and, with `ssh`, openssh-server. */
export function labPrerequisites(opts: { ssh?: boolean } = {}): LabPrerequisites {
  const missing: string[] = [];
  const tools: Partial<LabTools> = {};
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    missing.push("root privileges (network namespaces, veth pairs and daemons need root: run as root, e.g. with sudo)");
  tools.ip = findExecutable(["ip"]);
  if (!tools.ip) missing.push("iproute2 (`ip` not found; install package iproute2)");
  else {
    const v = run(tools.ip, ["netns", "list"], { check: false, timeoutMs: 5000 });
    if (v.code !== 0) missing.push(`iproute2 with netns support (\`ip netns list\` failed: ${v.stderr.trim()})`);
  }
  tools.bird = findExecutable(["bird"]);
  tools.birdc = findExecutable(["birdc"]);
  if (!tools.bird || !tools.birdc) missing.push(`bird2 (${[!tools.bird && "bird", !tools.birdc && "birdc"].filter(Boolean).join(", ")} not found; install package bird2)`);
  else {
    const v = run(tools.bird, ["--version"], { check: false, timeoutMs: 5000 });
    const text = `${v.stdout}${v.stderr}`;
    if (!/BIRD version 2\./.test(text)) missing.push(`bird2 (found ${tools.bird} but it reports ${JSON.stringify(text.trim())}, need BIRD 2.x)`);
  }
  tools.zebra = frrDaemon("zebra");
  tools.bgpd = frrDaemon("bgpd");
  tools.bfdd = frrDaemon("bfdd");
  tools.vtysh = findExecutable(["vtysh"]);
  const frrMissing = (["zebra", "bgpd", "bfdd", "vtysh"] as const).filter((k) => !tools[k]);
  if (frrMissing.length > 0) missing.push(`frr (${frrMissing.join(", ")} not found in ${FRR_DIRS.join(", ")} or PATH; install package frr, or set DCNET_FRR_DIR)`);
  else {
    const u = run("id", ["-u", "frr"], { check: false, timeoutMs: 5000 });
    if (u.code !== 0) missing.push("the `frr` user (FRR daemons drop privileges to it; the frr package creates it)");
  }
  if (opts.ssh) {
    tools.sshd = findExecutable(["/usr/sbin/sshd", "sshd"]);
    tools.sshKeygen = findExecutable(["ssh-keygen"]);
    if (!tools.sshd || !tools.sshKeygen)
      missing.push(`openssh-server (${[!tools.sshd && "sshd", !tools.sshKeygen && "ssh-keygen"].filter(Boolean).join(", ")} not found; install package openssh-server)`);
  }
  return { ok: missing.length === 0, missing, tools };
}

/** The tools, or a LabError-ready message listing what is missing. */
export function requireTools(opts: { ssh?: boolean } = {}): LabTools {
  const p = labPrerequisites(opts);
  if (!p.ok) throw new MissingPrerequisitesError(p.missing);
  return p.tools as LabTools;
}

/** Thrown when the lab cannot run here; `missing` lists each missing piece. */
export class MissingPrerequisitesError extends Error {
  constructor(readonly missing: string[]) {
    super(`dcnet lab cannot run on this machine; missing:\n${missing.map((m) => `  - ${m}`).join("\n")}`);
    this.name = "MissingPrerequisitesError";
  }
}
