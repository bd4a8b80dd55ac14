/**
 * Read rendered BIRD and FRR configs back into data, so tests can compare them with the plan
 * (independently of how the renderers built them).
 */
import { Family, PlanPrefixFilterEntry } from "../../sdk/plan/types";
import { familyOf, hostLength, prefixLength } from "../../sdk/net/prefix";

/** A `protocol bgp` block of a BIRD config. */
export interface BirdBgpProtocol {
  name: string;
  body: string;
  local?: { address: string; asn: number };
  neighbor?: { address: string; asn: number };
  /** Channel name (`ipv4`/`ipv6`) and its body. */
  channels: { family: string; body: string }[];
  includes: string[];
}

/** Every prefix of the export filter's prefix sets (`if net ~ [ ... ] then accept;`). */
export function birdExportSet(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/if net ~ \[([^\]]*)\] then accept;/g))
    out.push(...m[1].split(",").map((s) => s.trim()).filter((s) => s !== ""));
  return out;
}

/** Prefixes of the static routes (`route P via "IFACE";`). */
export function birdStaticRoutes(text: string): { prefix: string; via: string }[] {
  return [...text.matchAll(/^\s*route (\S+) via "([^"]*)";$/gm)].map((m) => ({ prefix: m[1], via: m[2] }));
}

/** The `protocol bgp NAME { ... }` blocks. */
export function birdBgpProtocols(text: string): BirdBgpProtocol[] {
  const out: BirdBgpProtocol[] = [];
  for (const m of text.matchAll(/^protocol bgp (\S+) \{\n([\s\S]*?)^\}$/gm)) {
    const body = m[2];
    const local = body.match(/^\s*local (\S+) as (\d+);$/m);
    const neighbor = body.match(/^\s*neighbor (\S+) as (\d+);$/m);
    out.push({
      name: m[1],
      body,
      ...(local ? { local: { address: local[1], asn: Number(local[2]) } } : {}),
      ...(neighbor ? { neighbor: { address: neighbor[1], asn: Number(neighbor[2]) } } : {}),
      channels: [...body.matchAll(/^\s*(ipv4|ipv6) \{\n([\s\S]*?)^\s*\};$/gm)].map((c) => ({ family: c[1], body: c[2] })),
      includes: [...body.matchAll(/^\s*include "([^"]*)";$/gm)].map((i) => i[1]),
    });
  }
  return out;
}

/** One prefix-list line. */
export interface FrrPrefixListEntry {
  family: Family;
  seq: number;
  action: "permit" | "deny";
  /** `any` or a prefix. */
  prefix: string;
  ge?: number;
  le?: number;
}

/** Prefix-lists by name. */
export function frrPrefixLists(text: string): Map<string, FrrPrefixListEntry[]> {
  const out = new Map<string, FrrPrefixListEntry[]>();
  for (const m of text.matchAll(/^(ip|ipv6) prefix-list (\S+) seq (\d+) (permit|deny) (\S+)(?: ge (\d+))?(?: le (\d+))?$/gm)) {
    const list = out.get(m[2]) ?? [];
    list.push({
      family: m[1] === "ip" ? "ipv4" : "ipv6",
      seq: Number(m[3]),
      action: m[4] as "permit" | "deny",
      prefix: m[5],
      ...(m[6] ? { ge: Number(m[6]) } : {}),
      ...(m[7] ? { le: Number(m[7]) } : {}),
    });
    out.set(m[2], list);
  }
  return out;
}

/** The prefix range a prefix-list permit admits, as a plan filter entry (FRR semantics of ge/le). */
export function entryRange(e: FrrPrefixListEntry): PlanPrefixFilterEntry {
  const len = prefixLength(e.prefix);
  const family = familyOf(e.prefix) ?? e.family;
  const ge = e.ge ?? len;
  const le = e.le ?? (e.ge !== undefined ? hostLength(family) : len);
  return { family, prefix: e.prefix, ge, le };
}

/** A neighbor of `router bgp`: its global lines and its address-family lines. */
export interface FrrNeighbor {
  address: string;
  remoteAs?: number;
  /** Settings after `neighbor ADDR ` outside address-families. */
  global: string[];
  /** Settings after `neighbor ADDR ` inside address-family blocks, by family. */
  af: Map<string, string[]>;
}

/** The `router bgp` instance: ASN, neighbors, address-family lines. Later `router bgp` blocks (overlays) merge in. */
export function frrRouterBgp(text: string): { asn?: number; lines: string[]; neighbors: Map<string, FrrNeighbor>; afLines: Map<string, string[]> } {
  const neighbors = new Map<string, FrrNeighbor>();
  const afLines = new Map<string, string[]>();
  const lines: string[] = [];
  let asn: number | undefined;
  let inBgp = false;
  let af: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const rb = raw.match(/^router bgp (\d+)$/);
    if (rb) {
      inBgp = true;
      asn = Number(rb[1]);
      continue;
    }
    if (!inBgp) continue;
    if (raw === "exit") {
      inBgp = false;
      continue;
    }
    const afm = line.match(/^address-family (\S+) unicast$/);
    if (afm) {
      af = afm[1];
      continue;
    }
    if (line === "exit-address-family") {
      af = undefined;
      continue;
    }
    if (line === "!" || line === "") continue;
    if (af) afLines.set(af, [...(afLines.get(af) ?? []), line]);
    else lines.push(line);
    const nm = line.match(/^neighbor (\S+) (.*)$/);
    if (!nm) continue;
    const n: FrrNeighbor = neighbors.get(nm[1]) ?? { address: nm[1], global: [], af: new Map<string, string[]>() };
    if (af) n.af.set(af, [...(n.af.get(af) ?? []), nm[2]]);
    else {
      n.global.push(nm[2]);
      const ra = nm[2].match(/^(?:interface )?remote-as (\d+)$/);
      if (ra) n.remoteAs = Number(ra[1]);
    }
    neighbors.set(nm[1], n);
  }
  return { asn, lines, neighbors, afLines };
}

/** Canonical string of a filter entry, for set comparison. */
export function entryKey(e: PlanPrefixFilterEntry): string {
  return `${e.prefix} ge ${e.ge} le ${e.le}`;
}
