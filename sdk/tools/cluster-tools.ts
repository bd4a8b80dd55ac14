/**
 * Where the cluster-side tools are: binaries built from source by `scripts/build-cluster-tools.sh`
 * (cached in `${DCNET_TOOLS_DIR:-/var/cache/dcnet-tools}/<name>-<version>/<binary>`), Debian's
 * `etcd`, `clang-19` and `socat`, and the Cilium module source in the Go module cache (chart,
 * `bpf/`, CRDs). Nothing here builds or downloads anything: it only looks.
 */
import { accessSync, constants, existsSync } from "fs";
import * as os from "os";
import * as path from "path";

/** Versions built by scripts/build-cluster-tools.sh (keep in sync). */
export const CLUSTER_TOOL_VERSIONS = {
  kubernetes: "1.37.2",
  helm: "3.22.0",
  cilium: "1.20.2",
  istioApi: "1.30.8",
  /** github.com/pulumi/pulumi-kubernetes/provider/v4: the proxy serves only pseudo-versions of it (tools/pulumi-kubernetes/go.mod). */
  pulumiKubernetes: "4.0.0-20260115033456-f47bc2d6f199",
} as const;

/** Environment variable naming the tools cache folder. */
export const TOOLS_DIR_ENV = "DCNET_TOOLS_DIR";
/** Default tools cache folder. */
export const DEFAULT_TOOLS_DIR = "/var/cache/dcnet-tools";

/** Paths of the cluster-side tools; a path is `undefined` when the tool is not there (and named in `missing`). */
export interface ClusterTools {
  /** The cache folder looked in. */
  toolsDir: string;
  kubeApiserver?: string;
  kubectl?: string;
  helm?: string;
  ciliumAgent?: string;
  /** cilium-operator-generic. */
  ciliumOperator?: string;
  ciliumCni?: string;
  clustermeshApiserver?: string;
  /** cilium-dbg, the agent's debug CLI (`monitor`: drops and policy verdicts). */
  ciliumDbg?: string;
  /** pulumi-resource-kubernetes, the Pulumi Kubernetes provider plugin (tools/pulumi-kubernetes). */
  pulumiKubernetes?: string;
  /** Debian etcd-server. */
  etcd?: string;
  /** clang ≥ 18 (Debian clang-19: `/usr/lib/llvm-19/bin/clang`); the agent calls `clang` by name, so put `dirname(clang)` first in PATH. */
  clang?: string;
  socat?: string;
  /** `github.com/cilium/cilium@v<version>` in the Go module cache (chart at `install/kubernetes/cilium`, `bpf/`, CRDs). */
  ciliumModuleDir?: string;
  /** The Cilium chart folder (`<ciliumModuleDir>/install/kubernetes/cilium`). */
  ciliumChart?: string;
  /** The CRD folders of the module (`pkg/k8s/apis/cilium.io/client/crds/v2`, `v2alpha1`). */
  ciliumCrdDirs?: string[];
  /**
   * Istio's CRDs (`kubernetes/customresourcedefinitions.gen.yaml` of the Go module `istio.io/api`): the
   * proxy serves no `istio.io/api` tag of the pinned Istio 1.27 (Istio tags 1.27.x without `v`), so the
   * nearest served one, v1.30.8; Gateway and VirtualService are `networking.istio.io/v1` in both.
   */
  istioCrds?: string;
  /** Names of the tools not found (keys of this interface, e.g. `"kubeApiserver"`). */
  missing: string[];
}

type Env = { [name: string]: string | undefined };

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (executable(file)) return file;
  }
  return undefined;
}

/** The Go module cache folder (`$GOMODCACHE`, else `$GOPATH/pkg/mod`, else `~/go/pkg/mod`). */
export function goModCache(env: Env = process.env): string {
  return env.GOMODCACHE || path.join((env.GOPATH || "").split(path.delimiter)[0] || path.join(os.homedir(), "go"), "pkg", "mod");
}

/** The tools cache folder. */
export function toolsDir(env: Env = process.env): string {
  return env[TOOLS_DIR_ENV] || DEFAULT_TOOLS_DIR;
}

/** Path of a built tool in the cache (whether or not it exists). */
export function cachedToolPath(name: string, version: string, env: Env = process.env): string {
  return path.join(toolsDir(env), `${name}-${version}`, name);
}

/** Look up every cluster-side tool. */
export function clusterTools(env: Env = process.env): ClusterTools {
  const v = CLUSTER_TOOL_VERSIONS;
  const missing: string[] = [];
  const built = (key: string, name: string, version: string): string | undefined => {
    const file = cachedToolPath(name, version, env);
    if (executable(file)) return file;
    missing.push(key);
    return undefined;
  };
  const system = (key: string, names: string[], extra: string[] = []): string | undefined => {
    for (const f of extra) if (executable(f)) return f;
    for (const n of names) {
      const hit = onPath(n, env);
      if (hit) return hit;
    }
    missing.push(key);
    return undefined;
  };
  const tools: ClusterTools = {
    toolsDir: toolsDir(env),
    kubeApiserver: built("kubeApiserver", "kube-apiserver", v.kubernetes),
    kubectl: built("kubectl", "kubectl", v.kubernetes),
    helm: built("helm", "helm", v.helm),
    ciliumAgent: built("ciliumAgent", "cilium-agent", v.cilium),
    ciliumOperator: built("ciliumOperator", "cilium-operator-generic", v.cilium),
    ciliumCni: built("ciliumCni", "cilium-cni", v.cilium),
    clustermeshApiserver: built("clustermeshApiserver", "clustermesh-apiserver", v.cilium),
    ciliumDbg: built("ciliumDbg", "cilium-dbg", v.cilium),
    pulumiKubernetes: built("pulumiKubernetes", "pulumi-resource-kubernetes", v.pulumiKubernetes),
    etcd: system("etcd", ["etcd"]),
    // Debian's clang-19 installs /usr/lib/llvm-19/bin/clang (and clang-19 on PATH)
    clang: system("clang", [], ["/usr/lib/llvm-19/bin/clang"]),
    socat: system("socat", ["socat"]),
    missing,
  };
  const moduleDir = path.join(goModCache(env), "github.com", "cilium", `cilium@v${v.cilium}`);
  if (existsSync(path.join(moduleDir, "install", "kubernetes", "cilium", "Chart.yaml"))) {
    tools.ciliumModuleDir = moduleDir;
    tools.ciliumChart = path.join(moduleDir, "install", "kubernetes", "cilium");
    tools.ciliumCrdDirs = ["v2", "v2alpha1"].map((d) => path.join(moduleDir, "pkg", "k8s", "apis", "cilium.io", "client", "crds", d));
  } else {
    missing.push("ciliumModuleDir");
  }
  const istio = path.join(goModCache(env), "istio.io", `api@v${v.istioApi}`, "kubernetes", "customresourcedefinitions.gen.yaml");
  if (existsSync(istio)) tools.istioCrds = istio;
  else missing.push("istioCrds");
  return tools;
}

/** The tools a caller needs, by key, that are missing (e.g. `missingTools(t, ["kubeApiserver", "etcd"])`). */
export function missingTools(tools: ClusterTools, needed: (keyof ClusterTools)[]): string[] {
  return needed.filter((k) => tools[k] === undefined).map(String);
}
