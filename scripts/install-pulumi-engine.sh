#!/usr/bin/env bash
# install-pulumi-engine.sh: build the Pulumi engine from Go sources through the Go
# module proxy, so `pulumi up` runs on a machine that reaches only the package
# registries (Go module proxy, npm, Debian). Nothing is written inside the repo.
#
# Usage
#   scripts/install-pulumi-engine.sh              build (or reuse) the engine, install the
#                                                 command plugin, print the env lines to use
#   scripts/install-pulumi-engine.sh --print-env  print only the env lines:
#                                                   eval "$(scripts/install-pulumi-engine.sh --print-env)"
#   scripts/install-pulumi-engine.sh --verify     build/reuse, then run a smoke test in a temp dir:
#                                                 stack init, up, up --expect-no-changes, destroy
#   --force          rebuild even when the binaries are already in the cache, and replace a plugin
#                    of the same name and version in PULUMI_HOME that this script did not install
#   --no-kubernetes  don't try pulumi-resource-kubernetes at all
#
# Environment
#   DCNET_PULUMI_CACHE  cache root, default ~/.cache/dcnet-pulumi. The engine goes into
#                       <root>/<version-key>/{bin,providers,src,build-info.txt}
#   PULUMI_HOME         where `pulumi plugin install` puts plugins (default ~/.pulumi)
#   GO                  the go command (default: go on PATH, else /usr/local/go/bin/go)
#   DCNET_LANGHOST_MODULE_VERSION, DCNET_COMMAND_MODULE_VERSION, DCNET_KUBERNETES_MODULE_VERSION
#                       override the Go module versions tried for the upstream language host,
#                       command provider and kubernetes provider (e.g. a pseudo-version)
#
# What is built and from where
#   The versions match package-lock.json: @pulumi/pulumi 3.248.0, @pulumi/command 1.2.1 and
#   @pulumi/kubernetes 4.34.2.
#
#   bin/pulumi: the real CLI and engine, github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v3.248.0.
#     pkg/go.mod has `replace` directives (sdk/v3 => ../sdk, atotto/clipboard => tgummerer/clipboard),
#     so `go install module@version` refuses it. The script makes a small module of its own that
#     requires pkg/v3 and sdk/v3 at v3.248.0 and copies the non-local replace lines from the upstream
#     go.mod, read from the module cache. Then it runs `go build`.
#
#   bin/pulumi-language-nodejs: the Node.js language host. The script tries upstream
#     github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.248.0 first. On the
#     project machine the proxy refuses it:
#       $ go mod download -json github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.248.0
#       reading https://proxy.golang.org/.../pulumi-language-nodejs/v3/@v/v3.248.0.info: 403 Forbidden
#       server response: This module version is not available.
#     In that case the script builds a small language host of our own, embedded below. It is built
#     against the real sdk/v3@v3.248.0 gRPC API and hands the program to the real Node.js SDK
#     (node_modules/@pulumi/pulumi/cmd/run), as upstream does.
#
#   providers/pulumi-resource-command: installed into PULUMI_HOME as "resource command 1.2.1" with
#     `pulumi plugin install resource command 1.2.1 --file ...`. It is kept off PATH: the engine would
#     otherwise prefer the copy on $PATH and warn. The script tries upstream
#     github.com/pulumi/pulumi-command/provider@v1.2.1 first, with
#     -ldflags -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=1.2.1. On the project
#     machine the proxy serves no version of that module:
#       $ go mod download -json github.com/pulumi/pulumi-command/provider@v1.2.1
#       invalid version: git ls-remote -q --end-of-options origin ...: exit status 128:
#       fatal: unable to access 'https://github.com/pulumi/pulumi-command/': Could not resolve host: github.com
#     The proxy has no provider/v1.2.1 tag (upstream tags the repo root, v1.2.1), so go falls back to
#     git. `go list -m -versions github.com/pulumi/pulumi-command/provider` answers 403 "This module
#     version is not available.". So the script builds a stand-in of our own, embedded below. The stand-in implements
#     command:local:Command and the command:local:run function with the semantics documented in the
#     @pulumi/command SDK, and reports version 1.2.1. The command:remote:* resources (SSH) are NOT
#     implemented.
#
#   pulumi-resource-kubernetes 4.34.2 (optional): tried but not built on the project machine:
#       $ go mod download -json github.com/pulumi/pulumi-kubernetes/provider/v4@v4.34.2
#       reading https://proxy.golang.org/.../provider/v4/@v/v4.34.2.info: 403 Forbidden
#       server response: This module version is not available.
#     The proxy serves only v4.0.0-20260115033456-f47bc2d6f199, a snapshot of Jan 2026 that is not a
#     release. When v4.34.2 (or DCNET_KUBERNETES_MODULE_VERSION) is served, the script builds it.
#     Upstream main.go embeds schema-embed.json, so the script first runs upstream's generate.go.
#     Then it installs the result as "resource kubernetes 4.34.2".
#     The snapshot does build with this recipe:
#       DCNET_KUBERNETES_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199 scripts/install-pulumi-engine.sh --force
#     It takes 17 to 23 minutes on 2 cores, most of it compiling the kubernetes Go SDK, and makes a
#     306 MB binary. It is installed LABELLED 4.34.2, so that @pulumi/kubernetes 4.34.2 finds it
#     offline. Checked: a k8s.Provider with renderYamlToDirectory plus a ConfigMap went through up
#     and destroy. It is an older pre-4.24 provider under that label, fit for experiments only.
#
# Cost on the project machine (2 cores, Go 1.26.8)
#   Cold Go caches: 9m56s in all, 9m17s of it for the CLI. With a warm Go build cache: about 20 s.
#   A run that reuses the cache takes about 1 s, plus the verify step when asked for.
#   Disk: about 150 MB in the cache folder (stripped binaries plus the generated modules). The
#   shared Go caches grow as well. After this build and the kubernetes snapshot experiment they
#   held 2.4 GB (module cache) and 7.4 GB (build cache).
#
# Programs then run fully offline with:
#   export PATH="<cache>/<key>/bin:$PATH"
#   export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
#   export PULUMI_SKIP_UPDATE_CHECK=true
# A plugin that is not installed, for example kubernetes, is only a problem when a program actually
# creates one of its resources.
set -euo pipefail

PULUMI_VERSION=3.248.0
COMMAND_VERSION=1.2.1
KUBERNETES_VERSION=4.34.2
# Bump RECIPE whenever the build recipe or the embedded sources change: it is part of the cache key.
RECIPE=2

LANGHOST_MODULE=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
LANGHOST_MODULE_VERSION=${DCNET_LANGHOST_MODULE_VERSION:-v$PULUMI_VERSION}
COMMAND_MODULE=github.com/pulumi/pulumi-command/provider
COMMAND_MODULE_VERSION=${DCNET_COMMAND_MODULE_VERSION:-v$COMMAND_VERSION}
KUBERNETES_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
KUBERNETES_MODULE_VERSION=${DCNET_KUBERNETES_MODULE_VERSION:-v$KUBERNETES_VERSION}

CACHE_ROOT=${DCNET_PULUMI_CACHE:-$HOME/.cache/dcnet-pulumi}
KEY="pulumi-${PULUMI_VERSION}_command-${COMMAND_VERSION}_r${RECIPE}"
ENGINE_DIR="$CACHE_ROOT/$KEY"
BIN_DIR="$ENGINE_DIR/bin"
PROVIDER_DIR="$ENGINE_DIR/providers"
SRC_DIR="$ENGINE_DIR/src"
INFO_FILE="$ENGINE_DIR/build-info.txt"
PLUGIN_HOME=${PULUMI_HOME:-$HOME/.pulumi}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)

MODE=install
FORCE=0
TRY_KUBERNETES=1
for arg in "$@"; do
  case "$arg" in
    --print-env) MODE=print-env ;;
    --verify) MODE=verify ;;
    --force) FORCE=1 ;;
    --no-kubernetes) TRY_KUBERNETES=0 ;;
    -h|--help) sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

print_env() {
  echo "export PATH=\"$BIN_DIR:\$PATH\""
  echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
  echo "export PULUMI_SKIP_UPDATE_CHECK=true"
}

engine_built() {
  [[ -x "$BIN_DIR/pulumi" && -x "$BIN_DIR/pulumi-language-nodejs" && -x "$PROVIDER_DIR/pulumi-resource-command" ]]
}

if [[ $MODE == print-env ]]; then
  if ! engine_built; then
    echo "install-pulumi-engine: the engine is not built yet in $ENGINE_DIR; run $0 first" >&2
    exit 1
  fi
  print_env
  exit 0
fi

log() { printf '[install-pulumi-engine] %s\n' "$*" >&2; }
now() { date +%s; }
fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

GO=${GO:-$(command -v go || true)}
[[ -n $GO ]] || GO=/usr/local/go/bin/go

# Build records for build-info.txt and the final report.
declare -a REPORT=()
record() { REPORT+=("$*"); log "$*"; }

# module_dir MODULE@VERSION: downloads the module and sets MOD_DIR to its folder in the module cache.
# On failure MOD_DIR is empty and DL_ERR holds the go command's error. Returns 0 either way.
MOD_DIR=""
DL_ERR=""
module_dir() {
  local out err
  MOD_DIR=""
  DL_ERR=""
  out=$("$GO" mod download -json "$1" 2>&1) || true
  MOD_DIR=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
  err=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | head -n1)
  if [[ -z $MOD_DIR || -n $err ]]; then
    MOD_DIR=""
    DL_ERR=${err:-$out}
    DL_ERR=${DL_ERR//\\n/ }
    DL_ERR=${DL_ERR//\\t/ }
  fi
}

# copy_replaces UPSTREAM_GO_MOD: copies the upstream go.mod's replace directives that don't point at a
# local folder into the go.mod in the current folder.
copy_replaces() {
  local line old new
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    old=${line%% => *}
    new=${line#* => }
    case "$new" in
      .*|/*) continue ;; # local folders exist only in the upstream checkout
    esac
    "$GO" mod edit -replace="${old// /@}=${new// /@}"
  done < <(awk '
    /^replace[[:space:]]*\($/ { inblock=1; next }
    inblock && /^\)/ { inblock=0; next }
    inblock { sub(/\/\/.*/, ""); gsub(/^[[:space:]]+|[[:space:]]+$/, ""); if ($0 != "") print; next }
    /^replace[[:space:]]/ { sub(/\/\/.*/, ""); sub(/^replace[[:space:]]+/, ""); gsub(/[[:space:]]+$/, ""); print }
  ' "$1" | sed 's/[[:space:]]*=>[[:space:]]*/ => /; s/[[:space:]]\{1,\}/ /g')
}

# new_module DIR NAME REQUIREMENT...: writes a fresh go.mod requiring MODULE@VERSION entries.
new_module() {
  local dir=$1 name=$2
  shift 2
  rm -rf "$dir"
  mkdir -p "$dir"
  (
    cd "$dir"
    "$GO" mod init "$name" >/dev/null 2>&1
    local req
    for req in "$@"; do "$GO" mod edit -require="$req"; done
  )
}

# write_tools DIR IMPORT...: a build-ignored file that keeps the imports in `go mod tidy`'s view.
write_tools() {
  local dir=$1
  shift
  {
    echo "//go:build tools"
    echo
    echo "package tools"
    echo
    local imp
    for imp in "$@"; do echo "import _ \"$imp\""; done
  } >"$dir/tools.go"
}

write_langhost_source() {
  mkdir -p "$1"
  cat >"$1/main.go" <<'GOEOF'
// Minimal Node.js language host for the Pulumi engine, built by dcnet's
// scripts/install-pulumi-engine.sh when the upstream pulumi-language-nodejs module
// cannot be fetched.
//
// It implements the LanguageRuntime gRPC service of github.com/pulumi/pulumi/sdk/v3 and
// hands the real work to the Node.js SDK (@pulumi/pulumi/cmd/run): it resolves that
// module from the program folder, passes --monitor/--engine/--project/--stack/... and the
// config through PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS, and reports the resource
// plugins declared by the program's node_modules ("pulumi": {"resource": true, ...}).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is set with -ldflags "-X main.Version=...".
var Version = "0.0.0"

// Exit code of @pulumi/pulumi/cmd/run after it has already printed a user-facing error.
const nodeExitedAfterLoggingUserActionableMessage = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	mu            sync.Mutex
	engineAddress string
	tracing       string
}

func main() {
	h := &host{}
	var positional []string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			positional = append(positional, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		value := ""
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value = k, v
		} else if name == "tracing" || name == "root" || name == "binary" || name == "nodeargs" ||
			name == "tsconfig" || name == "packagemanager" {
			if i+1 < len(args) {
				value = args[i+1]
				i++
			}
		}
		if name == "tracing" {
			h.tracing = value
		}
	}
	if len(positional) > 0 {
		h.engineAddress = positional[len(positional)-1]
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if h.engineAddress != "" {
		// Exit when the engine goes away, as the upstream hosts do.
		if err := rpcutil.Healthcheck(ctx, h.engineAddress, 5*time.Minute, cancel); err != nil {
			fmt.Fprintf(os.Stderr, "could not start health check host RPC server: %v\n", err)
			os.Exit(1)
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)

	select {
	case err := <-handle.Done:
		if err != nil {
			fmt.Fprintf(os.Stderr, "language host RPC stopped serving: %v\n", err)
			os.Exit(1)
		}
	case <-ctx.Done():
	}
}

func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// runtime.options of Pulumi.yaml.
type nodeOptions struct {
	typescript   bool
	nodeargs     string
	tsconfigpath string
}

func parseOptions(s *structpb.Struct) nodeOptions {
	o := nodeOptions{typescript: true}
	if s == nil {
		return o
	}
	m := s.AsMap()
	if v, ok := m["typescript"]; ok {
		switch t := v.(type) {
		case bool:
			o.typescript = t
		case string:
			o.typescript = t != "false"
		}
	}
	if v, ok := m["nodeargs"].(string); ok {
		o.nodeargs = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		o.tsconfigpath = v
	}
	return o
}

type pulumiPkgSection struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          *pulumiPkgSection `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// findNodeModules returns the node_modules folders that Node would search from dir upwards.
func findNodeModules(dir string) []string {
	var out []string
	for d := dir; ; d = filepath.Dir(d) {
		nm := filepath.Join(d, "node_modules")
		if st, err := os.Stat(nm); err == nil && st.IsDir() {
			out = append(out, nm)
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return out
}

// collectPlugins walks node_modules trees (following symlinks, bounded depth) and returns the
// resource plugins declared by the packages found there.
func collectPlugins(roots []string) []*pulumirpc.PackageDependency {
	seenDir := map[string]bool{}
	found := map[string]*pulumirpc.PackageDependency{}
	var visitPkg func(dir string, depth int)
	var visitNM func(nm string, depth int)
	visitNM = func(nm string, depth int) {
		if depth > 8 {
			return
		}
		entries, err := os.ReadDir(nm)
		if err != nil {
			return
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(nm, name)
			if strings.HasPrefix(name, "@") {
				scoped, err := os.ReadDir(p)
				if err != nil {
					continue
				}
				for _, s := range scoped {
					visitPkg(filepath.Join(p, s.Name()), depth)
				}
				continue
			}
			visitPkg(p, depth)
		}
	}
	visitPkg = func(dir string, depth int) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil || seenDir[real] {
			return
		}
		seenDir[real] = true
		if st, err := os.Stat(real); err != nil || !st.IsDir() {
			return
		}
		if pkg, err := readPackageJSON(filepath.Join(real, "package.json")); err == nil && pkg.Pulumi != nil &&
			pkg.Pulumi.Resource {
			name := pkg.Pulumi.Name
			if name == "" {
				name = strings.TrimPrefix(pkg.Name, "@pulumi/")
			}
			version := pkg.Pulumi.Version
			if version == "" {
				version = pkg.Version
			}
			version = strings.TrimPrefix(version, "v")
			key := name + "@" + version
			if _, ok := found[key]; !ok {
				found[key] = &pulumirpc.PackageDependency{
					Name: name, Kind: "resource", Version: version, Server: pkg.Pulumi.Server,
				}
			}
		}
		visitNM(filepath.Join(real, "node_modules"), depth+1)
	}
	for _, r := range roots {
		visitNM(r, 0)
	}
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		out = append(out, found[k])
	}
	return out
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	dir := programDir(req.GetInfo(), "")
	return &pulumirpc.GetRequiredPackagesResponse{Packages: collectPlugins(findNodeModules(dir))}, nil
}

func (h *host) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := programDir(req.GetInfo(), "")
	var out []*pulumirpc.PluginDependency
	for _, p := range collectPlugins(findNodeModules(dir)) {
		out = append(out, &pulumirpc.PluginDependency{Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: out}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), "")
	pkg, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return &pulumirpc.GetProgramDependenciesResponse{}, nil
	}
	deps := map[string]string{}
	for k, v := range pkg.Dependencies {
		deps[k] = v
	}
	if req.GetTransitiveDependencies() {
		for k, v := range pkg.DevDependencies {
			deps[k] = v
		}
	}
	nms := findNodeModules(dir)
	names := make([]string, 0, len(deps))
	for k := range deps {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []*pulumirpc.DependencyInfo
	for _, name := range names {
		version := deps[name]
		for _, nm := range nms {
			if p, err := readPackageJSON(filepath.Join(nm, name, "package.json")); err == nil {
				version = p.Version
				break
			}
		}
		out = append(out, &pulumirpc.DependencyInfo{Name: name, Version: version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: out}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("failed to get node version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := programDir(req.GetInfo(), req.GetDirectory())
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return server.Send(&pulumirpc.InstallDependenciesResponse{
			Stdout: []byte("node_modules present, nothing to install\n"),
		})
	}
	cmd := exec.CommandContext(server.Context(), "npm", "install")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if sendErr := server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: out}); sendErr != nil {
		return sendErr
	}
	if err != nil {
		return fmt.Errorf("npm install failed: %w", err)
	}
	return nil
}

func locateRunModule(ctx context.Context, node, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, node, "-e", `process.stdout.write(require.resolve("@pulumi/pulumi/cmd/run"))`)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("it looks like the Pulumi SDK has not been installed (cannot resolve "+
			"@pulumi/pulumi/cmd/run from %s; have you run `npm install`?): %v: %s", dir, err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	opts := parseOptions(info.GetOptions())

	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("could not find node on the $PATH; Node.js is required to run this program")
	}
	runPath, err := locateRunModule(ctx, node, dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	args := []string{}
	if opts.nodeargs != "" {
		args = append(args, strings.Fields(opts.nodeargs)...)
	}
	args = append(args, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetQueryMode() {
		args = append(args, "--query-mode", "true")
	}
	if req.GetParallel() > 1 {
		add("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	add("tracing", h.tracing)
	if info != nil {
		add("root-directory", info.GetRootDirectory())
	}
	entry := "."
	if info != nil && info.GetEntryPoint() != "" {
		entry = info.GetEntryPoint()
	} else if req.GetProgram() != "" {
		entry = req.GetProgram()
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	env := os.Environ()
	env = append(env, "PULUMI_CONFIG="+string(configJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfigpath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfigpath)
	}

	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code := exitErr.ExitCode()
			if code == nodeExitedAfterLoggingUserActionableMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}
GOEOF
}

write_command_provider_source() {
  mkdir -p "$1"
  cat >"$1/main.go" <<'GOEOF'
// Stand-in for the pulumi-resource-command provider, built by dcnet's
// scripts/install-pulumi-engine.sh when the upstream github.com/pulumi/pulumi-command
// module cannot be fetched.
//
// It serves the ResourceProvider gRPC service of github.com/pulumi/pulumi and implements the
// local half of the @pulumi/command SDK: the resource command:local:Command and the function
// command:local:run, with the documented semantics. Commands run through an interpreter
// (default ["/bin/sh", "-c"]) and honour dir, environment, stdin and logging. An update runs
// `update`, or `create` when there is no update command. `delete` runs on deletion.
// addPreviousOutputInEnv (default true) sets PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR.
// assetPaths and archivePaths are supported. stdout and stderr are outputs, with the trailing
// newline trimmed. The command:remote:* resources (SSH) are NOT implemented: they fail with a
// clear error.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is set with -ldflags "-X main.Version=...".
var Version = "0.0.0"

const (
	commandType = "command:local:Command"
	runFunction = "command:local:run"
)

// Input properties of command:local:Command (see @pulumi/command local/command.d.ts).
var commandInputs = []string{
	"addPreviousOutputInEnv", "archivePaths", "assetPaths", "create", "delete", "dir",
	"environment", "interpreter", "logging", "stdin", "triggers", "update",
}

type commandProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	host *provider.HostClient
}

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &commandProvider{host: host}, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		os.Exit(1)
	}
}

// Secrets are not accepted (Configure leaves AcceptSecrets false): the engine strips them before
// calling the provider and marks the matching outputs secret again.
var propOpts = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, propOpts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, propOpts)
}

func (p *commandProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (p *commandProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"command","version":%q}`, Version)}, nil
}

func (p *commandProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *commandProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *commandProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{}, nil
}

func (p *commandProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func unsupported(tok string) error {
	return fmt.Errorf("%s is not implemented by this pulumi-resource-command build (the dcnet stand-in "+
		"provides only %s and %s)", tok, commandType, runFunction)
}

func (p *commandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if t := resource.URN(req.GetUrn()).Type(); t != commandType {
		return nil, unsupported(string(t))
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	if v, ok := news["logging"]; ok && v.IsString() {
		switch v.StringValue() {
		case "stdout", "stderr", "stdoutAndStderr", "none":
		default:
			failures = append(failures, &pulumirpc.CheckFailure{Property: "logging",
				Reason: "logging must be one of stdout, stderr, stdoutAndStderr, none"})
		}
	}
	inputs := resource.PropertyMap{}
	for _, k := range commandInputs {
		if v, ok := news[resource.PropertyKey(k)]; ok && !v.IsNull() {
			inputs[resource.PropertyKey(k)] = v
		}
	}
	out, err := marshal(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out, Failures: failures}, nil
}

func (p *commandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := unmarshal(oldStruct)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ignore := map[string]bool{}
	for _, k := range req.GetIgnoreChanges() {
		ignore[k] = true
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	var diffs []string
	for _, k := range commandInputs {
		if ignore[k] {
			continue
		}
		o, hasO := olds[resource.PropertyKey(k)]
		n, hasN := news[resource.PropertyKey(k)]
		hasO = hasO && !o.IsNull()
		hasN = hasN && !n.IsNull()
		var kind pulumirpc.PropertyDiff_Kind
		switch {
		case !hasO && !hasN:
			continue
		case !hasO:
			kind = pulumirpc.PropertyDiff_ADD
		case !hasN:
			kind = pulumirpc.PropertyDiff_DELETE
		case o.IsArray() && n.IsArray() && !n.ContainsUnknowns():
			// Element paths (triggers[0], ...), so that the SDK's replaceOnChanges: ["triggers[*]"] matches.
			oa, na := o.ArrayValue(), n.ArrayValue()
			changed := false
			for i := 0; i < len(oa) || i < len(na); i++ {
				path := fmt.Sprintf("%s[%d]", k, i)
				switch {
				case i >= len(oa):
					detailed[path] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_ADD, InputDiff: true}
				case i >= len(na):
					detailed[path] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_DELETE, InputDiff: true}
				case !oa[i].DeepEquals(na[i]):
					detailed[path] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE, InputDiff: true}
				default:
					continue
				}
				changed = true
			}
			if changed {
				diffs = append(diffs, k)
			}
			continue
		case n.ContainsUnknowns() || !o.DeepEquals(n):
			kind = pulumirpc.PropertyDiff_UPDATE
		default:
			continue
		}
		diffs = append(diffs, k)
		detailed[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	if len(diffs) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true}, nil
	}
	sort.Strings(diffs)
	// Changes are applied in place (update, or create again). The SDK asks for replacement on
	// `triggers` changes itself, through replaceOnChanges: ["triggers[*]"].
	return &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: diffs, DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

type runArgs struct {
	command      string
	dir          string
	env          map[string]string
	interpreter  []string
	stdin        *string
	logging      string
	assetPaths   []string
	archivePaths []string
}

func stringsOf(v resource.PropertyValue) []string {
	var out []string
	if v.IsArray() {
		for _, e := range v.ArrayValue() {
			if e.IsString() {
				out = append(out, e.StringValue())
			}
		}
	}
	return out
}

func argsFrom(m resource.PropertyMap, commandKey string) runArgs {
	a := runArgs{env: map[string]string{}, logging: "stdoutAndStderr"}
	if v, ok := m[resource.PropertyKey(commandKey)]; ok && v.IsString() {
		a.command = v.StringValue()
	}
	if v, ok := m["dir"]; ok && v.IsString() {
		a.dir = v.StringValue()
	}
	if v, ok := m["environment"]; ok && v.IsObject() {
		for k, e := range v.ObjectValue() {
			if e.IsString() {
				a.env[string(k)] = e.StringValue()
			}
		}
	}
	if v, ok := m["interpreter"]; ok {
		a.interpreter = stringsOf(v)
	}
	if v, ok := m["stdin"]; ok && v.IsString() {
		s := v.StringValue()
		a.stdin = &s
	}
	if v, ok := m["logging"]; ok && v.IsString() {
		a.logging = v.StringValue()
	}
	if v, ok := m["assetPaths"]; ok {
		a.assetPaths = stringsOf(v)
	}
	if v, ok := m["archivePaths"]; ok {
		a.archivePaths = stringsOf(v)
	}
	return a
}

func addPreviousOutput(m resource.PropertyMap) bool {
	if v, ok := m["addPreviousOutputInEnv"]; ok && v.IsBool() {
		return v.BoolValue()
	}
	return true
}

// lineLogger keeps a command's output and forwards complete lines to the engine.
type lineLogger struct {
	ctx  context.Context
	p    *commandProvider
	urn  resource.URN
	on   bool
	buf  bytes.Buffer
	keep bytes.Buffer
}

func (l *lineLogger) Write(b []byte) (int, error) {
	l.keep.Write(b)
	if !l.on || l.p.host == nil {
		return len(b), nil
	}
	l.buf.Write(b)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			l.buf.Reset()
			l.buf.WriteString(line)
			break
		}
		_ = l.p.host.LogStatus(l.ctx, diag.Info, l.urn, strings.TrimRight(line, "\r\n"))
	}
	return len(b), nil
}

func (l *lineLogger) flush() {
	if l.on && l.p.host != nil && l.buf.Len() > 0 {
		_ = l.p.host.LogStatus(l.ctx, diag.Info, l.urn, l.buf.String())
		l.buf.Reset()
	}
}

func (p *commandProvider) run(ctx context.Context, urn resource.URN, a runArgs, extraEnv map[string]string,
) (string, string, error) {
	interp := a.interpreter
	if len(interp) == 0 {
		interp = []string{"/bin/sh", "-c"}
	}
	cmd := exec.CommandContext(ctx, interp[0], append(append([]string{}, interp[1:]...), a.command)...)
	cmd.Dir = a.dir
	cmd.Env = os.Environ()
	for k, v := range extraEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range a.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if a.stdin != nil {
		cmd.Stdin = strings.NewReader(*a.stdin)
	}
	stdout := &lineLogger{ctx: ctx, p: p, urn: urn, on: a.logging == "stdout" || a.logging == "stdoutAndStderr"}
	stderr := &lineLogger{ctx: ctx, p: p, urn: urn, on: a.logging == "stderr" || a.logging == "stdoutAndStderr"}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	stdout.flush()
	stderr.flush()
	outS := strings.TrimSuffix(stdout.keep.String(), "\n")
	errS := strings.TrimSuffix(stderr.keep.String(), "\n")
	if err != nil {
		return outS, errS, fmt.Errorf("%w: running %q:\n%s\n%s", err, a.command, outS, errS)
	}
	return outS, errS, nil
}

// globToRegexp implements the documented glob rules: `*` matches anything but `/`, `**` matches anything.
func globToRegexp(g string) (*regexp.Regexp, error) {
	var sb strings.Builder
	sb.WriteString("^")
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case c == '*' && i+1 < len(g) && g[i+1] == '*':
			sb.WriteString(".*")
			i++
		case c == '*':
			sb.WriteString("[^/]*")
		case c == '?':
			sb.WriteString("[^/]")
		default:
			sb.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	sb.WriteString("$")
	return regexp.Compile(sb.String())
}

// matchPaths returns the regular files under dir selected by the globs; `!` globs exclude.
func matchPaths(dir string, globs []string) (map[string]*asset.Asset, error) {
	if len(globs) == 0 {
		return nil, nil
	}
	root := dir
	if root == "" {
		root = "."
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if rel, rerr := filepath.Rel(root, path); rerr == nil {
				files = append(files, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	selected := map[string]bool{}
	for _, g := range globs {
		exclude := strings.HasPrefix(g, "!")
		re, err := globToRegexp(strings.TrimPrefix(g, "!"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if re.MatchString(f) {
				selected[f] = !exclude
			}
		}
	}
	out := map[string]*asset.Asset{}
	for f, ok := range selected {
		if !ok {
			continue
		}
		a, err := asset.FromPathWithWD(f, root)
		if err != nil {
			return nil, err
		}
		out[f] = a
	}
	return out, nil
}

func (p *commandProvider) execute(ctx context.Context, urn resource.URN, inputs resource.PropertyMap,
	commandKey string, previous resource.PropertyMap,
) (resource.PropertyMap, error) {
	a := argsFrom(inputs, commandKey)
	outputs := inputs.Copy()
	if a.command == "" {
		return outputs, nil
	}
	extra := map[string]string{}
	if previous != nil && addPreviousOutput(inputs) {
		if v, ok := previous["stdout"]; ok && v.IsString() {
			extra["PULUMI_COMMAND_STDOUT"] = v.StringValue()
		}
		if v, ok := previous["stderr"]; ok && v.IsString() {
			extra["PULUMI_COMMAND_STDERR"] = v.StringValue()
		}
	}
	stdout, stderr, err := p.run(ctx, urn, a, extra)
	if err != nil {
		return nil, err
	}
	outputs["stdout"] = resource.NewStringProperty(stdout)
	outputs["stderr"] = resource.NewStringProperty(stderr)
	assets, err := matchPaths(a.dir, a.assetPaths)
	if err != nil {
		return nil, err
	}
	if assets != nil {
		m := resource.PropertyMap{}
		for k, v := range assets {
			m[resource.PropertyKey(k)] = resource.NewAssetProperty(v)
		}
		outputs["assets"] = resource.NewObjectProperty(m)
	}
	files, err := matchPaths(a.dir, a.archivePaths)
	if err != nil {
		return nil, err
	}
	if files != nil {
		members := map[string]any{}
		for k, v := range files {
			members[k] = v
		}
		arch, err := archive.FromAssets(members)
		if err != nil {
			return nil, err
		}
		outputs["archive"] = resource.NewArchiveProperty(arch)
	}
	return outputs, nil
}

func (p *commandProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	if urn.Type() != commandType {
		return nil, unsupported(string(urn.Type()))
	}
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := marshal(inputs)
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	id, err := resource.NewUniqueHex(urn.Name(), 8, 0)
	if err != nil {
		return nil, err
	}
	outputs, err := p.execute(ctx, urn, inputs, "create", nil)
	if err != nil {
		return nil, err
	}
	props, err := marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (p *commandProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(req.GetUrn())
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := marshal(news)
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	key := "update"
	if v, ok := news["update"]; !ok || !v.IsString() || v.StringValue() == "" {
		key = "create"
	}
	outputs, err := p.execute(ctx, urn, news, key, olds)
	if err != nil {
		return nil, err
	}
	props, err := marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (p *commandProvider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	urn := resource.URN(req.GetUrn())
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if _, err := p.execute(ctx, urn, state, "delete", state); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (p *commandProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	// A command has no remote state: refresh keeps what was recorded.
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *commandProvider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runFunction {
		return nil, unsupported(req.GetTok())
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	outputs, err := p.execute(ctx, "", args, "command", nil)
	if err != nil {
		return nil, err
	}
	if _, ok := outputs["stdout"]; !ok {
		outputs["stdout"] = resource.NewStringProperty("")
		outputs["stderr"] = resource.NewStringProperty("")
	}
	ret, err := marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}
GOEOF
}

# ---------------------------------------------------------------------------------------------
build_engine() {
  local t0 t1 dir mod_dir
  export GOFLAGS="-mod=mod -buildvcs=false"
  export GOWORK=off
  log "go: $("$GO" version) ($GO)"
  rm -rf "$BIN_DIR" "$PROVIDER_DIR"
  mkdir -p "$BIN_DIR" "$PROVIDER_DIR" "$SRC_DIR"
  # Run the go command outside any module of the caller's (the repo has none, but be safe).
  cd "$SRC_DIR"

  # 1. The CLI and engine, plus the stand-ins when needed, in one module: same dependency graph,
  #    so the stand-ins reuse the CLI's compiled packages.
  t0=$(now)
  module_dir "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION"
  mod_dir=$MOD_DIR
  if [[ -z $mod_dir ]]; then
    record "FAILED: $GO mod download -json github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION: $DL_ERR"
    return 1
  fi
  dir="$SRC_DIR/engine"
  new_module "$dir" dcnet.local/pulumi-engine \
    "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
  (cd "$dir" && copy_replaces "$mod_dir/go.mod")
  local tools=("github.com/pulumi/pulumi/pkg/v3/cmd/pulumi")

  # 2. Node.js language host: upstream when the proxy serves it, otherwise our stand-in.
  local langhost_src=stand-in langhost_dir=""
  module_dir "$LANGHOST_MODULE@$LANGHOST_MODULE_VERSION"
  langhost_dir=$MOD_DIR
  if [[ -n $langhost_dir ]]; then
    langhost_src=upstream
  else
    record "language host: upstream not fetchable: $GO mod download -json $LANGHOST_MODULE@$LANGHOST_MODULE_VERSION: $DL_ERR"
    record "language host: building the dcnet stand-in (sdk/v3@v$PULUMI_VERSION API, delegates to @pulumi/pulumi/cmd/run)"
    write_langhost_source "$dir/cmd/pulumi-language-nodejs"
  fi

  # 3. Command provider: upstream when the proxy serves it, otherwise our stand-in.
  local command_src=stand-in command_dir=""
  module_dir "$COMMAND_MODULE@$COMMAND_MODULE_VERSION"
  command_dir=$MOD_DIR
  if [[ -n $command_dir ]]; then
    command_src=upstream
  else
    record "command provider: upstream not fetchable: $GO mod download -json $COMMAND_MODULE@$COMMAND_MODULE_VERSION: $DL_ERR"
    record "command provider: building the dcnet stand-in (command:local:Command + command:local:run, reports $COMMAND_VERSION)"
    write_command_provider_source "$dir/cmd/pulumi-resource-command"
  fi

  write_tools "$dir" "${tools[@]}"
  log "resolving the engine's module graph (go mod tidy)"
  (cd "$dir" && "$GO" mod tidy)
  log "building pulumi v$PULUMI_VERSION (a few minutes on 2 cores)"
  (cd "$dir" && "$GO" build -trimpath -o "$BIN_DIR/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  t1=$(now)
  record "pulumi v$PULUMI_VERSION: built from github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION in $(fmt_secs $((t1 - t0)))"

  t0=$(now)
  if [[ $langhost_src == stand-in ]]; then
    (cd "$dir" && "$GO" build -trimpath -o "$BIN_DIR/pulumi-language-nodejs" \
      -ldflags "-s -w -X main.Version=$PULUMI_VERSION" ./cmd/pulumi-language-nodejs)
  else
    local ldir="$SRC_DIR/language-nodejs"
    new_module "$ldir" dcnet.local/pulumi-language-nodejs "$LANGHOST_MODULE@$LANGHOST_MODULE_VERSION" \
      "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
    (cd "$ldir" && copy_replaces "$langhost_dir/go.mod")
    write_tools "$ldir" "$LANGHOST_MODULE"
    (cd "$ldir" && "$GO" mod tidy && "$GO" build -trimpath -o "$BIN_DIR/pulumi-language-nodejs" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      "$LANGHOST_MODULE")
  fi
  t1=$(now)
  record "pulumi-language-nodejs ($langhost_src): built in $(fmt_secs $((t1 - t0)))"

  t0=$(now)
  if [[ $command_src == stand-in ]]; then
    (cd "$dir" && "$GO" build -trimpath -o "$PROVIDER_DIR/pulumi-resource-command" \
      -ldflags "-s -w -X main.Version=$COMMAND_VERSION" ./cmd/pulumi-resource-command)
  else
    local cdir="$SRC_DIR/command"
    new_module "$cdir" dcnet.local/pulumi-resource-command "$COMMAND_MODULE@$COMMAND_MODULE_VERSION"
    (cd "$cdir" && copy_replaces "$command_dir/go.mod")
    write_tools "$cdir" "$COMMAND_MODULE/cmd/pulumi-resource-command"
    (cd "$cdir" && "$GO" mod tidy && "$GO" build -trimpath -o "$PROVIDER_DIR/pulumi-resource-command" \
      -ldflags "-s -w -X $COMMAND_MODULE/pkg/version.Version=$COMMAND_VERSION" \
      "$COMMAND_MODULE/cmd/pulumi-resource-command")
  fi
  t1=$(now)
  record "pulumi-resource-command $COMMAND_VERSION ($command_src): built in $(fmt_secs $((t1 - t0)))"
}

# The kubernetes provider is optional: a failure is recorded, never fatal.
build_kubernetes() {
  local t0 t1 kdir mod_dir
  rm -f "$PROVIDER_DIR/pulumi-resource-kubernetes"
  module_dir "$KUBERNETES_MODULE@$KUBERNETES_MODULE_VERSION"
  mod_dir=$MOD_DIR
  if [[ -z $mod_dir ]]; then
    record "kubernetes $KUBERNETES_VERSION: NOT BUILT: $GO mod download -json $KUBERNETES_MODULE@$KUBERNETES_MODULE_VERSION: $DL_ERR"
    return 0
  fi
  t0=$(now)
  kdir="$SRC_DIR/kubernetes"
  local sdk_req=()
  module_dir "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$KUBERNETES_VERSION"
  if [[ -n $MOD_DIR ]]; then
    sdk_req=("github.com/pulumi/pulumi-kubernetes/sdk/v4@v$KUBERNETES_VERSION")
  fi
  new_module "$kdir" dcnet.local/pulumi-resource-kubernetes "$KUBERNETES_MODULE@$KUBERNETES_MODULE_VERSION" "${sdk_req[@]}"
  (cd "$kdir" && copy_replaces "$mod_dir/go.mod")
  # main.go embeds schema-embed.json and terraform-mapping-embed.json, which upstream's generate.go
  # writes from schema.json: copy the command folder out of the read-only module cache and run it.
  cp "$mod_dir"/cmd/pulumi-resource-kubernetes/*.go "$mod_dir"/cmd/pulumi-resource-kubernetes/*.json "$kdir/"
  chmod -R u+w "$kdir"
  if (cd "$kdir" && "$GO" mod tidy && VERSION=$KUBERNETES_VERSION "$GO" run ./generate.go &&
    "$GO" build -trimpath -o "$PROVIDER_DIR/pulumi-resource-kubernetes" \
      -ldflags "-s -w -X $KUBERNETES_MODULE/pkg/version.Version=$KUBERNETES_VERSION" .) >"$kdir/build.log" 2>&1; then
    t1=$(now)
    record "kubernetes $KUBERNETES_VERSION: built from $KUBERNETES_MODULE@$KUBERNETES_MODULE_VERSION in $(fmt_secs $((t1 - t0)))"
  else
    record "kubernetes $KUBERNETES_VERSION: NOT BUILT: build failed, see $kdir/build.log: $(tail -n 3 "$kdir/build.log" | tr '\n' ' ')"
    rm -f "$PROVIDER_DIR/pulumi-resource-kubernetes"
  fi
}

# install_plugin NAME VERSION BINARY: `pulumi plugin install` into PULUMI_HOME, unless the same binary
# is there already. A different plugin of that name and version that this script did not install
# (no .dcnet-engine marker), e.g. the real one downloaded on a machine with internet access, is kept
# unless --force is given.
install_plugin() {
  local name=$1 version=$2 bin=$3
  local pdir="$PLUGIN_HOME/plugins/resource-$name-v$version"
  local installed="$pdir/pulumi-resource-$name"
  if [[ -f $installed ]]; then
    if cmp -s "$installed" "$bin"; then
      log "plugin resource $name $version already installed in $PLUGIN_HOME"
      return 0
    fi
    if [[ ! -f $pdir/.dcnet-engine && $FORCE == 0 ]]; then
      record "plugin resource $name $version: keeping the one already in $PLUGIN_HOME (not installed by this script); --force replaces it"
      return 0
    fi
  fi
  PULUMI_SKIP_UPDATE_CHECK=true "$BIN_DIR/pulumi" plugin install resource "$name" "$version" --file "$bin" --reinstall
  echo "$ENGINE_DIR" >"$pdir/.dcnet-engine"
  record "installed plugin resource $name $version into $PLUGIN_HOME"
}

run_verify() {
  local tmp prog rc=0
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/dcnet-engine-verify.XXXXXX")
  prog="$tmp/program"
  mkdir -p "$tmp/state" "$prog"
  if [[ ! -d $REPO_DIR/node_modules/@pulumi/command ]]; then
    log "verify: $REPO_DIR/node_modules/@pulumi/command is missing; run npm ci in the repo first"
    return 1
  fi
  ln -s "$REPO_DIR/node_modules" "$prog/node_modules"
  cat >"$prog/Pulumi.yaml" <<'EOF'
name: dcnet-engine-verify
runtime:
  name: nodejs
  options:
    typescript: false
EOF
  cat >"$prog/package.json" <<'EOF'
{ "name": "dcnet-engine-verify", "main": "index.js" }
EOF
  cat >"$prog/index.js" <<'EOF'
const command = require("@pulumi/command");
const hi = new command.local.Command("hi", { create: "echo hi" });
exports.stdout = hi.stdout;
EOF
  log "verify: program in $prog, state in file://$tmp/state"
  (
    cd "$prog"
    export PATH="$BIN_DIR:$PATH"
    export PULUMI_BACKEND_URL="file://$tmp/state" PULUMI_CONFIG_PASSPHRASE=test
    export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_SKIP_UPDATE_CHECK=true
    set -x
    pulumi stack init dev --non-interactive
    pulumi up --yes --non-interactive
    test "$(pulumi stack output stdout)" = hi
    pulumi up --yes --non-interactive --expect-no-changes
    pulumi destroy --yes --non-interactive
    pulumi stack rm dev --yes --non-interactive
  ) >&2 || rc=$?
  if [[ $rc -eq 0 ]]; then
    log "verify: OK (up created the command with stdout 'hi', the second up had no changes, destroy deleted it)"
    rm -rf "$tmp"
  else
    log "verify: FAILED (exit $rc); files kept in $tmp"
  fi
  return $rc
}

# ---------------------------------------------------------------------------------------------
START=$(now)
BUILT=0
if [[ $FORCE == 0 ]] && engine_built; then
  log "reusing the engine in $ENGINE_DIR (pass --force to rebuild)"
  [[ -f $INFO_FILE ]] && sed 's/^/  | /' "$INFO_FILE" >&2
else
  log "building the Pulumi engine into $ENGINE_DIR"
  BUILT=1
  build_engine
  if [[ $TRY_KUBERNETES == 1 ]]; then
    build_kubernetes
  else
    record "kubernetes $KUBERNETES_VERSION: skipped (--no-kubernetes)"
  fi
  END=$(now)
  record "total build time: $(fmt_secs $((END - START)))"
  {
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) by scripts/install-pulumi-engine.sh (recipe $RECIPE) with $("$GO" version)"
    printf '%s\n' "${REPORT[@]}"
  } >"$INFO_FILE"
fi

install_plugin command "$COMMAND_VERSION" "$PROVIDER_DIR/pulumi-resource-command"
if [[ -x $PROVIDER_DIR/pulumi-resource-kubernetes ]]; then
  install_plugin kubernetes "$KUBERNETES_VERSION" "$PROVIDER_DIR/pulumi-resource-kubernetes"
fi

log "versions: $("$BIN_DIR/pulumi" version) (CLI); plugins in $PLUGIN_HOME:"
PULUMI_SKIP_UPDATE_CHECK=true "$BIN_DIR/pulumi" plugin ls 2>/dev/null | sed 's/^/  /' >&2 || true
DISK="disk use: $(du -sh "$ENGINE_DIR" | cut -f1) in $ENGINE_DIR"
if [[ $BUILT == 1 ]]; then
  # Only after a build: du over the Go caches takes a while. They are shared with other Go work.
  DISK+="; shared Go caches: module cache $(du -sh "$("$GO" env GOMODCACHE)" 2>/dev/null | cut -f1),"
  DISK+=" build cache $(du -sh "$("$GO" env GOCACHE)" 2>/dev/null | cut -f1)"
  echo "$DISK" >>"$INFO_FILE"
fi
log "$DISK"

if [[ $MODE == verify ]]; then
  run_verify
fi

echo "# Pulumi engine ready. To use it (or: eval \"\$($0 --print-env)\"):" >&2
print_env
