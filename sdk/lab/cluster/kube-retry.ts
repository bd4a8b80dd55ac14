/**
 * Transient API server errors, and a bounded retry of kubectl calls that hit them.
 *
 * On a loaded machine (seen at load ~15 with two clusters and their agents) the lab's single-member
 * etcd can miss its request deadline; the API server then answers `etcdserver: request timed out`
 * (or a 504 "Timeout: request did not complete") and `lab up` used to fail on the first one.
 * Everything the lab sends is idempotent (server-side apply, merge patches, get, delete
 * --ignore-not-found), so a call that failed only for one of these reasons is simply sent again,
 * a bounded number of times with a growing pause. Any other failure is returned at once.
 */

/** Messages of API server / etcd failures that a later identical request can succeed after. */
export const TRANSIENT_API_ERRORS: readonly RegExp[] = [
  /etcdserver: request timed out/,
  /etcdserver: leader changed/,
  /etcdserver: too many requests/,
  /Timeout: request did not complete within/,
  /the server was unable to return a response in the time allotted/,
  /the server is currently unable to handle the request/,
  /net\/http: TLS handshake timeout/,
  /http2: client connection lost/,
  /context deadline exceeded/,
];

/** Whether a failed call's output names a transient API server error (and nothing else decides). */
export function isTransientApiError(output: string): boolean {
  return TRANSIENT_API_ERRORS.some((re) => re.test(output));
}

/** How often and how long to retry: attempts in all (≥ 1) and the first pause (doubled each time). */
export interface RetryPolicy {
  attempts: number;
  firstPauseMs: number;
}

/** The lab's default: 4 attempts, pauses of 1, 2 and 4 s (at most 7 s spent waiting). */
export const KUBECTL_RETRY: RetryPolicy = { attempts: 4, firstPauseMs: 1000 };

/** Block the (synchronous) caller for `ms` milliseconds without spinning. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Call `attempt` until it succeeds, fails for a non-transient reason, or the policy's attempts are
 * used up; returns the last result. `failed` tells a failed result and gives its output.
 */
export function retryTransient<T>(attempt: () => T, failed: (r: T) => string | undefined, policy: RetryPolicy = KUBECTL_RETRY): T {
  let r = attempt();
  for (let i = 1; i < Math.max(1, policy.attempts); i++) {
    const out = failed(r);
    if (out === undefined || !isTransientApiError(out)) return r;
    pause(policy.firstPauseMs * 2 ** (i - 1));
    r = attempt();
  }
  return r;
}
