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
import { CLI, SshConnection, sshConnectionOf } from "./wave-gates";

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
    const lines: pulumi.Output<string>[] = this.entries.map((e) => {
      const file = this.fileOf.get(e.device);
      if (file === undefined) throw new Error(`internal: ${e.device}: no script file recorded`);
      const base = { device: e.device, files: [index.get(file)!] };
      if (e.root !== undefined) return pulumi.output(JSON.stringify({ ...base, dir: prefixRoot(e.root, this.dir) }));
      return sshConnectionOf(e.device, e.kind, e.target!, keys).apply((c: SshConnection) => JSON.stringify({ ...base, connection: c }));
    });
    const head = [JSON.stringify({ dcnet: "scripts", dir: this.dir }), ...files.map(([file, text]) => JSON.stringify({ file, gz: gzipSync(Buffer.from(text, "utf8"), { level: 9 }).toString("base64") }))];
    const stdin = pulumi.all(lines).apply((ls) => [...head, ...ls].join("\n") + "\n");
    const keyTexts = pulumi.all([...keys.keys()]).apply((ks) => JSON.stringify(ks));
    this.settle.resolve(stdin, keyTexts);
  }

  /** The data center could not be built: the command's inputs fail with `e` instead of waiting forever. */
  fail(e: Error): void {
    this.settle.reject(e);
  }
}
