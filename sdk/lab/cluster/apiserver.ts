/**
 * A lab cluster's control plane: one etcd and one kube-apiserver, on 127.0.0.1 ephemeral ports
 * only, every file in the run dir (`<runDir>/k8s-<cluster>/`):
 *
 * - etcd (Debian etcd-server 3.4): single member, client and peer URLs on 127.0.0.1;
 * - kube-apiserver: `--endpoint-reconciler-type=none` (it refuses to advertise a loopback address
 *   otherwise), `--allow-privileged=true` (Cilium's DaemonSet), a static token (the lab's admin,
 *   group system:masters) with RBAC, a service-account key pair generated per run, a service CIDR
 *   inside 198.18.0.0/15 outside every prefix of the plan; its self-signed serving certificate
 *   (for 127.0.0.1) is the kubeconfig's CA;
 * - a relay (socat) from a Unix socket in the run dir to the API server, so the agents in the node
 *   namespaces reach it without the root namespace ever holding a lab address.
 *
 * `startControlPlane` can be used on its own (e.g. by tests of the rendered objects): pass a
 * state whose `processes` records what it starts, stop it with `labDown` or `stopRecorded`.
 */
import { generateKeyPairSync, randomBytes } from "crypto";
import { existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { Plan } from "../../plan/types";
import { prefixesOverlap } from "../../net/prefix";
import { commandFailed, LabError, run, RunResult } from "../exec";
import { planPrefixes } from "../mgmt";
import { LabState, makeDir, saveState } from "../state";
import { freeLoopbackPort, spawnRecorded, waitReady } from "./proc";
import { retryTransient, RetryPolicy } from "./kube-retry";
import { LabApiServer } from "./types";

/** Kubernetes version the API server reports (helm template's --kube-version). */
export const KUBE_VERSION = "1.37.2";
/** How long etcd and the API server may take to become ready. */
export const CONTROL_PLANE_TIMEOUT_MS = 90000;

/** Candidate service CIDRs, all inside 198.18.0.0/15 (the first not overlapping the plan wins). */
export const SERVICE_CIDR_CANDIDATES = Array.from({ length: 16 }, (_, i) => `198.19.${255 - i}.0/24`).concat(Array.from({ length: 16 }, (_, i) => `198.18.${239 - i}.0/24`));

/** The first candidate service CIDR that overlaps nothing the plan uses. */
export function pickServiceCidr(plan: Plan, taken: string[] = []): string {
  const used = [...planPrefixes(plan), ...taken];
  for (const c of SERVICE_CIDR_CANDIDATES) if (!used.some((u) => !u.includes(":") && prefixesOverlap(c, u))) return c;
  throw new LabError(`no service CIDR left for the lab: every candidate (${SERVICE_CIDR_CANDIDATES[0]} ... ${SERVICE_CIDR_CANDIDATES[SERVICE_CIDR_CANDIDATES.length - 1]}) overlaps the plan`);
}

/** Tools the control plane needs. */
export interface ControlPlaneTools {
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
  socat: string;
}

/**
 * kubectl against a lab API server (bounded). A call that fails with a transient API server error
 * (etcd missed its deadline on a loaded machine, see kube-retry.ts) is sent again, at most
 * `retry.attempts` times in all; every other failure is reported (or thrown with `check`) at once.
 */
export function kubectl(
  api: Pick<LabApiServer, "kubeconfig">,
  tool: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; check?: boolean; retry?: RetryPolicy } = {},
): RunResult {
  const argv = ["--kubeconfig", api.kubeconfig, "--request-timeout=20s", ...args];
  const r = retryTransient(() => run(tool, argv, { timeoutMs: opts.timeoutMs ?? 30000, input: opts.input, check: false }), (x) => (x.code === 0 ? undefined : `${x.stderr}\n${x.stdout}`), opts.retry);
  if ((opts.check ?? true) && r.code !== 0) throw commandFailed(tool, argv, r);
  return r;
}

function kubeconfigText(server: string, caFile: string, token: string, cluster: string): string {
  // JSON is YAML (1.1 and 1.2 alike): no scalar is read differently by kubectl and client-go
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: cluster, cluster: { server, "certificate-authority": caFile } }],
      users: [{ name: "lab-admin", user: { token } }],
      contexts: [{ name: cluster, context: { cluster, user: "lab-admin" } }],
      "current-context": cluster,
    },
    null,
    2,
  ) + "\n";
}

/** Write a kubeconfig for the same API server reached at another URL (e.g. a node's relay port). */
export function writeKubeconfig(api: LabApiServer, file: string, server: string): void {
  const token = readToken(api);
  writeFileSync(file, kubeconfigText(server, join(api.dir, "certs", "apiserver.crt"), token, "lab"), { mode: 0o600 });
}

function readToken(api: LabApiServer): string {
  const line = readFileSync(join(api.dir, "tokens.csv"), "utf8").split("\n")[0];
  return line.split(",")[0];
}

/**
 * Start etcd, kube-apiserver and the Unix-socket relay of one cluster; resolves when the API
 * server answers /readyz. `device` names the processes in the state (e.g. `k8s-<cluster>`).
 */
export async function startControlPlane(
  state: LabState,
  plan: Plan,
  cluster: string,
  tools: ControlPlaneTools,
  opts: { takenServiceCidrs?: string[]; onRecord?: (api: LabApiServer) => void } = {},
): Promise<LabApiServer> {
  const dir = join(state.runDir, `k8s-${cluster}`);
  const device = `k8s-${cluster}`;
  const [etcdPort, peerPort, port] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
  const api: LabApiServer = {
    dir,
    etcdDataDir: join(dir, "etcd"),
    etcdUrl: `http://127.0.0.1:${etcdPort}`,
    etcdPeerUrl: `http://127.0.0.1:${peerPort}`,
    port,
    url: `https://127.0.0.1:${port}`,
    kubeconfig: join(dir, "kubeconfig"),
    serviceCidr: pickServiceCidr(plan, opts.takenServiceCidrs),
    relaySocket: join(dir, "apiserver.sock"),
  };
  opts.onRecord?.(api);
  saveState(state);
  makeDir(dir, 0o700);
  makeDir(join(dir, "certs"), 0o700);

  // secrets of the run: admin token, service-account key pair
  const token = randomBytes(24).toString("hex");
  writeFileSync(join(dir, "tokens.csv"), `${token},lab-admin,lab-admin,"system:masters"\n`, { mode: 0o600 });
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }), { mode: 0o600 });
  writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });

  // etcd
  const etcdLog = join(dir, "etcd.log");
  const etcdRec = spawnRecorded(
    state,
    device,
    "etcd",
    [
      tools.etcd,
      "--name=lab",
      `--data-dir=${api.etcdDataDir}`,
      `--listen-client-urls=${api.etcdUrl}`,
      `--advertise-client-urls=${api.etcdUrl}`,
      `--listen-peer-urls=${api.etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${api.etcdPeerUrl}`,
      `--initial-cluster=lab=${api.etcdPeerUrl}`,
      "--initial-cluster-state=new",
      `--initial-cluster-token=${state.prefix}-${cluster}`,
      "--quota-backend-bytes=536870912",
    ],
    etcdLog,
  );
  await waitReady(`etcd of cluster ${cluster}`, etcdRec, etcdLog, CONTROL_PLANE_TIMEOUT_MS, () => {
    // etcd 3.4 logs this line once it accepts clients
    const text = existsSync(etcdLog) ? readFileSync(etcdLog, "utf8") : "";
    return /ready to serve client requests/.test(text) ? true : undefined;
  });

  // kube-apiserver
  const apiLog = join(dir, "kube-apiserver.log");
  const apiRec = spawnRecorded(
    state,
    device,
    "kube-apiserver",
    [
      tools.kubeApiserver,
      `--etcd-servers=${api.etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      "--endpoint-reconciler-type=none",
      "--allow-privileged=true",
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--anonymous-auth=false",
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-cluster-ip-range=${api.serviceCidr}`,
      `--cert-dir=${join(dir, "certs")}`,
      "--profiling=false",
      "--enable-priority-and-fairness=false",
      "--watch-cache=true",
      "--v=1",
    ],
    apiLog,
  );
  await waitReady(`kube-apiserver of cluster ${cluster}`, apiRec, apiLog, CONTROL_PLANE_TIMEOUT_MS, () => (existsSync(join(dir, "certs", "apiserver.crt")) ? true : undefined));
  writeFileSync(api.kubeconfig, kubeconfigText(api.url, join(dir, "certs", "apiserver.crt"), token, cluster), { mode: 0o600 });
  await waitReady(`kube-apiserver of cluster ${cluster}`, apiRec, apiLog, CONTROL_PLANE_TIMEOUT_MS, () => {
    const r = kubectl(api, tools.kubectl, ["get", "--raw", "/readyz"], { check: false, timeoutMs: 10000, retry: { attempts: 1, firstPauseMs: 0 } });
    return r.code === 0 && r.stdout.trim() === "ok" ? true : undefined;
  }, 500);

  // relay: Unix socket in the run dir → the API server (TCP on 127.0.0.1)
  const relayLog = join(dir, "relay.log");
  const relayRec = spawnRecorded(state, device, "socat", [tools.socat, "-lf", relayLog, `UNIX-LISTEN:${api.relaySocket},fork,mode=600,unlink-early`, `TCP:127.0.0.1:${port}`], `${relayLog}.out`);
  await waitReady(`API server relay of cluster ${cluster}`, relayRec, relayLog, 10000, () => (existsSync(api.relaySocket) ? true : undefined), 50);
  return api;
}
