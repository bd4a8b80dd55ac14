/**
 * Argument types of dcnet's Pulumi components. They follow the rules Pulumi's schema inference
 * enforces for source-based component packages (`pulumi package add`): interfaces only, enums
 * instead of union types, `Input<T>` where a caller may pass another resource's output, plain
 * values where the value shapes the resource graph or the script text.
 */
import * as pulumi from "@pulumi/pulumi";
import { AsnSpec, BgpOptionsSpec, ClusterSpec, FabricSpec, PoolsSpec, RackSpec, SwitchRole, Topology, UpstreamSpec } from "../sdk/spec/types";

/** Where a device's configuration goes. */
export enum DeliveryMode {
  /** Over SSH to the real host or switch (`@pulumi/command` `remote.Command`). */
  ssh = "ssh",
  /**
   * Into a local folder standing for the device's root filesystem (`local.Command`, same scripts,
   * nothing validated or reloaded): `pulumi preview` / `pulumi up` on a laptop with no devices.
   */
  localFolder = "localFolder",
}

/** How racks roll out relative to each other. */
export enum RackOrder {
  /** Rack after rack (default): a bad change stops at the first rack it breaks. */
  sequential = "sequential",
  /** All racks at once (still bounded inside each rack). */
  parallel = "parallel",
}

/** SSH settings shared by many devices (data center or rack defaults, or per-host overrides). */
export interface SshSettingsArgs {
  /** SSH user (default `root`: the scripts write under /etc and reload daemons). */
  user?: pulumi.Input<string>;
  /** SSH port (default 22). */
  port?: pulumi.Input<number>;
  /** Private key (PEM/OpenSSH text); pass a Pulumi secret. */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of the private key; pass a Pulumi secret. */
  privateKeyPassword?: pulumi.Input<string>;
  /** SSH agent socket (default `$SSH_AUTH_SOCK` when no key is given). */
  agentSocketPath?: pulumi.Input<string>;
  /** Dial attempts before giving up (default 10). */
  dialErrorLimit?: pulumi.Input<number>;
  /** Seconds per dial attempt (default 15). */
  perDialTimeout?: pulumi.Input<number>;
  /** Jump host the connection goes through. */
  proxy?: JumpHostArgs;
}

/** A jump host (bastion). */
export interface JumpHostArgs {
  /** Address or name of the jump host. */
  host: pulumi.Input<string>;
  /** Port (default 22). */
  port?: pulumi.Input<number>;
  /** User on the jump host (default `root`). */
  user?: pulumi.Input<string>;
  /** Private key for the jump host; pass a Pulumi secret. */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of that key. */
  privateKeyPassword?: pulumi.Input<string>;
  /** SSH agent socket for the jump host. */
  agentSocketPath?: pulumi.Input<string>;
  /** Pinned host key of the jump host (`ssh-ed25519 AAAA...`). Required unless `insecureSkipHostKeyCheck`. */
  hostKey?: pulumi.Input<string>;
  /** Accept any host key from the jump host (explicit opt-out; not recommended). */
  insecureSkipHostKeyCheck?: boolean;
}

/** Paths of BIRD on a node (defaults: Debian's bird2). */
export interface BirdPathsArgs {
  /** Config file BIRD runs. Default `/etc/bird/bird.conf`. */
  configFile?: string;
  /** Folder of the secret files the config includes. Default `/etc/bird/dcnet-secrets`. */
  secretsDir?: string;
  /** Control socket (`birdc -s`). Default `/run/bird/bird.ctl`. */
  controlSocket?: string;
  /** `bird` executable. Default `bird`. */
  bird?: string;
  /** `birdc` executable. Default `birdc`. */
  birdc?: string;
}

/** Paths of FRR on a switch (defaults: Debian's frr). */
export interface FrrPathsArgs {
  /** Integrated config FRR runs; name it `frr.conf`. Default `/etc/frr/frr.conf`. */
  configFile?: string;
  /** Folder where dcnet keeps the installed main config. Default `/etc/frr/dcnet`. */
  stateDir?: string;
  /** Folder of the secrets overlay. Default `/etc/frr/dcnet-secrets`. */
  secretsDir?: string;
  /** `vtysh` executable. Default `vtysh`. */
  vtysh?: string;
  /** `frr-reload.py`. Default `/usr/lib/frr/frr-reload.py` (missing: fall back to `vtysh -f`). */
  reloadScript?: string;
  /** Folder of the daemons' vty sockets (`vtysh --vty_socket`). Default: FRR's own. */
  vtySocketDir?: string;
  /** FRR path space (`vtysh -N`). Default: none. */
  pathspace?: string;
  /** Scratch folder of frr-reload.py. Default `/var/run/frr` (or `vtySocketDir`). */
  runDir?: string;
}

/** How to reach one device over SSH. */
export interface HostArgs {
  /** Address or name to connect to. Default: the node's address, or the switch's loopback (router id). */
  host?: pulumi.Input<string>;
  /** Pinned SSH host key (`ssh-ed25519 AAAA...`, e.g. from `ssh-keyscan -t ed25519 HOST`). Required unless opted out. */
  hostKey?: pulumi.Input<string>;
  /** Accept any host key from this device: an explicit, per-host opt-out of pinning. */
  insecureSkipHostKeyCheck?: boolean;
  /** SSH settings for this device (override rack and data center defaults field by field). */
  ssh?: SshSettingsArgs;
  /** BIRD paths on this node (override the data center's `birdPaths`). */
  birdPaths?: BirdPathsArgs;
  /** FRR paths on this switch (override the data center's `frrPaths`). */
  frrPaths?: FrrPathsArgs;
}

/** Rollout strategy. */
export enum RolloutStrategy {
  /**
   * Default: spines/cores one at a time; a canary (the first rack's switches one at a time, then
   * `canaryNodes` of its nodes); then waves of racks in parallel (`racksPerWave`), inside each
   * rack its switches one at a time, then at most `maxUnavailable` nodes at a time.
   */
  waves = "waves",
  /** The earlier order: `rackOrder` (racks one after another, or all at once), `maxHostsInFlightPerRack` nodes of a rack at a time. */
  sequential = "sequential",
}

/** Rollout settings. */
export interface RolloutArgs {
  /** `waves` (default) or `sequential`. */
  strategy?: RolloutStrategy;
  /** Waves: nodes of a rack applied at the same time (default 1). */
  maxUnavailable?: number;
  /** Waves: nodes of the canary rack applied one at a time before any other rack starts (default 1; 0: the canary is its switches only). */
  canaryNodes?: number;
  /** Waves: racks per wave after the canary (default: every other rack in one wave). */
  racksPerWave?: number;
  /** Sequential: racks one after another (default) or all at once. */
  rackOrder?: RackOrder;
  /** Sequential: nodes of one rack applied at the same time (default 1). Waves: used when `maxUnavailable` is not given. */
  maxHostsInFlightPerRack?: number;
  /** Seconds an apply waits for its BGP sessions to reach Established before it rolls back (default 120). */
  verifyTimeoutSeconds?: number;
  /**
   * SSH mode: after each wave, a gate step (`<name>-verify-wave-<n>`, a local command running
   * `dcnet verify` with the wave's checks over ssh, read-only) that the next wave waits for: the
   * wave's devices' sessions with rolled-out peers Established, and their switch peers holding the
   * prefixes the plan has them announce. A failed gate stops every later wave. Results per device
   * in the `verification` output. Needs the system `ssh` client where `pulumi up` runs; keys given
   * as `privateKey` (no passphrase) or the ssh agent of that environment.
   */
  verifyAfterWave?: boolean;
  /** Devices the gate step checks at the same time (default 8). */
  verifyParallel?: number;
  /**
   * SSH mode, default true: the peers' view gates every step. Before a device's command starts,
   * each device it waits for that this `up` applied is checked over ssh (pinned host keys,
   * read-only): its sessions Established with the planned peers, and its switch peers holding every
   * prefix the plan has it announce (valid, not stale paths). Retried for
   * `peerCheckTimeoutSeconds`; a failure fails the waiting step, so nothing after it starts. The
   * devices nobody waits for are checked by a last step, `<dc>-rollout-check`. Pulumi resource
   * hooks run the checks in the program (nothing of them in the state); they need the system `ssh`
   * client where `pulumi up` runs, as the scripts delivery does. `false`: each step's gate is the
   * device's own view only.
   */
  peerCheck?: boolean;
  /** How long a device's peer check is retried before the step waiting for it fails (default 60). */
  peerCheckTimeoutSeconds?: number;
  /** Peer checks at the same time (default 32; each contacts the device and its switch peers, one ssh session each). */
  peerCheckParallel?: number;
}

/**
 * A switch of the spec: `SwitchSpec` from `sdk/spec/types.ts` with `dialect` as a string (a
 * one-member TypeScript enum is not a union, which Pulumi's schema inference rejects).
 */
export interface SwitchSpecArgs {
  /** Unique switch name. */
  name: string;
  /** core | spine | leaf. */
  role: SwitchRole;
  /** Small positive integer, unique per data center: loopback = loopbacks pool host `id`. */
  id: number;
  /** Rack of a leaf switch. */
  rack?: string;
  /** Configuration dialect (default and only value today: `frr`). */
  dialect?: string;
  /** Pinned loopback address. */
  loopback?: string;
  /** Dual-stack: pinned IPv6 loopback address. */
  loopback6?: string;
  /** Pinned ASN (must match the scheme). */
  asn?: number;
  /** ECMP path limit (`maximum-paths`), default 16. */
  maxPaths?: number;
}

/**
 * The data center spec as a component input: the same shape as `DataCenterSpec` (and the YAML),
 * checked against the JSON Schema at construction. A `DataCenterSpec` object is assignable to it.
 */
export interface DataCenterSpecArgs {
  /** Data center name. */
  name: string;
  /** threeTier or spineLeaf. */
  topology: Topology;
  /** ASN plan. */
  asn: AsnSpec;
  /** Address pools. */
  pools: PoolsSpec;
  /** The switch-to-switch fabric (default: numbered /31 links from `pools.fabricLinks`). */
  fabric?: FabricSpec;
  /** BGP options (defaults suit a data center). */
  bgp?: BgpOptionsSpec;
  /** Switches (cores, spines, leaves). */
  switches: SwitchSpecArgs[];
  /** Racks and their nodes. */
  racks: RackSpec[];
  /** Kubernetes clusters. */
  clusters?: ClusterSpec[];
  /** The way out: upstream routers and the border switches peering with them. */
  upstreams?: UpstreamSpec[];
}

/** One device's entry of `DataCenter.verification`: what its wave's gate found (no secret in any field). */
export interface DeviceVerificationResult {
  /** `ok`, `failed` or `unreachable`. */
  status: string;
  /** Sessions with rolled-out peers Established / checked, e.g. `2/2 Established`. */
  sessions: string;
  /** Planned prefixes of the device its switch peers hold / planned, e.g. `10/10 prefixes`. */
  peersHold: string;
  /** What failed, one line each (the device's own view and its peers'). */
  problems: string[];
  /** The rollout wave the device belongs to. */
  wave: number;
}

/** How dcnet's apply scripts reach the devices. */
export enum ScriptDelivery {
  /**
   * Default: once per data center (`<name>-scripts`, before any device command), content-
   * addressed files in `scripts.dir` on every device; each device command carries a short
   * launcher and its config only. Needs the system `ssh` client on the machine running
   * `pulumi up` (keys without a passphrase, or its ssh agent), as `rollout.verifyAfterWave` does.
   */
  bundle = "bundle",
  /** The scripts travel packed on every device command's stdin (larger state; no system `ssh` needed). */
  inline = "inline",
}

/** Delivery of dcnet's apply scripts (`DataCenter`'s `scripts`). */
export interface ScriptsArgs {
  /** `bundle` (default) or `inline`. */
  delivery?: ScriptDelivery;
  /** Bundle: folder of the script files on each device (default `/var/lib/dcnet/scripts`; folder mode: below the device's folder). */
  dir?: string;
  /** Bundle: devices the delivery reaches at the same time (default 16). */
  parallel?: number;
}
