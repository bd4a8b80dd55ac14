/**
 * `SwitchHost` (`dcnet:index:SwitchHost`): installs one switch's FRR config, and its secrets
 * overlay when it has password-protected sessions. Children (2 or 1 resources):
 *
 * - `<name>-frr`: the visible main config — the rendered frr.conf is its `stdin`, so
 *   `pulumi preview --diff` shows the changed lines; the script validates, installs, reloads with
 *   frr-reload.py and checks neighbors (see `sdk/apply/frr.ts`). Runs first.
 * - `<name>-frr-secrets`: the overlay with `neighbor X password P` lines — stdin is a Pulumi
 *   secret, logging off, stdout/stderr secret.
 *
 * The component's `dependsOn` also applies to both children (rollout order).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  encodeSecretsPayload,
  FRR_SECRETS_FILE,
  renderFrrApplyScript,
  renderFrrDeleteScript,
  renderFrrSecretsApplyScript,
  renderFrrSecretsDeleteScript,
  sha256Hex,
  checkFrrPaths,
  checkRoot,
  DevicePathsError,
} from "../sdk/apply";
import { deviceCommand, normalizeDeps, requirePinnedHostKeys, sshTarget, stripUndefined } from "./device-command";
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

/** One switch's FRR config and secrets overlay. */
export class SwitchHost extends pulumi.ComponentResource {
  /** SHA-256 of the installed main config. */
  public readonly configSha256: pulumi.Output<string>;
  /** What the apply script reported (stdout). */
  public readonly applyOutput: pulumi.Output<string>;
  /** Number of resources this component created (itself included). */
  public readonly resourceCount: pulumi.Output<number>;

  constructor(name: string, args: SwitchHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:SwitchHost", name, {}, opts);
    const mode = args.mode ?? DeliveryMode.ssh;
    const paths = { ...args.frrPaths, ...stripUndefined(args.host?.frrPaths) };
    // every path checked before anything exists: one error listing each problem (no stack trace)
    const hostPaths = (args.host?.frrPaths ?? {}) as Record<string, unknown>;
    const checked = checkFrrPaths(paths, (f) => (hostPaths[f] !== undefined && hostPaths[f] !== "" ? `host.frrPaths.${f}` : `frrPaths.${f}`));
    if (checked.problems.length) throw new pulumi.RunError(new DevicePathsError(checked.problems, `SwitchHost ${name}`).message);
    let root: string | undefined;
    try {
      root = mode === DeliveryMode.localFolder ? checkRoot(args.localFolder ?? `out-local/${args.switchName}`) : undefined;
    } catch (e) {
      throw new pulumi.RunError(`SwitchHost ${name}: ${(e as Error).message}`);
    }
    const target = mode === DeliveryMode.ssh ? sshTarget(args.switchName, args.routerId, args.host, args.sshDefaults) : undefined;
    if (target) requirePinnedHostKeys([target]);
    const explicitDeps = normalizeDeps(opts?.dependsOn);
    const owner = (res: string) => `${pulumi.getProject()}/${pulumi.getStack()}/${res}`;
    const target0 = { device: args.switchName, paths, ...(root ? { root } : {}) };

    const configName = `${name}-frr`;
    const config = deviceCommand({
      name: configName,
      mode,
      target,
      create: renderFrrApplyScript({
        ...target0,
        owner: owner(configName),
        config: args.frrConfig,
        plannedNeighbors: args.plannedNeighbors,
        requiredNeighbors: args.requiredNeighbors ?? [],
        ...(args.verifyTimeoutSeconds !== undefined ? { verifyTimeoutSeconds: args.verifyTimeoutSeconds } : {}),
      }),
      delete: renderFrrDeleteScript({ ...target0, owner: owner(configName) }),
      stdin: args.frrConfig,
      secret: false,
      parent: this,
      dependsOn: explicitDeps,
    });
    let count = 2;
    if (args.secretsOverlay !== undefined) {
      const secretsName = `${name}-frr-secrets`;
      const payload = pulumi.secret(pulumi.output(args.secretsOverlay).apply((text) => encodeSecretsPayload([{ name: FRR_SECRETS_FILE, text }])));
      deviceCommand({
        name: secretsName,
        mode,
        target,
        create: renderFrrSecretsApplyScript({ ...target0, owner: owner(secretsName) }),
        delete: renderFrrSecretsDeleteScript({ ...target0, owner: owner(secretsName) }),
        stdin: payload,
        secret: true,
        parent: this,
        dependsOn: [...explicitDeps, config],
      });
      count = 3;
    }
    this.configSha256 = pulumi.output(sha256Hex(args.frrConfig));
    this.applyOutput = config.stdout;
    this.resourceCount = pulumi.output(count);
    this.registerOutputs({ configSha256: this.configSha256, applyOutput: this.applyOutput, resourceCount: this.resourceCount });
  }
}
