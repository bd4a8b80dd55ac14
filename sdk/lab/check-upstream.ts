/**
 * Checks of the way out: every upstream session Established on both ends (the border switch and
 * the lab's upstream router), and the upstream receiving from each border switch exactly the
 * prefixes the plan announces to it (aggregates only, never a PodCIDR or loopback it did not ask for).
 */
import { Plan } from "../plan/types";
import { frrBgpTable, frrPeers, FrrPeer, SessionProbe } from "./probe";
import { LabDevice, LabState } from "./state";

/** What was checked for one upstream. */
export interface UpstreamCheck {
  name: string;
  asn: number;
  /** One row per link: border switch, session state on both ends, prefixes the upstream got from it. */
  links: { switch: string; peerAddress: string; switchState: string; upstreamState: string; received: string[]; expected: string[]; ok: boolean }[];
  ok: boolean;
}

function peersOf(cache: Map<string, Map<string, FrrPeer> | undefined>, key: string, dev: LabDevice | undefined): Map<string, FrrPeer> | undefined {
  if (!cache.has(key)) {
    const r = dev?.frr ? frrPeers(dev) : undefined;
    cache.set(key, r && !r.error ? r.peers : undefined);
  }
  return cache.get(key);
}

/** States of the upstream sessions, both ends (the shape of `probeSessions`). */
export function probeUpstreamSessions(plan: Plan, state: LabState): SessionProbe[] {
  const cache = new Map<string, Map<string, FrrPeer> | undefined>();
  const out: SessionProbe[] = [];
  for (const u of plan.upstreams ?? [])
    for (const l of u.links) {
      const a = peersOf(cache, l.switch, state.devices[l.switch])?.get(l.peerAddress)?.state ?? "not configured";
      const b = peersOf(cache, `@${u.name}`, state.upstreams?.[u.name])?.get(l.address)?.state ?? "not configured";
      out.push({ id: l.id, kind: "upstream", a: { device: l.switch, state: a }, b: { device: u.name, state: b }, established: a === "Established" && b === "Established" });
    }
  return out;
}

/** Check every upstream of the plan; mismatches are appended to `problems`. */
export function checkUpstreams(plan: Plan, state: LabState, problems: string[]): UpstreamCheck[] {
  const sessions = new Map(probeUpstreamSessions(plan, state).map((s) => [s.id, s]));
  return (plan.upstreams ?? []).map((u) => {
    const dev = state.upstreams?.[u.name];
    const out: UpstreamCheck = { name: u.name, asn: u.asn, links: [], ok: true };
    const fail = (msg: string) => {
      out.ok = false;
      problems.push(`upstream ${u.name}: ${msg}`);
    };
    if (!dev?.frr) {
      fail("the lab runs no router for it");
      return out;
    }
    const family = u.links[0]?.family ?? "ipv4";
    const table = frrBgpTable(dev, family);
    if (table.error) fail(table.error);
    const expected = u.announce.map((e) => e.prefix).sort();
    for (const l of u.links) {
      const s = sessions.get(l.id)!;
      const received = [...table.routes].filter(([, paths]) => paths.some((p) => p.peer === l.address)).map(([prefix]) => prefix).sort();
      const ok = s.established && received.length === expected.length && received.every((p, i) => p === expected[i]);
      out.links.push({ switch: l.switch, peerAddress: l.peerAddress, switchState: s.a.state, upstreamState: s.b.state, received, expected, ok });
      if (!s.established) fail(`session with ${l.switch} is ${s.a.state} on the switch, ${s.b.state} on the upstream`);
      else if (!ok) {
        const extra = received.filter((p) => !expected.includes(p));
        const missing = expected.filter((p) => !received.includes(p));
        fail(`receives from ${l.switch} ${extra.length ? `unplanned ${extra.join(", ")}` : ""}${extra.length && missing.length ? "; " : ""}${missing.length ? `not ${missing.join(", ")}` : ""}`);
      }
    }
    return out;
  });
}
