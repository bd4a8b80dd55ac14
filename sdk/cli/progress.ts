/**
 * Progress of a long CLI step on stderr: shown at once on a terminal, otherwise only once the
 * step has run for `quietMs` (3 s), so a small data center in a script or a test prints nothing.
 * Each line: `dcnet: <what> (<elapsed> s)`; a counter is rewritten in place on a terminal (every
 * second) and printed every 10 s otherwise.
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
  const tty = stream.isTTY === true;
  // a terminal gets one line rewritten in place every second; a log a line every 10 s
  const everyMs = opts.everyMs ?? (tty ? 1000 : 10_000);
  const t0 = now();
  let last = 0;
  let open = false; // a counter line is on the terminal without its newline
  const shown = () => tty || now() - t0 >= quietMs;
  const write = (text: string, final: boolean) => {
    last = now();
    const line = `dcnet: ${text} (${((last - t0) / 1000).toFixed(1)} s)`;
    if (tty) {
      stream.write(`${open ? "\r\x1b[K" : ""}${line}${final ? "\n" : ""}`);
      open = !final;
    } else stream.write(`${line}\n`);
  };
  return {
    step(what) {
      if (shown()) write(what, true);
    },
    count(what, done, total) {
      if ((done === total || now() - last >= everyMs) && shown()) write(`${what} ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")}`, done === total);
    },
  };
}
