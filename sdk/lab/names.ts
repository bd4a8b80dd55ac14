/**
 * Per-run naming for the lab. Every name a lab creates outside its own run directory (network
 * namespaces, root-namespace interfaces, FRR path spaces) starts with the run prefix: `dl` and six
 * hex digits of a hash of the lab key, so two labs (two specs, or one spec under two `--name`s)
 * never collide. Interface names stay within the kernel's 15 characters.
 */
import { createHash } from "crypto";
import { tmpdir } from "os";
import { join } from "path";

/** Longest interface name Linux accepts (IFNAMSIZ - 1). */
export const MAX_IFNAME = 15;

/** Name of the management interface inside each device namespace (ssh mode). */
export const MGMT_IFACE = "mgmt0";

/** Name of the dummy interface the node configs route their own prefixes to. */
export const NODE_ROUTE_IFACE = "cilium_host";

/** Root folder of lab run directories (`DCNET_LAB_DIR` overrides; must be traversable by the `frr` user). */
export function labRoot(): string {
  return process.env.DCNET_LAB_DIR || join(tmpdir(), "dcnet-lab");
}

/** The run prefix of a lab key: `dl` + 6 hex digits (8 characters). */
export function labPrefix(key: string): string {
  return "dl" + createHash("sha256").update(key).digest("hex").slice(0, 6);
}

/** The default run directory of a run prefix. */
export function defaultRunDir(prefix: string): string {
  return join(labRoot(), prefix);
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/** All names of one run. */
export class LabNames {
  constructor(readonly prefix: string) {
    if (!/^[a-z][a-z0-9]{2,9}$/.test(prefix)) throw new Error(`lab prefix ${JSON.stringify(prefix)} must be 3-10 lowercase letters/digits`);
  }

  /** Namespace holding the bridges of shared L2 segments (never a device name: it contains a dot). */
  get hubNamespace(): string {
    return `${this.prefix}.l2`;
  }

  /** Namespace of device `name` (index = position in `plan.devices`, used when the name is not file-name safe). */
  namespaceOf(name: string, index: number): string {
    return SAFE_NAME.test(name) ? `${this.prefix}-${name}` : `${this.prefix}-dev${index}`;
  }

  /** FRR path space (`-N`) of a switch. */
  frrPathspace(index: number): string {
    return `${this.prefix}s${index}`;
  }

  /** Bridge of segment `index` inside the hub namespace. */
  segmentBridge(index: number): string {
    return `br${index}`;
  }

  /** Hub-side end of member `member` of segment `index` (inside the hub namespace). */
  segmentPort(index: number, member: number): string {
    return `s${index}p${member}`;
  }

  /** Management bridge in the root namespace (ssh mode). */
  get mgmtBridge(): string {
    return `${this.prefix}mg`;
  }

  /** Root-namespace end of device `index`'s management veth. */
  mgmtPort(index: number): string {
    return `${this.prefix}m${index}`;
  }

  /** True when `ifname` is one this run creates in the root namespace. */
  ownsRootLink(ifname: string): boolean {
    return ifname.startsWith(this.prefix) && ifname.length <= MAX_IFNAME;
  }
}
