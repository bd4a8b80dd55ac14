/**
 * What each node-side BGP speaker supports, and the failover a node-uplink session therefore
 * promises. A node's speaker is its cluster's `k8s.cilium.bgpSpeaker` (BIRD when the node is in no
 * cluster or the cluster does not say).
 *
 * - BIRD runs BFD beside BGP: a dead node is detected in `bfd.intervalMs × bfd.multiplier`.
 * - Cilium's BGP Control Plane (GoBGP) has no BFD: the switch notices only when the hold timer
 *   expires, so the session gets no BFD (the switch would keep a BFD session that never comes up)
 *   and the promised failover is `timers.hold` seconds. With graceful restart it is longer: Cilium
 *   stops BGP without a NOTIFICATION to its graceful-restart peers and advertises the N-bit
 *   (RFC 8538), so the switch keeps the node's routes as stale for the restart time after the
 *   session drops (measured in the lab with FRR 8.4: a stopped agent's PodCIDR gone after ~121 s,
 *   hold 9 s + restart 120 s): the promise is `hold + restartTime`.
 */
import { BgpSpeaker } from "../spec/cluster-types";
import { DataCenterSpec } from "../spec/types";
import { PlanFailover } from "../plan/types";

/** Capabilities of a node-side BGP speaker. */
export interface SpeakerCapabilities {
  /** Runs BFD on its sessions. */
  bfd: boolean;
}

/** What each speaker supports. */
export const SPEAKER_CAPABILITIES: Record<BgpSpeaker, SpeakerCapabilities> = {
  [BgpSpeaker.bird]: { bfd: true },
  [BgpSpeaker.cilium]: { bfd: false },
};

/** The BGP speaker of each clustered node whose cluster declares one (others: BIRD). */
export function nodeSpeakers(spec: DataCenterSpec): Map<string, BgpSpeaker> {
  const out = new Map<string, BgpSpeaker>();
  for (const c of spec.clusters ?? []) {
    const speaker = c.k8s?.cilium?.bgpSpeaker;
    if (speaker === undefined) continue;
    for (const n of c.nodes ?? []) out.set(n, speaker);
  }
  return out;
}

/** BFD of a session with this speaker, and the failover it promises. */
export function speakerSession(
  speaker: BgpSpeaker,
  bfd: { enabled: boolean; intervalMs: number; multiplier: number },
  timers: { keepalive: number; hold: number; connectRetry: number },
  gracefulRestart: { enabled: boolean; restartTime: number } = { enabled: false, restartTime: 0 },
): { bfd: { enabled: boolean; intervalMs: number; multiplier: number }; failover: PlanFailover } {
  const enabled = bfd.enabled && SPEAKER_CAPABILITIES[speaker].bfd;
  const sessionBfd = enabled === bfd.enabled ? bfd : { ...bfd, enabled };
  const staleAfterDrop = speaker === BgpSpeaker.cilium && gracefulRestart.enabled; // no NOTIFICATION, N-bit
  const failover: PlanFailover = enabled
    ? { detection: "bfd", ms: bfd.intervalMs * bfd.multiplier }
    : staleAfterDrop
      ? { detection: "hold-timer+graceful-restart", ms: (timers.hold + gracefulRestart.restartTime) * 1000 }
      : { detection: "hold-timer", ms: timers.hold * 1000 };
  return { bfd: sessionBfd, failover };
}
