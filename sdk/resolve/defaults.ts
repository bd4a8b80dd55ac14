/** BGP defaults that suit a data center (fast timers, BFD, graceful restart). */
import { BgpOptionsSpec } from "../spec/types";

/** BGP options with every default filled in. */
export interface ResolvedBgpOptions {
  /** Keepalive in seconds. */
  keepalive: number;
  /** Hold time in seconds. */
  hold: number;
  /** BFD on node sessions, interval in ms × detect multiplier. */
  bfd: { enabled: boolean; intervalMs: number; multiplier: number };
  /** Graceful restart on. */
  gracefulRestart: boolean;
  /** Graceful restart time in seconds. */
  restartTime: number;
  /** Secret naming the MD5 password of node sessions (absent: no password). */
  passwordRef?: string;
  /** Extra prefixes a switch accepts from a node beyond its planned ones. */
  maxPrefixSlack: number;
}

/** Keepalive 3 s, hold 9 s, BFD 100 ms × 3, graceful restart 120 s, max-prefix slack 8. */
export function withDefaults(bgp: BgpOptionsSpec | undefined): ResolvedBgpOptions {
  return {
    keepalive: bgp?.keepalive ?? 3,
    hold: bgp?.hold ?? 9,
    bfd: {
      enabled: bgp?.bfd?.enabled ?? true,
      intervalMs: bgp?.bfd?.intervalMs ?? 100,
      multiplier: bgp?.bfd?.multiplier ?? 3,
    },
    gracefulRestart: bgp?.gracefulRestart ?? true,
    restartTime: bgp?.restartTime ?? 120,
    ...(bgp?.passwordRef ? { passwordRef: bgp.passwordRef } : {}),
    maxPrefixSlack: bgp?.maxPrefixSlack ?? 8,
  };
}
