/**
 * Progress of a long CLI step on stderr: shown at once on a terminal, otherwise only once the
 * step has run for `quietMs` (3 s), so a small data center in a script or a test prints nothing.
 * Each line: `dcnet: <what> (<elapsed> s)`.
 */
export interface Progress {
  /** Report a phase that just finished or started. */
  step(what: string): void;
  /** Report `done` of `total` items, at most every `everyMs`. */
  count(what: string, done: number, total: number): void;
}

export function progress(opts: { quietMs?: number; everyMs?: number; stream?: NodeJS.WriteStream; now?: () => number } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => Date.now());
  const quietMs = opts.quietMs ?? 3000;
  const everyMs = opts.everyMs ?? 1000;
  const t0 = now();
  let last = 0;
  const shown = () => stream.isTTY === true || now() - t0 >= quietMs;
  const write = (text: string) => {
    last = now();
    stream.write(`dcnet: ${text} (${((last - t0) / 1000).toFixed(1)} s)\n`);
  };
  return {
    step(what) {
      if (shown()) write(what);
    },
    count(what, done, total) {
      if ((done === total || now() - last >= everyMs) && shown()) write(`${what} ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")}`);
    },
  };
}
