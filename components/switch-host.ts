/**
 * `SwitchHost` (`dcnet:index:SwitchHost`): installs one switch's FRR config and its secrets
 * overlay with one command, `<name>-frr`, below the component:
 *
 * - its `stdin` is the rendered main frr.conf (after one line holding the scripts, see
 *   `device-apply.ts`), so `pulumi preview --diff` shows the changed lines;
 * - the overlay (`router bgp N` + `neighbor X password P`) travels in the secret environment
 *   variable `DCNET_SECRETS`; the command stores it first, then validates, installs and reloads
 *   the assembled config and checks neighbors (see `sdk/apply/frr.ts`).
 *
 * The main config is kept as `<stateDir>/frr.main.conf` (the two-command layout of earlier
 * versions kept `frr.base.conf`, which the command removes: the delete of an earlier stack's
 * secrets command then leaves the running config alone). `switchCommand` creates the same command
 * without the component (what `DataCenter` does).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  encodeSecretsPayload,
  FRR_BASE_FILE,
  FRR_SECRETS_FILE,
  prefixRoot,
  shq,
  renderFrrApplyScript,
  renderFrrDeleteScript,
  renderFrrSecretsApplyScript,
  renderFrrSecretsDeleteScript,
  sha256Hex,
  checkFrrPaths,
} from "../sdk/apply";
import { scriptParts, ScriptParts } from "../sdk/apply/shell";
import { deviceCommand, devicePreamble, normalizeDeps } from "./device-command";
import { BundleDelivery, deviceLaunchers } from "./device-apply";
import { CommandPlacement } from "./node-host";
import { DeliveryMode, FrrPathsArgs, HostArgs, SshSettingsArgs } from "./types";

/** Arguments of `SwitchHost`. */
export interface SwitchHostArgs {
  /** Switch name (as in the plan; messages, baseline hostname). */
  switchName: string;
  /** The rendered main FRR config (no secrets; becomes a visible input). */
  frrConfig: string;
  /** Every neighbor address the config declares (sessions Established before an apply must stay so). */
  plannedNeighbors: string[];
  /** Neighbor addresses that must reach Established after an apply (fabric peers applied earlier). */
  requiredNeighbors?: string[];
  /** Router id (loopback): the default SSH host. */
  routerId: string;
  /** The secrets overlay (`router bgp N` + `neighbor X password P`); pass a Pulumi secret. Absent: no secrets resource. */
  secretsOverlay?: pulumi.Input<string>;
  /** `ssh` (default) or `localFolder`. */
  mode?: DeliveryMode;
  /** Folder mode: the folder standing for the switch's root (default `out-local/<switch>`). */
  localFolder?: string;
  /** How to reach the switch (ssh mode). `host` defaults to `routerId`. */
  host?: HostArgs;
  /** SSH defaults below `host.ssh` (rack, then data center). */
  sshDefaults?: SshSettingsArgs;
  /** FRR paths on the switch (below `host.frrPaths`). */
  frrPaths?: FrrPathsArgs;
  /** Seconds to wait for Established before rolling back (default 120). */
  verifyTimeoutSeconds?: number;
}

/** Name of the installed main config in the state dir (one-command layout). */
export const FRR_MAIN_FILE = "frr.main.conf";

/** A switch's secrets payload: its overlay as the one secret file (`encodeSecretsPayload`). */
export function switchSecretsPayload(overlay: string): string {
  return encodeSecretsPayload([{ name: FRR_SECRETS_FILE, text: overlay }]);
}

/**
 * The single command installing a switch's FRR config and secrets overlay (named `name`).
 * `secretsPayload` (DataCenter): the encoded overlay (`switchSecretsPayload`), already a secret
 * Output (one apply on the data center's secret passwords), used instead of `secretsOverlay`.
 */
export function switchCommand(name: string, label: string, args: SwitchHostArgs, at: CommandPlacement, delivery?: BundleDelivery, secretsPayload?: pulumi.Output<string>) {
  // every path checked before anything exists: one error listing each problem (no stack trace)
  const { mode, checked, root, target, t } = devicePreamble(name, label, {
    device: args.switchName,
    routerId: args.routerId,
    mode: args.mode,
    localFolder: args.localFolder,
    host: args.host,
    sshDefaults: args.sshDefaults,
    pathsField: "frrPaths",
    paths: args.frrPaths,
    hostPaths: args.host?.frrPaths,
    check: checkFrrPaths,
  });
  // the one-command layout keeps the main config as frr.main.conf (see FRR_MAIN_FILE)
  const main = (script: ScriptParts): ScriptParts => ({
    ...script,
    params: script.params.map(([k, v]) => (k === "BASE_FILE" && v === FRR_BASE_FILE ? [k, FRR_MAIN_FILE] : [k, v])),
  });
  const hasSecrets = args.secretsOverlay !== undefined || secretsPayload !== undefined;
  const oldBase = prefixRoot(root, `${checked.paths.stateDir}/${FRR_BASE_FILE}`);
  const l = deviceLaunchers(
    args.switchName,
    `install the FRR config and secrets overlay of switch ${args.switchName}`,
    [
      ...(hasSecrets ? [{ script: main(renderFrrSecretsApplyScript(t, scriptParts)), secretsOnStdin: true }] : []),
      {
        script: main(
          renderFrrApplyScript({
            ...t,
            config: args.frrConfig,
            plannedNeighbors: args.plannedNeighbors,
            requiredNeighbors: args.requiredNeighbors ?? [],
            ...(args.verifyTimeoutSeconds !== undefined ? { verifyTimeoutSeconds: args.verifyTimeoutSeconds } : {}),
          }, scriptParts),
        ),
      },
    ],
    [{ script: main(renderFrrDeleteScript(t, scriptParts)) }, ...(hasSecrets ? [{ script: main(renderFrrSecretsDeleteScript(t, scriptParts)) }] : [])],
    [`rm -f ${shq(oldBase)}`],
    delivery,
    args.routerId,
    root,
  );
  const payload = secretsPayload ?? (hasSecrets ? pulumi.secret(pulumi.output(args.secretsOverlay!).apply(switchSecretsPayload)) : undefined);
  return deviceCommand({
    name,
    mode,
    target,
    create: l.create,
    delete: l.delete,
    stdin: l.lib + args.frrConfig,
    ...(payload ? { secrets: payload } : {}),
    parent: at.parent,
    dependsOn: at.dependsOn,
    ...(at.aliases ? { aliases: at.aliases } : {}),
    ...(at.hooks ? { hooks: at.hooks } : {}),
  });
}

/** One switch's FRR config and secrets overlay. */
export class SwitchHost extends pulumi.ComponentResource {
  /** SHA-256 of the installed main config (known once the device reported it installed). */
  public readonly configSha256: pulumi.Output<string>;
  /** What the apply script reported (stdout). */
  public readonly applyOutput: pulumi.Output<string>;
  /** Number of resources this component created (itself included). */
  public readonly resourceCount: pulumi.Output<number>;

  constructor(name: string, args: SwitchHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:SwitchHost", name, {}, opts);
    const cmd = switchCommand(`${name}-frr`, `SwitchHost ${name}`, args, { parent: this, dependsOn: normalizeDeps(opts?.dependsOn) });
    const sha = sha256Hex(args.frrConfig);
    this.configSha256 = cmd.stdout.apply(() => sha);
    this.applyOutput = cmd.stdout;
    this.resourceCount = pulumi.output(2);
    this.registerOutputs({ configSha256: this.configSha256, applyOutput: this.applyOutput, resourceCount: this.resourceCount });
  }
}
