/**
 * The gRPC side of running the real Pulumi Kubernetes provider (`pulumi-resource-kubernetes`, built by
 * scripts/build-cluster-tools.sh) outside the Pulumi CLI, as the engine runs it: the plugin is started
 * with the address of an Engine service as its only argument (it sends its diagnostics there), prints
 * the port of its ResourceProvider service on stdout, and is then driven over gRPC. The stubs are the
 * ones @pulumi/pulumi ships (proto/*_grpc_pb.js, @grpc/grpc-js: a dependency of @pulumi/pulumi).
 *
 * Nothing here imitates the provider: every call goes to the plugin process. The Engine service is the
 * small part of the engine a provider calls back into (Log, root resource, version check).
 */
import { ChildProcess, spawn } from "child_process";
import { closeSync, openSync, readFileSync } from "fs";
import * as grpc from "@grpc/grpc-js";
import * as emptyPb from "google-protobuf/google/protobuf/empty_pb";
import * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";

/** One diagnostic the provider sent to the engine (`Engine.Log`). */
export interface EngineLogEntry {
  /** 0 debug, 1 info, 2 warning, 3 error (pulumirpc.LogSeverity). */
  severity: number;
  message: string;
  urn: string;
}

/** The Engine gRPC service on 127.0.0.1 (ephemeral port). */
export interface EngineServer {
  /** `127.0.0.1:<port>`, the provider's argument. */
  address: string;
  /** Every `Log` call received, in order. */
  logs: EngineLogEntry[];
  stop(): Promise<void>;
}

/** Start the Engine service the provider logs to. */
export async function startEngineServer(): Promise<EngineServer> {
  const logs: EngineLogEntry[] = [];
  const server = new grpc.Server();
  let root = "";
  const impl: grpc.UntypedServiceImplementation = {
    log: (call: grpc.ServerUnaryCall<enginePb.LogRequest, emptyPb.Empty>, cb: grpc.sendUnaryData<emptyPb.Empty>) => {
      const r = call.request;
      logs.push({ severity: r.getSeverity(), message: r.getMessage(), urn: r.getUrn() });
      cb(null, new emptyPb.Empty());
    },
    getRootResource: (_call: unknown, cb: grpc.sendUnaryData<enginePb.GetRootResourceResponse>) => cb(null, new enginePb.GetRootResourceResponse().setUrn(root)),
    setRootResource: (call: grpc.ServerUnaryCall<enginePb.SetRootResourceRequest, enginePb.SetRootResourceResponse>, cb: grpc.sendUnaryData<enginePb.SetRootResourceResponse>) => {
      root = call.request.getUrn();
      cb(null, new enginePb.SetRootResourceResponse());
    },
    requirePulumiVersion: (_call: unknown, cb: grpc.sendUnaryData<enginePb.RequirePulumiVersionResponse>) => cb(null, new enginePb.RequirePulumiVersionResponse()),
  };
  server.addService(engineGrpc.EngineService, impl);
  const port = await new Promise<number>((resolvePort, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolvePort(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    logs,
    stop: () => new Promise<void>((r) => server.tryShutdown(() => r())),
  };
}

/** A running provider plugin and its ResourceProvider client. */
export interface ProviderProcess {
  pid: number;
  /** `127.0.0.1:<port>` of its ResourceProvider service. */
  address: string;
  /** Its stderr (glog), for error reports. */
  logFile: string;
  /** A unary call of the ResourceProvider service (deadline `timeoutMs`, default 300 s). */
  call<Req, Res>(method: string, req: Req, timeoutMs?: number): Promise<Res>;
  /** Close the client, SIGTERM the plugin (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Options of `startProvider`. */
export interface ProviderStartOptions {
  /** Engine address given as the plugin's argument. */
  engineAddress: string;
  /** Folder for the plugin's stderr and its HOME (helm's config and cache paths). */
  runDir: string;
  /** Name of the log file in `runDir`. */
  logName: string;
  /** How long the plugin may take to print its port (default 60 s). */
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) if (c.exitCode === null) c.kill("SIGKILL");
});

/** Start `pulumi-resource-kubernetes <engine>` and connect to the port it prints. */
export async function startProvider(binary: string, opts: ProviderStartOptions): Promise<ProviderProcess> {
  const logFile = `${opts.runDir}/${opts.logName}`;
  const fd = openSync(logFile, "a");
  // a clean environment: no ambient KUBECONFIG, helm paths under the run folder
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: opts.runDir, XDG_CACHE_HOME: `${opts.runDir}/cache`, XDG_CONFIG_HOME: `${opts.runDir}/config`, XDG_DATA_HOME: `${opts.runDir}/data` };
  const child = spawn(binary, [opts.engineAddress], { stdio: ["ignore", "pipe", fd], env });
  closeSync(fd);
  live.add(child);
  child.once("exit", () => live.delete(child));
  const port = await new Promise<number>((resolvePort, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${binary} printed no port within ${(opts.timeoutMs ?? 60000) / 1000} s; stderr:\n${tail(logFile)}`)), opts.timeoutMs ?? 60000);
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    child.once("exit", (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${binary} exited (${code ?? sig}) before printing its port; stderr:\n${tail(logFile)}`));
    });
  });
  const address = `127.0.0.1:${port}`;
  const client = new providerGrpc.ResourceProviderClient(address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 256 * 1024 * 1024,
    "grpc.max_send_message_length": 256 * 1024 * 1024,
  });
  const stub = client as unknown as Record<string, (req: unknown, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void>;
  return {
    pid: child.pid!,
    address,
    logFile,
    call<Req, Res>(method: string, req: Req, timeoutMs = 300000): Promise<Res> {
      const fn = stub[method];
      if (typeof fn !== "function") return Promise.reject(new Error(`ResourceProvider has no method ${method}`));
      return new Promise<Res>((res, rej) => fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => (e ? rej(e) : res(r as Res))));
    },
    async stop(): Promise<void> {
      client.close();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 10000);
      await exited;
      clearTimeout(t);
    },
  };
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
