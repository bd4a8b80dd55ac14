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
#     In that case it is NOT built: dcnet does not replace the engine with an imitation.
#     (The newest sdk/v3 that still carried the host as a package, v3.68.0, is served, but it is two
#     years older than the CLI and the npm SDK; it is not used either.)
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
#     version is not available.", and so does its dependency github.com/pulumi/pulumi-go-provider.
#     So the provider is NOT built, and the script exits 3 (BLOCKED) after building the CLI, naming
#     the exact command and error. dcnet's end-to-end test (test/e2e-pulumi.test.ts) then reports
#     itself pending with that reason. Issue 6 is blocked on this.
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
RECIPE=3

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

# The CLI alone (what can be built when the language host and provider cannot be fetched).
cli_built() {
  [[ -x "$BIN_DIR/pulumi" && -f "$INFO_FILE" ]]
}

if [[ $MODE == print-env ]]; then
  if ! engine_built; then
    if cli_built; then
      echo "install-pulumi-engine: BLOCKED: only the CLI could be built in $ENGINE_DIR:" >&2
      grep -E 'BLOCKED|not fetchable' "$INFO_FILE" >&2 || true
      exit 3
    fi
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

  # 1. The CLI and engine.
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

  # 2. Node.js language host and 3. command provider: upstream only, never an imitation.
  local langhost_dir command_dir
  module_dir "$LANGHOST_MODULE@$LANGHOST_MODULE_VERSION"
  langhost_dir=$MOD_DIR
  [[ -n $langhost_dir ]] || record "BLOCKED: language host not fetchable: $GO mod download -json $LANGHOST_MODULE@$LANGHOST_MODULE_VERSION: $DL_ERR"
  module_dir "$COMMAND_MODULE@$COMMAND_MODULE_VERSION"
  command_dir=$MOD_DIR
  [[ -n $command_dir ]] || record "BLOCKED: command provider not fetchable: $GO mod download -json $COMMAND_MODULE@$COMMAND_MODULE_VERSION: $DL_ERR"

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
  if [[ -n $langhost_dir ]]; then
    local ldir="$SRC_DIR/language-nodejs"
    new_module "$ldir" dcnet.local/pulumi-language-nodejs "$LANGHOST_MODULE@$LANGHOST_MODULE_VERSION" \
      "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
    (cd "$ldir" && copy_replaces "$langhost_dir/go.mod")
    write_tools "$ldir" "$LANGHOST_MODULE"
    (cd "$ldir" && "$GO" mod tidy && "$GO" build -trimpath -o "$BIN_DIR/pulumi-language-nodejs" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      "$LANGHOST_MODULE")
    t1=$(now)
    record "pulumi-language-nodejs: built from $LANGHOST_MODULE@$LANGHOST_MODULE_VERSION in $(fmt_secs $((t1 - t0)))"
  fi

  t0=$(now)
  if [[ -n $command_dir ]]; then
    local cdir="$SRC_DIR/command"
    new_module "$cdir" dcnet.local/pulumi-resource-command "$COMMAND_MODULE@$COMMAND_MODULE_VERSION"
    (cd "$cdir" && copy_replaces "$command_dir/go.mod")
    write_tools "$cdir" "$COMMAND_MODULE/cmd/pulumi-resource-command"
    (cd "$cdir" && "$GO" mod tidy && "$GO" build -trimpath -o "$PROVIDER_DIR/pulumi-resource-command" \
      -ldflags "-s -w -X $COMMAND_MODULE/pkg/version.Version=$COMMAND_VERSION" \
      "$COMMAND_MODULE/cmd/pulumi-resource-command")
    t1=$(now)
    record "pulumi-resource-command $COMMAND_VERSION: built from $COMMAND_MODULE@$COMMAND_MODULE_VERSION in $(fmt_secs $((t1 - t0)))"
  fi
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
if [[ $FORCE == 0 ]] && (engine_built || cli_built); then
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

# A plugin this script installed earlier (marker file) that is not the current build goes away:
# earlier recipes installed an imitation under the real provider's name.
for marker in "$PLUGIN_HOME"/plugins/resource-*/.dcnet-engine; do
  [[ -f $marker ]] || continue
  if [[ $(cat "$marker") != "$ENGINE_DIR" ]]; then
    log "removing $(dirname "$marker") (installed by an earlier recipe of this script)"
    rm -rf "$(dirname "$marker")" "$(dirname "$marker").lock"
  fi
done
if [[ -x $PROVIDER_DIR/pulumi-resource-command ]]; then
  install_plugin command "$COMMAND_VERSION" "$PROVIDER_DIR/pulumi-resource-command"
fi
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

if ! engine_built; then
  echo "# BLOCKED: only the real Pulumi CLI was built ($BIN_DIR/pulumi). The real language host and/or" >&2
  echo "# command provider cannot be fetched here, and dcnet does not substitute imitations:" >&2
  grep -E 'BLOCKED' "$INFO_FILE" | sed 's/^/#   /' >&2 || true
  exit 3
fi
echo "# Pulumi engine ready. To use it (or: eval \"\$($0 --print-env)\"):" >&2
print_env
