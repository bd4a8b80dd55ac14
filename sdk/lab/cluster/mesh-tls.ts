/**
 * ClusterMesh certificates in the lab, made the way dcnet's `ClusterMesh` makes them: one CA shared
 * by the members (openssl, in the run dir, private key mode 0600), given to each member's chart as
 * `tls.ca.cert`/`tls.ca.key` (what `ClusterMesh` `caCertPem`/`caKeyPem` → `CiliumAgent` pass), and
 * the chart's own certificates from `helm template` of dcnet's values with that CA (the chart's
 * default `tls.auto.method: helm`):
 *
 * - `clustermesh-apiserver-server-cert`: the mesh etcd's server certificate (CN
 *   `clustermesh-apiserver.cilium.io`, SANs `*.mesh.cilium.io`, 127.0.0.1, ::1 and dcnet's
 *   `tls.server.extraIpAddresses`: the mesh VIP, or the NodePort addresses);
 * - `clustermesh-apiserver-admin-cert`: the clustermesh-apiserver's client certificate to its etcd;
 * - `clustermesh-apiserver-remote-cert`: this cluster's client certificate to the other members'
 *   mesh etcd (the agent DaemonSet mounts it as `common-etcd-client.{crt,key}` and its CA as
 *   `common-etcd-client-ca.crt`);
 * - `cilium-kvstoremesh`: one etcd client config per other member (endpoint
 *   `https://<member>.mesh.cilium.io:<port>`, `cilium-host-aliases` with dcnet's addresses for it);
 * - the `clustermesh-apiserver` Service (LoadBalancer pinned on the VIP, or NodePort 32379) and
 *   the Deployment's pod labels.
 *
 * The values file (it holds the CA key) is created 0600 in the cluster's mesh folder (0700); the
 * chart's text (it holds the issued keys) is not written anywhere. `foreignClientCert` makes a
 * client certificate from a CA of its own (the failure demonstration: not the mesh's CA).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { LabError, run } from "../exec";
import { ClusterContext, ciliumValues } from "../../k8s";
import { MeshEndpoint, meshEndpoint } from "../../k8s/clustermesh";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { helmTemplate } from "./config";

/** A certificate, its key and the CA it chains to (file paths). */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** A CA (file paths; the key stays in the run dir, 0600). */
export interface LabCa {
  cert: string;
  key: string;
}

/** What the chart renders for one mesh member with the shared CA. */
export interface MeshChart {
  cluster: string;
  /** dcnet's endpoint of this member's mesh API server (VIP or NodePort addresses). */
  endpoint: MeshEndpoint;
  /** The mesh etcd's server certificate. */
  server: TlsFiles;
  /** The clustermesh-apiserver's client certificate to its etcd. */
  admin: TlsFiles;
  /** This cluster's client certificate to the other members. */
  remote: TlsFiles;
  /** etcd client config (YAML) per other member, as in the chart's `cilium-kvstoremesh` Secret. */
  peerConfigs: Record<string, string>;
  /** The chart's `clustermesh-apiserver` Service. */
  service: Record<string, unknown>;
  /** Labels of the chart's clustermesh-apiserver pods. */
  podLabels: Record<string, string>;
}

/** Where the chart mounts the ClusterMesh files in the agent (the etcd configs name them). */
export const CHART_CLUSTERMESH_DIR = "/var/lib/cilium/clustermesh/";

function openssl(args: string[]): void {
  const r = run("openssl", args, { check: false, timeoutMs: 60000 });
  if (r.code !== 0) throw new LabError(`openssl ${args[0]} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
}

/** A self-signed CA (RSA 2048, `CA:TRUE`, 30 days) in `dir` (`<name>-ca.crt`, `<name>-ca.key` 0600). */
export function makeLabCa(dir: string, name: string, commonName: string): LabCa {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca: LabCa = { cert: join(dir, `${name}-ca.crt`), key: join(dir, `${name}-ca.key`) };
  if (existsSync(ca.cert) && existsSync(ca.key)) return ca;
  writeFileSync(ca.key, "", { mode: 0o600 });
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca.key, "-out", ca.cert, "-days", "30", "-subj", `/CN=${commonName}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  chmodSync(ca.key, 0o600);
  return ca;
}

/** A client certificate (`clientAuth`) signed by `ca`, in `dir` (`<name>.crt`, `<name>.key` 0600). */
export function makeClientCert(dir: string, name: string, ca: LabCa, commonName: string): TlsFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f: TlsFiles = { ca: ca.cert, cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  writeFileSync(f.key, "", { mode: 0o600 });
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f.key, "-out", f.cert, "-days", "30", "-subj", `/CN=${commonName}`, "-CA", ca.cert, "-CAkey", ca.key, "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=clientAuth", "-addext", "keyUsage=critical,digitalSignature,keyEncipherment"]);
  chmodSync(f.key, 0o600);
  return f;
}

/**
 * A client certificate from a CA that is not the mesh's (`<dir>/foreign-ca.*`), with the CN the
 * chart gives a member's remote certificate: the mesh etcd must refuse it.
 */
export function foreignClientCert(dir: string, commonName = "remote"): TlsFiles {
  const ca = makeLabCa(dir, "foreign", "Foreign CA (not the mesh's)");
  return makeClientCert(dir, "foreign-client", ca, commonName);
}

type Obj = { kind?: string; metadata?: { name?: string }; data?: Record<string, string>; spec?: { template?: { metadata?: { labels?: Record<string, string> } } } };

function secretData(objects: Obj[], name: string): Record<string, string> {
  const s = objects.find((o) => o.kind === "Secret" && o.metadata?.name === name);
  if (!s?.data) throw new LabError(`helm template of dcnet's values rendered no Secret ${name} (is the cluster meshed, with the clustermesh-apiserver's TLS from helm?)`);
  return Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

function writeTls(dir: string, name: string, data: Record<string, string>): TlsFiles {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  const f: TlsFiles = { ca: join(d, "ca.crt"), cert: join(d, "tls.crt"), key: join(d, "tls.key") };
  for (const [file, key] of [[f.ca, "ca.crt"], [f.cert, "tls.crt"], [f.key, "tls.key"]] as const) {
    if (!data[key]) throw new LabError(`Secret ${name} has no ${key}`);
    writeFileSync(file, data[key], { mode: 0o600 });
  }
  return f;
}

/**
 * `helm template` of dcnet's values for `ctx`'s cluster with the shared CA as `tls.ca` (what
 * `ClusterMesh` gives the chart), the mesh certificates written below `dir` (0600), the etcd client
 * configs for the other members, the Service and the pod labels.
 */
export function meshChart(ctx: ClusterContext, ca: LabCa, dir: string, tools: ClusterTools = clusterTools()): MeshChart {
  if (!tools.helm || !tools.ciliumChart) throw new LabError(`helm and the Cilium chart are needed (looked in ${tools.toolsDir})`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const values = ciliumValues(ctx);
  const b64 = (file: string) => readFileSync(file).toString("base64");
  const withCa = { ...values, tls: { ...((values.tls as object | undefined) ?? {}), ca: { cert: b64(ca.cert), key: b64(ca.key) } } };
  // it holds the CA key: created 0600 before helmTemplate writes it (writeFileSync keeps the mode of an existing file)
  const valuesFile = join(dir, "values-mesh-ca.json");
  writeFileSync(valuesFile, "", { mode: 0o600 });
  chmodSync(valuesFile, 0o600);
  const chart = helmTemplate(tools.helm, tools.ciliumChart, withCa, valuesFile);
  const objects = chart.objects as Obj[];
  const tlsDir = join(dir, "tls");
  const server = writeTls(tlsDir, "clustermesh-apiserver-server-cert", secretData(objects, "clustermesh-apiserver-server-cert"));
  const admin = writeTls(tlsDir, "clustermesh-apiserver-admin-cert", secretData(objects, "clustermesh-apiserver-admin-cert"));
  const remote = writeTls(tlsDir, "clustermesh-apiserver-remote-cert", secretData(objects, "clustermesh-apiserver-remote-cert"));
  const peerConfigs: Record<string, string> = {};
  for (const [k, v] of Object.entries(secretData(objects, "cilium-kvstoremesh"))) if (!k.includes(".")) peerConfigs[k] = v;
  const service = objects.find((o) => o.kind === "Service" && o.metadata?.name === "clustermesh-apiserver") as Record<string, unknown> | undefined;
  if (!service) throw new LabError("helm template of dcnet's values rendered no clustermesh-apiserver Service");
  const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata?.name === "clustermesh-apiserver");
  const podLabels = deployment?.spec?.template?.metadata?.labels;
  if (!podLabels) throw new LabError("helm template of dcnet's values rendered no clustermesh-apiserver Deployment with pod labels");
  return { cluster: ctx.cluster.name, endpoint: meshEndpoint(ctx), server, admin, remote, peerConfigs, service, podLabels };
}

/** Subject alternative names of a certificate (`openssl x509 -ext subjectAltName`), e.g. `DNS:*.mesh.cilium.io`, `IP Address:198.18.200.3`. */
export function certificateSans(file: string): string[] {
  const r = run("openssl", ["x509", "-in", file, "-noout", "-ext", "subjectAltName"], { check: false });
  if (r.code !== 0) throw new LabError(`openssl x509 -ext subjectAltName ${file}: ${r.stderr.trim()}`);
  return r.stdout
    .split("\n")
    .slice(1)
    .join(",")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Issuer and subject of a certificate (`openssl x509 -issuer -subject`). */
export function certificateNames(file: string): { issuer: string; subject: string } {
  const r = run("openssl", ["x509", "-in", file, "-noout", "-issuer", "-subject", "-nameopt", "oneline"], { check: false });
  if (r.code !== 0) throw new LabError(`openssl x509 ${file}: ${r.stderr.trim()}`);
  const field = (n: string) => new RegExp(`^${n}=\\s*(.*)$`, "m").exec(r.stdout)?.[1]?.trim() ?? "";
  return { issuer: field("issuer"), subject: field("subject") };
}
