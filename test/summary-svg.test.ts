/** The Markdown summary and the topology diagram: complete, deterministic, well-formed, secret-free. */
import { strict as assert } from "assert";
import * as path from "path";
import { loadSpecFile } from "../sdk/spec/load";
import { resolve } from "../sdk/resolve/resolve";
import { Plan } from "../sdk/plan/types";
import { renderSummary } from "../sdk/render/summary";
import { renderTopologySvg, xmlEscape } from "../sdk/render/topology-svg";
import { generateSpec } from "../bench/resolve-render.bench";

const ROOT = path.resolve(__dirname, "..");
const EXAMPLES = ["examples/spine-leaf/datacenter.yaml", "examples/three-tier/datacenter.yaml"];

/**
 * A small XML well-formedness check (no XML parser among the dependencies): one root element,
 * balanced and properly nested tags, quoted attributes without duplicates, no raw `<` in text or
 * attribute values, and only the five predefined entities or character references after `&`.
 * Returns the root element's name and every element name met.
 */
function checkXml(xml: string): { root: string; elements: string[] } {
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  const checkText = (text: string, where: number) => {
    for (let i = 0; i < text.length; i++) {
      if (text[i] === "<") throw new Error(`raw '<' at ${where + i}`);
      if (text[i] === "&") {
        entity.lastIndex = i;
        if (!entity.test(text)) throw new Error(`bad entity at ${where + i}: ${text.slice(i, i + 12)}`);
      }
    }
  };
  let pos = 0;
  const decl = /^<\?xml[^?]*\?>\s*/.exec(xml);
  if (decl) pos = decl[0].length;
  const stack: string[] = [];
  const elements: string[] = [];
  let root: string | undefined;
  const name = "[A-Za-z_][\\w.:-]*";
  const tag = new RegExp(`<(/?)(${name})((?:\\s+${name}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>`, "y");
  const attr = new RegExp(`(${name})\\s*=\\s*("([^"]*)"|'([^']*)')`, "g");
  while (pos < xml.length) {
    const lt = xml.indexOf("<", pos);
    const text = xml.slice(pos, lt === -1 ? xml.length : lt);
    if (stack.length === 0 && text.trim() !== "") throw new Error(`text outside the root element at ${pos}`);
    checkText(text, pos);
    if (lt === -1) break;
    if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt);
      if (end === -1) throw new Error("unterminated comment");
      pos = end + 3;
      continue;
    }
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) throw new Error(`malformed tag at ${lt}: ${xml.slice(lt, lt + 60)}`);
    const [, close, tagName, attrs, selfClose] = m;
    if (close) {
      if (attrs.trim() || selfClose) throw new Error(`malformed end tag at ${lt}`);
      const open = stack.pop();
      if (open !== tagName) throw new Error(`</${tagName}> at ${lt} closes <${open}>`);
    } else {
      if (stack.length === 0) {
        if (root !== undefined) throw new Error(`second root element <${tagName}> at ${lt}`);
        root = tagName;
      }
      const seen = new Set<string>();
      for (const a of attrs.matchAll(attr)) {
        if (seen.has(a[1])) throw new Error(`duplicate attribute ${a[1]} at ${lt}`);
        seen.add(a[1]);
        checkText(a[3] ?? a[4] ?? "", lt);
      }
      elements.push(tagName);
      if (!selfClose) stack.push(tagName);
    }
    pos = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join("> <")}>`);
  if (root === undefined) throw new Error("no root element");
  return { root, elements };
}

const unescapeXml = (s: string) =>
  s.replace(/&(?:(amp|lt|gt|quot|apos)|#(\d+));/g, (_, e: string | undefined, code: string | undefined) =>
    e ? { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e]! : String.fromCodePoint(Number(code)),
  );

/** Text content of the SVG (tags removed, entities decoded). */
const svgText = (svg: string) => unescapeXml(svg.replace(/<[^>]*>/g, " "));

describe("XML check used by these tests", () => {
  it("accepts well-formed documents and rejects broken ones", () => {
    assert.equal(checkXml(`<?xml version="1.0"?>\n<a x="1"><b/>t &amp; &#38;<c y='2'>z</c></a>\n`).root, "a");
    for (const bad of ["<a><b></a></b>", "<a>x & y</a>", "<a x=1/>", "<a/><b/>", "<a>", "<a x='<'/>", `<a x="1" x="2"/>`, "<a>&nbsp;</a>"])
      assert.throws(() => checkXml(bad), Error, bad);
  });
});

describe("summary.md and topology.svg", () => {
  const plans: [string, Plan][] = EXAMPLES.map((e) => [e, resolve(loadSpecFile(path.join(ROOT, e)))]);

  for (const [example, plan] of plans) {
    describe(example, () => {
      it("the summary lists every rack, node, switch, session, VIP pool and cluster", () => {
        const md = renderSummary(plan);
        assert.equal(renderSummary(plan), md, "deterministic");
        for (const d of plan.devices) assert.ok(md.includes(`\`${d.name}\``), `summary lacks device ${d.name}`);
        for (const s of plan.sessions) {
          const row = md.split("\n").find((l) => l.startsWith(`| \`${s.id}\` |`));
          assert.ok(row, `summary lacks session ${s.id}`);
          for (const v of [s.a.device, s.a.address, String(s.a.asn), s.b.device, s.b.address, String(s.b.asn)]) assert.ok(row.includes(v), `${s.id} row lacks ${v}`);
          assert.ok(row.includes(s.type === "ebgp" ? "eBGP" : "iBGP"));
          if (s.passwordRef) assert.ok(row.includes(`secret \`${s.passwordRef}\``), `${s.id} row lacks the secret reference`);
        }
        for (const n of plan.nodes) {
          const row = md.split("\n").find((l) => l.startsWith(`| \`${n.name}\` |`))!;
          assert.ok(row.includes(n.podCIDR.prefix), `${n.name} row lacks its PodCIDR`);
        }
        for (const seg of plan.segments.filter((x) => x.kind === "rack")) assert.ok(md.includes(seg.prefix), `summary lacks rack network ${seg.prefix}`);
        for (const v of plan.vipPools) {
          const row = md.split("\n").find((l) => l.startsWith(`| \`${v.name}\` |`))!;
          assert.ok(row, `summary lacks VIP pool ${v.name}`);
          for (const a of v.announcers) assert.ok(row.includes(`\`${a}\``), `VIP pool ${v.name} row lacks announcer ${a}`);
        }
        for (const c of plan.clusters) {
          const row = md.split("\n").find((l) => l.startsWith(`| \`${c.name}\` |`))!;
          assert.ok(row, `summary lacks cluster ${c.name}`);
          for (const p of c.supernets) assert.ok(row.includes(p.prefix), `cluster ${c.name} row lacks supernet ${p.prefix}`);
        }
        assert.doesNotMatch(md, /password\s+\S/i, "no password values");
        // the way out: each upstream with its links, accepted and announced prefixes
        for (const u of plan.upstreams) {
          const row = md.split("\n").find((l) => l.startsWith(`| \`${u.name}\` |`))!;
          assert.ok(row, `summary lacks upstream ${u.name}`);
          for (const l of u.links) assert.ok(row.includes(`\`${l.switch}\``) && row.includes(l.peerAddress), `${u.name} row lacks link ${l.id}`);
          for (const e of [...u.accept, ...u.announce]) assert.ok(row.includes(e.prefix), `${u.name} row lacks ${e.prefix}`);
        }
        for (const sw of plan.switches.filter((x) => x.originates.length > 0)) {
          const row = md.split("\n").find((l) => l.startsWith(`| \`${sw.name}\` |`) && l.includes(sw.originates[0].prefix));
          assert.ok(row, `summary lacks what ${sw.name} originates`);
        }
      });

      it("the SVG draws each upstream with a line to each of its border switches", () => {
        const svg = renderTopologySvg(plan);
        for (const u of plan.upstreams) {
          assert.ok(svg.includes(`<g class="upstream" data-upstream="${u.name}">`), `no box for upstream ${u.name}`);
          for (const l of u.links) assert.ok(svg.includes(`<path class="session upstream" data-session="${l.id}"`), `no line for ${l.id}`);
        }
        assert.equal((svg.match(/class="session upstream"/g) ?? []).length, plan.upstreams.reduce((a, u) => a + u.links.length, 0));
      });

      it("the SVG is well-formed XML, deterministic, and shows every device and session", () => {
        const svg = renderTopologySvg(plan);
        assert.equal(renderTopologySvg(plan), svg, "deterministic");
        const { root, elements } = checkXml(svg);
        assert.equal(root, "svg");
        assert.match(svg, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
        const text = svgText(svg);
        for (const d of plan.devices) {
          assert.ok(svg.includes(`data-device="${xmlEscape(d.name)}"`), `SVG lacks device ${d.name}`);
          assert.ok(text.includes(d.name), `SVG shows no label for ${d.name}`);
          assert.ok(text.includes(`AS ${d.asn}`), `SVG lacks the ASN of ${d.name}`);
        }
        for (const n of plan.nodes) assert.ok(text.includes(n.podCIDR.prefix), `SVG lacks the PodCIDR of ${n.name}`);
        for (const s of plan.sessions) assert.ok(svg.includes(`data-session="${xmlEscape(s.id)}"`), `SVG lacks a line for session ${s.id}`);
        assert.equal(elements.filter((e) => e === "path").length >= plan.sessions.length, true);
        for (const kind of new Set(plan.sessions.map((s) => s.kind))) assert.ok(svg.includes(`class="session ${kind}"`));
        for (const seg of plan.segments.filter((x) => x.kind === "rack")) assert.ok(text.includes(seg.prefix));
      });
    });
  }

  it("text from the plan is XML-escaped in the SVG and table-escaped in the summary", () => {
    const plan = JSON.parse(JSON.stringify(plans[0][1])) as Plan;
    plan.name = `dc <1> & "two" | 'three'`;
    plan.clusters[0].name = "a<b>&c";
    for (const d of plan.devices) if (d.cluster === plans[0][1].clusters[0].name) d.cluster = "a<b>&c";
    const svg = renderTopologySvg(plan);
    checkXml(svg);
    assert.ok(svgText(svg).includes(`dc <1> & "two" | 'three'`));
    const md = renderSummary(plan);
    assert.ok(md.startsWith(`# dc &lt;1&gt; &amp; "two" \\| 'three': network plan`), md.split("\n")[0]); // no raw HTML in Markdown
    const clusterRow = md.split("\n").find((l) => l.startsWith("| `a<b>&c` |"))!;
    assert.equal(clusterRow.split(/(?<!\\)\|/).length - 2, 5, "cluster row keeps its 5 cells");
  });

  it("a data center name with line breaks stays one summary heading, its control characters shown escaped", () => {
    const plan = JSON.parse(JSON.stringify(plans[0][1])) as Plan;
    plan.name = "dc1\n\n## injected\r\nsection\u001b[31m";
    const md = renderSummary(plan);
    assert.equal(md.split("\n")[0], "# dc1\\\\u000a\\\\u000a## injected\\\\u000d\\\\u000asection\\\\u001b[31m: network plan");
    assert.doesNotMatch(md, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    assert.equal(md.split("\n")[1], "");
  });

  it("control characters in plan text are shown escaped in the SVG (illegal in XML 1.0 even as references)", () => {
    const plan = JSON.parse(JSON.stringify(plans[0][1])) as Plan;
    plan.name = "dc1\u0007bell\u202eflip";
    const svg = renderTopologySvg(plan);
    checkXml(svg);
    assert.ok(svg.includes("<title>dc1\\u0007bell\\u202eflip: "), "the title shows the control characters as \\uXXXX");
    assert.doesNotMatch(svg, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    assert.equal(xmlEscape("a\u0000<b>"), "a\\u0000&lt;b&gt;");
    assert.equal(xmlEscape(12.5), "12.5");
  });

  it("characters outside ASCII are numeric character references: the SVG is ASCII and reads as the same text", () => {
    const plan = JSON.parse(JSON.stringify(plans[0][1])) as Plan;
    plan.name = "dc-zürich ↔ 😀 \ud800";
    const svg = renderTopologySvg(plan);
    checkXml(svg);
    assert.doesNotMatch(svg, /[^\u0000-\u007f]/, "a character outside ASCII in the SVG");
    const text = svgText(svg);
    assert.ok(text.includes("dc-zürich ↔ 😀 \ufffd: "), "the title reads as the name (a lone surrogate as U+FFFD)");
    const s = plan.sessions.find((x) => x.bfd.enabled)!;
    assert.ok(text.includes(`${s.id}: ${s.a.device} ${s.a.address} AS ${s.a.asn} ↔ ${s.b.device} ${s.b.address} AS ${s.b.asn} (`), "a session's tooltip");
    assert.ok(text.includes(`BFD ${s.bfd.intervalMs} ms × ${s.bfd.multiplier})`), "its BFD timers");
    assert.equal(xmlEscape("a↔b"), "a&#8596;b");
    assert.equal(xmlEscape("<😀>"), "&lt;&#128512;&gt;");
  });

  it("scales: a 12-rack data center renders a well-formed SVG with every device, wider than tall", () => {
    const plan = resolve(generateSpec(12, 8, 4));
    const svg = renderTopologySvg(plan);
    checkXml(svg);
    for (const d of plan.devices) assert.ok(svg.includes(`data-device="${xmlEscape(d.name)}"`), d.name);
    const [, w, h] = /width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    assert.ok(w > h && w < 12 * 400, `unexpected size ${w}×${h}`);
    const md = renderSummary(plan);
    assert.equal(md.split("\n").filter((l) => /^\| `r\d+n\d+--/.test(l)).length, plan.sessions.filter((s) => s.kind === "node-uplink").length);
  });
});
