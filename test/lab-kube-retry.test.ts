/**
 * The lab's kubectl retries a call that failed with a transient API server error (etcd missed its
 * deadline under load) and nothing else: a stub kubectl (a real process) fails a set number of
 * times with a given message, then succeeds.
 */
import assert from "assert";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { kubectl } from "../sdk/lab/cluster/apiserver";
import { isTransientApiError } from "../sdk/lab/cluster/kube-retry";

describe("lab kubectl retry on transient API server errors", function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dcnet-retry-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A kubectl that fails `failures` times with `message` (exit 1), then prints ok. */
  function stub(failures: number, message: string): string {
    const bin = join(dir, "kubectl");
    writeFileSync(
      bin,
      `#!/bin/sh\nn=$(cat "${dir}/calls" 2>/dev/null || echo 0)\nn=$((n + 1))\necho "$n" > "${dir}/calls"\nif [ "$n" -le ${failures} ]; then echo '${message}' >&2; exit 1; fi\necho ok\n`,
    );
    chmodSync(bin, 0o755);
    return bin;
  }
  const calls = () => Number(readFileSync(join(dir, "calls"), "utf8").trim());
  const api = () => ({ kubeconfig: join(dir, "kubeconfig") });
  const fast = { attempts: 4, firstPauseMs: 10 };

  it("sends the call again after etcd timeouts and returns its success", function () {
    const bin = stub(2, "Error from server: etcdserver: request timed out");
    const r = kubectl(api(), bin, ["get", "nodes"], { retry: fast });
    assert.strictEqual(r.code, 0);
    assert.strictEqual(r.stdout.trim(), "ok");
    assert.strictEqual(calls(), 3);
  });

  it("gives up after the policy's attempts and throws the last error", function () {
    const bin = stub(10, "Error from server (Timeout): Timeout: request did not complete within requested timeout");
    assert.throws(() => kubectl(api(), bin, ["apply", "-f", "-"], { retry: fast, input: "{}" }), /request did not complete/);
    assert.strictEqual(calls(), 4);
  });

  it("does not retry other failures (a refused object fails at once)", function () {
    const bin = stub(10, 'The Pod "x" is invalid: spec.containers: Required value');
    const r = kubectl(api(), bin, ["apply", "-f", "-"], { retry: fast, check: false, input: "{}" });
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /is invalid/);
    assert.strictEqual(calls(), 1);
  });

  it("tells transient messages from others", function () {
    assert.ok(isTransientApiError("Error from server: etcdserver: leader changed"));
    assert.ok(isTransientApiError("Unable to connect to the server: net/http: TLS handshake timeout"));
    assert.ok(!isTransientApiError('Error from server (NotFound): pods "x" not found'));
    assert.ok(!isTransientApiError("Error from server (Conflict): the object has been modified"));
  });
});
