/**
 * Issue 14 defects: (a) every rendered YAML file means the same in YAML 1.1 (kubectl, the API
 * server, Helm) and 1.2; (c) the plan models what each BGP speaker supports: no BFD toward nodes
 * whose speaker is Cilium's, and the failover each node session promises.
 */
import { strict as assert } from "assert";
import { parse } from "yaml";
import { resolve } from "../sdk/resolve/resolve";
import { renderFrrConfig } from "../sdk/render/switch/frr";
import { renderSummary } from "../sdk/render/summary";
import { renderClusterManifests, toYaml } from "../sdk/k8s/render";
import { EXAMPLES, loadExample } from "./support/k8s-models";
import { spineLeafWithCiliumSpeaker } from "./support/cluster-variants";

describe("YAML: every rendered file means the same in YAML 1.1 and 1.2 (issue 14)", () => {
  it("strings YAML 1.1 reads as booleans, numbers, nulls, timestamps or merge keys are quoted, keys too", () => {
    const tricky = ["Yes", "yes", "y", "Y", "n", "NO", "on", "Off", "~", "null", "017", "0o17", "1_000", "1:20", "0x1F", "2001-12-14", "<<", "1e3", ".inf", "-.5", "+12"];
    const value = Object.fromEntries(tricky.map((s) => [s, s]));
    const text = toYaml({ allowFirstLastIPs: "Yes", value, ok: "plain", n: 1, b: true, z: null });
    assert.match(text, /^allowFirstLastIPs: "Yes"$/m);
    assert.deepEqual(parse(text, { version: "1.1" }), parse(text, { version: "1.2" }));
    assert.deepEqual(parse(text, { version: "1.1" }).value, value);
    assert.match(text, /^ok: plain$/m, "ordinary strings stay plain");
  });

  for (const name of EXAMPLES) {
    it(`${name}: every file of dcnet plan's cluster side (objects and values, user values included) reads the same under 1.1 and 1.2`, () => {
      const ex = loadExample(name);
      const inputs = structuredClone(ex.inputs);
      for (const k of Object.keys(inputs)) inputs[k] = { ...inputs[k], cilium: { ...inputs[k].cilium, values: { "hubble.relay.enabled": "true", "podAnnotations.flag": "Yes", "podAnnotations.on": "off" } } };
      const files = renderClusterManifests(ex.plan, inputs, { ciliumValuesSchema: false });
      assert.ok(files.length > 0);
      for (const f of files) assert.deepEqual(parse(f.text, { version: "1.1" }), parse(f.text, { version: "1.2" }), f.path);
      const pool = files.find((f) => f.path.includes("ciliumloadbalancerippool-"))!;
      assert.match(pool.text, /allowFirstLastIPs: "Yes"/);
    });
  }
});

describe("plan: what each BGP speaker supports (issue 14)", () => {
  it("bgpSpeaker: cilium: its nodes' sessions have no BFD and promise the hold timer; BIRD nodes keep BFD", () => {
    const spec = spineLeafWithCiliumSpeaker();
    const plan = resolve(spec);
    const ciliumNodes = new Set(spec.clusters!.find((c) => c.name === "prod-b")!.nodes);
    const uplinks = plan.sessions.filter((s) => s.kind === "node-uplink");
    assert.ok(uplinks.some((s) => ciliumNodes.has(s.a.device)) && uplinks.some((s) => !ciliumNodes.has(s.a.device)));
    for (const s of uplinks) {
      if (ciliumNodes.has(s.a.device)) {
        assert.equal(s.speaker, "cilium");
        assert.equal(s.bfd.enabled, false, s.id);
        // graceful restart on (the default): the switches keep the routes stale for the restart time
        assert.deepEqual(
          s.failover,
          s.gracefulRestart.enabled
            ? { detection: "hold-timer+graceful-restart", ms: (s.timers.hold + s.gracefulRestart.restartTime) * 1000 }
            : { detection: "hold-timer", ms: s.timers.hold * 1000 },
        );
      } else {
        assert.equal(s.speaker, "bird");
        assert.equal(s.bfd.enabled, true, s.id);
        assert.deepEqual(s.failover, { detection: "bfd", ms: s.bfd.intervalMs * s.bfd.multiplier });
      }
    }
    // the switches: no `neighbor <cilium node> bfd`, still for BIRD nodes
    for (const sw of plan.switches) {
      const frr = renderFrrConfig(plan, sw.name);
      for (const s of uplinks.filter((x) => x.b.device === sw.name)) {
        const hasBfd = new RegExp(`^ neighbor ${s.a.address.replace(/\./g, "\\.")} bfd$`, "m").test(frr);
        assert.equal(hasBfd, !ciliumNodes.has(s.a.device), `${sw.name}: ${s.id}`);
      }
    }
  });

  it("bgpSpeaker: cilium with graceful restart off: the hold timer alone", () => {
    const spec = spineLeafWithCiliumSpeaker();
    spec.bgp = { ...spec.bgp, gracefulRestart: false };
    const ciliumNodes = new Set(spec.clusters!.find((c) => c.name === "prod-b")!.nodes);
    const uplinks = resolve(spec).sessions.filter((x) => x.kind === "node-uplink" && ciliumNodes.has(x.a.device));
    assert.ok(uplinks.length > 0);
    for (const s of uplinks) assert.deepEqual(s.failover, { detection: "hold-timer", ms: s.timers.hold * 1000 });
  });

  it("bgp.bfd.enabled: false: every node session promises the hold timer", () => {
    const spec = structuredClone(loadExample("three-tier").spec);
    spec.bgp = { ...spec.bgp, bfd: { ...spec.bgp?.bfd, enabled: false } };
    for (const s of resolve(spec).sessions.filter((x) => x.kind === "node-uplink")) assert.equal(s.failover?.detection, "hold-timer");
  });
});

describe("summary: the failover a Cilium-speaker session promises (issue 14)", () => {
  it("the BFD column says off and names what ends the routes: hold timer + graceful restart (129 s), or the hold timer alone (9 s)", () => {
    const plan = resolve(spineLeafWithCiliumSpeaker());
    assert.match(renderSummary(plan), /off \(cilium speaker: hold timer \+ graceful restart, 129 s\)/);
    const noGr = spineLeafWithCiliumSpeaker();
    noGr.bgp = { ...noGr.bgp, gracefulRestart: false };
    assert.match(renderSummary(resolve(noGr)), /off \(cilium speaker: hold timer, 9 s\)/);
  });
});
