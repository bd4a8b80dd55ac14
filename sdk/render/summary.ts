/**
 * `renderSummary(plan)`: a Markdown overview of a resolved plan for people (review in a pull
 * request, hand to the network team). A pure function of the plan: same plan, same bytes.
 * Secrets never appear: sessions show only the name of the secret (`passwordRef`).
 */
import { Plan, PlanDevice, PlanSegment, PlanSession } from "../plan/types";
import { CONTROL_CLASS, controlFree } from "./escape";
import { flat } from "./flat";

/** Characters `inline` escapes. */
const MARKDOWN_SPECIAL = /[\\|&<>]/;
/** What `inline` changes: those and the characters `controlFree` shows escaped. */
const INLINE_UNSAFE = new RegExp(`[\\\\|&<>${CONTROL_CLASS}]`);
/** What `code` changes: a backtick, a pipe and the characters `controlFree` shows escaped. */
const CODE_UNSAFE = new RegExp(`[\`|${CONTROL_CLASS}]`);

/** Plain text in Markdown: one line, no control characters, no HTML, Markdown's table/escape characters escaped. */
function inline(value: string | number): string {
  // most cells (names, numbers, prefixes) need nothing: one test instead of two
  if (typeof value === "number") return String(value);
  if (typeof value === "string" && !INLINE_UNSAFE.test(value)) return value;
  const text = controlFree(value);
  // most cells (names, numbers, prefixes) hold none of these: skip the five replacements
  if (!MARKDOWN_SPECIAL.test(text)) return text;
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** Escape a value for a Markdown table cell. */
function cell(value: string | number | undefined): string {
  if (value === undefined || value === "") return "—";
  return inline(value);
}

/** Inline code in a table cell (names, prefixes): no backtick can end it, no control character breaks the line. */
function code(value: string | undefined): string {
  if (value === undefined || value === "") return "—";
  if (typeof value === "string" && !CODE_UNSAFE.test(value)) return "`" + value + "`";
  const text = controlFree(value);
  return "`" + (/[`|]/.test(text) ? text.replace(/`/g, "'").replace(/\|/g, "\\|") : text) + "`";
}

/** Append lines and tables (a loop: spreading 200,000 rows into push() overflows the call stack). */
function push(out: string[], ...parts: (string | string[])[]): void {
  for (const p of parts) {
    if (typeof p === "string") out.push(p);
    else for (const l of p) out.push(l);
  }
}

/**
 * A Markdown table: the head, then one row per item, its cells from `row`. Each row's cells are
 * made and joined in turn, so they die young (a 4,000-node plan's session table has 8,000 rows
 * of 12 cells; built as one array of rows first, all of them survived collections).
 */
function table<T>(head: string[], items: readonly T[], row: (item: T) => string[]): string[] {
  const out = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
  for (const item of items) out.push(flat(`| ${row(item).join(" | ")} |`));
  return out;
}

const asRow = (cells: string[]) => cells;

const topologyLabel = (t: Plan["topology"]) => (t === "spineLeaf" ? "spine–leaf (RFC 7938, eBGP)" : "three-tier (access–aggregation–core, iBGP)");

/** The rack of a rack segment: named by its nodes, else by the segment name (`rack-<name>`). */
function rackNameOf(seg: Plan["segments"][number], segmentName: string, deviceByName: Map<string, PlanDevice>): string {
  for (const m of seg?.members ?? []) {
    const d = deviceByName.get(m.device);
    if (d?.kind === "node" && d.rack) return d.rack;
  }
  return segmentName.replace(/^rack-/, "");
}

function bfdText(s: PlanSession): string {
  if (s.bfd.enabled) return `${s.bfd.intervalMs} ms × ${s.bfd.multiplier}`;
  // a node speaker without BFD (Cilium's): the hold timer is the failover the session promises
  if (s.speaker !== "cilium" || !s.failover) return "off";
  return s.failover.detection === "hold-timer+graceful-restart"
    ? `off (${s.speaker} speaker: hold timer + graceful restart, ${s.failover.ms / 1000} s)`
    : `off (${s.speaker} speaker: hold timer, ${s.failover.ms / 1000} s)`;
}

function grText(s: PlanSession): string {
  return s.gracefulRestart.enabled ? `${s.gracefulRestart.restartTime} s` : "off";
}

/** A member of a rack segment with its device (and a node's PodCIDR). */
interface RackMember {
  m: PlanSegment["members"][number];
  d: PlanDevice;
  podCIDR?: string;
}

/**
 * The rows of the large tables, module-level functions (not closures made per render): V8 keeps
 * the optimized code of a closure only while some closure of it lives, so per-render closures
 * were compiled again at every render.
 */
function rackNodeRow({ m, d, podCIDR }: RackMember): string[] {
  return [code(m.device), cell(d.role), cell(m.address), cell(d.asn), code(podCIDR), cell(d.cluster)];
}

function sessionRow(s: PlanSession): string[] {
  return [
    code(s.id),
    cell(s.kind),
    code(s.a.device),
    cell(s.a.address),
    cell(s.a.asn),
    code(s.b.device),
    cell(s.b.address),
    cell(s.b.asn),
    cell(s.type === "ebgp" ? "eBGP" : "iBGP"),
    cell(bfdText(s)),
    cell(grText(s)),
    s.passwordRef ? `secret ${code(s.passwordRef)}` : "—",
  ];
}

/** Items by name, the last of a name winning (as `new Map(items.map((i) => [i.name, i]))`). */
function byName<T extends { name: string }>(items: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) map.set(item.name, item);
  return map;
}

/** Render the plan as Markdown. */
export function renderSummary(plan: Plan): string {
  return summaryLines(plan).join("\n");
}

/** The lines of `renderSummary` (a 100,000-node summary is ~45 MB: written line by line). */
export function summaryLines(plan: Plan): string[] {
  const deviceByName = byName(plan.devices);
  const planNodeByName = byName(plan.nodes);
  const nodes = plan.devices.filter((d) => d.kind === "node");
  const switches = plan.devices.filter((d) => d.kind === "switch");
  const out: string[] = [];

  out.push(`# ${inline(plan.name)}: network plan`, ""); // one heading line, whatever the name holds
  out.push(
    `Topology: ${topologyLabel(plan.topology)} · ${nodes.length} node${nodes.length === 1 ? "" : "s"} · ` +
      `${switches.length} switch${switches.length === 1 ? "" : "es"} · ${plan.sessions.length} BGP session${plan.sessions.length === 1 ? "" : "s"} · ` +
      `plan format version ${plan.version}`,
    "",
    "Generated by `dcnet plan` from the spec; edit the spec, not this file.",
    "",
  );

  out.push("## Pools", "");
  push(
    out,
    table(
      ["Pool", "Prefix", "Use"],
      [
        ["PodCIDR", code(plan.pools.podCidr.prefix), cell(`one /${plan.pools.podPrefixLength} per node`)],
        ["Loopbacks", code(plan.pools.loopbacks.prefix), "switch router ids (host = switch id)"],
        plan.pools.fabricLinks
          ? ["Fabric links", code(plan.pools.fabricLinks.prefix), "switch-to-switch point-to-point links"]
          : ["Fabric links", "unnumbered", "switch-to-switch sessions on IPv6 link-local addresses (RFC 8950 extended next hop)"],
      ],
      asRow,
    ),
    "",
  );

  // racks, in plan order (rack id)
  out.push("## Racks", "");
  const rackSegments = plan.segments.filter((s) => s.kind === "rack");
  if (rackSegments.length === 0) out.push("No racks.", "");
  for (const seg of rackSegments) {
    const rack = rackNameOf(seg, seg.name, deviceByName);
    const peers: RackMember[] = [];
    const rackNodes: RackMember[] = [];
    for (const m of seg.members) {
      const d = deviceByName.get(m.device);
      if (d?.kind === "switch") peers.push({ m, d });
      else if (d?.kind === "node") rackNodes.push({ m, d, podCIDR: planNodeByName.get(m.device)?.podCIDR.prefix });
    }
    out.push(`### Rack ${inline(rack)}`, "");
    out.push(
      `Node network ${code(seg.prefix)} · BGP peers: ` +
        (peers.length ? peers.map((p) => `${code(p.m.device)} (${inline(p.m.address ?? "")}, AS ${p.d.asn})`).join(", ") : "none") +
        ` · ${rackNodes.length} node${rackNodes.length === 1 ? "" : "s"}`,
      "",
    );
    if (rackNodes.length > 0) {
      push(
        out,
        table(
          ["Node", "Role", "Address", "ASN", "PodCIDR", "Cluster"],
          rackNodes,
          rackNodeRow,
        ),
        "",
      );
    }
  }

  out.push("## Switches", "");
  push(
    out,
    table(
      ["Switch", "Role", "Rack", "ASN", "Loopback", "ECMP limit", "Dialect"],
      switches,
      (s) => [code(s.name), cell(s.role), cell(s.rack), cell(s.asn), cell(s.routerId), cell(s.maxPaths), cell(s.dialect)],
    ),
    "",
  );

  out.push("## BGP sessions", "");
  // sessions per kind, kinds in order of first appearance
  const perKind = new Map<string, number>();
  for (const s of plan.sessions) perKind.set(s.kind, (perKind.get(s.kind) ?? 0) + 1);
  out.push([...perKind].map(([k, count]) => `${count} ${k}`).join(" · ") || "No sessions.", "");
  if (plan.sessions.length > 0) {
    push(
      out,
      "Auth shows the name of the secret holding the MD5 password, never its value.",
      "",
      table(
        ["Session", "Kind", "A device", "A address", "A ASN", "B device", "B address", "B ASN", "Type", "BFD", "GR", "Auth"],
        plan.sessions,
        sessionRow,
      ),
      "",
    );
  }

  out.push("## VIP pools", "");
  if (plan.vipPools.length === 0) out.push("No VIP pools.", "");
  else
    push(
      out,
      table(
        ["Pool", "CIDR", "Cluster", "VIPs (/32 each)", "Announcers"],
        plan.vipPools,
        (v) => [code(v.name), code(v.cidr), cell(v.cluster), cell(v.addresses.length), v.announcers.map((a) => code(a)).join(", ") || "—"],
      ),
      "",
    );

  out.push("## Underlay and upstreams", "");
  {
    const originating = plan.switches.filter((sw) => (sw.originates ?? []).length > 0);
    push(
      out,
      table(
        ["Switch", "Originates", "Aggregates (to upstreams)"],
        originating,
        (sw) => [
          code(sw.name),
          sw.originates.filter((o) => o.kind !== "aggregate").map((o) => code(o.prefix)).join(", ") || "—",
          sw.originates.filter((o) => o.kind === "aggregate").map((o) => code(o.prefix)).join(", ") || "—",
        ],
      ),
      "",
    );
    if ((plan.upstreams ?? []).length === 0) out.push("No upstreams: the fabric has no way out.", "");
    else
      push(
        out,
        table(
          ["Upstream", "ASN", "Links (switch: ours → theirs)", "Accepted", "Announced", "Max prefix", "Auth"],
          plan.upstreams,
          (u) => [
            code(u.name),
            cell(u.asn),
            u.links.map((l) => `${code(l.switch)}: ${code(l.address)} → ${code(l.peerAddress)}`).join(", "),
            u.accept.map((e) => code(e.prefix)).join(", ") || "—",
            u.announce.map((e) => code(e.prefix)).join(", ") || "nothing",
            cell(u.maxPrefix),
            u.passwordRef ? `secret ${code(u.passwordRef)}` : "—",
          ],
        ),
        "",
      );
  }

  out.push("## Clusters", "");
  if (plan.clusters.length === 0) out.push("No clusters.", "");
  else
    push(
      out,
      table(
        ["Cluster", "ID", "Nodes", "PodCIDR supernets", "Covering prefix"],
        plan.clusters,
        (c) => [
          code(c.name),
          cell(c.id),
          cell(c.nodes.length),
          c.supernets.map((p) => code(p.prefix)).join(", ") || "—",
          code(c.coveringPrefix?.prefix),
        ],
      ),
      "",
    );

  return out;
}
