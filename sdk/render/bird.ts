/**
 * BIRD 2 configuration of a node (the BGP speaker beside Cilium): announce exactly the node's
 * own prefixes (PodCIDR, VIP /32s) to its two uplinks, accept nothing, touch no kernel table.
 * A pure function of the plan: the same plan gives the same bytes. Session passwords never
 * appear here: each protocol includes a secret file rendered by `renderBirdSecrets`.
 */
import { Family, Plan, PlanDevice, PlanSession } from "../plan/types";
import { compareStrings, comparePrefixes } from "./order";
import { deviceOf, planNodeOf, sessionsView } from "./plan-query";
import { routerId32 } from "./router-id";
import { carries, sessionFamilies } from "../plan/sessions";
import { checkPasswordRef, lookupPassword } from "./secrets";

/** Where the node's secret files live when no `secretsDir` is given. */
export const DEFAULT_BIRD_SECRETS_DIR = "/etc/bird/dcnet-secrets";

/** Interface the node's static routes point at (Cilium's host interface; the lab creates a dummy of that name). */
export const NODE_ROUTE_INTERFACE = "cilium_host";

/** Name of the export filter admitting exactly the node's own prefixes. */
export const BIRD_EXPORT_FILTER = "dcnet_export";

/** Options of `renderBirdConfig`. */
export interface BirdRenderOptions {
  /** Directory holding the secret files named by `renderBirdSecrets` (default `/etc/bird/dcnet-secrets`). */
  secretsDir?: string;
}

/** A secret file for BIRD: `file` is relative to the secrets directory. */
export interface BirdSecretFile {
  /** File name, `<passwordRef>.conf`. */
  file: string;
  /** File content: `password "...";` and a newline. */
  text: string;
}

const FAMILIES: Family[] = ["ipv4", "ipv6"];
const FAMILY_SUFFIX: Record<Family, string> = { ipv4: "4", ipv6: "6" };
const NET_TYPE: Record<Family, string> = { ipv4: "NET_IP4", ipv6: "NET_IP6" };

/** Comment text: one line, no control characters. */
function commentText(text: string): string {
  return CONTROL.test(text) ? text.replace(/[\u0000-\u001f\u007f]/g, "?") : text;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A BIRD string literal. BIRD strings have no escapes, so `"`, newlines and other control characters are impossible: fail loudly. */
function birdString(text: string, what: string): string {
  if (/["\u0000-\u0008\u000a-\u001f\u007f]/.test(text))
    throw new Error(`${what} ${what === "password" ? "(not shown)" : JSON.stringify(text)} cannot be written as a BIRD string (no '"', newlines or control characters)`);
  return `"${text}"`;
}

/** A BIRD symbol name (protocol names). */
function birdSymbol(name: string, what: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${what} ${JSON.stringify(name)} is not a valid BIRD symbol name`);
  return name;
}

/** The secrets directory, checked: it goes into `include "..."` (no quotes, newlines or glob characters). */
function secretsDirOf(opts: BirdRenderOptions | undefined): string {
  const dir = (opts?.secretsDir ?? DEFAULT_BIRD_SECRETS_DIR).replace(/\/+$/, "") || "/";
  if (dir === "" || /["\n\r?*[]/.test(dir)) throw new Error(`secretsDir ${JSON.stringify(dir)} cannot be used in a BIRD include (no '"', newlines, '?', '*' or '[')`);
  return dir;
}

function byProtocol(x: PlanSession, y: PlanSession): number {
  return compareStrings(x.nodeProtocol!, y.nodeProtocol!);
}

/** The node's uplink sessions (the node is end `a`), ordered by protocol name. */
function uplinksOf(plan: Plan, nodeName: string): PlanSession[] {
  const sessions = sessionsView(plan, nodeName).filter((s) => s.kind === "node-uplink" && s.a.device === nodeName);
  for (const s of sessions) if (!s.nodeProtocol) throw new Error(`session ${s.id} has no nodeProtocol name`);
  // filter gave a copy: sorted in place, and only when out of order (a node has two uplinks)
  const sorted = sessions;
  for (let i = 1; i < sorted.length; i++)
    if (byProtocol(sorted[i - 1], sorted[i]) > 0) {
      sorted.sort(byProtocol);
      break;
    }
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].nodeProtocol === sorted[i - 1].nodeProtocol) throw new Error(`node ${nodeName} has two sessions named ${sorted[i].nodeProtocol}`);
  return sorted;
}

/** The node's own prefixes by family, deduplicated and numerically ordered. */
function ownPrefixes(plan: Plan, nodeName: string): Map<Family, string[]> {
  const out = new Map<Family, string[]>();
  for (const a of planNodeOf(plan, nodeName).announcements) {
    const list = out.get(a.family) ?? [];
    if (!list.includes(a.prefix)) list.push(a.prefix);
    out.set(a.family, list);
  }
  for (const list of out.values()) list.sort(comparePrefixes);
  return out;
}

/** `protocol bfd`: one set of timers for the node (BIRD 2.0 sets them per interface pattern); its lines joined, or undefined without BFD. */
function bfdBlock(nodeName: string, sessions: PlanSession[]): string | undefined {
  const bfd = sessions.filter((s) => s.bfd.enabled);
  if (bfd.length === 0) return undefined;
  const { intervalMs, multiplier } = bfd[0].bfd;
  for (const s of bfd)
    if (s.bfd.intervalMs !== intervalMs || s.bfd.multiplier !== multiplier)
      throw new Error(`node ${nodeName}: sessions ${bfd[0].id} and ${s.id} ask for different BFD timers; one BIRD node uses one set`);
  // every node of a data center has the same timers as a rule: the last block's text
  if (lastBfdBlock !== undefined && lastBfdBlock.intervalMs === intervalMs && lastBfdBlock.multiplier === multiplier) return lastBfdBlock.text;
  const text = bfdBlockText(intervalMs, multiplier);
  lastBfdBlock = { intervalMs, multiplier, text };
  return text;
}

/** The last `protocol bfd` block made, with its timers. */
let lastBfdBlock: { intervalMs: number; multiplier: number; text: string } | undefined;

function bfdBlockText(intervalMs: number, multiplier: number): string {
  return `# BFD for the uplinks (interval applies to both transmit and receive)
protocol bfd {
  interface "*" {
    interval ${intervalMs} ms;
    multiplier ${multiplier};
  };
}`;
}

/** The address of family `f` of a device (its first one), or undefined. */
function addressOf(device: PlanDevice, f: Family): string | undefined {
  for (const i of device.interfaces) for (const a of i.addresses) if (a.family === f) return a.address;
  return undefined;
}

/**
 * One `protocol bgp` block for an uplink session: a channel per family it carries. Routes of
 * the other family than the session's need a next hop of their own family: the node's address of
 * that family (`next hop address`: IPv6 routes over an IPv4 session, IPv4 routes over an IPv6 one).
 * Its lines joined by newlines (a file is assembled from such blocks: 4,000 nodes, ~85 lines each).
 */
function sessionBlock(s: PlanSession, secretsDir: string, device: PlanDevice, tails: Tails): string {
  const name = birdSymbol(s.nodeProtocol!, `protocol name of session ${s.id}`);
  const head = `# ${commentText(`${s.id}: ${s.type}, ${s.a.device} AS${s.a.asn} -> ${s.b.device} AS${s.b.asn}`)}
protocol bgp ${name} {
  description ${birdString(s.id, "session id")};
  local ${s.a.address} as ${s.a.asn};
  neighbor ${s.b.address} as ${s.b.asn};`;
  // the same settings objects as the last session (the resolver shares them): its tail, no key
  const last = tails.last;
  if (last !== undefined && sameTailSettings(s, last.session)) return head + last.tail;
  // the rest reads the session's settings only (not the device) unless a channel needs the node's other address
  const families = sessionFamilies(s);
  if (families.some((f) => f !== s.family)) return head + sessionTail(s, families, secretsDir, device);
  const key = `${families.join(",")} ${s.timers.hold} ${s.timers.keepalive} ${s.timers.connectRetry} ${s.gracefulRestart.enabled ? s.gracefulRestart.restartTime : "-"} ${s.bfd.enabled} ${s.passwordRef ?? ""}`;
  let tail = tails.byKey.get(key);
  if (tail === undefined) tails.byKey.set(key, (tail = sessionTail(s, families, secretsDir, device)));
  tails.last = { session: s, tail };
  return head + tail;
}

/** True when `s` reads the very settings `t` read for its tail (the same objects, family and passwordRef). */
function sameTailSettings(s: PlanSession, t: PlanSession): boolean {
  return s.family === t.family && s.families === t.families && s.timers === t.timers && s.gracefulRestart === t.gracefulRestart && s.bfd === t.bfd && s.passwordRef === t.passwordRef;
}

/** A `protocol bgp` block after its `neighbor` line (newline first). */
function sessionTail(s: PlanSession, families: Family[], secretsDir: string, device: PlanDevice): string {
  // single hop on the rack network for eBGP and iBGP alike (iBGP would default to multihop,
  // which also makes BFD multihop and no longer match the switch); retry 5 s after an error
  // instead of BIRD's 60 s: FRR 8.4 re-creates the BFD session once BGP is Established
  // (FRRouting/frr#17337), which BIRD sees as a BFD failure
  let text = `
  direct;
  hold time ${s.timers.hold};
  keepalive time ${s.timers.keepalive};
  connect retry time ${s.timers.connectRetry};
  error wait time 5, 60;`;
  if (s.gracefulRestart.enabled) text += `\n  graceful restart on;\n  graceful restart time ${s.gracefulRestart.restartTime};`;
  if (s.bfd.enabled) text += "\n  bfd on;";
  if (s.passwordRef) text += `\n  include ${birdString(`${secretsDir}/${checkPasswordRef(s.passwordRef)}.conf`, "secret file")};`;
  for (const f of families) {
    text += `\n  ${f} {${CHANNEL_BODY}`;
    if (f !== s.family) {
      const own = addressOf(device, f);
      if (!own) throw new Error(`session ${s.id} carries ${f} over ${s.family}, but node ${s.a.device} has no ${f} address for the next hop`);
      text += `\n    next hop address ${own};`;
    }
    text += "\n  };";
  }
  return text + "\n}";
}

/**
 * Session blocks after their `neighbor` line, per plan and secrets directory, by the settings
 * they read (families, timers, graceful restart, BFD, passwordRef): 4,000 nodes share a few.
 */
const tailCaches = new WeakMap<Plan, Map<string, Tails>>();

/** Session tails of one plan and secrets directory: by settings key, and the last one built or found by key. */
interface Tails {
  byKey: Map<string, string>;
  /** A session whose tail depends on its settings only, and that tail. */
  last?: { session: PlanSession; tail: string };
}

function tailsOf(plan: Plan, secretsDir: string): Tails {
  let byDir = tailCaches.get(plan);
  if (byDir === undefined) tailCaches.set(plan, (byDir = new Map()));
  let tails = byDir.get(secretsDir);
  if (tails === undefined) byDir.set(secretsDir, (tails = { byKey: new Map(), last: undefined }));
  return tails;
}

/** The lines of a BGP channel after `<family> {`, up to its own next hop address (newline first). */
const CHANNEL_BODY = `
    import none;
    export filter ${BIRD_EXPORT_FILTER};
    next hop self;`;

/** The protocols every node has, after its router id. */
const DEVICE_PROTOCOLS = `protocol device {
}

protocol direct {
  disabled;
}

# The kernel table is left alone: the node routes through its default route.`;

/** `protocol kernel` per family, the table neither read nor written (its lines joined, then an empty line). */
const KERNEL_PROTOCOL: Record<Family, string> = {
  ipv4: kernelProtocol("ipv4"),
  ipv6: kernelProtocol("ipv6"),
};

function kernelProtocol(f: Family): string {
  return `protocol kernel kernel${FAMILY_SUFFIX[f]} {
  ${f} {
    import none;
    export none;
  };
}
`;
}

/** `"cilium_host";` closing each static route. */
const ROUTE_VIA = ` via ${birdString(NODE_ROUTE_INTERFACE, "interface")};`;

/**
 * Render the BIRD 2 configuration of node `nodeName`: router id, device/direct/kernel
 * protocols (the kernel table is neither read nor written), the node's prefixes as static
 * routes via `cilium_host`, an export filter admitting exactly those prefixes, BFD when any
 * session uses it, and one `protocol bgp` per uplink (`import none`). A session with a
 * `passwordRef` includes `<secretsDir>/<passwordRef>.conf` (see `renderBirdSecrets`).
 */
export function renderBirdConfig(plan: Plan, nodeName: string, opts?: BirdRenderOptions): string {
  const device = deviceOf(plan, nodeName, "node");
  const secretsDir = secretsDirOf(opts);
  const sessions = uplinksOf(plan, nodeName);
  const prefixes = ownPrefixes(plan, nodeName);
  const families = FAMILIES.filter((f) => prefixes.has(f) || sessions.some((s) => carries(s, f)));

  // blocks of lines joined by newlines; the file joins them by newlines too
  const lines: string[] = [
    `# Generated by dcnet from the resolved plan: do not edit, changes are overwritten.
# ${commentText(`plan ${plan.name}, node ${device.name}, rack ${device.rack ?? "-"}, asn ${device.asn}`)}

router id ${routerId32(device.routerId)};
`,
    DEVICE_PROTOCOLS,
  ];
  for (const f of families) lines.push(KERNEL_PROTOCOL[f]);
  lines.push(`# The node's own prefixes (PodCIDR, VIPs), originated toward ${NODE_ROUTE_INTERFACE}.`);
  for (const f of families) {
    const list = prefixes.get(f) ?? [];
    if (list.length === 0) continue;
    let text = `protocol static static${FAMILY_SUFFIX[f]} {\n  ${f};`;
    for (const p of list) text += `\n  route ${p}${ROUTE_VIA}`;
    lines.push(text + "\n}\n");
  }
  lines.push(`# Export exactly the node's own prefixes; everything else is rejected.\nfilter ${BIRD_EXPORT_FILTER}\n{`);
  for (const f of families) {
    const list = prefixes.get(f) ?? [];
    if (list.length === 0) continue;
    lines.push(`  if net.type = ${NET_TYPE[f]} then {\n    if net ~ [\n      ${list.join(",\n      ")}\n    ] then accept;\n  }`);
  }
  lines.push("  reject;\n}");
  // an empty line after each block; none at the end of the file
  const bfd = bfdBlock(nodeName, sessions);
  if (bfd !== undefined) lines.push("", bfd);
  const tails = tailsOf(plan, secretsDir);
  for (const s of sessions) lines.push("", sessionBlock(s, secretsDir, device, tails));
  // the final newline from an empty last line: one flat string, not a pair to flatten when written
  lines.push("");
  return lines.join("\n");
}

/**
 * The secret files node `nodeName` includes: one `<passwordRef>.conf` per distinct
 * `passwordRef` of its sessions, holding `password "...";`. Throws when a referenced password is
 * missing or cannot be expressed (BIRD strings have no escapes: `"` is refused, `\` is literal).
 */
export function renderBirdSecrets(plan: Plan, nodeName: string, passwords: Record<string, string>): BirdSecretFile[] {
  deviceOf(plan, nodeName, "node");
  const refs = [...new Set(uplinksOf(plan, nodeName).flatMap((s) => (s.passwordRef ? [s.passwordRef] : [])))].sort(compareStrings);
  return refs.map((ref) => ({
    file: `${checkPasswordRef(ref)}.conf`,
    text: `password ${birdString(lookupPassword(passwords, ref, `node ${nodeName}`), "password")};\n`,
  }));
}
