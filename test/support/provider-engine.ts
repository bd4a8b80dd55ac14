/**
 * The Pulumi engine boundary for tests against the REAL Kubernetes provider: a Pulumi program (dcnet's
 * components) runs under `pulumi.runtime.setMocks`' machinery, but its resource monitor is this one,
 * which forwards every `kubernetes:*` custom resource to a real `pulumi-resource-kubernetes` process
 * (test/support/provider-process.ts) the way the engine does:
 *   - `pulumi:providers:kubernetes`: a plugin process per provider resource and run, `CheckConfig`,
 *     `DiffConfig` (second run), `Configure` (the checked inputs as `kubernetes:config:*` variables and
 *     args, secrets accepted);
 *   - a custom resource: `Check` (old inputs from the state), then `Create`, or `Diff` against the
 *     state and `Update` (or a replacement) when it reports changes;
 *   - after the program: `Delete` of every resource of the state the program no longer declares, in
 *     reverse creation order (an empty program tears everything down).
 * Property values travel in Pulumi's wire encoding unchanged (the SDK serializes them, secrets as
 * `4dabf18193072939515e22adb298388d` objects); the state keeps the checked inputs and the provider's
 * outputs between runs, in memory.
 *
 * Not served: remote components (`Construct`, e.g. `kubernetes:helm.sh/v4:Chart`) — they need the
 * engine's resource monitor to register their children; they are recorded in `skipped`. Invokes,
 * default providers (give every resource an explicit provider), preview, refresh, imports.
 */
import { randomBytes, randomUUID } from "crypto";
import * as emptyPb from "google-protobuf/google/protobuf/empty_pb";
import * as structPb from "google-protobuf/google/protobuf/struct_pb";
import * as pluginPb from "@pulumi/pulumi/proto/plugin_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import { EngineServer, ProviderProcess, startEngineServer, startProvider } from "./provider-process";

/** Pulumi's secret signature (a property value `{ [SECRET_SIG]: SECRET_VALUE_SIG, value }`). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** The value of the signature key of a secret. */
export const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** What the engine did with one resource. */
export interface Step {
  op: "configure" | "create" | "same" | "update" | "replace" | "delete";
  urn: string;
  type: string;
  /** Properties the provider's Diff reported (update/replace/same-provider). */
  diffs?: string[];
  ms: number;
}

/** A resource the provider refused (or that could not be sent). */
export interface Failure {
  urn: string;
  type: string;
  /** The provider's error (gRPC details) or the Check failures. */
  message: string;
}

/** Outcome of one `run`. */
export interface RunResult {
  steps: Step[];
  failures: Failure[];
  /** Resources not sent to the provider, with the reason (remote components). */
  skipped: { urn: string; type: string; reason: string }[];
  /**
   * Errors the program's promises rejected with and nothing handled (a refused resource rejects its
   * outputs): what the language host would print. Collected here instead of reaching the test runner.
   */
  programErrors: string[];
  /** Wall time of the run, ms. */
  ms: number;
}

/** One resource of the state. */
export interface StateEntry {
  urn: string;
  type: string;
  id: string;
  /** Checked inputs (wire encoding). */
  inputs: structPb.Struct;
  /** The provider's outputs (wire encoding, secrets wrapped). */
  outputs: structPb.Struct;
  /** URN of the provider resource that manages it. */
  provider: string;
  /** Creation counter (deletes go in reverse). */
  order: number;
}

/** Options of `ProviderEngine`. */
export interface ProviderEngineOptions {
  /** The provider plugin (`pulumi-resource-kubernetes`). */
  binary: string;
  /** Folder for the plugins' logs and HOMEs. */
  runDir: string;
  project?: string;
  stack?: string;
  /** Timeout of a Create/Update/Delete, seconds (default 300). */
  timeoutSeconds?: number;
  /** Called with each step and failure as it happens (progress). */
  onStep?: (s: Step | Failure) => void;
}

type Callback<T> = (err: Error | null, res?: T) => void;

const unwrapSecrets = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_VALUE_SIG) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
};

/** The provider's error as text (gRPC `details` holds the provider's message). */
function errorText(e: unknown): string {
  const d = (e as { details?: string }).details;
  return d || (e instanceof Error ? e.message : String(e));
}

/** The engine boundary: state, providers, steps. */
export class ProviderEngine {
  /** Resources under management, by URN. */
  readonly state = new Map<string, StateEntry>();
  /** Provider resources of the state: id and checked inputs, by URN. */
  readonly providerState = new Map<string, { id: string; inputs: structPb.Struct }>();
  /** The Engine service the plugins log to. */
  engine?: EngineServer;
  /** Plugin processes started so far (pid, log file). */
  readonly processes: { urn: string; pid: number; logFile: string; version: string }[] = [];
  private order = 0;
  private readonly project: string;
  private readonly stack: string;

  constructor(private readonly opts: ProviderEngineOptions) {
    this.project = opts.project ?? "dcnet";
    this.stack = opts.stack ?? "lab";
  }

  /** Start the Engine service. */
  async start(): Promise<void> {
    this.engine = await startEngineServer();
  }

  /** Stop the Engine service (plugins are stopped at the end of each run). */
  async stop(): Promise<void> {
    await this.engine?.stop();
  }

  /**
   * Run a program: register its resources through the real provider, then delete what it no longer
   * declares. `timeoutSeconds` overrides the Create/Update/Delete timeout for this run.
   */
  async run(program: () => void | Promise<void>, options: { timeoutSeconds?: number; onStep?: (s: Step | Failure) => void } = {}): Promise<RunResult> {
    if (!this.engine) throw new Error("ProviderEngine.start() first");
    const t0 = Date.now();
    const run = new Run(this, { ...this.opts, ...options }, this.engine.address);
    // what pulumi.runtime.setMocks does, with this monitor in place of the mocks' one
    setMockOptions(new LabMonitor(run, this.project, this.stack), this.project, this.stack, false);
    // getStore is internal to the SDK (not in its typings)
    const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore: () => object };
    Object.assign(getStore(), {
      supportsSecrets: true,
      supportsResourceReferences: true,
      supportsOutputValues: false,
      supportsDeletedWith: true,
      supportsReplaceWith: true,
      supportsAliasSpecs: true,
      supportsTransforms: false,
      supportsParameterization: true,
      supportsResourceHooks: true,
      supportsErrorHooks: true,
    });
    // as the Node.js language host: this run owns unhandled rejections (the test runner's listeners are
    // put back afterwards)
    const programErrors = new Set<string>();
    const saved = process.rawListeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    const onRejection = (e: unknown) => programErrors.add(e instanceof Error ? e.message : String(e));
    process.on("unhandledRejection", onRejection);
    try {
      await program();
      await run.drain();
      await run.deleteUndeclared();
    } finally {
      await run.stopProviders();
      await new Promise((r) => setTimeout(r, 50));
      process.removeListener("unhandledRejection", onRejection);
      for (const l of saved) process.on("unhandledRejection", l as (...a: unknown[]) => void);
    }
    return { steps: [...run.steps], failures: [...run.failures], skipped: run.skipped, programErrors: [...programErrors], ms: Date.now() - t0 };
  }

  /** Next creation counter. */
  nextOrder(): number {
    return this.order++;
  }
}

/** An array that reports what is pushed. */
class StepLog<T extends Step | Failure> extends Array<T> {
  constructor(private readonly report?: (s: Step | Failure) => void) {
    super();
  }
  static get [Symbol.species]() {
    return Array;
  }
  push(...items: T[]): number {
    for (const i of items) this.report?.(i);
    return super.push(...items);
  }
}

/** One program run: its provider processes, steps and failures. */
class Run {
  readonly steps: StepLog<Step>;
  readonly failures: StepLog<Failure>;
  readonly skipped: RunResult["skipped"] = [];
  readonly registered = new Set<string>();
  private readonly providers = new Map<string, Promise<{ proc: ProviderProcess; id: string }>>();
  private inflight = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly engine: ProviderEngine,
    private readonly opts: ProviderEngineOptions,
    private readonly engineAddress: string,
  ) {
    this.steps = new StepLog<Step>(opts.onStep);
    this.failures = new StepLog<Failure>(opts.onStep);
  }

  /** Track an RPC of the program. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inflight++;
    try {
      return await work();
    } finally {
      this.inflight--;
      if (this.inflight === 0) for (const f of this.idle.splice(0)) f();
    }
  }

  /** Wait until the program's RPCs are answered and no new one comes for 300 ms (bounded: 15 min). */
  async drain(): Promise<void> {
    const waitForRPCs = (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> }).waitForRPCs;
    const deadline = Date.now() + 15 * 60 * 1000;
    for (;;) {
      await waitForRPCs();
      if (this.inflight > 0) await new Promise<void>((r) => this.idle.push(r));
      await new Promise((r) => setTimeout(r, 300));
      if (this.inflight === 0) return;
      if (Date.now() > deadline) throw new Error(`the program's registrations did not finish within 15 min (${this.inflight} in flight)`);
    }
  }

  private async startProcess(urn: string): Promise<ProviderProcess> {
    const name = urn.split("::").pop()!.replace(/[^A-Za-z0-9_.-]/g, "_");
    const proc = await startProvider(this.opts.binary, { engineAddress: this.engineAddress, runDir: this.opts.runDir, logName: `provider-${name}.log` });
    const info = await proc.call<emptyPb.Empty, pluginPb.PluginInfo>("getPluginInfo", new emptyPb.Empty());
    this.engine.processes.push({ urn, pid: proc.pid, logFile: proc.logFile, version: info.getVersion() });
    return proc;
  }

  /** `pulumi:providers:kubernetes`: start its plugin, CheckConfig, DiffConfig (when known), Configure. */
  registerProvider(urn: string, type: string, name: string, news: structPb.Struct): Promise<{ proc: ProviderProcess; id: string; inputs: structPb.Struct }> {
    const t0 = Date.now();
    const p = (async () => {
      const proc = await this.startProcess(urn).catch((e: unknown) => {
        this.failures.push({ urn, type, message: errorText(e) });
        throw e;
      });
      const old = this.engine.providerState.get(urn);
      const check = await proc.call<providerPb.CheckRequest, providerPb.CheckResponse>(
        "checkConfig",
        new providerPb.CheckRequest().setUrn(urn).setName(name).setType(type).setOlds(old?.inputs ?? new structPb.Struct()).setNews(news),
      );
      const bad = check.getFailuresList();
      if (bad.length) throw new Error(`CheckConfig: ${bad.map((f) => `${f.getProperty()}: ${f.getReason()}`).join("; ")}`);
      const inputs = check.getInputs() ?? new structPb.Struct();
      let op: Step["op"] = "configure";
      let diffs: string[] | undefined;
      if (old) {
        const d = await proc.call<providerPb.DiffRequest, providerPb.DiffResponse>(
          "diffConfig",
          new providerPb.DiffRequest().setId(old.id).setUrn(urn).setName(name).setType(type).setOlds(old.inputs).setNews(inputs).setOldInputs(old.inputs),
        );
        diffs = d.getDiffsList();
        op = d.getChanges() === providerPb.DiffResponse.DiffChanges.DIFF_SOME ? "update" : "same";
      }
      const req = new providerPb.ConfigureRequest().setArgs(inputs).setAcceptsecrets(true).setAcceptresources(true).setSendsOldInputs(true).setSendsOldInputsToDelete(true);
      const id = old?.id ?? randomUUID();
      req.setId(id).setUrn(urn).setName(name).setType(type);
      // as the engine does: every input but `version` as `kubernetes:config:<key>`, strings as they are, the rest as JSON
      const vars = req.getVariablesMap();
      for (const [k, v] of Object.entries(unwrapSecrets(inputs.toJavaScript()) as Record<string, unknown>)) {
        if (k === "version" || v === null || v === undefined) continue;
        vars.set(`kubernetes:config:${k}`, typeof v === "string" ? v : JSON.stringify(v));
      }
      await proc.call("configure", req).catch((e: unknown) => {
        this.failures.push({ urn, type, message: `Configure: ${errorText(e)}` });
        throw e;
      });
      this.engine.providerState.set(urn, { id, inputs });
      this.steps.push({ op, urn, type, diffs, ms: Date.now() - t0 });
      return { proc, id, inputs };
    })();
    this.providers.set(urn, p);
    return p;
  }

  /** The configured plugin of a provider reference (`urn::id`), or of a provider of the state (for deletes). */
  private async providerOf(ref: string): Promise<ProviderProcess> {
    if (!ref) throw new Error("no provider given: this engine has no default provider (pass `provider`/`providers` to the resource)");
    const urn = ref.slice(0, ref.lastIndexOf("::"));
    let p = this.providers.get(urn);
    if (!p) {
      const saved = this.engine.providerState.get(urn);
      if (!saved) throw new Error(`unknown provider ${ref}`);
      const parts = urn.split("::");
      p = this.registerProvider(urn, parts[2].split("$").pop()!, parts[3], saved.inputs);
    }
    return (await p).proc;
  }

  /** A `kubernetes:*` custom resource: Check, then Create or Diff (+ Update/replace). Returns id and outputs. */
  async registerCustom(urn: string, type: string, name: string, providerRef: string, news: structPb.Struct): Promise<{ id: string; outputs: structPb.Struct }> {
    const t0 = Date.now();
    const timeout = this.opts.timeoutSeconds ?? 300;
    this.registered.add(urn);
    try {
      const proc = await this.providerOf(providerRef);
      const providerUrn = providerRef.slice(0, providerRef.lastIndexOf("::"));
      const old = this.engine.state.get(urn);
      const check = await proc.call<providerPb.CheckRequest, providerPb.CheckResponse>(
        "check",
        new providerPb.CheckRequest().setUrn(urn).setName(name).setType(type).setOlds(old?.inputs ?? new structPb.Struct()).setNews(news).setRandomseed(randomBytes(32)),
      );
      const bad = check.getFailuresList();
      if (bad.length) throw new Error(`Check: ${bad.map((f) => `${f.getProperty()}: ${f.getReason()}`).join("; ")}`);
      const inputs = check.getInputs() ?? new structPb.Struct();
      const create = async (): Promise<StateEntry> => {
        const r = await proc.call<providerPb.CreateRequest, providerPb.CreateResponse>(
          "create",
          new providerPb.CreateRequest().setUrn(urn).setName(name).setType(type).setProperties(inputs).setTimeout(timeout).setPreview(false),
        );
        return { urn, type, id: r.getId(), inputs, outputs: r.getProperties() ?? new structPb.Struct(), provider: providerUrn, order: this.engine.nextOrder() };
      };
      if (!old) {
        const entry = await create();
        this.engine.state.set(urn, entry);
        this.steps.push({ op: "create", urn, type, ms: Date.now() - t0 });
        return { id: entry.id, outputs: entry.outputs };
      }
      const d = await proc.call<providerPb.DiffRequest, providerPb.DiffResponse>(
        "diff",
        new providerPb.DiffRequest().setId(old.id).setUrn(urn).setName(name).setType(type).setOlds(old.outputs).setNews(inputs).setOldInputs(old.inputs),
      );
      const diffs = d.getDiffsList();
      if (d.getChanges() !== providerPb.DiffResponse.DiffChanges.DIFF_SOME) {
        this.steps.push({ op: "same", urn, type, diffs, ms: Date.now() - t0 });
        return { id: old.id, outputs: old.outputs };
      }
      if (d.getReplacesList().length === 0) {
        const r = await proc.call<providerPb.UpdateRequest, providerPb.UpdateResponse>(
          "update",
          new providerPb.UpdateRequest().setId(old.id).setUrn(urn).setName(name).setType(type).setOlds(old.outputs).setNews(inputs).setOldInputs(old.inputs).setTimeout(timeout).setPreview(false),
        );
        const entry = { ...old, inputs, outputs: r.getProperties() ?? new structPb.Struct() };
        this.engine.state.set(urn, entry);
        this.steps.push({ op: "update", urn, type, diffs, ms: Date.now() - t0 });
        return { id: entry.id, outputs: entry.outputs };
      }
      // replacement: delete first when the provider asks for it, else create the new one first
      const del = () => proc.call("delete", new providerPb.DeleteRequest().setId(old.id).setUrn(urn).setName(name).setType(type).setProperties(old.outputs).setOldInputs(old.inputs).setTimeout(timeout));
      let entry: StateEntry;
      if (d.getDeletebeforereplace()) {
        await del();
        entry = await create();
      } else {
        entry = await create();
        await del();
      }
      this.engine.state.set(urn, entry);
      this.steps.push({ op: "replace", urn, type, diffs: d.getReplacesList(), ms: Date.now() - t0 });
      return { id: entry.id, outputs: entry.outputs };
    } catch (e) {
      this.failures.push({ urn, type, message: errorText(e) });
      throw e;
    }
  }

  /** Delete what the state holds and this run did not declare, newest first. */
  async deleteUndeclared(): Promise<void> {
    const gone = [...this.engine.state.values()].filter((s) => !this.registered.has(s.urn)).sort((a, b) => b.order - a.order);
    for (const s of gone) {
      const t0 = Date.now();
      const name = s.urn.split("::").pop()!;
      try {
        const saved = this.engine.providerState.get(s.provider);
        const proc = await this.providerOf(`${s.provider}::${saved?.id ?? ""}`);
        await proc.call("delete", new providerPb.DeleteRequest().setId(s.id).setUrn(s.urn).setName(name).setType(s.type).setProperties(s.outputs).setOldInputs(s.inputs).setTimeout(this.opts.timeoutSeconds ?? 300));
        this.engine.state.delete(s.urn);
        this.steps.push({ op: "delete", urn: s.urn, type: s.type, ms: Date.now() - t0 });
      } catch (e) {
        this.failures.push({ urn: s.urn, type: s.type, message: errorText(e) });
      }
    }
    const used = new Set([...this.engine.state.values()].map((s) => s.provider));
    for (const urn of [...this.engine.providerState.keys()]) if (!used.has(urn) && !this.providers.has(urn)) this.engine.providerState.delete(urn);
    if (this.registered.size === 0) for (const urn of [...this.engine.providerState.keys()]) if (!used.has(urn)) this.engine.providerState.delete(urn);
  }

  /** Stop this run's plugin processes. */
  async stopProviders(): Promise<void> {
    for (const p of this.providers.values()) {
      const got = await p.catch(() => undefined);
      await got?.proc.stop();
    }
  }

  /** Record a resource the engine does not send to the provider. */
  skip(urn: string, type: string, reason: string): void {
    this.registered.add(urn);
    this.skipped.push({ urn, type, reason });
  }
}

/**
 * The resource monitor the SDK talks to (in place of the mocks' one): same interface as
 * @pulumi/pulumi's MockMonitor, requests handled by the run.
 */
class LabMonitor {
  private readonly resources = new Map<string, { urn: string; id: string | null; state: unknown }>();

  constructor(
    private readonly run: Run,
    private readonly project: string,
    private readonly stack: string,
  ) {}

  private newUrn(parent: string, type: string, name: string): string {
    if (parent) type = `${parent.split("::")[2].split("$").pop()}$${type}`;
    return `urn:pulumi:${this.stack}::${this.project}::${type}::${name}`;
  }

  registerResource(req: resourcePb.RegisterResourceRequest, callback: Callback<resourcePb.RegisterResourceResponse>): void {
    const type = req.getType();
    const name = req.getName();
    const urn = this.newUrn(req.getParent(), type, name);
    const props = req.getObject() ?? new structPb.Struct();
    void this.run
      .track(async (): Promise<{ id: string; outputs: structPb.Struct }> => {
        if (type.startsWith("pulumi:providers:")) {
          if (type !== "pulumi:providers:kubernetes") throw new Error(`${type}: only the kubernetes provider is run by this engine`);
          this.run.registered.add(urn);
          const p = await this.run.registerProvider(urn, type, name, props);
          return { id: p.id, outputs: p.inputs };
        }
        if (req.getCustom()) {
          if (!type.startsWith("kubernetes:")) throw new Error(`${type}: only kubernetes:* resources are run by this engine`);
          return this.run.registerCustom(urn, type, name, req.getProvider(), props);
        }
        if (req.getRemote()) this.run.skip(urn, type, "remote component: its Construct registers children through the engine's resource monitor, which this engine does not serve");
        return { id: "", outputs: new structPb.Struct() };
      })
      .then(
        ({ id, outputs }) => {
          this.resources.set(urn, { urn, id, state: outputs.toJavaScript() });
          const res = new resourcePb.RegisterResourceResponse();
          res.setUrn(urn);
          res.setId(id);
          res.setObject(outputs);
          callback(null, res);
        },
        (e: unknown) => callback(new Error(`${urn}: ${errorText(e)}`)),
      );
  }

  registerResourceOutputs(req: resourcePb.RegisterResourceOutputsRequest, callback: Callback<object>): void {
    const r = this.resources.get(req.getUrn());
    if (r) r.state = req.getOutputs()?.toJavaScript();
    callback(null, {});
  }

  readResource(_req: unknown, callback: Callback<unknown>): void {
    callback(new Error("ReadResource (get/import) is not served by this engine"));
  }

  invoke(req: resourcePb.ResourceInvokeRequest, callback: Callback<unknown>): void {
    callback(new Error(`invoke ${req.getTok()} is not served by this engine`));
  }

  supportsFeature(req: resourcePb.SupportsFeatureRequest, callback: Callback<{ getHassupport: () => boolean }>): void {
    // as the mocks: everything but output values (inputs arrive as plain wire values)
    const id = req.getId();
    callback(null, { getHassupport: () => id !== "outputValues" && id !== "transforms" });
  }

  registerPackage(_req: unknown, callback: Callback<resourcePb.RegisterPackageResponse>): void {
    const res = new resourcePb.RegisterPackageResponse();
    res.setRef(randomUUID());
    callback(null, res);
  }
}
