/**
 * `NodeHost` (`dcnet:index:NodeHost`): installs one node's BIRD config and its secret files with
 * one command, `<name>-bird`, below the component:
 *
 * - its `stdin` is the rendered bird.conf (after one line holding the scripts, see
 *   `device-apply.ts`), so `pulumi preview --diff` shows the changed config lines;
 * - the secret files (`<passwordRef>.conf`, 0600) travel in the secret environment variable
 *   `DCNET_SECRETS`; the command installs them first, then validates, installs, reloads and waits
 *   for the node's sessions (see `sdk/apply/bird.ts`).
 *
 * `nodeCommand` creates the same command without the component (what `DataCenter` does).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  encodeSecretsPayload,
  renderBirdApplyScript,
  renderBirdDeleteScript,
  renderBirdSecretsApplyScript,
  renderBirdSecretsDeleteScript,
  sha256Hex,
  checkBirdPaths,
} from "../sdk/apply";
import { scriptParts } from "../sdk/apply/shell";
import { deviceCommand, devicePreamble, normalizeDeps } from "./device-command";
import { BundleDelivery, deviceLaunchers, LauncherPart } from "./device-apply";
import { BirdPathsArgs, DeliveryMode, HostArgs, SshSettingsArgs } from "./types";

/** Arguments of `NodeHost`. */
export interface NodeHostArgs {
  /** Node name (as in the plan; used in messages and the baseline). */
  node: string;
  /** The rendered BIRD config (no secrets; becomes a visible input). */
  birdConfig: string;
  /** BGP protocol names that must reach Established after an apply (the node's uplinks). */
  protocols: string[];
  /** Router id written into the baseline config. */
  routerId: string;
  /** Names of the secret files the config includes (inside `birdPaths.secretsDir`). */
  secretFileNames?: string[];
  /** Contents of those files by name; pass Pulumi secrets. */
  secretFiles?: pulumi.Input<{ [file: string]: pulumi.Input<string> }>;
  /** `ssh` (default) or `localFolder`. */
  mode?: DeliveryMode;
  /** Folder mode: the folder standing for the node's root (default `out-local/<node>`). */
  localFolder?: string;
  /** How to reach the node (ssh mode). `host` defaults to `routerId`. */
  host?: HostArgs;
  /** SSH defaults below `host.ssh` (rack, then data center). */
  sshDefaults?: SshSettingsArgs;
  /** BIRD paths on the node (below `host.birdPaths`). */
  birdPaths?: BirdPathsArgs;
  /** Seconds to wait for Established before rolling back (default 120). */
  verifyTimeoutSeconds?: number;
}

/** Where a node command goes in the resource tree. */
export interface CommandPlacement {
  parent: pulumi.Resource;
  dependsOn: pulumi.Input<pulumi.Resource>[];
  aliases?: pulumi.Input<pulumi.Alias | string>[];
  /** Resource hooks of the command (the rollout's step gates). */
  hooks?: pulumi.ResourceHookBinding;
}

/** A node's secrets payload: its secret files by name, in name order (`encodeSecretsPayload`). */
export function nodeSecretsPayload(node: string, fileNames: string[], files: { [file: string]: string }): string {
  const missing = fileNames.filter((f) => !(f in files));
  if (missing.length) throw new Error(`NodeHost ${node}: no content for secret file(s) ${missing.join(", ")}`);
  return encodeSecretsPayload([...fileNames].sort().map((f) => ({ name: f, text: files[f] })));
}

/**
 * The single command installing a node's BIRD config and secret files (named `name`).
 * `secretsPayload` (DataCenter): the node's encoded secret files (`nodeSecretsPayload`), already a
 * secret Output (one apply on the data center's secret passwords), used instead of `secretFiles`.
 */
export function nodeCommand(name: string, label: string, args: NodeHostArgs, at: CommandPlacement, delivery?: BundleDelivery, secretsPayload?: pulumi.Output<string>) {
  // every path checked before anything exists: one error listing each problem (no stack trace)
  const { mode, target, t, root } = devicePreamble(name, label, {
    device: args.node,
    routerId: args.routerId,
    mode: args.mode,
    localFolder: args.localFolder,
    host: args.host,
    sshDefaults: args.sshDefaults,
    pathsField: "birdPaths",
    paths: args.birdPaths,
    hostPaths: args.host?.birdPaths,
    check: checkBirdPaths,
  });
  const fileNames = [...(args.secretFileNames ?? [])].sort();
  let payload: pulumi.Output<string> | undefined;
  if (fileNames.length > 0) {
    if (secretsPayload !== undefined) payload = secretsPayload;
    else if (args.secretFiles === undefined) throw new Error(`NodeHost ${args.node}: secretFileNames given without secretFiles`);
    else payload = pulumi.secret(pulumi.output(args.secretFiles).apply((files) => nodeSecretsPayload(args.node, fileNames, files as { [file: string]: string })));
  }
  const secretsParts = (mk: typeof renderBirdSecretsApplyScript, onStdin: boolean): LauncherPart[] =>
    fileNames.length ? [{ script: mk({ ...t, files: fileNames }, scriptParts), secretsOnStdin: onStdin }] : [];
  const l = deviceLaunchers(
    args.node,
    `install the BIRD config and secret files of node ${args.node}`,
    [
      ...secretsParts(renderBirdSecretsApplyScript, true),
      {
        script: renderBirdApplyScript({
          ...t,
          config: args.birdConfig,
          protocols: args.protocols,
          routerId: args.routerId,
          ...(args.verifyTimeoutSeconds !== undefined ? { verifyTimeoutSeconds: args.verifyTimeoutSeconds } : {}),
        }, scriptParts),
      },
    ],
    [{ script: renderBirdDeleteScript({ ...t, routerId: args.routerId }, scriptParts) }, ...secretsParts(renderBirdSecretsDeleteScript, false)],
    [],
    delivery,
    args.routerId,
    root,
  );
  return deviceCommand({
    name,
    mode,
    target,
    create: l.create,
    delete: l.delete,
    stdin: l.lib + args.birdConfig,
    ...(payload ? { secrets: payload } : {}),
    parent: at.parent,
    dependsOn: at.dependsOn,
    ...(at.aliases ? { aliases: at.aliases } : {}),
    ...(at.hooks ? { hooks: at.hooks } : {}),
  });
}

/** One node's BIRD config and secret files. */
export class NodeHost extends pulumi.ComponentResource {
  /** SHA-256 of the installed bird.conf (known once the device reported it installed). */
  public readonly configSha256: pulumi.Output<string>;
  /** What the apply script reported (stdout). */
  public readonly applyOutput: pulumi.Output<string>;
  /** Number of resources this component created (itself included). */
  public readonly resourceCount: pulumi.Output<number>;

  constructor(name: string, args: NodeHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:NodeHost", name, {}, opts);
    const cmd = nodeCommand(`${name}-bird`, `NodeHost ${name}`, args, { parent: this, dependsOn: normalizeDeps(opts?.dependsOn) });
    const sha = sha256Hex(args.birdConfig);
    this.configSha256 = cmd.stdout.apply(() => sha);
    this.applyOutput = cmd.stdout;
    this.resourceCount = pulumi.output(2);
    this.registerOutputs({ configSha256: this.configSha256, applyOutput: this.applyOutput, resourceCount: this.resourceCount });
  }
}
