/** BGP defaults that suit a data center (fast timers, BFD, graceful restart). */
import { BgpOptionsSpec } from "../spec/types";

/** Connect retry of FRR's `datacenter` profile (the switches' own default), in seconds. */
export const DEFAULT_CONNECT_RETRY = 10;

/** BGP options with every default filled in. */
export interface ResolvedBgpOptions {
  /** Keepalive in seconds. */
  keepalive: number;
  /** Hold time in seconds. */
  hold: number;
  /** Seconds between attempts to open a session that is down. */
  connectRetry: number;
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

/** Keepalive 3 s, hold 9 s, connect retry 10 s, BFD 100 ms × 3, graceful restart 120 s, max-prefix slack 8. */
export function withDefaults(bgp: BgpOptionsSpec | undefined): ResolvedBgpOptions {
  return {
    keepalive: bgp?.keepalive ?? 3,
    hold: bgp?.hold ?? 9,
    connectRetry: bgp?.connectRetry ?? DEFAULT_CONNECT_RETRY,
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
