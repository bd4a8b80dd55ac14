/**
 * A throwaway Kubernetes API server for tests: Debian's etcd and a kube-apiserver built by
 * `scripts/build-cluster-tools.sh`, both on 127.0.0.1 with ephemeral ports, state in a temporary
 * folder of this run, stopped by their recorded PIDs (never by name). No kube-controller-manager,
 * no scheduler: objects are stored and validated (schemas, CRDs, admission), nothing acts on them.
 *
 *   const api = await startTestApiServer({ etcd, kubeApiserver, kubectl });
 *   try { api.kubectl(["apply", "--server-side", "-f", "-"], { input: yaml }); } finally { await api.stop(); }
 *
 * Bounded waits: etcd and the API server must be ready within `timeoutMs` (default 90 s).
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { generateKeyPairSync, randomBytes } from "crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { createServer } from "net";
import * as os from "os";
import * as path from "path";

/** Binaries the API server needs. */
export interface ApiServerTools {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
}

/** Options of `startTestApiServer`. */
export interface ApiServerOptions {
  /** Parent of the run folder (default: the OS temp dir). */
  parentDir?: string;
  /** Service CIDR (default 198.19.254.0/24: inside 198.18.0.0/15, never routed anywhere). */
  serviceCidr?: string;
  /** Ready timeout for etcd and for the API server, ms (default 90 000). */
  timeoutMs?: number;
  /** Keep the run folder after `stop()` (for debugging). */
  keepDir?: boolean;
}

/** Result of a kubectl run. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running test API server. */
export interface TestApiServer {
  /** Run folder (etcd data, certificates, logs, kubeconfig). */
  dir: string;
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** Kubeconfig with the admin token (system:masters). */
  kubeconfig: string;
  /** PIDs of etcd and kube-apiserver. */
  pids: { etcd: number; kubeApiserver: number };
  /** Run kubectl against it (bounded: `timeoutMs`, default 120 s). */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): KubectlResult;
  /** Register CRDs from YAML files (files, or every `*.yaml` of folders) and wait until they are established. */
  registerCrds(paths: string[]): void;
  /** Stop both processes (SIGTERM, SIGKILL after 10 s) and remove the run folder. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound and released: the caller uses it at once). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHook = false;

function startProcess(argv: string[], log: string): ChildProcess {
  const fd = openSync(log, "a");
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    // never leave a daemon behind when the test process ends early
    process.once("exit", () => {
      for (const c of live) if (c.pid !== undefined && c.exitCode === null) c.kill("SIGKILL");
    });
  }
  return child;
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return "(no log)";
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}

async function waitFor(what: string, child: ChildProcess, log: string, timeoutMs: number, ready: () => boolean, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready; last log lines of ${log}:\n${tail(log)}`);
    if (ready()) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs / 1000} s; last log lines of ${log}:\n${tail(log)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function stopProcess(child: ChildProcess, graceMs = 10000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  process.kill(child.pid, "SIGTERM");
  const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs));
  if ((await Promise.race([exited, timer])) === "timeout" && child.exitCode === null) {
    process.kill(child.pid, "SIGKILL");
    await exited;
  }
}

/** Start etcd + kube-apiserver on loopback; resolves once `/readyz` answers ok. */
export async function startTestApiServer(tools: ApiServerTools, options: ApiServerOptions = {}): Promise<TestApiServer> {
  const timeoutMs = options.timeoutMs ?? 90000;
  const dir = mkdtempSync(path.join(options.parentDir ?? os.tmpdir(), "dcnet-apiserver-"));
  const [etcdPort, peerPort, port] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const url = `https://127.0.0.1:${port}`;
  const token = randomBytes(24).toString("hex");
  writeFileSync(path.join(dir, "tokens.csv"), `${token},test-admin,test-admin,"system:masters"\n`, { mode: 0o600 });
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }), { mode: 0o600 });
  writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });

  const children: ChildProcess[] = [];
  const stopAll = async () => {
    for (const c of [...children].reverse()) await stopProcess(c);
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const etcdLog = path.join(dir, "etcd.log");
    const etcd = startProcess(
      [
        tools.etcd,
        "--name=test",
        `--data-dir=${path.join(dir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=test=${peerUrl}`,
        "--initial-cluster-state=new",
      ],
      etcdLog,
    );
    children.push(etcd);
    await waitFor("etcd", etcd, etcdLog, timeoutMs, () => /ready to serve client requests/.test(readFileSync(etcdLog, "utf8")));

    const apiLog = path.join(dir, "kube-apiserver.log");
    const certDir = path.join(dir, "certs");
    const api = startProcess(
      [
        tools.kubeApiserver,
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${port}`,
        // a loopback advertise address is refused by the endpoint reconciler
        "--endpoint-reconciler-type=none",
        // Cilium's DaemonSet is privileged
        "--allow-privileged=true",
        `--token-auth-file=${path.join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--anonymous-auth=false",
        `--service-account-key-file=${path.join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-cluster-ip-range=${options.serviceCidr ?? "198.19.254.0/24"}`,
        `--cert-dir=${certDir}`,
        "--profiling=false",
        "--v=1",
      ],
      apiLog,
    );
    children.push(api);
    const kubeconfig = path.join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: test\n  cluster:\n    server: "${url}"\n    insecure-skip-tls-verify: true`,
        "users:",
        `- name: admin\n  user:\n    token: "${token}"`,
        "contexts:",
        "- name: test\n  context:\n    cluster: test\n    user: admin",
        "current-context: test",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}): KubectlResult => {
      const r = spawnSync(tools.kubectl, [`--kubeconfig=${kubeconfig}`, ...args], { input: opts.input, encoding: "utf8", timeout: opts.timeoutMs ?? 120000, maxBuffer: 64 * 1024 * 1024 });
      return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
    };
    await waitFor("kube-apiserver", api, apiLog, timeoutMs, () => {
      const r = kubectl(["get", "--raw", "/readyz"], { timeoutMs: 10000 });
      return r.code === 0 && r.stdout.trim() === "ok";
    }, 500);

    return {
      dir,
      url,
      kubeconfig,
      pids: { etcd: etcd.pid!, kubeApiserver: api.pid! },
      kubectl,
      registerCrds(paths: string[]): void {
        const files = paths.flatMap((d) => (statSync(d).isDirectory() ? readdirSync(d).filter((f) => f.endsWith(".yaml")).sort().map((f) => path.join(d, f)) : [d]));
        if (files.length === 0) throw new Error(`no CRD files in ${paths.join(", ")}`);
        const r = kubectl(["apply", "--server-side", ...files.flatMap((f) => ["-f", f])]);
        if (r.code !== 0) throw new Error(`registering CRDs failed: ${r.stderr.trim()}`);
        const w = kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"], { timeoutMs: 70000 });
        if (w.code !== 0) throw new Error(`CRDs not established: ${w.stderr.trim()}`);
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
