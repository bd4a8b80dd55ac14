/**
 * The apply script of a host-mode Cilium agent (`deployment: host`), as pure text. Run it on the node
 * (over SSH, as root) with the config dir payload on stdin (`encodeConfigDirPayload`). Idempotent: a
 * second run with the same input changes nothing and restarts nothing.
 *
 * Steps: check the payload against the expected SHA-256; validate (the unit's ExecStart binary is
 * there, `cilium-dbg` is there, `systemd-analyze verify` of the unit where the node has it); keep
 * what runs now; write the config dir as a version folder `<configDir>.dcnet/<sha256>/` and point
 * `<configDir>` (a symbolic link) at it atomically (a new link renamed over the old one, like a
 * mounted ConfigMap's `..data`), the unit likewise (`mv` in its folder); restart the agent
 * (`systemctl daemon-reload` when the unit changed, `systemctl enable` + `restart`; or the lab's
 * hook); wait, bounded, until `cilium-dbg status --brief` on the agent's socket says it is ready —
 * failing early when the agent's process is gone. On failure the previous version folder and unit
 * are put back and the agent restarted with them (and waited for); the script exits 1 with the
 * agent's last log lines. Nothing here is secret (the agent's kubeconfig with its credentials is the
 * node's, never dcnet's), so the agent's words are shown.
 *
 * The delete script (`renderCiliumAgentDeleteScript`) stops the agent and removes only what dcnet
 * recorded (see there).
 *
 * The shell sources are `scripts/common.sh`, `scripts/cilium-agent-lib.sh` (paths, the service
 * manager, readiness, the payload decoder), `scripts/cilium-agent-apply.sh` and
 * `scripts/cilium-agent-delete.sh`.
 */
import { byteLength, checkDeviceName, ScriptBuilder, ScriptParams, sha256Hex, textScript } from "./shell";
import { checkRoot, prefixRoot } from "./paths";
import { CiliumHostPaths, ciliumHostPaths } from "./cilium-paths";
import { ConfigDirFile } from "../render/cilium-host/config-dir";

export * from "./cilium-paths";

/** Options of `renderCiliumAgentApplyScript`. */
export interface CiliumAgentApplyOptions extends CiliumAgentTarget {
  /** The config dir files (`renderHostAgent(...).configDir`); their payload goes on stdin. */
  configDir: ConfigDirFile[];
  /** The unit text (`renderHostAgent(...).unit`). */
  unit: string;
  /** Bound on the wait for the agent to be ready, in seconds (default 300: it compiles its datapath first). */
  readyTimeoutSeconds?: number;
  /** Check the unit with `systemd-analyze verify` where the node has it (default true). */
  verifyUnit?: boolean;
}

/**
 * The stdin payload of the apply script: `dcnet-files 1`, per file `file NAME LINES EOL` and its
 * lines verbatim (EOL 1: the text ends with a newline), `end` — decoded by one awk process on the
 * node (`decode_files`), whatever the number of keys. Sorted by name.
 */
export function encodeConfigDirPayload(files: ConfigDirFile[]): string {
  const out = ["dcnet-files 1"];
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(f.name)) throw new Error(`config dir file name ${JSON.stringify(f.name)} is not safe`);
    if (/[\0\r]/.test(f.text)) throw new Error(`config dir file ${f.name} holds a NUL or carriage return`);
    const eol = f.text.endsWith("\n") ? 1 : 0;
    const lines = f.text === "" ? [] : (eol ? f.text.slice(0, -1) : f.text).split("\n");
    out.push(`file ${f.name} ${lines.length} ${eol}`, ...lines);
  }
  out.push("end");
  return out.join("\n") + "\n";
}

/** Where the scripts act: the node, its paths, folder mode, the owner tag. */
export interface CiliumAgentTarget {
  /** Node name (messages, owner tag). */
  device: string;
  /** Paths on the node. */
  paths?: Partial<CiliumHostPaths>;
  /** Folder mode: a local folder standing for the node's root (files only, nothing validated, restarted or stopped). */
  root?: string;
  /** Who installed it (`project/stack/resource`); a delete leaves a config another owner installed since. */
  owner?: string;
}

/** The parameters both scripts share. */
function targetParams(o: CiliumAgentTarget): { p: CiliumHostPaths; params: ScriptParams } {
  const p = ciliumHostPaths(o.paths, undefined, `node ${o.device}`);
  const root = o.root ? checkRoot(o.root) : undefined;
  return {
    p,
    params: [
      ["DEVICE", checkDeviceName(o.device)],
      ["PUBLIC", 1],
      ["DAEMON", root ? 0 : 1],
      ["CONF", prefixRoot(root, p.configDir)],
      ["UNIT", prefixRoot(root, p.unitFile)],
      ["AGENT", p.agent],
      ["CILIUM_DBG", p.ciliumDbg],
      ["SOCK", p.socket],
      ["RESTART_HOOK", p.restartHook],
      ["OWNER", o.owner ?? `dcnet/${o.device}`],
    ],
  };
}

/** The create/update script of a node's host-mode agent. Exit 0: installed and ready, or nothing to do. */
export function renderCiliumAgentApplyScript<T = string>(o: CiliumAgentApplyOptions, build: ScriptBuilder<T> = textScript<T>()): T {
  const { params } = targetParams(o);
  const timeout = o.readyTimeoutSeconds ?? 300;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600) throw new Error("readyTimeoutSeconds must be an integer in 1..3600");
  if (o.configDir.length === 0) throw new Error("the config dir is empty");
  const payload = encodeConfigDirPayload(o.configDir);
  return build(
    `install the host-mode Cilium agent of node ${checkDeviceName(o.device)}`,
    [
      ...params,
      ["EXPECT_SHA256", sha256Hex(payload)],
      ["EXPECT_BYTES", byteLength(payload)],
      ["FILES", o.configDir.map((f) => f.name).sort().join(" ")],
      ["KEYS", o.configDir.length],
      ["UNIT_TEXT", o.unit],
      ["TIMEOUT", timeout],
      ["VERIFY_UNIT", o.verifyUnit === false ? 0 : 1],
    ],
    ["common.sh", "cilium-agent-lib.sh", "cilium-agent-apply.sh"],
  );
}

/**
 * The delete script of a node's host-mode agent: stop and disable it (`systemctl disable --now`, or
 * the lab's hook), then remove only what dcnet recorded — the config dir when it is dcnet's link
 * into `<configDir>.dcnet/`, those version folders, the unit and its kept previous version — and put
 * back the config dir that was there before dcnet (`before-dcnet`), if any. A config another owner
 * installed since is left; nothing dcnet installed: nothing to do. Reads (and ignores) its stdin.
 */
export function renderCiliumAgentDeleteScript<T = string>(o: CiliumAgentTarget, build: ScriptBuilder<T> = textScript<T>()): T {
  const { params } = targetParams(o);
  return build(`remove the host-mode Cilium agent of node ${checkDeviceName(o.device)}`, params, ["common.sh", "cilium-agent-lib.sh", "cilium-agent-delete.sh"]);
}
