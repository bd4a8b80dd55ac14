/**
 * `renderTopologySvg(plan)`: a diagram of the plan for people. Tiers top to bottom: spines (or
 * cores), the leaves of each rack, then one box per rack holding its nodes. Every BGP session is
 * one line (node–switch, leaf–spine, core–core), colored by kind, dashed when iBGP, with a
 * tooltip (`<title>`) naming both ends. A pure function of the plan: same plan, same bytes.
 *
 * Node uplinks are drawn as buses: the session to a rack's first peer runs down the rack's left
 * edge, the one to its second peer down the right edge, so a rack of 40 nodes stays readable.
 */
import { Plan, PlanDevice, PlanSegment, PlanSession, SessionKind } from "../plan/types";
import { CONTROL_CLASS, controlFree } from "./escape";
import { flat } from "./flat";

/**
 * Escape text for XML content and attribute values. Characters outside ASCII become numeric
 * character references (`↔` → `&#8596;`): the same document for any XML reader, and the diagram
 * stays one-byte text (a single `↔` would make V8 hold all of a 4,000-node diagram, ~5 MB, as
 * two-byte text, twice the memory and copying).
 */
export function xmlEscape(text: string | number): string {
  // most values (names, numbers, addresses) need nothing: one test instead of three
  if (typeof text === "number") return String(text);
  if (typeof text === "string" && !XML_UNSAFE.test(text)) return text;
  const s = controlFree(text); // control characters are illegal in XML 1.0, even as character references
  const special = XML_SPECIAL.test(s) ? s.replace(XML_SPECIAL_ALL, (c) => XML_ENTITIES[c]) : s;
  return NON_ASCII.test(special) ? special.replace(NON_ASCII_ALL, characterReference) : special;
}

/** `&#N;` for one character (a lone surrogate, which XML cannot hold, as U+FFFD). */
function characterReference(c: string): string {
  const code = c.codePointAt(0)!;
  return `&#${code >= 0xd800 && code <= 0xdfff ? 0xfffd : code};`;
}

/** The largest of `values` and `floor` (a loop: Math.max(...values) overflows the stack on 100,000 values). */
function maxOf(floor: number, values: Iterable<number>): number {
  let m = floor;
  for (const v of values) if (v > m) m = v;
  return m;
}

const XML_SPECIAL = /[&<>"']/;
/** What `xmlEscape` changes: XML's special characters, those `controlFree` shows escaped, and anything outside ASCII. */
const XML_UNSAFE = new RegExp(`[&<>"'${CONTROL_CLASS}\\u0080-\\uffff]`);
/** A character outside ASCII (a surrogate pair as one: one reference per code point). */
const NON_ASCII = /[^\u0000-\u007f]/;
const NON_ASCII_ALL = /[\ud800-\udbff][\udc00-\udfff]|[^\u0000-\u007f]/g;
const XML_SPECIAL_ALL = /[&<>"']/g;
const XML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

const n = (v: number) => String(Math.round(v * 10) / 10);

const FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";
/** Width estimate of one character at 11 px (layout only; generous so text stays inside boxes). */
const CHAR_W = 6.9;

const KIND_COLOR: Record<SessionKind, string> = {
  "node-uplink": "#2b6cb0",
  "leaf-spine": "#dd6b20",
  "core-mesh": "#805ad5",
};
const KIND_LABEL: Record<SessionKind, string> = {
  "node-uplink": "node ↔ switch (node uplink)",
  "leaf-spine": "leaf ↔ spine",
  "core-mesh": "core ↔ core",
};
const CLUSTER_COLORS = ["#2f855a", "#b83280", "#2c7a7b", "#c05621", "#6b46c1", "#c53030", "#2b6cb0", "#975a16"];

const M = 30; // outer margin
const TITLE_H = 56;
const T1_H = 60; // spine/core box height
const LEAF_H = 56;
const RACK_HEADER = 46;
const NODE_H = 40;
const NODE_GAP = 6;
const RACK_GAP = 40;
const BUS_INSET = 9; // bus distance from the rack edge
const NODE_INSET = 22; // node box distance from the rack edge
const MIN_RACK_W = 250;
const UP_H = 44; // upstream box height
const UP_ROW = UP_H + 46; // the upstream row above the top tier
const UPSTREAM_COLOR = "#c53030";

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface RackLayout {
  name: string;
  prefix: string;
  x: number;
  w: number;
  h: number;
  nodes: PlanDevice[];
  /** The rack's peers in plan order (peer index = bus side). */
  peers: string[];
  leaves: PlanDevice[];
  nodeBoxes: Map<string, Box>;
}

/** `↔` and `×` as XML character references: the diagram's text stays ASCII (see `xmlEscape`). */
const ARROW = "&#8596;";
const TIMES = "&#215;";

/** A session's tooltip, XML-escaped (each value escaped on its own: the same text as escaping the whole). */
function sessionTitleXml(s: PlanSession): string {
  const bfd = s.bfd.enabled ? `, BFD ${xmlEscape(s.bfd.intervalMs)} ms ${TIMES} ${xmlEscape(s.bfd.multiplier)}` : "";
  return (
    `${xmlEscape(s.id)}: ${xmlEscape(s.a.device)} ${xmlEscape(s.a.address)} AS ${xmlEscape(s.a.asn)} ${ARROW} ` +
    `${xmlEscape(s.b.device)} ${xmlEscape(s.b.address)} AS ${xmlEscape(s.b.asn)} (${s.type === "ebgp" ? "eBGP" : "iBGP"}${bfd})`
  );
}

function line(s: PlanSession, d: string): string {
  const dash = s.type === "ibgp" ? ` stroke-dasharray="6 3"` : "";
  return flat(`<path class="session ${s.kind}" data-session="${xmlEscape(s.id)}" d="${d}" stroke="${KIND_COLOR[s.kind]}"${dash}><title>${sessionTitleXml(s)}</title></path>`);
}

function text(x: number, y: number, body: string, attrs = ""): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs ? " " + attrs : ""}>${body}</text>`;
}

/** The layout of one rack segment: its nodes, peers and leaves, and its size (placed later). */
function rackLayout(seg: PlanSegment, deviceByName: Map<string, PlanDevice>, leavesOf: Map<string | undefined, PlanDevice[]>, podOf: Map<string, string>): RackLayout {
  const members = seg.members.map((m) => deviceByName.get(m.device)).filter((d): d is PlanDevice => d !== undefined);
  const rackNodes = members.filter((d) => d.kind === "node");
  const name = rackNodes[0]?.rack ?? seg.name.replace(/^rack-/, "");
  const leaves = leavesOf.get(name) ?? [];
  const peers = members.filter((d) => d.kind === "switch").map((d) => d.name);
  let chars = Math.max(16, `rack ${name}`.length + seg.prefix.length + 3, `${rackNodes.length} nodes · peers ${peers.join(", ")}`.length - 4);
  for (const d of rackNodes) {
    const line1 = `${d.name} ${d.role === "l4lb" ? "l4lb " : ""}${d.cluster ?? ""} AS ${d.asn}`;
    const line2 = `${d.routerId}  pod ${podOf.get(d.name) ?? ""}`;
    chars = Math.max(chars, line1.length + 2, line2.length + 2);
  }
  for (const l of leaves) chars = Math.max(chars, leaves.length * (Math.max(l.name.length, `lo ${l.routerId}`.length) + 2));
  const w = Math.max(MIN_RACK_W, Math.ceil(chars * CHAR_W) + 2 * NODE_INSET);
  const h = RACK_HEADER + rackNodes.length * (NODE_H + NODE_GAP) + 8;
  return { name, prefix: seg.prefix, x: 0, w, h, nodes: rackNodes, peers, leaves, nodeBoxes: new Map() };
}

/** What `sessionPath` reads: where every device and rack is drawn, and the tier-1 boxes' incoming lines. */
interface SessionGeometry {
  rackOfNode: Map<string, RackLayout>;
  rackOfLeaf: Map<string, RackLayout>;
  boxes: Map<string, Box>;
  /** Tier-1 switch → key of an incoming line → its position along the box's bottom edge. */
  incoming: Map<string, Map<string, number>>;
  t1Index: Map<string, number>;
  rackY: number;
}

/** Record an incoming line of tier-1 switch `sw` (its position: first come). */
function addIncoming(incoming: Map<string, Map<string, number>>, sw: string, key: string): void {
  let list = incoming.get(sw);
  if (!list) incoming.set(sw, (list = new Map()));
  if (!list.has(key)) list.set(key, list.size);
}

/** The anchor of an incoming line on the bottom edge of a tier-1 box: one per key, spread along it. */
function bottomAnchorOf(incoming: Map<string, Map<string, number>>, boxes: Map<string, Box>, sw: string, key: string): [number, number] {
  const b = boxes.get(sw)!;
  const list = incoming.get(sw);
  const i = list?.get(key) ?? 0;
  const count = list?.size ?? 1;
  return [b.x + 10 + ((i + 0.5) * (b.w - 20)) / count, b.y + b.h];
}

/** The SVG path (`d`) of a session's line, or undefined when an end is not drawn. */
function sessionPath(s: PlanSession, g: SessionGeometry): string | undefined {
  const { boxes, t1Index, rackY } = g;
  if (s.kind === "node-uplink") {
    const rack = g.rackOfNode.get(s.a.device);
    const nb = boxes.get(s.a.device);
    const sb = boxes.get(s.b.device);
    if (!rack || !nb || !sb) return undefined;
    const k = Math.max(0, rack.peers.indexOf(s.b.device));
    const left = k % 2 === 0;
    const inset = BUS_INSET + Math.floor(k / 2) * 5;
    const busX = left ? rack.x + inset : rack.x + rack.w - inset;
    const edgeX = left ? nb.x : nb.x + nb.w;
    const midY = nb.y + nb.h / 2;
    let start: string;
    if (g.rackOfLeaf.get(s.b.device) === rack) {
      const ax = Math.min(Math.max(busX, sb.x + 6), sb.x + sb.w - 6);
      start = ax === busX ? `M${n(busX)} ${n(sb.y + sb.h)}` : `M${n(ax)} ${n(sb.y + sb.h)} L${n(busX)} ${n(rackY)}`;
    } else {
      const [ax, ay] = bottomAnchorOf(g.incoming, boxes, s.b.device, `rack:${rack.name}:${s.b.device}`);
      start = `M${n(ax)} ${n(ay)} L${n(busX)} ${n(rackY)}`;
    }
    return `${start} V${n(midY)} H${n(edgeX)}`;
  }
  if (s.kind === "leaf-spine") {
    const lb = boxes.get(s.a.device);
    if (!lb || !boxes.has(s.b.device)) return undefined;
    const [ax, ay] = bottomAnchorOf(g.incoming, boxes, s.b.device, s.a.device);
    return `M${n(lb.x + lb.w / 2)} ${n(lb.y)} L${n(ax)} ${n(ay)}`;
  }
  const ab = boxes.get(s.a.device);
  const bb = boxes.get(s.b.device);
  if (!ab || !bb) return undefined;
  const [l, r] = ab.x <= bb.x ? [ab, bb] : [bb, ab];
  const span = Math.abs((t1Index.get(s.a.device) ?? 0) - (t1Index.get(s.b.device) ?? 0));
  if (span <= 1) return `M${n(l.x + l.w)} ${n(l.y + l.h / 2)} H${n(r.x)}`;
  const x1 = l.x + l.w / 2;
  const x2 = r.x + r.w / 2;
  const top = l.y - 10 - 14 * span;
  return `M${n(x1)} ${n(l.y)} C${n(x1)} ${n(top)} ${n(x2)} ${n(top)} ${n(x2)} ${n(r.y)}`;
}

/** A node's box: name, role, cluster, ASN, address and PodCIDR. */
function nodeShape(d: PlanDevice, b: Box, clusterColor: Map<string, string>, podOf: Map<string, string>): string {
  const color = d.cluster ? clusterColor.get(d.cluster) : undefined;
  const role = d.role === "l4lb" ? `<tspan class="l4lbtag" dx="6">l4lb</tspan>` : "";
  const cluster = d.cluster ? `<tspan fill="${color}" dx="6">${xmlEscape(d.cluster)}</tspan>` : "";
  return flat(
    `<g class="device node ${xmlEscape(d.role)}" data-device="${xmlEscape(d.name)}"><title>${xmlEscape(`node ${d.name} (${d.role}${d.cluster ? `, cluster ${d.cluster}` : ""}): ${d.routerId}, AS ${d.asn}, PodCIDR ${podOf.get(d.name) ?? "?"}`)}</title>` +
      `<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" rx="4" class="${d.role === "l4lb" ? "box-l4lb" : "box-worker"}"/>` +
      (color ? `<rect x="${n(b.x)}" y="${n(b.y)}" width="6" height="${n(b.h)}" fill="${color}"/>` : "") +
      text(b.x + 12, b.y + 16, `<tspan class="nodename">${xmlEscape(d.name)}</tspan>${role}${cluster}`, `class="nodesub"`) +
      text(b.x + b.w - 8, b.y + 16, xmlEscape(`AS ${d.asn}`), `class="nodesub" text-anchor="end"`) +
      text(b.x + 12, b.y + 32, xmlEscape(d.routerId), `class="nodesub"`) +
      text(b.x + b.w - 8, b.y + 32, xmlEscape(`pod ${podOf.get(d.name) ?? "?"}`), `class="nodesub" text-anchor="end"`) +
      `</g>`,
  );
}

/** A leaf's box: name, ASN and loopback. */
function leafShape(l: PlanDevice, r: RackLayout, b: Box): string {
  return (
    `<g class="device switch leaf" data-device="${xmlEscape(l.name)}"><title>${xmlEscape(`leaf ${l.name} (rack ${r.name}): AS ${l.asn}, router id ${l.routerId}, maximum-paths ${l.maxPaths ?? ""}`)}</title>` +
    `<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" rx="5" class="box-leaf"/>` +
    text(b.x + b.w / 2, b.y + 18, xmlEscape(l.name), `class="leafname" text-anchor="middle"`) +
    text(b.x + b.w / 2, b.y + 34, xmlEscape(`AS ${l.asn}`), `class="leafsub" text-anchor="middle"`) +
    text(b.x + b.w / 2, b.y + 48, xmlEscape(`lo ${l.routerId}`), `class="leafsub" text-anchor="middle"`) +
    `</g>`
  );
}

/** A spine's or core's box: name, role, ASN, loopback and ECMP limit. */
function tier1Shape(s: PlanDevice, b: Box): string {
  return (
    `<g class="device switch ${xmlEscape(s.role)}" data-device="${xmlEscape(s.name)}"><title>${xmlEscape(`${s.role} ${s.name}: AS ${s.asn}, router id ${s.routerId}, maximum-paths ${s.maxPaths ?? ""}`)}</title>` +
    `<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" rx="6" class="box-t1"/>` +
    text(b.x + b.w / 2, b.y + 19, xmlEscape(s.name), `class="t1name" text-anchor="middle"`) +
    text(b.x + b.w / 2, b.y + 36, xmlEscape(`${s.role} · AS ${s.asn}`), `class="t1sub" text-anchor="middle"`) +
    text(b.x + b.w / 2, b.y + 51, xmlEscape(`lo ${s.routerId} · ECMP ${s.maxPaths ?? ""}`), `class="t1sub" text-anchor="middle"`) +
    `</g>`
  );
}

/** A column of the legend: its title and rows (a swatch, maybe empty, and a label). */
interface LegendColumn {
  title: string;
  rows: { swatch: string; label: string }[];
}

/** What the legend counts and names. */
interface LegendData {
  tier1: PlanDevice[];
  switches: PlanDevice[];
  nodes: PlanDevice[];
  hasLeafTier: boolean;
  upstreams: NonNullable<Plan["upstreams"]>;
  clusterColor: Map<string, string>;
  sessionsOfKind: Map<SessionKind, number>;
}

/** The legend's columns: sessions, devices, pools, clusters, VIP pools. */
function legendColumns(plan: Plan, d: LegendData): LegendColumn[] {
  const { tier1, switches, nodes, hasLeafTier, upstreams, clusterColor, sessionsOfKind } = d;
  const columns: LegendColumn[] = [];
  const kinds = (["node-uplink", "leaf-spine", "core-mesh"] as SessionKind[]).filter((k) => sessionsOfKind.has(k));
  const sw = (inner: string) => inner;
  columns.push({
    title: "BGP sessions",
    rows: [
      ...kinds.map((k) => ({
        swatch: sw(`<path d="M0 0 H28" stroke="${KIND_COLOR[k]}" class="legendline"/>`),
        label: `${KIND_LABEL[k]}: ${sessionsOfKind.get(k) ?? 0}`,
      })),
      ...(upstreams.length > 0
        ? [{ swatch: sw(`<path d="M0 0 H28" stroke="${UPSTREAM_COLOR}" stroke-dasharray="2 3" class="legendline"/>`), label: `border switch ↔ upstream: ${upstreams.reduce((a, u) => a + u.links.length, 0)}` }]
        : []),
      { swatch: `<path d="M0 0 H28" stroke="#4a5568" class="legendline"/>`, label: "solid: eBGP" },
      { swatch: `<path d="M0 0 H28" stroke="#4a5568" stroke-dasharray="6 3" class="legendline"/>`, label: "dashed: iBGP" },
    ],
  });
  const roles = [...new Set(tier1.map((s) => s.role))];
  columns.push({
    title: "Devices",
    rows: [
      ...roles.map((r) => ({ swatch: `<rect x="0" y="-7" width="28" height="14" rx="3" class="box-t1"/>`, label: `${r} (${tier1.filter((s) => s.role === r).length})` })),
      ...(hasLeafTier ? [{ swatch: `<rect x="0" y="-7" width="28" height="14" rx="3" class="box-leaf"/>`, label: `leaf (${switches.length - tier1.length})` }] : []),
      { swatch: `<rect x="0" y="-7" width="28" height="14" rx="3" class="box-worker"/>`, label: `worker node (${nodes.filter((d) => d.role !== "l4lb").length})` },
      { swatch: `<rect x="0" y="-7" width="28" height="14" rx="3" class="box-l4lb"/>`, label: `l4lb node (${nodes.filter((d) => d.role === "l4lb").length})` },
    ],
  });
  columns.push({
    title: "Pools",
    rows: [
      { swatch: "", label: `PodCIDRs ${plan.pools.podCidr.prefix} (/${plan.pools.podPrefixLength} per node)` },
      { swatch: "", label: `loopbacks ${plan.pools.loopbacks.prefix}` },
      { swatch: "", label: plan.pools.fabricLinks ? `fabric links ${plan.pools.fabricLinks.prefix}` : "fabric links unnumbered (IPv6 link-local)" },
    ],
  });
  if (plan.clusters.length > 0)
    columns.push({
      title: "Clusters (PodCIDR supernets)",
      rows: plan.clusters.map((c) => ({
        swatch: `<rect x="0" y="-7" width="28" height="14" fill="${clusterColor.get(c.name)}"/>`,
        label: `${c.name} (id ${c.id}, ${c.nodes.length} nodes): ${abbreviate(c.supernets.map((p) => p.prefix), 4)}`,
      })),
    });
  if (plan.vipPools.length > 0)
    columns.push({
      title: "VIP pools (announcers)",
      rows: plan.vipPools.map((v) => ({ swatch: "", label: `${v.name} ${v.cidr} ← ${abbreviate(v.announcers, 6) || "none"}` })),
    });

  return columns;
}

/** Render the plan as a standalone SVG document. */
export function renderTopologySvg(plan: Plan): string {
  return topologySvgLines(plan).join("\n");
}

/**
 * The lines of `renderTopologySvg`, the last one empty (the document ends with a newline): a
 * 100,000-node diagram is ~110 MB of UTF-16 text (`↔` in every session title), written line by
 * line instead of as one string.
 */
export function topologySvgLines(plan: Plan): string[] {
  // loops, not closures made per call (V8 keeps a closure's optimized code only while one lives)
  const deviceByName = new Map<string, PlanDevice>();
  for (const d of plan.devices) deviceByName.set(d.name, d);
  const podOf = new Map<string, string>();
  for (const p of plan.nodes) podOf.set(p.name, p.podCIDR.prefix);
  // sessions per kind
  const sessionsOfKind = new Map<SessionKind, number>();
  for (const s of plan.sessions) sessionsOfKind.set(s.kind, (sessionsOfKind.get(s.kind) ?? 0) + 1);
  const clusterColor = new Map(plan.clusters.map((c, i) => [c.name, CLUSTER_COLORS[i % CLUSTER_COLORS.length]]));
  const switches = plan.devices.filter((d) => d.kind === "switch");
  const nodes = plan.devices.filter((d) => d.kind === "node");
  const tier1 = switches.filter((s) => s.role !== "leaf");
  const hasLeafTier = switches.some((s) => s.role === "leaf");

  // ---- racks (plan order) -------------------------------------------------------------
  const racks: RackLayout[] = [];
  const rackOfLeaf = new Map<string, RackLayout>();
  const leavesOf = new Map<string | undefined, PlanDevice[]>();
  for (const s of switches) {
    if (s.role !== "leaf") continue;
    const list = leavesOf.get(s.rack);
    if (list) list.push(s);
    else leavesOf.set(s.rack, [s]);
  }
  for (const seg of plan.segments) {
    if (seg.kind !== "rack") continue;
    const rack = rackLayout(seg, deviceByName, leavesOf, podOf);
    racks.push(rack);
    for (const l of rack.leaves) rackOfLeaf.set(l.name, rack);
  }
  // leaves whose rack has no segment still get drawn, in a rack of their own
  for (const l of switches.filter((s) => s.role === "leaf" && !rackOfLeaf.has(s.name))) {
    const rack: RackLayout = { name: l.rack ?? "?", prefix: "", x: 0, w: MIN_RACK_W, h: RACK_HEADER, nodes: [], peers: [], leaves: [l], nodeBoxes: new Map() };
    racks.push(rack);
    rackOfLeaf.set(l.name, rack);
  }

  // ---- horizontal layout --------------------------------------------------------------
  const t1Chars = maxOf(18, tier1.map((s) => Math.max(s.name.length + 2, `${s.role} · AS ${s.asn}`.length, `lo ${s.routerId} · ECMP ${s.maxPaths ?? ""}`.length)));
  const t1W = Math.ceil(t1Chars * CHAR_W) + 20;
  const racksW = racks.reduce((sum, r) => sum + r.w, 0) + Math.max(0, racks.length - 1) * RACK_GAP;
  const t1Total = tier1.length * t1W + Math.max(0, tier1.length - 1) * RACK_GAP;
  const contentW = Math.max(racksW, t1Total, 640);
  let x = M + (contentW - racksW) / 2;
  for (const r of racks) {
    r.x = x;
    x += r.w + RACK_GAP;
  }

  // ---- vertical layout ----------------------------------------------------------------
  const coreSessions: PlanSession[] = [];
  if (sessionsOfKind.has("core-mesh")) for (const s of plan.sessions) if (s.kind === "core-mesh") coreSessions.push(s);
  const t1Index = new Map(tier1.map((s, i) => [s.name, i]));
  const maxSpan = maxOf(0, coreSessions.map((s) => Math.abs((t1Index.get(s.a.device) ?? 0) - (t1Index.get(s.b.device) ?? 0))));
  const arcRoom = maxSpan > 1 ? 24 + 14 * maxSpan : 0;
  const upstreams = plan.upstreams ?? [];
  const upY = M + TITLE_H;
  const t1Y = M + TITLE_H + (upstreams.length > 0 ? UP_ROW : 0) + arcRoom;
  const leafY = t1Y + T1_H + 120;
  const rackY = hasLeafTier ? leafY + LEAF_H + 34 : t1Y + T1_H + 130;
  const racksH = maxOf(0, racks.map((r) => r.h));

  const boxes = new Map<string, Box>();
  tier1.forEach((s, i) => {
    const cx = M + ((i + 0.5) * contentW) / tier1.length;
    boxes.set(s.name, { x: cx - t1W / 2, y: t1Y, w: t1W, h: T1_H });
  });
  for (const r of racks) {
    const lw = (r.w - (r.leaves.length - 1) * 8) / Math.max(1, r.leaves.length);
    r.leaves.forEach((l, i) => boxes.set(l.name, { x: r.x + i * (lw + 8), y: leafY, w: lw, h: LEAF_H }));
    for (let i = 0; i < r.nodes.length; i++) {
      const d = r.nodes[i];
      const box = { x: r.x + NODE_INSET, y: rackY + RACK_HEADER + i * (NODE_H + NODE_GAP), w: r.w - 2 * NODE_INSET, h: NODE_H };
      r.nodeBoxes.set(d.name, box);
      boxes.set(d.name, box);
    }
  }

  // ---- sessions -----------------------------------------------------------------------
  const lines: string[] = [];
  const rackOfNode = new Map<string, RackLayout>();
  for (const r of racks) for (const d of r.nodes) rackOfNode.set(d.name, r);
  // anchors spread along the bottom edge of tier-1 boxes, one per incoming line
  // switch → key → its position (first come), so that a 100,000-node plan stays linear
  const incoming = new Map<string, Map<string, number>>();
  for (const s of plan.sessions) {
    if (s.kind === "leaf-spine") addIncoming(incoming, s.b.device, s.a.device);
    else if (s.kind === "node-uplink" && t1Index.has(s.b.device)) addIncoming(incoming, s.b.device, `rack:${rackOfNode.get(s.a.device)?.name}:${s.b.device}`);
  }
  const geometry: SessionGeometry = { rackOfNode, rackOfLeaf, boxes, incoming, t1Index, rackY };
  for (const s of plan.sessions) {
    const d = sessionPath(s, geometry);
    if (d !== undefined) lines.push(line(s, d));
  }

  // ---- upstreams: a box above its border switches, a dotted line to each ---------------
  const upstreamShapes: string[] = [];
  upstreams.forEach((u, i) => {
    const borders = u.links.map((l) => boxes.get(l.switch)).filter((b): b is Box => b !== undefined);
    const label = `upstream ${u.name} · AS ${u.asn}`;
    const sub = `accepts ${abbreviate(u.accept.map((e) => e.prefix), 3)} · announces ${u.announce.length ? abbreviate(u.announce.map((e) => e.prefix), 2) : "nothing"}`;
    const w = Math.ceil(Math.max(label.length, sub.length) * CHAR_W) + 20;
    const fallback = M + ((i + 0.5) * contentW) / upstreams.length;
    const cx = borders.length > 0 ? borders.reduce((a, b) => a + b.x + b.w / 2, 0) / borders.length : fallback;
    const x0 = Math.min(Math.max(M, cx - w / 2), M + contentW - w);
    const box: Box = { x: x0, y: upY, w, h: UP_H };
    u.links.forEach((l, j) => {
      const b = boxes.get(l.switch);
      if (!b) return;
      const ax = box.x + 10 + ((j + 0.5) * (box.w - 20)) / u.links.length;
      const title = `${l.id}: ${l.switch} ${l.address} AS ${l.asn} ↔ upstream ${u.name} ${l.peerAddress} AS ${u.asn} (eBGP)`;
      lines.push(
        `<path class="session upstream" data-session="${xmlEscape(l.id)}" d="M${n(ax)} ${n(box.y + box.h)} L${n(b.x + b.w / 2)} ${n(b.y)}" stroke="${UPSTREAM_COLOR}" stroke-dasharray="2 3"><title>${xmlEscape(title)}</title></path>`,
      );
    });
    upstreamShapes.push(
      `<g class="upstream" data-upstream="${xmlEscape(u.name)}"><title>${xmlEscape(`${label}: accepts ${u.accept.map((e) => e.prefix).join(", ")}; announces ${u.announce.map((e) => e.prefix).join(", ") || "nothing"}`)}</title>` +
        `<rect x="${n(box.x)}" y="${n(box.y)}" width="${n(box.w)}" height="${n(box.h)}" rx="14" class="box-upstream"/>` +
        text(box.x + box.w / 2, box.y + 18, xmlEscape(label), `class="upname" text-anchor="middle"`) +
        text(box.x + box.w / 2, box.y + 34, xmlEscape(sub), `class="upsub" text-anchor="middle"`) +
        `</g>`,
    );
  });

  // ---- devices ------------------------------------------------------------------------
  const shapes: string[] = [...upstreamShapes];
  const backgrounds: string[] = [];
  for (const s of tier1) shapes.push(tier1Shape(s, boxes.get(s.name)!));
  for (const r of racks) {
    for (const l of r.leaves) shapes.push(leafShape(l, r, boxes.get(l.name)!));
    backgrounds.push(`<rect x="${n(r.x)}" y="${n(rackY)}" width="${n(r.w)}" height="${n(r.h)}" rx="8" class="box-rack" data-rack="${xmlEscape(r.name)}"/>`);
    const header =
      `<g class="rack" data-rack="${xmlEscape(r.name)}">` +
      text(r.x + NODE_INSET, rackY + 19, `rack ${xmlEscape(r.name)}`, `class="rackname"`) +
      text(r.x + r.w - NODE_INSET, rackY + 19, xmlEscape(r.prefix), `class="racksub" text-anchor="end"`) +
      text(r.x + NODE_INSET, rackY + 35, xmlEscape(`${r.nodes.length} node${r.nodes.length === 1 ? "" : "s"}${r.peers.length ? ` · peers ${r.peers.join(", ")}` : ""}`), `class="racksub"`);
    shapes.push(header);
    for (const d of r.nodes) shapes.push(nodeShape(d, r.nodeBoxes.get(d.name)!, clusterColor, podOf));
    shapes.push(`</g>`);
  }

  // ---- legend -------------------------------------------------------------------------
  const legendY = rackY + racksH + 44;
  const columns = legendColumns(plan, { tier1, switches, nodes, hasLeafTier, upstreams, clusterColor, sessionsOfKind });

  const legend: string[] = [];
  let lx = M;
  let ly = legendY;
  let rowH = 0;
  for (const col of columns) {
    const colW = Math.ceil(maxOf(col.title.length * 7.6, col.rows.map((r) => (r.swatch ? 38 : 0) + r.label.length * CHAR_W))) + 40;
    if (lx > M && lx + colW > M + contentW) {
      lx = M;
      ly += rowH + 16;
      rowH = 0;
    }
    legend.push(text(lx, ly + 14, xmlEscape(col.title), `class="legendtitle"`));
    col.rows.forEach((r, i) => {
      const y = ly + 36 + i * 20;
      if (r.swatch) legend.push(`<g transform="translate(${n(lx)} ${n(y - 4)})">${r.swatch}</g>`);
      legend.push(text(lx + (r.swatch ? 38 : 0), y, xmlEscape(r.label), `class="legend"`));
    });
    rowH = Math.max(rowH, 36 + col.rows.length * 20);
    lx += colW;
  }
  const width = Math.ceil(Math.max(M * 2 + contentW, lx + M));
  const height = Math.ceil(ly + rowH + M);

  const counts = `${nodes.length} node${nodes.length === 1 ? "" : "s"} · ${switches.length} switch${switches.length === 1 ? "" : "es"} · ${plan.sessions.length} BGP session${plan.sessions.length === 1 ? "" : "s"}`;
  const topo = plan.topology === "spineLeaf" ? "spine–leaf" : "three-tier";
  const style = [
    `text{font-family:${FONT};font-size:11px;fill:#1a202c}`,
    `.title{font-size:20px;font-weight:bold}`,
    `.subtitle{font-size:12px;fill:#4a5568}`,
    `.session{fill:none;stroke-width:1.5;stroke-opacity:0.85}`,
    `.box-t1{fill:#2d3748;stroke:#1a202c}`,
    `.t1name{fill:#fff;font-size:13px;font-weight:bold}`,
    `.t1sub{fill:#e2e8f0}`,
    `.box-leaf{fill:#4a5568;stroke:#2d3748}`,
    `.leafname{fill:#fff;font-size:12px;font-weight:bold}`,
    `.leafsub{fill:#e2e8f0;font-size:10.5px}`,
    `.box-rack{fill:#f7fafc;stroke:#718096;stroke-width:1.2}`,
    `.rackname{font-size:13px;font-weight:bold}`,
    `.racksub{fill:#4a5568}`,
    `.box-worker{fill:#ebf4ff;stroke:#90a4c0}`,
    `.box-l4lb{fill:#fefcbf;stroke:#d69e2e}`,
    `.nodename{font-weight:bold}`,
    `.nodesub{font-size:11px}`,
    `.l4lbtag{fill:#975a16;font-weight:bold}`,
    `.legendtitle{font-size:12px;font-weight:bold}`,
    `.legendline{fill:none;stroke-width:2.5}`,
    `.box-upstream{fill:#fff5f5;stroke:${UPSTREAM_COLOR};stroke-width:1.5}`,
    `.upname{font-size:12px;font-weight:bold;fill:${UPSTREAM_COLOR}}`,
    `.upsub{font-size:10.5px;fill:#742a2a}`,
    // a dense leaf–spine mesh: thinner, lighter lines so the labels stay readable
    ...((sessionsOfKind.get("leaf-spine") ?? 0) > 32 ? [`.session.leaf-spine{stroke-width:1;stroke-opacity:0.5}`] : []),
  ].join("");
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<title>${xmlEscape(`${plan.name}: ${topo} network plan`)}</title>`,
    `<desc>${xmlEscape(`Generated by dcnet from plan ${plan.name}: ${counts}.`)}</desc>`,
    `<style>${style}</style>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    text(M, M + 18, xmlEscape(`${plan.name} · ${topo}`), `class="title"`),
    text(M, M + 38, xmlEscape(counts), `class="subtitle"`),
    `<g class="racks">`,
    ...backgrounds,
    `</g>`,
    `<g class="sessions">`,
    ...lines,
    `</g>`,
    `<g class="devices">`,
    ...shapes,
    `</g>`,
    `<g class="legend">`,
    ...legend,
    `</g>`,
    `</svg>`,
    "",
  ];
}

/** `a, b, c +N more` */
function abbreviate(items: string[], max: number): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} +${items.length - max} more`;
}
