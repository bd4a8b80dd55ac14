/**
 * The fuzzing suite's oracle: runs one spec through the library the way `dcnet plan` does
 * (validate, resolve, cluster-side inputs and rules, every renderer) and lists what is wrong
 * with the outcome. The contract:
 *
 * - refused: `validate()` returns problems, and `resolve()` (or the cluster-side rules, or
 *   reading an inventory file) throws a `SpecError` whose problems are well formed — a path, a
 *   rule id `[a-z0-9-]+`, a message — and print one line each (no control character in a path or
 *   message: a value cannot forge a line or reach the terminal as an escape sequence);
 * - accepted: `validate()` returns no problem, and every file `dcnet plan` would write renders
 *   without an error, holds no control character except `\n` and `\t`, and every Kubernetes
 *   object has valid names, namespaces and labels by Kubernetes' own rules;
 * - never anything else: any other exception is an internal error; `Object.prototype` never
 *   changes.
 *
 * A finding is `{ kind, detail }`; `knownDefect()` maps findings that belong to a defect of
 * issue 10 still being fixed (see KNOWN in test/fuzz.test.ts).
 */
import { validate } from "../../sdk/validate/validate";
import { SpecError, SpecProblem } from "../../sdk/validate/errors";
import { resolve } from "../../sdk/resolve/resolve";
import { Plan } from "../../sdk/plan/types";
import { DataCenterSpec } from "../../sdk/spec/types";
import { renderPlanFiles } from "../../sdk/cli/output";
import { assertClusterSide, clusterContext, clusterObjects, loadClusterInputs, renderClusterManifests, ciliumValues, K8sObject, ClusterInputs } from "../../sdk/k8s";
import { addressProblem } from "../../sdk/net/prefix";

export interface Finding {
  kind: string;
  detail: string;
}

export interface OracleResult {
  outcome: "accepted" | "refused" | "internal";
  problems: SpecProblem[];
  plan?: Plan;
  inputs?: ClusterInputs;
  files: { path: string; text: string }[];
  objects: K8sObject[];
  findings: Finding[];
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_IN_FILE = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export const isDnsSubdomain = (s: string) => s.length <= 253 && DNS_SUBDOMAIN.test(s);
export const isDnsLabel = (s: string) => s.length <= 63 && DNS_LABEL.test(s);

/** A Kubernetes label (or annotation) key: `[prefix/]name`. Cilium selectors may carry a source prefix (`k8s:`, `any:`). */
export function labelKeyProblem(key: string, cilium: boolean): string | undefined {
  const k = cilium ? key.replace(/^(k8s|any|reserved|cidr|unspec):/, "") : key;
  const slash = k.lastIndexOf("/");
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return `label key ${JSON.stringify(key)}: prefix is not a DNS subdomain`;
  if (name.length > 63 || !LABEL_NAME.test(name)) return `label key ${JSON.stringify(key)}: name is not a label name`;
  return undefined;
}

export function labelValueProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `label value ${JSON.stringify(value)} is not a string`;
  if (value === "") return undefined;
  if (value.length > 63 || !LABEL_NAME.test(value)) return `label value ${JSON.stringify(value)} is not a label value`;
  return undefined;
}

/** Problems of an object's names and labels by Kubernetes' rules (metadata, selectors, secret references). */
export function k8sNameProblems(obj: K8sObject): string[] {
  const out: string[] = [];
  const where = `${obj.kind}/${obj.metadata?.name}`;
  const cilium = obj.apiVersion.startsWith("cilium.io/");
  if (typeof obj.metadata?.name !== "string" || !isDnsSubdomain(obj.metadata.name)) out.push(`${where}: metadata.name is not a DNS subdomain`);
  if (obj.metadata?.namespace !== undefined && !isDnsLabel(obj.metadata.namespace)) out.push(`${where}: metadata.namespace is not a DNS label`);
  for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) {
    const p = labelKeyProblem(k, false) ?? labelValueProblem(v);
    if (p) out.push(`${where}: metadata.labels: ${p}`);
  }
  for (const k of Object.keys(obj.metadata?.annotations ?? {})) {
    const p = labelKeyProblem(k, false);
    if (p) out.push(`${where}: metadata.annotations: ${p}`);
  }
  // selectors and secret references anywhere in the body
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > 30 || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1));
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = `${path}.${k}`;
      if (k === "matchExpressions" && Array.isArray(x)) {
        for (const e of x as { key?: unknown; values?: unknown }[]) {
          const prob = typeof e?.key === "string" ? labelKeyProblem(e.key, cilium) : `key ${JSON.stringify(e?.key)} is not a string`;
          if (prob) out.push(`${where}: ${p}: ${prob}`);
          if (Array.isArray(e?.values)) for (const lv of e.values) {
            const vp = labelValueProblem(lv);
            if (vp) out.push(`${where}: ${p}: ${vp}`);
          }
        }
      } else if ((k === "matchLabels" || k === "nodeSelector" || k === "serviceSelector") && x && typeof x === "object" && !Array.isArray(x) && !("matchLabels" in x) && !("matchExpressions" in x)) {
        for (const [lk, lv] of Object.entries(x as Record<string, unknown>)) {
          const prob = labelKeyProblem(lk, cilium) ?? labelValueProblem(lv);
          if (prob) out.push(`${where}: ${p}: ${prob}`);
        }
      } else if (/secretRef$|SecretRef$|secretName$|credentialName$/.test(k) && typeof x === "string" && !isDnsSubdomain(x)) {
        out.push(`${where}: ${p} ${JSON.stringify(x)} is not a Secret name (DNS subdomain)`);
      }
      walk(x, p, depth + 1);
    }
  };
  walk(obj, "", 0);
  return out;
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message.slice(0, 300)}\n${(e.stack ?? "").split("\n").slice(1, 4).join("\n")}`;
  return String(e);
}

/** Problems of a SpecError's problem list itself (shape, one printable line each). */
export function problemListFindings(problems: SpecProblem[]): Finding[] {
  const out: Finding[] = [];
  if (problems.length === 0) out.push({ kind: "problem-malformed", detail: "a SpecError with no problem" });
  for (const p of problems) {
    if (typeof p.path !== "string" || p.path === "" || typeof p.rule !== "string" || !/^[a-z0-9]+(-[a-zA-Z0-9]+)*$/.test(p.rule) || typeof p.message !== "string" || p.message === "")
      out.push({ kind: "problem-malformed", detail: JSON.stringify(p).slice(0, 300) });
    else if (CONTROL.test(p.path) || CONTROL.test(p.message))
      out.push({ kind: "message-control-chars", detail: `[${p.rule}] ${JSON.stringify(p.path).slice(0, 100)}: ${JSON.stringify(p.message).slice(0, 200)}` });
  }
  return out;
}

const protoKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join(",");
const PROTO_KEYS = protoKeys();

/** Clean up anything a spec managed to put onto Object.prototype (so one finding does not poison later runs). */
function prototypeFinding(): Finding | undefined {
  const now = Object.getOwnPropertyNames(Object.prototype);
  const added = now.filter((k) => !PROTO_KEYS.split(",").includes(k));
  if (added.length === 0) return undefined;
  for (const k of added) delete (Object.prototype as Record<string, unknown>)[k];
  return { kind: "prototype-polluted", detail: `Object.prototype gained ${added.join(", ")}` };
}

/** Run one spec through everything `dcnet plan` does, in memory. `baseDir` is where inventory files are read. */
export function runOracle(spec: unknown, baseDir: string): OracleResult {
  const findings: Finding[] = [];
  const res: OracleResult = { outcome: "internal", problems: [], files: [], objects: [], findings };
  const done = (r: OracleResult) => {
    const proto = prototypeFinding();
    if (proto) findings.push(proto);
    return r;
  };
  let problems: SpecProblem[];
  try {
    problems = validate(spec);
  } catch (e) {
    findings.push({ kind: "internal-error", detail: `validate() threw ${describeError(e)}` });
    return done(res);
  }
  let plan: Plan;
  try {
    plan = resolve(spec as DataCenterSpec); // unchecked on purpose: resolve() validates it
  } catch (e) {
    if (!(e instanceof SpecError)) {
      findings.push({ kind: "internal-error", detail: `resolve() threw ${describeError(e)}` });
      return done(res);
    }
    if (problems.length === 0) findings.push({ kind: "validate-resolve-disagree", detail: "validate() found no problem, resolve() threw a SpecError" });
    findings.push(...problemListFindings(e.problems));
    return done({ ...res, outcome: "refused", problems: e.problems });
  }
  if (problems.length > 0) findings.push({ kind: "validate-resolve-disagree", detail: `validate() found ${problems.length} problems, resolve() accepted` });
  res.plan = plan;
  // cluster side, as `dcnet validate` and `dcnet plan` do it
  let inputs: ClusterInputs;
  try {
    inputs = loadClusterInputs(spec as DataCenterSpec, baseDir);
    assertClusterSide(plan, inputs);
  } catch (e) {
    if (!(e instanceof SpecError)) {
      findings.push({ kind: "internal-error", detail: `cluster side threw ${describeError(e)}` });
      return done(res);
    }
    findings.push(...problemListFindings(e.problems));
    return done({ ...res, outcome: "refused", problems: e.problems });
  }
  res.inputs = inputs;
  res.outcome = "accepted";
  try {
    res.files = [...renderPlanFiles(plan), ...renderClusterManifests(plan, inputs)];
  } catch (e) {
    findings.push({ kind: "render-failed", detail: `an accepted spec does not render: ${describeError(e)}` });
    return done(res);
  }
  for (const f of res.files) {
    const m = CONTROL_IN_FILE.exec(f.text);
    if (m) findings.push({ kind: "render-control-chars", detail: `${f.path} holds ${JSON.stringify(m[0])} near ${JSON.stringify(f.text.slice(Math.max(0, m.index - 30), m.index + 10))}` });
  }
  for (const d of plan.devices)
    for (const i of d.interfaces ?? [])
      for (const a of (i as { addresses?: { address?: string }[] }).addresses ?? [])
        if (typeof a.address === "string" && a.address.includes("%")) findings.push({ kind: "zone-id-accepted", detail: `${d.name} ${i.name}: ${a.address}` });
  try {
    for (const c of plan.clusters) {
      if (!inputs[c.name]) continue;
      const ctx = clusterContext(plan, inputs, c.name);
      res.objects.push(...Object.values(clusterObjects(ctx)).flat());
      const values = ciliumValues(ctx) as { k8sServiceHost?: unknown };
      const host = values.k8sServiceHost;
      if (host !== undefined && (typeof host !== "string" || (addressProblem(host) !== undefined && !isDnsSubdomain(host))))
        findings.push({ kind: "k8s-value", detail: `cluster ${c.name}: k8sServiceHost ${JSON.stringify(host)} is neither an address nor a DNS name` });
      const version = inputs[c.name].cilium?.chartVersion;
      if (version !== undefined && !SEMVER.test(version)) findings.push({ kind: "k8s-value", detail: `cluster ${c.name}: chartVersion ${JSON.stringify(version)} is not a SemVer version` });
    }
  } catch (e) {
    findings.push({ kind: "render-failed", detail: `cluster objects: ${describeError(e)}` });
  }
  for (const o of res.objects) for (const p of k8sNameProblems(o)) findings.push({ kind: "k8s-name", detail: p });
  return done(res);
}
