/**
 * FRR renderer: `vtysh --dryrun` (and, as root, bgpd's/bfdd's own config loaders) accept every
 * switch config of both examples, alone and with its secrets overlay appended, and reject broken
 * ones; each config holds exactly the planned policy (one inbound prefix-list per neighbor,
 * nothing out to nodes, pool-bounded out to fabric peers, ECMP), and both ends of every session
 * agree between the BIRD and FRR renderings.
 */
import { strict as assert } from "assert";
import { join } from "path";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { Plan, PlanSession } from "../sdk/plan/types";
import { renderBirdConfig } from "../sdk/render/bird";
import { dialectNames, renderSwitchConfig, renderSwitchSecrets } from "../sdk/render/switch";
import { prefixInside } from "../sdk/net/prefix";
import { FRR_DENY_ALL_ROUTE_MAP, FRR_FABRIC_OUT_LIST, frrInboundListName, frrOutboundListName } from "../sdk/render/switch/frr";
import { canRunDaemonCheck, frrDaemonCheck, mapPool, requireParsers, TempDir, vtyshDryrun } from "./support/real-parsers";
import { birdBgpProtocols, entryKey, entryRange, frrPrefixLists, frrRouterBgp } from "./support/rendered-config";
import { dualStackPlan, V6_POD_CIDR } from "./support/dual-stack-plan";

const EXAMPLES = ["spine-leaf", "three-tier"];
const PASSWORDS = { "bgp-nodes": "sw1tch-S3cret\\x#!?'", "bgp-upstream": "upstr3am-S3cret;|$x" };

const planOf = (example: string): Plan => resolve(loadSpecFile(join(__dirname, "..", "examples", example, "datacenter.yaml")));
const switchNames = (plan: Plan) => plan.devices.filter((d) => d.kind === "switch").map((d) => d.name);
const sortedKeys = (xs: string[]) => [...new Set(xs)].sort();

/** Parse a switch's config alone and with its overlay, with vtysh and (as root) the daemons. */
async function checkSwitch(dir: TempDir, plan: Plan, sw: string, tag = "") {
  const { text } = renderSwitchConfig(plan, sw);
  const full = text + renderSwitchSecrets(plan, sw, PASSWORDS);
  const problems: string[] = [];
  for (const [name, body] of [
    [`${tag}${sw}.frr.conf`, text],
    [`${tag}${sw}.full.conf`, full],
  ]) {
    const file = dir.write(name, body);
    const v = await vtyshDryrun(dir, file);
    if (!v.ok) problems.push(`${name}: vtysh exit ${v.code}: ${v.output}`);
    if (canRunDaemonCheck()) {
      const d = await frrDaemonCheck(dir, name, body);
      if (!d.ok) problems.push(`${name}: daemon check: ${d.output}`);
    }
  }
  return problems;
}

/** The local end and the remote end of a session seen from `device`. */
const remoteOf = (s: PlanSession, device: string) => (s.a.device === device ? s.b : s.a);

describe("renderSwitchConfig (FRR)", () => {
  let dir: TempDir;
  before(() => {
    requireParsers();
    dir = new TempDir();
  });
  after(() => dir?.dispose());

  it("registers the frr dialect and names the file frr.conf", () => {
    const plan = planOf("spine-leaf");
    assert.ok(dialectNames().includes("frr"));
    const r = renderSwitchConfig(plan, "spine1");
    assert.equal(r.dialect, "frr");
    assert.equal(r.fileName, "frr.conf");
    const p = JSON.parse(JSON.stringify(plan)) as Plan;
    p.devices.find((d) => d.name === "spine1")!.dialect = "junos";
    assert.throws(() => renderSwitchConfig(p, "spine1"), /unknown switch dialect "junos" \(known: frr\)/);
    assert.throws(() => renderSwitchConfig(plan, "r1n1"), /is a node, not a switch/);
  });

  for (const example of EXAMPLES) {
    describe(`example ${example}`, () => {
      const plan = planOf(example);

      it("vtysh --dryrun (and bgpd/bfdd -C as root) accept every switch config, alone and with its secrets overlay", async () => {
        const problems = (await mapPool(switchNames(plan), 6, (sw) => checkSwitch(dir, plan, sw))).flat();
        assert.deepEqual(problems, []);
      });

      it("one inbound prefix-list per neighbor admitting exactly the planned entries, then deny any", () => {
        for (const swPlan of plan.switches) {
          const { text } = renderSwitchConfig(plan, swPlan.name);
          const lists = frrPrefixLists(text);
          const bgp = frrRouterBgp(text);
          const inbound = [...lists.keys()].filter((k) => k.startsWith("PL-IN-"));
          assert.equal(inbound.length, swPlan.inboundFilters.length, `${swPlan.name}: one PL-IN per neighbor`);
          for (const f of swPlan.inboundFilters) {
            const n = bgp.neighbors.get(f.neighbor);
            assert.ok(n, `${swPlan.name}: neighbor ${f.neighbor}`);
            const af = n.af.get("ipv4") ?? [];
            const name = frrInboundListName(f.device);
            assert.ok(af.includes(`prefix-list ${name} in`), `${swPlan.name}: ${f.neighbor} uses ${name} in`);
            const entries = lists.get(name)!;
            const permits = entries.filter((e) => e.action === "permit");
            assert.deepEqual(sortedKeys(permits.map((e) => entryKey(entryRange(e)))), sortedKeys(f.entries.map(entryKey)), `${swPlan.name}: ${name}`);
            const last = entries[entries.length - 1];
            assert.deepEqual([last.action, last.prefix], ["deny", "any"]);
            assert.ok(entries.every((e, i) => i === 0 || e.seq > entries[i - 1].seq), "increasing seq");
          }
        }
      });

      it("nothing out to nodes, only node prefixes (pool-bounded) out to fabric peers; RFC 8212 policy both ways", () => {
        for (const sw of switchNames(plan)) {
          const { text } = renderSwitchConfig(plan, sw);
          const lists = frrPrefixLists(text);
          const bgp = frrRouterBgp(text);
          const sessions = plan.sessions.filter((s) => s.a.device === sw || s.b.device === sw);
          if (sessions.some((s) => s.kind === "node-uplink")) {
            assert.match(text, new RegExp(`^route-map ${FRR_DENY_ALL_ROUTE_MAP} deny 10\\nexit$`, "m"));
            assert.equal(text.match(new RegExp(`^route-map ${FRR_DENY_ALL_ROUTE_MAP} `, "gm"))?.length, 1, "a single deny entry");
          } else assert.ok(!text.includes("route-map "), `${sw} has no node neighbor`);
          const upstreamLinks = plan.upstreams.flatMap((u) => u.links.filter((l) => l.switch === sw).map((l) => ({ u, l })));
          assert.equal(bgp.neighbors.size, sessions.length + upstreamLinks.length);
          // upstream sessions: exactly the accepted prefixes in, exactly the announced aggregates out
          for (const { u, l } of upstreamLinks) {
            const af = bgp.neighbors.get(l.peerAddress)!.af.get(l.family)!;
            assert.ok(af.includes(`prefix-list ${frrInboundListName(u.name)} in`) && af.includes(`prefix-list ${frrOutboundListName(u.name)} out`));
            const permits = (name: string) => sortedKeys(lists.get(name)!.filter((e) => e.action === "permit").map((e) => entryKey(entryRange(e))));
            assert.deepEqual(permits(frrInboundListName(u.name)), sortedKeys(u.accept.map(entryKey)));
            assert.deepEqual(permits(frrOutboundListName(u.name)), sortedKeys(u.announce.map(entryKey)));
            assert.ok(u.announce.every((e) => e.ge === e.le && e.le === Number(e.prefix.split("/")[1])), "aggregates only, each exactly");
          }
          for (const s of sessions) {
            const remote = remoteOf(s, sw);
            const af = bgp.neighbors.get(remote.address)!.af.get(s.family)!;
            assert.ok(af.includes("activate"));
            assert.equal(af.filter((l) => / in$/.test(l)).length, 1, `${sw} → ${remote.device}: one inbound policy`);
            assert.equal(af.filter((l) => / out$/.test(l)).length, 1, `${sw} → ${remote.device}: one outbound policy`);
            if (s.kind === "node-uplink") {
              assert.ok(af.includes(`route-map ${FRR_DENY_ALL_ROUTE_MAP} out`));
              assert.ok(af.includes(`maximum-prefix ${s.maxPrefix}`));
              assert.equal(af.includes(`allowas-in ${s.allowasIn}`), s.allowasIn !== undefined);
            } else {
              // one outbound list toward the fabric: the union of what the fabric peers accept from
              // this switch, so each session carries exactly its peer's (exact) inbound filter
              assert.ok(af.includes(`prefix-list ${FRR_FABRIC_OUT_LIST} out`));
              const fabricPeers = sessions.filter((x) => x.kind !== "node-uplink" && x.family === s.family).map((x) => remoteOf(x, sw).device);
              const union = fabricPeers.flatMap((p) => plan.switches.find((x) => x.name === p)!.inboundFilters.find((f) => f.device === sw)!.entries);
              const permits = lists.get(FRR_FABRIC_OUT_LIST)!.filter((e) => e.action === "permit" && e.family === s.family);
              assert.deepEqual(sortedKeys(permits.map((e) => entryKey(entryRange(e)))), [...new Set(sortedKeys(union.map(entryKey)))]);
              // pool-bounded node prefixes (the PodCIDR pool and VIP pools at their exact lengths),
              // and the underlay exactly: rack networks, loopbacks and upstream routes, one by one
              const pools = [plan.pools.podCidr.prefix, ...plan.vipPools.map((v) => v.cidr)];
              const underlay = new Set([...plan.switches.flatMap((x) => (x.originates ?? []).filter((o) => o.kind !== "aggregate").map((o) => o.prefix)), ...plan.upstreams.flatMap((u) => u.accept.map((e) => e.prefix))]);
              for (const e of permits) {
                const r = entryRange(e);
                // an exact range: S ge L le L, every /L subnet of S planned underlay (S itself when L is its length)
                const len = Number(e.prefix.split("/")[1]);
                const planned = [...underlay].filter((p) => Number(p.split("/")[1]) === r.ge && prefixInside(p, e.prefix)).length;
                const exactRange = r.ge === r.le && planned === 2 ** (r.ge - len);
                assert.ok(pools.includes(e.prefix) || exactRange, `${sw} → ${remote.device}: ${e.prefix} ge ${r.ge} le ${r.le} is neither a pool nor an exact range of underlay prefixes`);
              }
            }
          }
        }
      });

      it("router id, ECMP (maximum-paths / ibgp), multipath-relax, timers, BFD and graceful restart", () => {
        for (const sw of switchNames(plan)) {
          const device = plan.devices.find((d) => d.name === sw)!;
          const { text } = renderSwitchConfig(plan, sw);
          const bgp = frrRouterBgp(text);
          const sessions = plan.sessions.filter((s) => s.a.device === sw || s.b.device === sw);
          assert.equal(bgp.asn, device.asn);
          assert.ok(bgp.lines.includes(`bgp router-id ${device.routerId}`));
          assert.ok(bgp.lines.includes("no bgp default ipv4-unicast"));
          assert.ok(bgp.lines.includes("bgp ebgp-requires-policy"));
          const ebgp = sessions.some((s) => s.type === "ebgp");
          const ibgp = sessions.some((s) => s.type === "ibgp");
          const af = bgp.afLines.get("ipv4")!;
          assert.equal(af.includes(`maximum-paths ${device.maxPaths}`), ebgp);
          assert.equal(af.includes(`maximum-paths ibgp ${device.maxPaths}`), ibgp);
          assert.equal(bgp.lines.includes("bgp bestpath as-path multipath-relax"), ebgp);
          const s0 = sessions[0];
          assert.ok(bgp.lines.includes(`timers bgp ${s0.timers.keepalive} ${s0.timers.hold}`));
          assert.equal(bgp.lines.includes("bgp graceful-restart"), s0.gracefulRestart.enabled);
          for (const s of sessions) assert.equal(bgp.neighbors.get(remoteOf(s, sw).address)!.global.includes("bfd"), s.bfd.enabled);
          if (example === "three-tier") assert.ok(ibgp && af.includes(`maximum-paths ibgp ${device.maxPaths}`));
        }
      });

      it("passwords never in the main file; the overlay holds one line per protected session", () => {
        for (const sw of switchNames(plan)) {
          const { text } = renderSwitchConfig(plan, sw);
          assert.ok(!/password/.test(text.split("\n").filter((l) => !l.startsWith("!")).join("\n")));
          assert.ok(!text.includes(PASSWORDS["bgp-nodes"]));
          const overlay = renderSwitchSecrets(plan, sw, PASSWORDS);
          const protectedSessions = plan.sessions.filter((s) => (s.a.device === sw || s.b.device === sw) && s.passwordRef);
          const ov = frrRouterBgp(overlay);
          if (protectedSessions.length > 0) assert.equal(ov.asn, plan.devices.find((d) => d.name === sw)!.asn);
          for (const s of protectedSessions)
            assert.deepEqual(ov.neighbors.get(remoteOf(s, sw).address)!.global, [`password ${PASSWORDS["bgp-nodes"]}`]);
          // upstream sessions: their own secret, in the overlay only
          const upstreamLinks = plan.upstreams.flatMap((u) => (u.passwordRef ? u.links.filter((l) => l.switch === sw).map((l) => ({ u, l })) : []));
          assert.ok(!text.includes(PASSWORDS["bgp-upstream"]));
          for (const { u, l } of upstreamLinks) assert.deepEqual(ov.neighbors.get(l.peerAddress)!.global, [`password ${PASSWORDS[u.passwordRef as keyof typeof PASSWORDS]}`]);
          assert.equal(ov.neighbors.size, protectedSessions.length + upstreamLinks.length);
          if (protectedSessions.length + upstreamLinks.length === 0) assert.equal(overlay, "");
        }
      });

      it("both ends of every session agree (BIRD node vs FRR switch, FRR vs FRR on fabric links)", () => {
        const frr = new Map(switchNames(plan).map((sw) => [sw, frrRouterBgp(renderSwitchConfig(plan, sw).text)]));
        const bird = new Map(plan.nodes.map((n) => [n.name, birdBgpProtocols(renderBirdConfig(plan, n.name))]));
        for (const s of plan.sessions) {
          if (s.kind === "node-uplink") {
            const p = bird.get(s.a.device)!.find((x) => x.name === s.nodeProtocol)!;
            const sw = frr.get(s.b.device)!;
            // node says: I am a, my neighbor is b; switch says: I am b (router bgp), my neighbor is a
            assert.deepEqual(p.local, { address: s.a.address, asn: s.a.asn }, s.id);
            assert.deepEqual(p.neighbor, { address: s.b.address, asn: sw.asn }, s.id);
            assert.equal(sw.neighbors.get(p.local!.address)?.remoteAs, p.local!.asn, s.id);
            assert.equal(s.b.asn, sw.asn);
          } else {
            const a = frr.get(s.a.device)!;
            const b = frr.get(s.b.device)!;
            assert.equal(a.neighbors.get(s.b.address)?.remoteAs, b.asn, s.id);
            assert.equal(b.neighbors.get(s.a.address)?.remoteAs, a.asn, s.id);
          }
        }
      });

      it("is deterministic and ends with one newline", () => {
        for (const sw of switchNames(plan)) {
          const a = renderSwitchConfig(plan, sw).text;
          assert.equal(a, renderSwitchConfig(JSON.parse(JSON.stringify(plan)), sw).text);
          assert.ok(a.endsWith("!\n") && !a.endsWith("\n\n"));
          assert.equal(renderSwitchSecrets(plan, sw, PASSWORDS), renderSwitchSecrets(plan, sw, { ...PASSWORDS }));
        }
      });
    });
  }

  describe("real parsers reject broken configs", () => {
    const plan = planOf("spine-leaf");

    it("vtysh --dryrun exits non-zero on an unknown command and names the line", async () => {
      const text = renderSwitchConfig(plan, "leaf1a").text.replace(" bgp bestpath as-path multipath-relax", " bgp bestpath as-path multipath-relaxed-typo");
      const r = await vtyshDryrun(dir, dir.write("broken.frr.conf", text));
      assert.equal(r.ok, false);
      assert.equal(r.code, 2);
      assert.match(r.output, /Unknown command.*multipath-relaxed-typo/);
    });

    it("vtysh --dryrun exits non-zero on an out-of-range value", async () => {
      const text = renderSwitchConfig(plan, "leaf1a").text.replace("detect-multiplier 3", "detect-multiplier 1000");
      const r = await vtyshDryrun(dir, dir.write("broken-range.frr.conf", text));
      assert.equal(r.code, 2);
    });

    it("bgpd -C reports what vtysh cannot see: a policy on a neighbor that does not exist", async function () {
      if (!canRunDaemonCheck()) this.skip();
      const text = renderSwitchConfig(plan, "leaf1a").text.replace("  neighbor 198.18.10.11 activate", "  neighbor 198.18.10.99 activate");
      const file = dir.write("semantic.frr.conf", text);
      assert.equal((await vtyshDryrun(dir, file)).ok, true, "vtysh only checks the grammar");
      const d = await frrDaemonCheck(dir, "semantic", text);
      assert.equal(d.ok, false);
      assert.match(d.output, /Config Failed on config line \d+:\s+neighbor 198\.18\.10\.99 activate/);
    });
  });

  describe("options and edge cases", () => {
    const plan = planOf("spine-leaf");

    it("without BFD, graceful restart or passwords: no bfd block, no GR, empty overlay; still parses", async () => {
      const p = JSON.parse(JSON.stringify(plan)) as Plan;
      for (const s of p.sessions) {
        s.bfd.enabled = false;
        s.gracefulRestart.enabled = false;
        delete s.passwordRef;
      }
      const { text } = renderSwitchConfig(p, "leaf2a");
      assert.ok(!/^bfd$|neighbor \S+ bfd|graceful-restart/m.test(text));
      assert.equal(renderSwitchSecrets(p, "leaf2a", {}), "");
      assert.deepEqual(await checkSwitch(dir, p, "leaf2a", "plain-"), []);
    });

    it("outlying sessions get per-neighbor timers and BFD profiles", async () => {
      const p = JSON.parse(JSON.stringify(plan)) as Plan;
      const s = p.sessions.find((x) => x.id === "r1n4--leaf1a")!;
      s.timers = { keepalive: 10, hold: 30, connectRetry: 5 };
      s.bfd = { enabled: true, intervalMs: 300, multiplier: 5 };
      const { text } = renderSwitchConfig(p, "leaf1a");
      assert.match(text, /^ timers bgp 3 9$/m);
      assert.match(text, /^ neighbor 198\.18\.10\.14 timers 10 30$/m);
      assert.match(text, /^ neighbor 198\.18\.10\.14 timers connect 5$/m);
      // the profile's default connect retry is not repeated for the other neighbors
      assert.equal(text.match(/timers connect/g)?.length, 1);
      assert.match(text, /^ neighbor 198\.18\.10\.14 bfd profile dcnet-300ms-x5$/m);
      assert.match(text, /^ profile dcnet-300ms-x5\n  detect-multiplier 5\n  receive-interval 300\n  transmit-interval 300$/m);
      assert.deepEqual(await checkSwitch(dir, p, "leaf1a", "outlier-"), []);
    });

    it("dual-stack: ipv6 prefix-lists and address-family ipv6 unicast, accepted by the parsers", async () => {
      const p = dualStackPlan(plan, "r1n3");
      const { text } = renderSwitchConfig(p, "leaf1a");
      assert.match(text, new RegExp(`^ipv6 prefix-list PL-IN-r1n3 seq 10 permit ${V6_POD_CIDR}$`, "m"));
      const bgp = frrRouterBgp(text);
      assert.deepEqual(bgp.neighbors.get("2001:db8:10::11")!.af.get("ipv6"), [
        "activate",
        "prefix-list PL-IN-r1n3 in",
        `route-map ${FRR_DENY_ALL_ROUTE_MAP} out`,
        `maximum-prefix ${p.sessions.find((s) => s.id === "r1n3--leaf1a--v6")!.maxPrefix}`,
      ]);
      assert.deepEqual(await checkSwitch(dir, p, "leaf1a", "dual-"), []);
    });

    it("the overlay refuses missing or inexpressible passwords", () => {
      assert.throws(() => renderSwitchSecrets(plan, "leaf1a", {}), /switch leaf1a: no password given for passwordRef "bgp-nodes"/);
      assert.throws(() => renderSwitchSecrets(plan, "leaf1a", { "bgp-nodes": "two words" }), /printable ASCII/);
      assert.equal(renderSwitchSecrets(plan, "spine1", {}), "", "spines have no password-protected session");
    });

    it("refuses an invalid planned filter range instead of writing it", () => {
      const p = JSON.parse(JSON.stringify(plan)) as Plan;
      p.switches.find((s) => s.name === "leaf1a")!.inboundFilters[0].entries[0].ge = 20;
      assert.throws(() => renderSwitchConfig(p, "leaf1a"), /is not a valid range/);
    });
  });
});
