/**
 * The root Pulumi program (`Pulumi.yaml` at the repo root runs it through `index.ts`): applies a
 * spec — by default the bundled spine–leaf example — in local-folder mode, so `pulumi preview` and
 * `pulumi up` work on a laptop with a local backend and no devices:
 *
 *   pulumi login --local && export PULUMI_CONFIG_PASSPHRASE=
 *   pulumi stack init dev && pulumi up
 *   ls out-local/leaf1a/etc/frr   # frr.conf (main + overlay), dcnet/frr.base.conf, ...
 *
 * Config (namespace `dcnet`): `spec` (spec file, default `examples/spine-leaf/datacenter.yaml`),
 * `mode` (`localFolder` default, or `ssh` with `hosts` as in the examples), `localFolder`
 * (default `out-local`), `bgpPassword` (secret; required in ssh mode; in localFolder mode a fixed demo value, with a
 * warning, when unset), `password-<passwordRef>` (secret; the password of one secret name, e.g. the
 * upstream's `dcnet:password-bgp-upstream`; `bgpPassword` otherwise).
 */
import * as pulumi from "@pulumi/pulumi";
import { existsSync, mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { DataCenter, DeliveryMode, HostArgs } from "./index";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";
import { SpecError } from "../sdk/validate/errors";
import { planPasswordRefs } from "../sdk/render/plan-query";

/** Run the program; returns the stack outputs. */
export function program(): Record<string, pulumi.Output<unknown>> {
  const config = new pulumi.Config("dcnet");
  const specFile = config.get("spec") ?? "examples/spine-leaf/datacenter.yaml";
  const mode = (config.get("mode") ?? DeliveryMode.localFolder) as DeliveryMode;
  if (mode !== DeliveryMode.localFolder && mode !== DeliveryMode.ssh)
    throw new pulumi.RunError(`dcnet:mode: ${JSON.stringify(mode)} is not a delivery mode; use "localFolder" or "ssh" [config-mode]`);
  const localFolder = config.get("localFolder") ?? "out-local";
  let plan: ReturnType<typeof resolve>;
  try {
    plan = resolve(loadSpecFile(specFile));
  } catch (e) {
    // a user's mistake in the spec: the problems, without a stack trace
    if (e instanceof SpecError) throw new pulumi.RunError(`dcnet:spec ${JSON.stringify(specFile)}: ${e.message}`);
    throw e;
  }
  const refs = planPasswordRefs(plan);
  // a secret name of its own (an upstream's is the provider's) wins over the shared bgpPassword
  const own = new Map(refs.flatMap((r) => {
    const v = config.getSecret(`password-${r}`);
    return v === undefined ? [] : [[r, v] as const];
  }));
  let password = config.getSecret("bgpPassword");
  const uncovered = refs.filter((r) => !own.has(r));
  if (password === undefined && uncovered.length > 0) {
    // the fixed demo value only ever reaches local folders; real devices need a real password
    if (mode === DeliveryMode.ssh)
      throw new pulumi.RunError(
        `dcnet:bgpPassword: not set, and ssh mode configures real devices, whose sessions (passwordRef ${uncovered.map((r) => JSON.stringify(r)).join(", ")}) need a password; ` +
          "set it with `pulumi config set --secret dcnet:bgpPassword ...` (the demo password is used in localFolder mode only) [config-bgp-password]",
      );
    pulumi.log.warn("dcnet:bgpPassword is not set: using a fixed demo password in localFolder mode (set it with `pulumi config set --secret dcnet:bgpPassword ...`)");
    password = pulumi.secret("dcnet-demo-only");
  }
  if (mode === DeliveryMode.localFolder) {
    mkdirSync(localFolder, { recursive: true });
    const ignore = join(localFolder, ".gitignore");
    if (!existsSync(ignore)) writeFileSync(ignore, "# written by the dcnet root program: local-folder output\n*\n");
  }
  const dc = new DataCenter("dc", {
    specFile,
    mode,
    localFolder,
    passwords: Object.fromEntries(refs.map((r) => [r, own.get(r) ?? password!])),
    ...(mode === DeliveryMode.ssh ? { hosts: config.requireObject<{ [device: string]: HostArgs }>("hosts") } : {}),
  });
  return {
    summary: dc.summary,
    podCIDRs: dc.podCIDRs,
    nodeAsns: dc.nodeAsns,
    switchConfigSha256: dc.switchConfigSha256,
    resourceCounts: dc.resourceCounts,
  };
}
