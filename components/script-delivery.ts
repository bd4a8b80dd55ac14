/**
 * Internal: the bundle delivery of `DataCenter` (`scripts.delivery: bundle`, the default). One
 * `local.Command` per data center, `<name>-scripts`, runs `dcnet scripts install -` on the machine
 * running `pulumi up` before any device command (they all depend on it): it puts dcnet's script
 * files into each device's scripts folder (`scripts.dir`, default `/var/lib/dcnet/scripts`; in
 * folder mode below the device's folder) over ssh with the pinned host keys, or locally in folder
 * mode. The files are content-addressed (named by their SHA-256, see `device-apply.ts`), so the
 * device commands carry launchers of a few hundred bytes and their config, not ~8 KB of packed
 * scripts each — which is what made a data center's Pulumi state ~4× that of bare commands.
 *
 * Its stdin (`sdk/apply/scripts-install.ts`) is one line per file and per device, so adding a
 * device shows one added line, and a no-op `up` runs nothing. Private keys travel in the secret
 * environment variable `DCNET_SSH_KEYS`, never on stdin. The files are left on the devices when
 * the resource is deleted: a device removed later still runs its delete with the file its
 * launcher names, and files are shared between stacks using the same folder.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { gzipSync } from "zlib";
import { prefixRoot } from "../sdk/apply/paths";
import { shq } from "../sdk/apply/shell";
import { BundleDelivery, ScriptFiles } from "./device-apply";
import { SshTarget } from "./device-command";
import { CLI, SshConnection, sshConnectionFields } from "./wave-gates";

/** A connection without what the installer defaults (device and kind from the line, port 22, user root, not insecure). */
function slim(c: SshConnection): Partial<SshConnection> {
  const { device: _d, kind: _k, ...rest } = c;
  void _d;
  void _k;
  const out: Partial<SshConnection> = { ...rest };
  if (out.port === 22) delete out.port;
  if (out.user === "root") delete out.user;
  if (out.insecure === false) delete out.insecure;
  return out;
}

/** True when `v` holds no Output or Promise (strings, numbers, booleans, plain objects of them). */
function isPlain(v: unknown): boolean {
  if (v === null || v === undefined || ["string", "number", "boolean"].includes(typeof v)) return true;
  if (pulumi.Output.isInstance(v) || typeof (v as { then?: unknown }).then === "function") return false;
  return typeof v === "object" && Object.values(v as object).every(isPlain);
}

/** Default folder of the script files on a device. */
export const DEFAULT_SCRIPTS_DIR = "/var/lib/dcnet/scripts";

/** One device's entry: reached over ssh (`target`) or in folder mode (`root`). */
interface Entry {
  device: string;
  kind: "node" | "switch";
  target?: SshTarget;
  root?: string;
}

/**
 * The delivery of one data center: created first (`command`, which every device command depends
 * on), filled while the device commands are built (`add`), completed by `finish` (or `fail`).
 */
export class ScriptsDelivery {
  readonly files = new ScriptFiles();
  readonly command: command.local.Command;
  readonly delivery: BundleDelivery;
  private readonly entries: Entry[] = [];
  private readonly fileOf = new Map<string, string>();
  private settle!: { resolve: (stdin: pulumi.Output<string>, keys: pulumi.Output<string>) => void; reject: (e: Error) => void };

  constructor(name: string, readonly dir: string, parallel: number, parent: pulumi.Resource, dependsOn: pulumi.Input<pulumi.Resource>[]) {
    const resourceName = `${name}-scripts`;
    this.delivery = { files: this.files, dir, deliveredBy: resourceName, use: (device, file) => this.fileOf.set(device, file) };
    // resolved with Outputs (pulumi.output unwraps them, keeping any secret marking); apart, so the
    // keys' secret marking does not spread to the stdin
    let settleStdin!: [(v: pulumi.Output<string>) => void, (e: Error) => void];
    let settleKeys!: [(v: pulumi.Output<string>) => void, (e: Error) => void];
    const stdin = pulumi.output(new Promise<pulumi.Output<string>>((res, rej) => (settleStdin = [res, rej])));
    const keys = pulumi.output(new Promise<pulumi.Output<string>>((res, rej) => (settleKeys = [res, rej])));
    this.settle = {
      resolve: (s, k) => (settleStdin[0](s), settleKeys[0](k)),
      reject: (e) => (settleStdin[1](e), settleKeys[1](e)),
    };
    this.command = new command.local.Command(
      resourceName,
      {
        create: `node ${shq(CLI)} scripts install - --parallel ${parallel}`,
        stdin,
        addPreviousOutputInEnv: false,
        environment: { DCNET_SSH_KEYS: pulumi.secret(keys) },
      },
      { parent, dependsOn, additionalSecretOutputs: ["environment"] },
    );
  }

  /** Record a device (after its command was built with `delivery`, which told the file its launchers name). */
  add(e: Entry): void {
    this.entries.push(e);
  }

  /** Build the stdin (header, files, devices in rollout order) and the keys; resolves the command's inputs. */
  finish(): void {
    const files = this.files.entries();
    const index = new Map(files.map(([n], i) => [n, i]));
    const keys = new Map<pulumi.Input<string>, number>();
    // plain strings where every field is one (the usual case: no Output per device), else an Output
    const lines: (string | pulumi.Output<string>)[] = this.entries.map((e) => {
      const file = this.fileOf.get(e.device);
      if (file === undefined) throw new Error(`internal: ${e.device}: no script file recorded`);
      const base = { device: e.device, files: [index.get(file)!] };
      if (e.root !== undefined) return JSON.stringify({ ...base, dir: prefixRoot(e.root, this.dir) });
      const line = (c: SshConnection) => JSON.stringify({ ...base, connection: slim(c) });
      const fields = sshConnectionFields(e.device, e.kind, e.target!, keys);
      return isPlain(fields) ? line(fields as SshConnection) : pulumi.output(fields).apply((c) => line(c as SshConnection));
    });
    const head = [JSON.stringify({ dcnet: "scripts", dir: this.dir }), ...files.map(([file, text]) => JSON.stringify({ file, gz: gzipSync(Buffer.from(text, "utf8"), { level: 9 }).toString("base64") }))];
    const dynamic = lines.filter((l): l is pulumi.Output<string> => typeof l !== "string");
    const join = (ls: string[]) => [...head, ...ls].join("\n") + "\n";
    const stdin = dynamic.length ? pulumi.all(lines).apply(join) : pulumi.output(join(lines as string[]));
    const keyTexts = pulumi.all([...keys.keys()]).apply((ks) => JSON.stringify(ks));
    this.settle.resolve(stdin, keyTexts);
  }

  /** The data center could not be built: the command's inputs fail with `e` instead of waiting forever. */
  fail(e: Error): void {
    this.settle.reject(e);
  }
}
