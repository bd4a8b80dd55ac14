/**
 * Drift: the config file a device runs against the one the plan renders for it. Only the visible
 * config is ever compared or shown: a node's bird.conf (its secrets live in other files, which are
 * never read), a switch's frr.conf with every `neighbor X password ...` value replaced by
 * `<secret>` ON THE DEVICE (sed), so no password leaves it; the planned side gets the same
 * replacement.
 */
import { createHash } from "crypto";
import { Plan } from "../plan/types";
import { renderBirdConfig } from "../render/bird";
import { renderSwitchConfig, renderSwitchSecrets } from "../render/switch/index";
import { DeviceConnection } from "./inventory";
import { Argv } from "./ssh";

/** The replacement of a password value (sed -E on the device, the same in JS on the plan side). */
export const SECRET_SED = "s/^([[:space:]]*neighbor[[:space:]]+[^[:space:]]+[[:space:]]+password[[:space:]]+).*/\\1<secret>/";
const SECRET_RE = /^(\s*neighbor\s+\S+\s+password\s+).*$/gm;

/** Replace password values in FRR config text. */
export function redactFrr(text: string): string {
  return text.replace(SECRET_RE, "$1<secret>");
}

/** The read-only command printing a device's visible config. */
export function configCommand(c: DeviceConnection): Argv {
  return c.kind === "switch" ? ["sed", "-E", SECRET_SED, c.frr.configFile] : ["cat", c.bird.configFile];
}

/** The visible config the plan says the device runs (as the components or the lab assemble it). */
export function plannedVisibleConfig(plan: Plan, c: DeviceConnection): string {
  if (c.kind === "node") return renderBirdConfig(plan, c.device, { secretsDir: c.bird.secretsDir });
  const main = renderSwitchConfig(plan, c.device).text;
  const refs = new Set<string>();
  for (const s of plan.sessions) if ((s.a.device === c.device || s.b.device === c.device) && s.passwordRef) refs.add(s.passwordRef);
  for (const u of plan.upstreams ?? []) if (u.passwordRef && u.links.some((l) => l.switch === c.device)) refs.add(u.passwordRef);
  const placeholders = Object.fromEntries([...refs].map((r) => [r, "dcnet-redacted"]));
  const overlay = refs.size ? renderSwitchSecrets(plan, c.device, placeholders) : "";
  // main config + "!" + overlay: frr-lib.sh's assemble() and the lab's frr.conf
  return redactFrr(overlay ? `${main.replace(/\n*$/, "\n")}!\n${overlay.replace(/\n*$/, "\n")}` : main);
}

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A unified diff (3 lines of context) from `a` to `b`; empty when equal. Large changes are cut at `maxLines`. */
export function unifiedDiff(a: string, b: string, labels: [string, string], maxLines = 200): string {
  if (a === b) return "";
  const strip = (t: string) => (t.endsWith("\n") ? t.slice(0, -1) : t);
  if (strip(a) === strip(b)) return `--- ${labels[0]}\n+++ ${labels[1]}\n(only the newline at the end of the file differs)\n`;
  const x = strip(a).split("\n");
  const y = strip(b).split("\n");
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const xm = x.slice(pre, x.length - suf);
  const ym = y.slice(pre, y.length - suf);
  // edit script of the middle: LCS when it is small enough, else everything removed then added
  type Op = { t: " " | "-" | "+"; line: string };
  const ops: Op[] = [];
  if (xm.length * ym.length <= 4_000_000) {
    const n = xm.length;
    const m = ym.length;
    const L: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = xm[i] === ym[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && xm[i] === ym[j]) {
        ops.push({ t: " ", line: xm[i++] });
        j++;
      } else if (i < n && (j >= m || L[i + 1][j] >= L[i][j + 1])) ops.push({ t: "-", line: xm[i++] });
      else ops.push({ t: "+", line: ym[j++] });
    }
  } else {
    for (const l of xm) ops.push({ t: "-", line: l });
    for (const l of ym) ops.push({ t: "+", line: l });
  }
  const all: Op[] = [...x.slice(0, pre).map((line) => ({ t: " " as const, line })), ...ops, ...x.slice(x.length - suf).map((line) => ({ t: " " as const, line }))];
  // hunks
  const out = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
  const changed = all.map((o, k) => (o.t !== " " ? k : -1)).filter((k) => k >= 0);
  let k = 0;
  let printed = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k] - 3);
    let end = changed[k];
    while (k + 1 < changed.length && changed[k + 1] - end <= 7) end = changed[++k];
    end = Math.min(all.length - 1, end + 3);
    k++;
    const before = all.slice(0, start);
    const aStart = before.filter((o) => o.t !== "+").length + 1;
    const bStart = before.filter((o) => o.t !== "-").length + 1;
    const hunk = all.slice(start, end + 1);
    out.push(`@@ -${aStart},${hunk.filter((o) => o.t !== "+").length} +${bStart},${hunk.filter((o) => o.t !== "-").length} @@`);
    for (const o of hunk) {
      if (printed++ >= maxLines) {
        out.push(`... (diff cut at ${maxLines} lines)`);
        return out.join("\n") + "\n";
      }
      out.push(`${o.t}${o.line}`);
    }
  }
  return out.join("\n") + "\n";
}
