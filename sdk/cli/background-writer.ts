/**
 * Folders and small files written by a worker thread while the main thread renders the next ones:
 * a 100,000-node output is 100,000 folders and files, and ext4 spends 20–30 µs of system time on
 * each mkdir and ~15 µs on each open, write and close, time the main thread no longer waits for
 * (on a second core). Used synchronously: `mkdir` and `write` hand work over, `drain` waits until
 * all of it is on disk (or throws the first error, as the synchronous calls would have).
 */
import { Worker, MessageChannel, receiveMessageOnPort } from "worker_threads";

/** Files per message to the worker. */
const BATCH = 256;

/** Bytes of a message's file contents (a larger file gets a message of its own). */
const BATCH_BYTES = 1 << 20;

/** Messages handed over but not yet done, above which `write` waits (bounds the memory they hold: 4,096 files). */
const MAX_PENDING = 16;

/** Seconds without progress after which the worker is taken for dead. */
const STALLED_SECONDS = 120;

// plain JavaScript (an eval worker needs no TypeScript loader): mkdir then write, in order
const WORKER = `
const { parentPort, workerData } = require("worker_threads");
const { mkdirSync, writeFileSync } = require("fs");
const done = new Int32Array(workerData.shared);
let failed = false;
parentPort.on("message", (batch) => {
  if (!failed) {
    try {
      for (const dir of batch.dirs) mkdirSync(dir);
      const bytes = new Uint8Array(batch.bytes);
      for (let i = 0, at = 0; i < batch.files.length; i++) {
        writeFileSync(batch.files[i], bytes.subarray(at, at + batch.sizes[i]));
        at += batch.sizes[i];
      }
    } catch (e) {
      failed = true;
      workerData.errors.postMessage({ message: e.message, code: e.code, syscall: e.syscall, path: e.path });
      Atomics.store(done, 1, 1);
    }
  }
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
});
`;

/** A worker writing folders and files in the order they are added. */
export class BackgroundWriter {
  private readonly worker: Worker;
  private readonly errors: MessageChannel;
  /** [0] messages done (written, or skipped after an error), [1] 1 once an error happened. */
  private readonly done: Int32Array;
  private sent = 0;
  private dirs: string[] = [];
  private files: string[] = [];
  /** The files' UTF-8 bytes, one after the other (moved to the worker, not copied), and their sizes. */
  private bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private used = 0;
  private sizes: number[] = [];

  constructor() {
    const shared = new SharedArrayBuffer(8);
    this.done = new Int32Array(shared);
    this.errors = new MessageChannel();
    this.worker = new Worker(WORKER, { eval: true, workerData: { shared, errors: this.errors.port2 }, transferList: [this.errors.port2] });
    this.worker.unref();
  }

  /** Create folder `dir` (its parent made before) before the files added after it. */
  mkdir(dir: string): void {
    this.dirs.push(dir);
  }

  /** Write `text` to `file` (its folder made before, by `mkdir` or already there). */
  write(file: string, text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit
    if (text.length * 3 > this.bytes.length - this.used) {
      this.flush();
      if (text.length * 3 > this.bytes.length) this.bytes = Buffer.allocUnsafeSlow(text.length * 3);
    }
    const size = this.bytes.write(text, this.used, "utf8");
    this.used += size;
    this.files.push(file);
    this.sizes.push(size);
    if (this.files.length >= BATCH) this.flush();
  }

  /** Wait until everything added is written; throws the first error the worker met. */
  drain(): void {
    this.flush();
    this.waitBelow(1);
    this.check();
  }

  /** Stop the worker once what it was handed is done (after `drain`, or to give up: what was not handed over is dropped). */
  close(): void {
    this.waitBelow(1);
    void this.worker.terminate();
    this.errors.port1.close();
  }

  private flush(): void {
    if (this.files.length === 0 && this.dirs.length === 0) return;
    this.check();
    const bytes = this.bytes.buffer;
    this.worker.postMessage({ dirs: this.dirs, files: this.files, sizes: this.sizes, bytes }, [bytes]);
    this.sent++;
    this.dirs = [];
    this.files = [];
    this.sizes = [];
    this.bytes = Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.used = 0;
    this.waitBelow(MAX_PENDING);
  }

  /** Wait until fewer than `limit` messages are pending. */
  private waitBelow(limit: number): void {
    let idle = 0; // seconds without a message done: a worker that died (its events never reach a busy main thread)
    for (let last = -1; ; ) {
      const written = Atomics.load(this.done, 0);
      if (this.sent - written < limit) return;
      idle = written === last ? idle + 1 : 0;
      if (idle > STALLED_SECONDS) throw new Error(`internal: the output writer thread did nothing for ${STALLED_SECONDS} s`);
      last = written;
      Atomics.wait(this.done, 0, written, 1000);
    }
  }

  private check(): void {
    if (Atomics.load(this.done, 1) === 0) return;
    const m = receiveMessageOnPort(this.errors.port1)?.message as { message: string; code?: string; syscall?: string; path?: string } | undefined;
    const err = new Error(m?.message ?? "writing the output failed") as NodeJS.ErrnoException;
    if (m?.code) err.code = m.code;
    if (m?.syscall) err.syscall = m.syscall;
    if (m?.path) err.path = m.path;
    throw err;
  }
}
