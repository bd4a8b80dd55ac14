#!/usr/bin/env bash
# Builds the cluster-side tools from source (Go module proxy) and caches them outside the repository,
# one folder per tool and version:
#   ${DCNET_TOOLS_DIR:-/var/cache/dcnet-tools}/<name>-<version>/<binary>
# A cached binary is used as it is (warm run: seconds). Never a downloaded prebuilt binary.
#
#   kube-apiserver, kubectl  k8s.io/kubernetes v1.37.2 via tools/kubernetes (staging modules replaced
#                            with their published v0.37.2), version.gitVersion set for a truthful /version
#   helm                     helm.sh/helm/v3 v3.22.0 (go install, no wrapper needed)
#   cilium-agent, cilium-operator-generic, cilium-cni, clustermesh-apiserver, cilium-dbg
#                            github.com/cilium/cilium v1.20.2 via tools/cilium (see its go.mod for the
#                            two unserved dependencies and how they are replaced)
#   pulumi-resource-kubernetes
#                            the Pulumi Kubernetes provider, github.com/pulumi/pulumi-kubernetes/provider/v4
#                            at the proxy's pseudo-version, via tools/pulumi-kubernetes: built in a temporary
#                            folder (the module's schema.json / terraform-mapping.json run through its own
#                            generate.go, which writes the files its main.go embeds)
# and downloads two Go modules for their non-Go files into the Go module cache (GOMODCACHE):
#   github.com/cilium/cilium v1.20.2  the chart (with values.schema.json), bpf/ sources, CRDs
#   istio.io/api v1.30.8              Istio's CRDs (no istio.io/api tag of the pinned Istio 1.27 is served)
#
# Usage: scripts/build-cluster-tools.sh [TOOL...]   (default: all; e.g. `kube-apiserver helm`)
# Prints one line per tool: `cached`, `built in N s` or `FAILED (reason)`; the build log of a failure is
# kept in ${DCNET_TOOLS_DIR}/logs/. Exits 1 when a required tool (all but cilium-cni, cilium-dbg and
# clustermesh-apiserver) is missing afterwards.
# Versions are kept in sync with sdk/tools/cluster-tools.ts.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS_DIR="${DCNET_TOOLS_DIR:-/var/cache/dcnet-tools}"
K8S_VERSION=1.37.2
HELM_VERSION=3.22.0
CILIUM_VERSION=1.20.2
ISTIO_API_VERSION=1.30.8
PULUMI_K8S_VERSION=4.0.0-20260115033456-f47bc2d6f199
export CGO_ENABLED=0
export GOFLAGS="-buildvcs=false"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

mkdir -p "$TOOLS_DIR/logs"

ALL_TOOLS=(kube-apiserver kubectl helm cilium-agent cilium-operator-generic cilium-cni clustermesh-apiserver cilium-dbg pulumi-resource-kubernetes)
OPTIONAL_TOOLS=" cilium-cni clustermesh-apiserver cilium-dbg "

version_of() {
  case "$1" in
    kube-apiserver | kubectl) echo "$K8S_VERSION" ;;
    helm) echo "$HELM_VERSION" ;;
    pulumi-resource-kubernetes) echo "$PULUMI_K8S_VERSION" ;;
    *) echo "$CILIUM_VERSION" ;;
  esac
}

# build_one NAME OUT: writes the binary to OUT (a temporary path next to the cache folder)
build_one() {
  local name="$1" out="$2"
  local minor k8s_ld
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  k8s_ld="-s -w -X k8s.io/component-base/version.gitVersion=v${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=${K8S_VERSION%%.*} -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/component-base/version.gitTreeState=clean"
  local cilium_ld="-s -w -X 'github.com/cilium/cilium/pkg/version.ciliumVersion=${CILIUM_VERSION} v${CILIUM_VERSION}'"
  case "$name" in
    kube-apiserver)
      (cd "$ROOT/tools/kubernetes" && go build -trimpath -ldflags "$k8s_ld" -o "$out" k8s.io/kubernetes/cmd/kube-apiserver) ;;
    kubectl)
      (cd "$ROOT/tools/kubernetes" && go build -trimpath -ldflags "$k8s_ld" -o "$out" k8s.io/kubernetes/cmd/kubectl) ;;
    helm)
      local gobin
      gobin="$(dirname "$out")/gobin"
      mkdir -p "$gobin"
      (cd / && GOBIN="$gobin" GOFLAGS="-buildvcs=false -mod=mod" go install -trimpath \
        -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
        "helm.sh/helm/v3/cmd/helm@v${HELM_VERSION}")
      mv "$gobin/helm" "$out"
      rmdir "$gobin" ;;
    cilium-agent)
      (cd "$ROOT/tools/cilium" && go build -trimpath -tags=osusergo -ldflags "$cilium_ld" -o "$out" github.com/cilium/cilium/daemon) ;;
    cilium-operator-generic)
      (cd "$ROOT/tools/cilium" && go build -trimpath -tags=osusergo,ipam_provider_operator -ldflags "$cilium_ld" -o "$out" github.com/cilium/cilium/operator) ;;
    cilium-cni)
      (cd "$ROOT/tools/cilium" && go build -trimpath -tags=osusergo -ldflags "$cilium_ld" -o "$out" github.com/cilium/cilium/plugins/cilium-cni) ;;
    clustermesh-apiserver)
      (cd "$ROOT/tools/cilium" && go build -trimpath -tags=osusergo -ldflags "$cilium_ld" -o "$out" github.com/cilium/cilium/clustermesh-apiserver) ;;
    cilium-dbg)
      # the agent's debug CLI (monitor, policy verdicts): the lab's datapath test reads drops with it
      (cd "$ROOT/tools/cilium" && go build -trimpath -tags=osusergo -ldflags "$cilium_ld" -o "$out" github.com/cilium/cilium/cilium-dbg) ;;
    pulumi-resource-kubernetes)
      build_pulumi_kubernetes "$out" ;;
    *) echo "unknown tool $name" >&2; return 2 ;;
  esac
}

# build_pulumi_kubernetes OUT: tools/pulumi-kubernetes plus the provider's schema files, in a temporary
# folder outside the repository (removed afterwards)
build_pulumi_kubernetes() {
  local out="$1" src build rc=0
  src="$(cd "$ROOT/tools/pulumi-kubernetes" && go mod download -json github.com/pulumi/pulumi-kubernetes/provider/v4 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  if [ -z "$src" ] || [ ! -d "$src/cmd/pulumi-resource-kubernetes" ]; then
    echo "provider module not in the module cache" >&2
    return 1
  fi
  build="$(mktemp -d "${TMPDIR:-/tmp}/dcnet-pulumi-kubernetes.XXXXXX")"
  cp "$ROOT/tools/pulumi-kubernetes/go.mod" "$ROOT/tools/pulumi-kubernetes/go.sum" "$ROOT/tools/pulumi-kubernetes/main.go" "$build/"
  cp "$src/cmd/pulumi-resource-kubernetes/schema.json" "$src/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$src/cmd/pulumi-resource-kubernetes/generate.go" "$build/"
  chmod u+w "$build"/*
  (cd "$build" && VERSION="$PULUMI_K8S_VERSION" go run generate.go \
    && go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${PULUMI_K8S_VERSION}" -o "$out" .) || rc=$?
  rm -rf "$build"
  return "$rc"
}

if [ "$#" -gt 0 ]; then TOOLS=("$@"); else TOOLS=("${ALL_TOOLS[@]}"); fi

missing_required=0
for mod in "github.com/cilium/cilium@v${CILIUM_VERSION}" "istio.io/api@v${ISTIO_API_VERSION}"; do
  start=$SECONDS
  if dir="$(cd / && GOFLAGS=-mod=mod go mod download -json "$mod" 2>&1 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" && [ -n "$dir" ] && [ -d "$dir" ]; then
    printf '%-26s %-8s module  %s (%d s)\n' "${mod%@*}" "${mod#*@v}" "$dir" "$((SECONDS - start))"
  else
    printf '%-26s %-8s FAILED (go mod download %s)\n' "${mod%@*}" "${mod#*@v}" "$mod"
    missing_required=1
  fi
done
for name in "${TOOLS[@]}"; do
  version="$(version_of "$name")"
  dir="$TOOLS_DIR/$name-$version"
  bin="$dir/$name"
  if [ -x "$bin" ]; then
    printf '%-26s %-8s cached  %s\n' "$name" "$version" "$bin"
    continue
  fi
  mkdir -p "$dir"
  log="$TOOLS_DIR/logs/$name-$version.log"
  tmp="$dir/.$name.partial"
  rm -f "$tmp"
  start=$SECONDS
  if build_one "$name" "$tmp" >"$log" 2>&1 && [ -x "$tmp" ]; then
    mv -f "$tmp" "$bin"
    printf '%-26s %-8s built in %d s  %s\n' "$name" "$version" "$((SECONDS - start))" "$bin"
  else
    rm -f "$tmp"
    reason="$(grep -v '^\s*$' "$log" | tail -n 3 | tr '\n' ' ' | cut -c1-400)"
    printf '%-26s %-8s FAILED after %d s (%s) log: %s\n' "$name" "$version" "$((SECONDS - start))" "$reason" "$log"
    case "$OPTIONAL_TOOLS" in
      *" $name "*) ;;
      *) missing_required=1 ;;
    esac
  fi
done

for sys in etcd clang-19 socat; do
  if command -v "$sys" >/dev/null 2>&1; then
    printf '%-26s %-8s system  %s\n' "$sys" "-" "$(command -v "$sys")"
  else
    printf '%-26s %-8s MISSING (Debian package: %s)\n' "$sys" "-" "$([ "$sys" = etcd ] && echo etcd-server || echo "$sys")"
  fi
done
du -sh "$TOOLS_DIR" 2>/dev/null | awk '{print "disk: " $1 " in " $2}'

exit "$missing_required"
