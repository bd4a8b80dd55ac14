/**
 * dcnet's device components (DataCenter, NodeHost, SwitchHost) under Pulumi mocks, in up and
 * preview mode: the resource graph per example (types, names, parents, dependsOn = rollout
 * order), secrets, stability of inputs, the effect of adding one node, host-key pinning, the
 * root program's local-folder mode, and Pulumi's schema inference over the component package.
 *
 * The mock monitor's registerResource is wrapped (and restored after) to see the raw request:
 * secret markers, dependencies (URNs) and additionalSecretOutputs, which the mocks API hides.
 */
import { strict as assert } from "assert";
import * as path from "path";
import type * as PulumiT from "@pulumi/pulumi";
import type * as ComponentsT from "../components";
import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { gunzipSync } from "zlib";
import { tmpdir } from "os";
import { loadSpecFile } from "../sdk/spec/load";
import { renderBirdConfig } from "../sdk/render/bird";
import { renderSwitchConfig } from "../sdk/render/switch/index";
import { resolve } from "../sdk/resolve/resolve";
import { DataCenterSpec } from "../sdk/spec/types";
import { DataCenterSpecArgs } from "../components/types";
import { rolloutPlan } from "../sdk/apply/rollout";

const ROOT = path.resolve(__dirname, "..");
const EXAMPLES = ["spine-leaf", "three-tier"];
const specFileOf = (ex: string) => path.join(ROOT, "examples", ex, "datacenter.yaml");
const PASSWORD = "Sup3r-Secret-pw-7e1";
const UPSTREAM_PASSWORD = "Upstr3am-Secret-pw-9c4";
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nZmFrZS1rZXktZm9yLXRlc3Rz\n-----END OPENSSH PRIVATE KEY-----\n";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: any) => v !== null && typeof v === "object" && v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
const unwrap = (v: any): any => (isSecret(v) ? unwrap(v.value) : v);

// compile-time: the component's spec input mirrors DataCenterSpec field for field
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const specKeysMatch: Same<keyof DataCenterSpec, keyof DataCenterSpecArgs> = true;
const specAssignable: DataCenterSpecArgs = {} as DataCenterSpec;
void specKeysMatch;
void specAssignable;

interface Reg {
  type: string;
  name: string;
  urn: string;
  parent: string;
  custom: boolean;
  /** Raw inputs as sent to the engine (secrets wrapped). */
  raw: any;
  /** Names of the resources this one depends on (as sent to the engine). */
  deps: string[];
  secretOutputs: string[];
  /** Aliases as sent (alias specs: parentUrn, name, ...). */
  aliases: any[];
}

const nameOfUrn = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** Every plain (non-secret) string inside a raw value. */
function plainStrings(v: any, out: string[] = []): string[] {
  if (isSecret(v)) return out;
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => plainStrings(x, out));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => plainStrings(x, out));
  return out;
}

/** The data center's scripts delivery (`<dc>-scripts`) in a graph. */
function deliveryOf(g: Map<string, Reg>, dc: string): Reg {
  const d = g.get(`${dc}-scripts`);
  assert.ok(d, `${dc}-scripts exists`);
  return d!;
}

/** The script files a delivery carries, by name (SHA-256). */
function deliveredFiles(delivery: Reg): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of String(delivery.raw.stdin).split("\n").filter(Boolean)) {
    const v = JSON.parse(line);
    if (v.file) m.set(v.file, gunzipSync(Buffer.from(v.gz, "base64")).toString("utf8"));
  }
  return m;
}

/** What a bundle launcher runs: the script file it names (from the delivery) followed by the launcher itself. */
function effectiveScript(g: Map<string, Reg>, dc: string, r: Reg, op: "create" | "delete" = "create"): string {
  const h = /^DCNET_H=([0-9a-f]{32})$/m.exec(r.raw[op])?.[1];
  assert.ok(h, `${r.name}: the launcher names its script file`);
  const file = deliveredFiles(deliveryOf(g, dc)).get(h!);
  assert.ok(file, `${r.name}: the delivery carries ${h}`);
  return `${file}\n${r.raw[op]}`;
}

function hostsFor(spec: DataCenterSpec): Record<string, any> {
  const devices = [...spec.switches.map((s) => s.name), ...spec.racks.flatMap((r) => r.nodes.map((n) => n.name))];
  return Object.fromEntries(devices.map((d) => [d, { host: `${d}.mgmt.example`, hostKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIfake-${d}` }]));
}

function withNode(spec: DataCenterSpec, rack: string, node: { name: string; id: number; address: string }): DataCenterSpec {
  const copy = JSON.parse(JSON.stringify(spec)) as DataCenterSpec;
  copy.racks.find((r) => r.name === rack)!.nodes.push(node);
  for (const c of copy.clusters ?? []) if (c.nodes.includes(spec.racks.find((r) => r.name === rack)!.nodes[0].name)) c.nodes.push(node.name);
  return copy;
}

for (const preview of [false, true]) {
  describe(`components: DataCenter / NodeHost / SwitchHost (Pulumi mocks, ${preview ? "preview" : "up"} mode)`, function () {
    this.timeout(120000);
    let pulumi: typeof PulumiT;
    let c: typeof ComponentsT;
    let original: any;
    let proto: any;
    const regs: Reg[] = [];

    const settle = async () => {
      let last = -1;
      for (let i = 0; i < 400 && last !== regs.length; i++) {
        last = regs.length;
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const run = async (build: () => void): Promise<Map<string, Reg>> => {
      regs.length = 0;
      build();
      await settle();
      const m = new Map<string, Reg>();
      for (const r of regs) {
        assert.ok(!m.has(r.name), `duplicate resource name ${r.name}`);
        m.set(r.name, r);
      }
      return m;
    };
    const sshArgs = (spec: DataCenterSpec, extra: Partial<ComponentsT.DataCenterArgs> = {}): ComponentsT.DataCenterArgs => ({
      spec,
      passwords: { "bgp-nodes": pulumi.secret(PASSWORD), "bgp-upstream": pulumi.secret(UPSTREAM_PASSWORD) },
      ssh: { user: "root", privateKey: pulumi.secret(PRIVATE_KEY) },
      hosts: hostsFor(spec),
      ...extra,
    });

    before(async () => {
      pulumi = require("@pulumi/pulumi");
      await pulumi.runtime.setMocks(
        {
          newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
          call: (args) => args.inputs,
        },
        "dcnet-test",
        "test",
        preview,
      );
      proto = require("@pulumi/pulumi/runtime/mocks").MockMonitor.prototype;
      original = proto.registerResource;
      proto.registerResource = function (req: any, cb: any) {
        const urn = this.newUrn(req.getParent(), req.getType(), req.getName());
        regs.push({
          type: req.getType(),
          name: req.getName(),
          urn,
          parent: req.getParent(),
          custom: req.getCustom(),
          raw: req.getObject()?.toJavaScript() ?? {},
          deps: (req.getDependenciesList() as string[]).map(nameOfUrn).sort(),
          secretOutputs: req.getAdditionalsecretoutputsList(),
          aliases: req.getAliasesList().map((a: any) => a.toObject().spec ?? a.toObject()),
        });
        return original.call(this, req, cb);
      };
      c = require("../components");
    });
    after(() => {
      proto.registerResource = original;
    });

    for (const ex of EXAMPLES) {
      describe(`example ${ex} (ssh mode)`, () => {
        const spec = loadSpecFile(specFileOf(ex));
        let graph: Map<string, Reg>;
        let dc: ComponentsT.DataCenter;
        before(async () => {
          graph = await run(() => {
            dc = new c.DataCenter("dc", sshArgs(spec));
          });
        });

        it("types, names and parents: one command per device, directly below the DataCenter", () => {
          const plan = dc.getPlan();
          const root = graph.get("dc")!;
          assert.equal(root.type, "dcnet:index:DataCenter");
          const expected = new Set<string>(["dc"]);
          for (const d of plan.devices) {
            const name = `dc-${d.name}-${d.kind === "node" ? "bird" : "frr"}`;
            const r = graph.get(name);
            assert.ok(r, `${name} exists`);
            assert.equal(r!.type, "command:remote:Command");
            assert.equal(r!.parent, root.urn, `${name} is parented to the DataCenter`);
            expected.add(name);
          }
          const delivery = deliveryOf(graph, "dc");
          assert.equal(delivery.type, "command:local:Command");
          assert.equal(delivery.parent, root.urn);
          expected.add("dc-scripts");
          // the last step of the rollout: the peers' check of the devices nobody waits for
          const check = graph.get("dc-rollout-check")!;
          assert.equal(check.type, "command:local:Command");
          assert.equal(check.parent, root.urn);
          assert.equal(check.raw.create, "true", "it runs nothing itself (its hook checks)");
          const waitedFor = new Set(rolloutPlan(plan, { strategy: "waves" }).flatMap((s) => s.dependsOn));
          const sinks = plan.devices.filter((d) => !waitedFor.has(d.name)).map((d) => `dc-${d.name}-${d.kind === "node" ? "bird" : "frr"}`);
          assert.ok(sinks.length > 0);
          assert.deepEqual([...check.deps].sort(), sinks.sort(), "it waits for every device nobody else waits for");
          assert.match(String(check.raw.triggers?.[0]), /^[0-9a-f]{32}$/, "replaced when a device's config changes (a hash of the configs)");
          if (!preview) assert.ok(isSecret(check.raw.triggers?.[1]) && /^[0-9a-f]{32}$/.test(String(unwrap(check.raw.triggers[1]))), "and when a password changes (a secret hash)");
          expected.add("dc-rollout-check");
          assert.deepEqual([...graph.keys()].sort(), [...expected].sort(), "no other resources");
        });

        it("upgrade from the earlier layout: each command aliases its old URN (below a NodeHost/SwitchHost of the device)", () => {
          const plan = dc.getPlan();
          const project = pulumi.getProject();
          const stack = pulumi.getStack();
          for (const d of plan.devices) {
            const tool = d.kind === "node" ? "bird" : "frr";
            const host = d.kind === "node" ? "NodeHost" : "SwitchHost";
            const r = graph.get(`dc-${d.name}-${tool}`)!;
            // the URN the earlier layout registered for the config command (component dc-<device> below the DataCenter)
            const old = `urn:pulumi:${stack}::${project}::dcnet:index:DataCenter$dcnet:index:${host}$command:remote:Command::dc-${d.name}-${tool}`;
            const urns = r.aliases.map((a) => {
              if (typeof a.urn === "string" && a.urn !== "") return a.urn; // the old URN itself (a DataCenter at the root)
              assert.ok(a.parenturn, `${r.name}: alias by URN or by parent`);
              const parentType = a.parenturn.split("::")[2];
              return `${a.parenturn.split("::").slice(0, 2).join("::")}::${parentType}$${a.type || r.type}::${a.name || r.name}`;
            });
            assert.deepEqual(urns, [old], `${r.name} maps its old URN`);
          }
        });

        it("resources per device: 1 (its command)", async () => {
          const plan = dc.getPlan();
          if (preview) return; // outputs of the component itself are plain values; checked in up mode
          const counts = await new Promise<Record<string, number>>((r) => dc.resourceCounts.apply(r));
          for (const d of plan.devices) assert.equal(counts[d.name], 1, d.name);
          assert.equal(graph.size, plan.devices.length + 3, "the component, one command per device, the scripts delivery, the rollout check");
        });

        it("dependsOn (waves): a node waits for both peer switches; spines/cores one at a time; a rack's switches one at a time", () => {
          const plan = dc.getPlan();
          const cmd = (d: string) => `dc-${d}-${plan.devices.find((x) => x.name === d)!.kind === "node" ? "bird" : "frr"}`;
          for (const n of plan.devices.filter((d) => d.kind === "node")) {
            const peers = plan.sessions.filter((s) => s.kind === "node-uplink" && s.a.device === n.name).map((s) => s.b.device);
            assert.equal(peers.length, 2);
            for (const p of peers) assert.ok(graph.get(cmd(n.name))!.deps.includes(cmd(p)), `${n.name} waits for ${p}`);
          }
          for (const d of plan.devices) assert.ok(graph.get(cmd(d.name))!.deps.includes("dc-scripts"), `${d.name} waits for the scripts delivery`);
          assert.deepEqual(graph.get("dc-scripts")!.deps, [], "the delivery runs first");
          const upper = plan.devices.filter((d) => d.kind === "switch" && !d.rack);
          upper.forEach((s, i) => assert.deepEqual(graph.get(cmd(s.name))!.deps.filter((x) => x !== "dc-scripts"), i === 0 ? [] : [cmd(upper[i - 1].name)], `${s.name}: one upper-tier switch at a time`));
          for (const rack of new Set(plan.devices.filter((d) => d.role === "leaf").map((d) => d.rack!))) {
            const leaves = plan.devices.filter((d) => d.role === "leaf" && d.rack === rack);
            for (let i = 1; i < leaves.length; i++) assert.ok(graph.get(cmd(leaves[i].name))!.deps.includes(cmd(leaves[i - 1].name)), `${leaves[i].name} after ${leaves[i - 1].name}`);
            for (const l of leaves) for (const s of upper) if (plan.sessions.some((x) => [x.a.device, x.b.device].includes(l.name) && [x.a.device, x.b.device].includes(s.name))) assert.ok(graph.get(cmd(l.name))!.deps.includes(cmd(s.name)), `${l.name} after ${s.name}`);
          }
        });

        it("dependsOn (waves): canary = the first rack's switches and first node; every other rack waits for the canary, one node at a time inside a rack", () => {
          const plan = dc.getPlan();
          const racks = [...new Set(plan.devices.filter((d) => d.kind === "node").map((d) => d.rack!))];
          const nodesOf = (r: string) => plan.devices.filter((d) => d.kind === "node" && d.rack === r).map((d) => d.name);
          const canary = nodesOf(racks[0])[0];
          for (const [i, r] of racks.entries()) {
            const nodes = nodesOf(r);
            nodes.forEach((n, k) => {
              const deps = graph.get(`dc-${n}-bird`)!.deps;
              if (k > 0) assert.ok(deps.includes(`dc-${nodes[k - 1]}-bird`), `${n} after ${nodes[k - 1]}`);
              if (k > 1) assert.ok(!deps.includes(`dc-${nodes[k - 2]}-bird`), `${n}: one node at a time is enough`);
            });
            if (i > 0) {
              const first = plan.devices.find((d) => d.kind === "switch" && d.rack === r);
              const firstCmd = first ? `dc-${first.name}-frr` : `dc-${nodes[0]}-bird`;
              assert.ok(graph.get(firstCmd)!.deps.includes(`dc-${canary}-bird`), `${r} starts after the canary node ${canary}`);
              assert.ok(!graph.get(firstCmd)!.deps.some((d) => nodesOf(racks[0]).slice(1).some((n) => d === `dc-${n}-bird`)), `${r} does not wait for the rest of the canary rack`);
            }
          }
        });

        it("secrets: the payload is a secret environment variable (environment output secret); no secret text in any plain input", () => {
          for (const r of graph.values()) {
            const plain = plainStrings(r.raw);
            for (const x of plain) {
              assert.ok(!x.includes(PASSWORD) && !x.includes(UPSTREAM_PASSWORD), `${r.name}: password in a non-secret input`);
              assert.ok(!x.includes("ZmFrZS1rZXktZm9yLXRlc3Rz"), `${r.name}: private key in a non-secret input`);
            }
            if (!r.custom || r.name === "dc-rollout-check") continue;
            assert.equal(typeof r.raw.stdin, "string", `${r.name}: the config is a visible input`);
            assert.equal(r.raw.logging, undefined, `${r.name}: output is not secret (the scripts never print secret text)`);
            assert.ok(r.raw.create.length < 3000, `${r.name}: the command text is a short launcher (${r.raw.create.length} bytes)`);
            const env = r.raw.environment;
            if (r.name === "dc-scripts") {
              assert.ok(isSecret(env) || isSecret(unwrap(env).DCNET_SSH_KEYS), "the delivery's keys are secret");
              assert.ok(r.secretOutputs.includes("environment"), "the delivery's environment output is secret");
              if (!preview) assert.ok(String(unwrap(unwrap(env).DCNET_SSH_KEYS)).includes("ZmFrZS1rZXktZm9yLXRlc3Rz"), "the delivery gets the private key in its secret environment");
              assert.match(r.raw.stdin, /"privateKey":"\$DCNET_SSH_KEY_0"/, "stdin names the key by placeholder");
              continue;
            }
            if (env !== undefined) {
              const e = unwrap(env);
              assert.ok(isSecret(env) || isSecret(e.DCNET_SECRETS), `${r.name}: DCNET_SECRETS is secret`);
              assert.ok(r.secretOutputs.includes("environment"), `${r.name}: environment output secret`);
              if (!preview) {
                const payload = String(unwrap(e.DCNET_SECRETS));
                const texts = payload.split("\n").filter((l) => l.startsWith("file ")).map((l) => Buffer.from(l.split(" ")[2], "base64").toString());
                assert.ok(texts.some((t) => t.includes(PASSWORD)), `${r.name}: the payload carries the password`);
              }
            }
          }
          const bird = graph.get("dc-r1n1-bird")!;
          assert.ok(bird.raw.environment, "a node with passwords gets the secrets");
          assert.match(bird.raw.stdin, /include "\/etc\/bird\/dcnet-secrets\/bgp-nodes\.conf";/);
          assert.match(bird.raw.create, /^set -eu; umask 077;/m);
          assert.ok(isSecret(bird.raw.connection), "the connection (private key included) is secret");
          assert.equal(unwrap(bird.raw.connection).hostKey, hostsFor(spec).r1n1.hostKey, "host key pinned");
        });

        it("stdin: exactly the rendered config; the launchers name a script file the delivery installs on that device first", () => {
          const plan = dc.getPlan();
          const delivery = deliveryOf(graph, "dc");
          const lines = String(delivery.raw.stdin).split("\n").filter(Boolean).map((l) => JSON.parse(l));
          assert.deepEqual(lines[0], { dcnet: "scripts", dir: "/var/lib/dcnet/scripts" });
          const files = lines.filter((l) => l.file).map((l) => l.file as string);
          const devices = new Map(lines.filter((l) => l.device).map((l) => [l.device as string, l]));
          assert.equal(devices.size, plan.devices.length, "one line per device");
          assert.ok(files.length <= 4, `files shared by devices of a kind (${files.length})`);
          for (const d of plan.devices) {
            const r = graph.get(`dc-${d.name}-${d.kind === "node" ? "bird" : "frr"}`)!;
            const want = d.kind === "node" ? renderBirdConfig(plan, d.name) : renderSwitchConfig(plan, d.name).text;
            assert.equal(r.raw.stdin, want, `${r.name}: stdin is the config`);
            const h = /^DCNET_H=([0-9a-f]{32})$/m.exec(r.raw.create)![1];
            assert.equal(/^DCNET_H=([0-9a-f]{32})$/m.exec(r.raw.delete)![1], h, `${r.name}: create and delete use one file`);
            assert.deepEqual(devices.get(d.name)!.files.map((i: number) => files[i]), [h], `${r.name}: the delivery installs its file on it`);
            assert.equal(devices.get(d.name)!.connection.hostKey, hostsFor(spec)[d.name].hostKey, `${d.name}: delivered with its pinned host key`);
            assert.ok(r.raw.create.length < 1200 && r.raw.delete.length < 900, `${r.name}: short launchers (${r.raw.create.length} / ${r.raw.delete.length} bytes)`);
          }
        });

        it("outputs: plan summary and per-node values are known; command outputs are unknown in preview", async () => {
          const summary = await new Promise<string>((r) => dc.summary.apply(r));
          assert.match(summary, new RegExp(`^${spec.name} \\(${spec.topology}\\)`));
          const cidrs = await new Promise<Record<string, string>>((r) => dc.podCIDRs.apply(r));
          assert.equal(Object.keys(cidrs).length, spec.racks.reduce((a, r) => a + r.nodes.length, 0));
          assert.ok(graph.get("dc-r1n1-bird"));
          const known = await (dc as any).summary.isKnown;
          assert.equal(known, true);
        });

        it("unchanged spec → identical inputs and dependencies", async () => {
          const again = await run(() => new c.DataCenter("dc", sshArgs(loadSpecFile(specFileOf(ex)))));
          assert.deepEqual([...again.keys()].sort(), [...graph.keys()].sort());
          for (const [name, r] of graph) {
            assert.deepEqual(again.get(name)!.raw, r.raw, `${name} inputs`);
            assert.deepEqual(again.get(name)!.deps, r.deps, `${name} dependencies`);
          }
        });

        it("adding one node changes only that node's resources and its two switches' configs", async () => {
          const rack = spec.racks[0];
          const added = withNode(spec, rack.name, { name: `${rack.name}n9`, id: 9, address: rack.nodeNetwork!.replace(/\.0\/24$/, ".19") });
          const after = await run(() => new c.DataCenter("dc", sshArgs(added)));
          const peers = dc.getPlan().sessions.filter((s) => s.kind === "node-uplink" && s.a.device === rack.nodes[0].name).map((s) => s.b.device).sort();
          const created = [...after.keys()].filter((k) => !graph.has(k)).sort();
          assert.deepEqual(created, [`dc-${rack.name}n9-bird`]);
          assert.deepEqual([...graph.keys()].filter((k) => !after.has(k)), [], "nothing removed");
          const changed = [...graph.keys()].filter((k) => k !== "dc-scripts" && k !== "dc-rollout-check" && JSON.stringify(after.get(k)!.raw) !== JSON.stringify(graph.get(k)!.raw)).sort();
          // the rollout's last check runs again (its first trigger hashes the configs)
          assert.notEqual(after.get("dc-rollout-check")!.raw.triggers[0], graph.get("dc-rollout-check")!.raw.triggers[0]);
          // the delivery: exactly one more line, the new node's
          const oldLines = String(graph.get("dc-scripts")!.raw.stdin).split("\n");
          const newLines = String(after.get("dc-scripts")!.raw.stdin).split("\n");
          assert.deepEqual(newLines.filter((l) => !oldLines.includes(l)).map((l) => JSON.parse(l).device), [`${rack.name}n9`], "the delivery gains the new node's line");
          assert.deepEqual(oldLines.filter((l) => !newLines.includes(l)), [], "and loses none");
          // besides: the border switches, when the node's cluster changes the aggregates they announce upstream
          const announced = (p: ReturnType<typeof dc.getPlan>) => new Map(p.upstreams.flatMap((u) => u.links.map((l) => [l.switch, JSON.stringify(u.announce)] as const)));
          const before = announced(dc.getPlan());
          const borders = [...announced(resolve(added))].filter(([sw, a]) => before.get(sw) !== a).map(([sw]) => `dc-${sw}-frr`);
          if (ex === "spine-leaf") assert.ok(borders.length > 0, "the new node's cluster supernets change, so the border leaves' announcements do");
          assert.deepEqual(changed, [...new Set([...peers.map((p) => `dc-${p}-frr`), ...borders])].sort());
        });

        it("refuses hosts without a pinned host key, unless that host opts out", () => {
          const hosts = hostsFor(spec);
          const victim = spec.racks[0].nodes[1].name;
          delete hosts[victim].hostKey;
          assert.throws(() => new c.DataCenter("dc-nokey", { ...sshArgs(spec), hosts }), new RegExp(`not pinned[\\s\\S]*${victim}: no pinned SSH host key`));
          assert.throws(() => new c.DataCenter("dc-nokey2", { ...sshArgs(spec), hosts: {} }), /not pinned/);
          hosts[victim].insecureSkipHostKeyCheck = true;
          assert.doesNotThrow(() => new c.DataCenter("dc-optout", { ...sshArgs(spec), hosts }));
        });
      });
    }

    it("rollout options: waves with two nodes unavailable per rack, no canary node", async () => {
      const spec = loadSpecFile(specFileOf("spine-leaf"));
      const g = await run(() => new c.DataCenter("wv", sshArgs(spec, { rollout: { maxUnavailable: 2, canaryNodes: 0 } })));
      const deps = (n: string) => g.get(`wv-${n}-bird`)!.deps;
      assert.ok(!deps("r1n2").includes("wv-r1n1-bird"), "r1n2 runs beside r1n1");
      assert.ok(deps("r1n3").includes("wv-r1n1-bird"), "r1n3 waits for r1n1");
      assert.ok(g.get("wv-leaf2a-frr")!.deps.includes("wv-leaf1b-frr"), "rack r2 starts after the canary rack's switches");
      assert.ok(!g.get("wv-leaf2a-frr")!.deps.some((d) => /wv-r1n\d-bird/.test(d)), "no canary node");
    });

    it("rollout options: strategy sequential, racks in parallel, two nodes in flight per rack", async () => {
      const spec = loadSpecFile(specFileOf("spine-leaf"));
      const g = await run(
        () => new c.DataCenter("par", sshArgs(spec, { rollout: { strategy: c.RolloutStrategy.sequential, rackOrder: c.RackOrder.parallel, maxHostsInFlightPerRack: 2, verifyTimeoutSeconds: 30 } })),
      );
      const deps = (n: string) => g.get(`par-${n}-bird`)!.deps;
      assert.ok(!deps("r2n1").some((d) => d.startsWith("par-r1n")), "r2 does not wait for r1");
      assert.ok(!deps("r1n2").includes("par-r1n1-bird"), "r1n2 runs beside r1n1");
      assert.ok(deps("r1n3").includes("par-r1n1-bird"), "r1n3 waits for r1n1");
      assert.ok(deps("r1n4").includes("par-r1n2-bird"), "r1n4 waits for r1n2");
      assert.match(effectiveScript(g, "par", g.get("par-r1n1-bird")!), /^TIMEOUT=30$/m);
      for (const s of ["spine1", "spine2"]) assert.deepEqual(g.get(`par-${s}-frr`)!.deps, ["par-scripts"], "spines in parallel");
    });

    it("per-host paths, jump host and SSH defaults reach the commands", async () => {
      const spec = loadSpecFile(specFileOf("three-tier"));
      const hosts = hostsFor(spec);
      hosts.r1n1.birdPaths = { configFile: "/run/lab/r1n1/bird.conf", controlSocket: "/run/lab/r1n1/bird.ctl", secretsDir: "/run/lab/r1n1/secrets" };
      hosts.core1.frrPaths = { configFile: "/run/lab/core1/frr.conf", vtySocketDir: "/run/lab/core1" };
      const g = await run(
        () =>
          new c.DataCenter(
            "paths",
            sshArgs(spec, { hosts, rackSsh: { r1: { port: 2222 } }, ssh: { user: "ops", proxy: { host: "bastion", hostKey: "ssh-ed25519 AAAAbastion" } } }),
          ),
      );
      const bird = g.get("paths-r1n1-bird")!;
      const birdScript = effectiveScript(g, "paths", bird);
      assert.match(birdScript, /^CONF='\/run\/lab\/r1n1\/bird\.conf'$/m);
      assert.match(birdScript, /^SOCK='\/run\/lab\/r1n1\/bird\.ctl'$/m);
      assert.match(bird.raw.stdin, /include "\/run\/lab\/r1n1\/secrets\/bgp-nodes\.conf";/, "renderer and script agree on the secrets dir");
      assert.match(birdScript, /^SECRETS_DIR='\/run\/lab\/r1n1\/secrets'$/m);
      const conn = unwrap(bird.raw.connection);
      assert.equal(conn.port, 2222);
      assert.equal(conn.user, "ops");
      assert.equal(conn.proxy.host, "bastion");
      assert.equal(conn.proxy.hostKey, "ssh-ed25519 AAAAbastion");
      assert.equal(unwrap(g.get("paths-r2n1-bird")!.raw.connection).port, 22, "rack defaults apply to their rack only");
      assert.match(effectiveScript(g, "paths", g.get("paths-core1-frr")!), /^VTY_SOCKET='\/run\/lab\/core1'$/m);
      const delivered = new Map(String(g.get("paths-scripts")!.raw.stdin).split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.device).map((l) => [l.device, l.connection]));
      assert.equal(delivered.get("r1n1").port, 2222, "the delivery reaches r1n1 on its rack's port");
      assert.equal(delivered.get("r1n1").proxy.host, "bastion", "through the jump host");
      assert.equal(delivered.get("r1n1").proxy.hostKey, "ssh-ed25519 AAAAbastion", "with its pinned key");
      assert.throws(
        () => new c.DataCenter("paths2", sshArgs(spec, { ssh: { proxy: { host: "bastion" } } })),
        /jump host has no pinned SSH host key/,
      );
    });

    it("local-folder mode (the root program): local commands writing under out-local/<device>; the launchers install, no-op and delete", async () => {
      const spec = loadSpecFile(specFileOf("spine-leaf"));
      const tmp = mkdtempSync(path.join(tmpdir(), "dcnet-components-"));
      try {
        const folder = path.join(tmp, "out-local");
        const g = await run(() => new c.DataCenter("loc", { spec, mode: c.DeliveryMode.localFolder, localFolder: folder, passwords: { "bgp-nodes": pulumi.secret(PASSWORD), "bgp-upstream": pulumi.secret(UPSTREAM_PASSWORD) } }));
        const cmds = [...g.values()].filter((r) => r.custom && r.name !== "loc-scripts");
        assert.equal(cmds.length, 20);
        for (const r of cmds) {
          assert.equal(r.type, "command:local:Command");
          const device = r.name.replace(/^loc-/, "").replace(/-(bird|frr)$/, "");
          const script = effectiveScript(g, "loc", r);
          assert.match(script, new RegExp(`^DAEMON=0$`, "m"));
          assert.match(script, new RegExp(`^CONF='${folder}/${device}/etc/`, "m"));
          assert.match(r.raw.create, new RegExp(`^DCNET_F=${folder}/${device}/var/lib/dcnet/scripts/`, "m"), "the script file below the device's folder");
        }
        assert.match(g.get("loc-r1n1-bird")!.raw.stdin, /include "\/etc\/bird\/dcnet-secrets\/bgp-nodes\.conf";/, "configs are the production ones");
        if (preview) return;
        // what the command provider does: sh -c <create|delete>, the stdin, the environment
        const sh = (r: Reg, op: "create" | "delete") => {
          const env = r.raw.environment ? { DCNET_SECRETS: String(unwrap(unwrap(r.raw.environment).DCNET_SECRETS)) } : {};
          const x = spawnSync("sh", ["-c", r.raw[op]], { input: r.raw.stdin, env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
          return { code: x.status, out: x.stdout + x.stderr };
        };
        // before the delivery ran, a device command stops at once, naming the missing file and who installs it
        const early = sh(g.get("loc-r1n1-bird")!, "create");
        assert.notEqual(early.code, 0);
        assert.match(early.out, /r1n1: .*\/var\/lib\/dcnet\/scripts\/[0-9a-f]{32}\.sh is missing or altered: loc-scripts installs it/);
        const delivery = g.get("loc-scripts")!;
        const d1 = spawnSync("sh", ["-c", delivery.raw.create], { input: delivery.raw.stdin, cwd: process.cwd(), env: { PATH: process.env.PATH }, encoding: "utf8" });
        assert.equal(d1.status, 0, d1.stdout + d1.stderr);
        assert.match(d1.stdout, /^dcnet scripts: 20 devices, \d+ files: 20 written, 0 already present, 0 failed/);
        const d2 = spawnSync("sh", ["-c", delivery.raw.create], { input: delivery.raw.stdin, cwd: process.cwd(), env: { PATH: process.env.PATH }, encoding: "utf8" });
        assert.match(d2.stdout, /: 0 written, 20 already present, 0 failed/, "a second delivery writes nothing");
        for (const name of ["loc-leaf1a-frr", "loc-r1n1-bird"]) {
          const r = g.get(name)!;
          let x = sh(r, "create");
          assert.equal(x.code, 0, x.out);
          assert.ok(!x.out.includes(PASSWORD), "no password in the output");
          assert.match(sh(r, "create").out, /nothing to do/, `${name}: a second run is a no-op`);
          x = sh(r, "delete");
          assert.equal(x.code, 0, x.out);
        }
        const leaf = readFileSync(path.join(folder, "leaf1a/etc/frr/frr.conf"), "utf8");
        assert.match(leaf, /^! dcnet baseline for leaf1a/, "deleted to the baseline");
        // a failure: the device's own error comes right after the short command text
        const bad = { ...g.get("loc-r1n2-bird")!, raw: { ...g.get("loc-r1n2-bird")!.raw, stdin: g.get("loc-r1n2-bird")!.raw.stdin + "# tampered\n" } };
        const f = sh(bad, "create");
        assert.notEqual(f.code, 0);
        assert.match(f.out, /is not the planned one/);
        const missing = { ...bad, raw: { ...bad.raw, environment: undefined, stdin: g.get("loc-r1n2-bird")!.raw.stdin } };
        assert.match(sh(missing, "create").out, /no secrets arrived: .*AcceptEnv DCNET_SECRETS/);
        // an altered script file is refused before anything of it runs
        const h = /^DCNET_H=([0-9a-f]{32})$/m.exec(g.get("loc-r2n1-bird")!.raw.create)![1];
        const file = path.join(folder, "r2n1/var/lib/dcnet/scripts", `${h}.sh`);
        writeFileSync(file, readFileSync(file, "utf8").replace("dcnet_create() {", "dcnet_create() {\necho tampered"));
        const t = sh(g.get("loc-r2n1-bird")!, "create");
        assert.notEqual(t.code, 0);
        assert.match(t.out, /is missing or altered/);
        assert.ok(!t.out.includes("tampered"), "the altered file did not run");
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });

    if (!preview)
      for (const ex of EXAMPLES)
        it(`examples/${ex}/index.ts runs (ssh mode, hosts from config)`, async () => {
          const spec = loadSpecFile(specFileOf(ex));
          const project = pulumi.getProject();
          pulumi.runtime.setConfig(`${project}:hosts`, JSON.stringify(hostsFor(spec)));
          pulumi.runtime.setConfig(`${project}:bgpPassword`, PASSWORD);
          pulumi.runtime.setConfig(`${project}:upstreamPassword`, UPSTREAM_PASSWORD);
          pulumi.runtime.setConfig(`${project}:maxHostsInFlightPerRack`, "2");
          try {
            const g = await run(() => require(path.join(ROOT, "examples", ex, "index.ts")));
            const dcName = spec.name;
            assert.equal(g.get(dcName)!.type, "dcnet:index:DataCenter");
            const nodes = spec.racks.flatMap((r) => r.nodes.map((n) => n.name));
            for (const n of nodes) assert.ok(g.get(`${dcName}-${n}-bird`), `${n} configured`);
            assert.equal(unwrap(g.get(`${dcName}-${nodes[0]}-bird`)!.raw.connection).host, `${nodes[0]}.mgmt.example`);
          } finally {
            for (const k of ["hosts", "bgpPassword", "upstreamPassword", "maxHostsInFlightPerRack"]) pulumi.runtime.setConfig(`${project}:${k}`, undefined as unknown as string);
          }
        });

    it("NodeHost and SwitchHost work on their own", async () => {
      const g = await run(() => {
        new c.NodeHost("solo", {
          node: "n1",
          birdConfig: "router id 198.18.0.9;\n",
          protocols: ["uplink0"],
          routerId: "198.18.0.9",
          host: { host: "198.18.0.9", insecureSkipHostKeyCheck: true },
        });
        new c.SwitchHost("solo-sw", { switchName: "s1", frrConfig: "hostname s1\n", plannedNeighbors: ["198.18.0.9"], routerId: "198.18.0.1", host: { hostKey: "ssh-ed25519 AAAAx" } });
      });
      assert.deepEqual([...g.keys()].sort(), ["solo", "solo-bird", "solo-sw", "solo-sw-frr"]);
      assert.throws(() => new c.NodeHost("solo2", { node: "n1", birdConfig: "", protocols: [], routerId: "198.18.0.9" }), /not pinned/);
    });
  });
}

describe("components: Pulumi schema inference (pulumi package add)", function () {
  this.timeout(120000);
  it("components/ is a source-based component package: DataCenter, NodeHost and SwitchHost pass Pulumi's analyzer", () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Analyzer } = require("@pulumi/pulumi/provider/experimental/analyzer");
    // the plugin folder: components/ (PulumiPlugin.yaml, package.json, tsconfig.json)
    const dir = path.join(ROOT, "components");
    const pkg = require(path.join(dir, "package.json"));
    assert.match(require("fs").readFileSync(path.join(dir, "PulumiPlugin.yaml"), "utf8"), /^runtime: nodejs$/m);
    assert.equal(pkg.name.replace(/^@[^/]+\//, ""), "dcnet", "provider name dcnet → tokens dcnet:index:<Name>");
    const result = new Analyzer(dir, "dcnet", pkg, new Set(["DataCenter", "NodeHost", "SwitchHost"])).analyze();
    const dc = result.components.DataCenter;
    for (const k of ["spec", "specFile", "passwords", "mode", "hosts", "rollout", "ssh", "rackSsh", "birdPaths", "frrPaths"]) assert.ok(dc.inputs[k], `input ${k}`);
    for (const k of ["summary", "podCIDRs", "nodeAsns", "switchConfigSha256", "resourceCounts", "rolloutOrder"]) assert.ok(dc.outputs[k], `output ${k}`);
    assert.ok(result.typeDefinitions.DeliveryMode, "DeliveryMode is an enum type");
    assert.ok(result.components.NodeHost.inputs.secretFiles);
    assert.ok(result.components.SwitchHost.inputs.secretsOverlay);
  });
});
