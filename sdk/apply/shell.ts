/**
 * Shell helpers for the device-side apply scripts. Every script is POSIX `sh` (dash, bash,
 * busybox ash), runs with `set -eu`, and receives its payload (config or secrets) on stdin, so
 * the command text stays small whatever the size of the config (an `sh -c` argument is capped at
 * 128 KiB by Linux) and a secret never appears in a command line.
 */
import { createHash } from "crypto";

/** Quote `text` as one single-quoted shell word. */
export function shq(text: string): string {
  if (text.includes("\0")) throw new Error("a shell word cannot contain NUL");
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `NAME='value'` assignment lines (values quoted). */
export function assignments(vars: [string, string | number][]): string {
  return vars
    .map(([k, v]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`bad shell variable name ${k}`);
      return `${k}=${typeof v === "number" ? String(v) : shq(v)}`;
    })
    .join("\n");
}

/** Lowercase hex SHA-256 of a UTF-8 string (what `sha256sum` prints for the same bytes). */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Byte length of a UTF-8 string. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Check an absolute device path (no newline, no NUL, absolute, no `..` segment). */
export function checkPath(path: string, what: string): string {
  if (typeof path !== "string" || !path.startsWith("/") || /[\0\n\r]/.test(path) || path.split("/").includes(".."))
    throw new Error(`${what} ${JSON.stringify(path)} must be an absolute path without '..' or newlines`);
  return path.replace(/\/+$/, "") || "/";
}

/** Check a device name used in messages and owner tags. */
export function checkDeviceName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`device name ${JSON.stringify(name)} is not a safe name`);
  return name;
}

/**
 * Functions shared by every script: messages, redaction of password-looking words in any text
 * the script prints (daemons echo offending lines back), a lock, stdin capture, hashing.
 * Expects `DEVICE`, `ROOT`.
 */
export const PRELUDE = String.raw`say() { printf 'dcnet: %s: %s\n' "$DEVICE" "$*"; }
err() { printf 'dcnet: %s: %s\n' "$DEVICE" "$*" >&2; }
# hide anything that looks like a password in text we print (daemons echo offending lines)
redact() { sed -E 's/(password)([^[:space:]]*)([[:space:]]+)("[^"]*"|[^[:space:];]+)/\1\2\3<redacted>/g'; }
sha_of() { sha256sum < "$1" | cut -d' ' -f1; }
now() { date +%s; }
# run "$@" with all output captured in $OUT; returns its exit status
capture() { set +e; OUT=$("$@" 2>&1); rc=$?; set -e; return $rc; }
drain_stdin() { if [ ! -t 0 ]; then cat > /dev/null || true; fi; }
# one dcnet script at a time per device file (flock when available)
take_lock() {
  if command -v flock > /dev/null 2>&1; then
    exec 9> "$1"
    flock -w 300 9 || { err "another dcnet apply holds $1"; exit 1; }
  fi
}
same_file() { [ -f "$1" ] && [ -f "$2" ] && [ "$(sha_of "$1")" = "$(sha_of "$2")" ]; }
# copy ownership and mode of $1 onto $2 (when $1 exists)
copy_perms() {
  if [ -e "$1" ]; then
    chown "$(stat -c %u:%g "$1")" "$2" 2> /dev/null || true
    chmod "$(stat -c %a "$1")" "$2"
  fi
}
`;

/**
 * Decoder of a secrets payload on stdin (see `encodeSecretsPayload`): writes each file into
 * directory `$1` (mode 0600) and checks the set of names against `$SECRET_FILES`.
 */
export const PAYLOAD_DECODER = String.raw`decode_payload() {
  _dir=$1; _seen=""; _end=0; _first=1
  while IFS=' ' read -r _kind _name _data || [ -n "$_kind" ]; do
    if [ "$_first" = 1 ]; then
      [ "$_kind $_name" = "dcnet-secrets 1" ] || { err "secrets payload on stdin has no 'dcnet-secrets 1' header"; return 1; }
      _first=0; continue
    fi
    case "$_kind" in
      file)
        case "$_name" in
          ""|.*|*/*|*[!A-Za-z0-9._-]*) err "secrets payload names an unsafe file"; return 1 ;;
        esac
        printf '%s' "$_data" | base64 -d > "$_dir/$_name" || { err "secrets payload: bad encoding for $_name"; return 1; }
        chmod 600 "$_dir/$_name"
        _seen="$_seen $_name" ;;
      end) _end=1 ;;
      *) err "secrets payload: unexpected record"; return 1 ;;
    esac
  done
  [ "$_end" = 1 ] || { err "secrets payload on stdin is truncated (no end record)"; return 1; }
  [ "$(echo $_seen | tr ' ' '\n' | sort | tr '\n' ' ')" = "$(echo $SECRET_FILES | tr ' ' '\n' | sort | tr '\n' ' ')" ] ||
    { err "secrets payload holds files [$_seen ] but the script expects [ $SECRET_FILES ]"; return 1; }
}
`;

/** A secret file sent to a device: name (no directory) and content. */
export interface SecretFile {
  /** File name inside the device's secrets directory (`[A-Za-z0-9._-]`, not starting with `.`). */
  name: string;
  /** File content. */
  text: string;
}

/** Check a secret file name. */
export function checkSecretFileName(name: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) throw new Error(`secret file name ${JSON.stringify(name)} is not safe`);
  return name;
}

/**
 * Encode secret files as the stdin payload of a secrets script:
 * `dcnet-secrets 1`, one `file NAME BASE64` line per file, `end`. The payload is the only place
 * the values travel; callers mark it secret.
 */
export function encodeSecretsPayload(files: SecretFile[]): string {
  const lines = ["dcnet-secrets 1"];
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    lines.push(`file ${checkSecretFileName(f.name)} ${Buffer.from(f.text, "utf8").toString("base64")}`);
  lines.push("end");
  return lines.join("\n") + "\n";
}
