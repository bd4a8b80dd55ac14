/**
 * `NodeHost` (`dcnet:index:NodeHost`): installs one node's BIRD config, and its secret files when
 * it has password-protected sessions. Children (2 or 1 resources):
 *
 * - `<name>-bird-secrets`: the secret files (`<passwordRef>.conf`, 0600) — a command whose stdin
 *   is a Pulumi secret, with logging off and stdout/stderr secret. Runs first.
 * - `<name>-bird`: the visible config — the rendered bird.conf is its `stdin`, so
 *   `pulumi preview --diff` shows the changed lines; the script validates, installs, reloads and
 *   waits for the node's sessions (see `sdk/apply/bird.ts`).
 *
 * The component's `dependsOn` also applies to both children (rollout order).
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
  checkRoot,
  DevicePathsError,
} from "../sdk/apply";
import { deviceCommand, normalizeDeps, requirePinnedHostKeys, sshTarget, stripUndefined } from "./device-command";
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

/** One node's BIRD config and secret files. */
export class NodeHost extends pulumi.ComponentResource {
  /** SHA-256 of the installed bird.conf. */
  public readonly configSha256: pulumi.Output<string>;
  /** What the apply script reported (stdout). */
  public readonly applyOutput: pulumi.Output<string>;
  /** Number of resources this component created (itself included). */
  public readonly resourceCount: pulumi.Output<number>;

  constructor(name: string, args: NodeHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:NodeHost", name, {}, opts);
    const mode = args.mode ?? DeliveryMode.ssh;
    const paths = { ...args.birdPaths, ...stripUndefined(args.host?.birdPaths) };
    // every path checked before anything exists: one error listing each problem (no stack trace)
    const hostPaths = (args.host?.birdPaths ?? {}) as Record<string, unknown>;
    const checked = checkBirdPaths(paths, (f) => (hostPaths[f] !== undefined && hostPaths[f] !== "" ? `host.birdPaths.${f}` : `birdPaths.${f}`));
    if (checked.problems.length) throw new pulumi.RunError(new DevicePathsError(checked.problems, `NodeHost ${name}`).message);
    let root: string | undefined;
    try {
      root = mode === DeliveryMode.localFolder ? checkRoot(args.localFolder ?? `out-local/${args.node}`) : undefined;
    } catch (e) {
      throw new pulumi.RunError(`NodeHost ${name}: ${(e as Error).message}`);
    }
    const target = mode === DeliveryMode.ssh ? sshTarget(args.node, args.routerId, args.host, args.sshDefaults) : undefined;
    if (target) requirePinnedHostKeys([target]);
    const explicitDeps = normalizeDeps(opts?.dependsOn);
    const owner = (res: string) => `${pulumi.getProject()}/${pulumi.getStack()}/${res}`;
    const target0 = { device: args.node, paths, ...(root ? { root } : {}) };

    const fileNames = [...(args.secretFileNames ?? [])].sort();
    let secrets: pulumi.Resource | undefined;
    if (fileNames.length > 0) {
      if (args.secretFiles === undefined) throw new Error(`NodeHost ${args.node}: secretFileNames given without secretFiles`);
      const payload = pulumi.secret(
        pulumi.output(args.secretFiles).apply((files) => {
          const missing = fileNames.filter((f) => !(f in files));
          if (missing.length) throw new Error(`NodeHost ${args.node}: no content for secret file(s) ${missing.join(", ")}`);
          return encodeSecretsPayload(fileNames.map((f) => ({ name: f, text: files[f] as string })));
        }),
      );
      const secretsName = `${name}-bird-secrets`;
      secrets = deviceCommand({
        name: secretsName,
        mode,
        target,
        create: renderBirdSecretsApplyScript({ ...target0, owner: owner(secretsName), files: fileNames }),
        delete: renderBirdSecretsDeleteScript({ ...target0, owner: owner(secretsName), files: fileNames }),
        stdin: payload,
        secret: true,
        parent: this,
        dependsOn: explicitDeps,
      });
    }
    const configName = `${name}-bird`;
    const config = deviceCommand({
      name: configName,
      mode,
      target,
      create: renderBirdApplyScript({
        ...target0,
        owner: owner(configName),
        config: args.birdConfig,
        protocols: args.protocols,
        routerId: args.routerId,
        ...(args.verifyTimeoutSeconds !== undefined ? { verifyTimeoutSeconds: args.verifyTimeoutSeconds } : {}),
      }),
      delete: renderBirdDeleteScript({ ...target0, owner: owner(configName), routerId: args.routerId }),
      stdin: args.birdConfig,
      secret: false,
      parent: this,
      dependsOn: secrets ? [...explicitDeps, secrets] : explicitDeps,
    });
    this.configSha256 = pulumi.output(sha256Hex(args.birdConfig));
    this.applyOutput = config.stdout;
    this.resourceCount = pulumi.output(secrets ? 3 : 2);
    this.registerOutputs({ configSha256: this.configSha256, applyOutput: this.applyOutput, resourceCount: this.resourceCount });
  }
}
