/**
 * The lab's cluster side: for every cluster of the plan with cluster-side inputs (`clusters[].k8s`)
 * an etcd + kube-apiserver (127.0.0.1 / Unix sockets only), the Cilium operator, Node objects for
 * its lab nodes with dcnet's NodePatches, dcnet's rendered objects (server-side apply), and one
 * cilium-agent per lab node inside the node's namespace, configured from `helm template` of the
 * real chart with dcnet's values plus the lab-only overrides of `./config`.
 *
 * Hooks used by `labUp`: `clusterSpeakers()` (which nodes get an agent and who speaks BGP there:
 * a real agent owns `cilium_host`, so the lab makes no stand-in on those nodes, and nodes of a
 * `bgpSpeaker: cilium` cluster run no BIRD), then `clusterUp()` after the switches (and BIRD)
 * started. `labDown` stops the recorded processes and calls `clusterDown()` for the cgroups.
 */
import { existsSync, rmdirSync, writeFileSync } from "fs";
import { join } from "path";
import { Plan } from "../../plan/types";
import { BgpSpeaker } from "../../spec/cluster-types";
import { ciliumOptions, ciliumValues, clusterContext, ClusterInputs, clusterInput } from "../../k8s";
import { clusterTools, ClusterTools } from "../../tools/cluster-tools";
import { findExecutable, LabError } from "../exec";
import { LabState, makeDir, saveState } from "../state";
import { startControlPlane, writeKubeconfig } from "./apiserver";
import { helmTemplate, LAB_AGENT_OVERRIDES, LAB_HOST_AGENT_OVERRIDES, LAB_OPERATOR_OVERRIDES, resolveOverrides, writeConfigDir } from "./config";
import { labHostPaths, startAgentFromUnit, writeHostAgentFiles, writeRestartHook } from "./host-agent";
import { isHostMode, renderHostAgent } from "../../render/cilium-host";
import { bgpSecrets, ciliumNodeSeeds, dcnetObjects, DCNET_FIELD_MANAGER, LAB_FIELD_MANAGER, nodeSkeletons, objectRef, patchNodeStatus, serverSideApply } from "./objects";
import { startOperator, waitCrds } from "./operator";
import { startAgent, startNodeRelay, waitAgent, waitNodeRelay } from "./agent";
import { LabClusterNode, LabClusterState } from "./types";

export * from "./types";
export { LAB_AGENT_OVERRIDES, LAB_HOST_AGENT_ENV_OVERRIDES, LAB_HOST_AGENT_OVERRIDES, LAB_OPERATOR_OVERRIDES } from "./config";
export { labHostPaths, startAgentFromUnit } from "./host-agent";
export { kubectl, startControlPlane, KUBE_VERSION } from "./apiserver";
export { agentHealth, agentApi, agentPid, stopAgent, rssKb } from "./agent";
export { checkClusters, clusterProbeSessions, planForCheck, allocatedLoadBalancerIps, ClusterCheck, ClusterNodeCheck } from "./check";

/** Options of the cluster side of `labUp`. */
export interface LabClusterOptions {
  /** Cluster-side inputs by cluster (`clusterInputsFromSpec(spec)`); clusters without are not brought up. */
  inputs: ClusterInputs;
  /** Tool paths (default `clusterTools()`). */
  tools?: ClusterTools;
  /** Progress lines. */
  onProgress?: (message: string) => void;
}

/** Nodes that get an agent, with their BGP speaker. */
export function clusterSpeakers(plan: Plan, inputs: ClusterInputs | undefined): Map<string, "bird" | "cilium"> {
  const out = new Map<string, "bird" | "cilium">();
  if (!inputs) return out;
  for (const c of plan.clusters) {
    const k8s = clusterInput(inputs, c.name);
    if (!k8s) continue;
    const speaker = ciliumOptions(k8s).bgpSpeaker === BgpSpeaker.cilium ? "cilium" : "bird";
    for (const n of c.nodes) out.set(n, speaker);
  }
  return out;
}

/** Tools the cluster side needs that are missing (human lines, empty when complete). */
export function clusterToolsMissing(tools: ClusterTools = clusterTools()): string[] {
  const need: [keyof ClusterTools, string][] = [
    ["kubeApiserver", "kube-apiserver (scripts/build-cluster-tools.sh)"],
    ["kubectl", "kubectl (scripts/build-cluster-tools.sh)"],
    ["helm", "helm (scripts/build-cluster-tools.sh)"],
    ["ciliumAgent", "cilium-agent (scripts/build-cluster-tools.sh)"],
    ["ciliumOperator", "cilium-operator-generic (scripts/build-cluster-tools.sh)"],
    ["etcd", "etcd (apt-get install etcd-server)"],
    ["clang", "clang ≥ 18 (apt-get install clang-19)"],
    ["socat", "socat (apt-get install socat)"],
    ["ciliumChart", "the Cilium module in the Go module cache (GOFLAGS=-mod=mod go mod download github.com/cilium/cilium@v1.20.2)"],
  ];
  const out = need.filter(([k]) => tools[k] === undefined).map(([, what]) => `${what}, looked in ${tools.toolsDir}`);
  if (!findExecutable(["curl"])) out.push("curl (apt-get install curl: the lab reads the agents' API sockets with it)");
  // kube-proxy replacement needs Cilium's iptables rules; they go into the node's namespace (netfilter is per namespace)
  if (!findExecutable(["iptables"])) out.push("iptables (apt-get install iptables: Cilium's kube-proxy replacement installs its rules, inside each node's namespace)");
  return out;
}

function req<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new LabError(`the cluster side needs ${what}`);
  return v;
}

/** Bring up the cluster side of every cluster with inputs. The state records everything first. */
export async function clusterUp(plan: Plan, state: LabState, opts: LabClusterOptions, started = Date.now()): Promise<LabClusterState> {
  const tools = opts.tools ?? clusterTools();
  const missing = clusterToolsMissing(tools);
  if (missing.length > 0) throw new LabError(`the cluster side cannot run here; missing:\n${missing.map((m) => `  - ${m}`).join("\n")}`);
  const say = (m: string) => opts.onProgress?.(m);
  const cs: LabClusterState = state.cluster ?? { clusters: {}, nodes: {}, cgroups: [], timings: {} };
  state.cluster = cs;
  saveState(state);
  const curl = findExecutable(["curl"])!;
  const kubectlBin = tools.kubectl!;
  const clusters = plan.clusters.filter((c) => clusterInput(opts.inputs, c.name));
  const speakers = clusterSpeakers(plan, opts.inputs);

  // control planes
  const takenCidrs: string[] = [];
  for (const c of clusters) {
    say(`cluster ${c.name}: etcd and kube-apiserver`);
    const opt = ciliumOptions(clusterInput(opts.inputs, c.name));
    const api = await startControlPlane(state, plan, c.name, { etcd: tools.etcd!, kubeApiserver: tools.kubeApiserver!, kubectl: kubectlBin, socat: tools.socat! }, {
      takenServiceCidrs: takenCidrs,
      onRecord: (a) => {
        cs.clusters[c.name] = {
          name: c.name,
          id: c.id,
          speaker: opt.bgpSpeaker === BgpSpeaker.cilium ? "cilium" : "bird",
          apiServer: a,
          operatorDir: join(a.dir, "operator"),
          ciliumVersion: tools.ciliumChart ? "1.20.2" : opt.chartVersion,
          nodes: [...c.nodes],
          applied: [],
          overrides: {},
        };
      },
    });
    takenCidrs.push(api.serviceCidr);
  }
  cs.timings.apiServersMs = Date.now() - started;
  saveState(state);

  // chart, nodes, operator, dcnet's objects
  const rendered = new Map<string, Record<string, string>>();
  for (const c of clusters) {
    const lc = cs.clusters[c.name];
    const api = lc.apiServer;
    const ctx = clusterContext(plan, opts.inputs, c.name);
    say(`cluster ${c.name}: helm template of the Cilium chart with dcnet's values`);
    const chart = helmTemplate(tools.helm!, req(tools.ciliumChart, "the Cilium chart"), ciliumValues(ctx), join(api.dir, "values-cilium.json"));
    // 0600: with `tls.auto.method: helm` the chart text holds the private keys helm issued
    writeFileSync(join(api.dir, "chart.yaml"), chart.text, { mode: 0o600 });
    rendered.set(c.name, chart.ciliumConfig);
    serverSideApply(api, kubectlBin, chart.objects, LAB_FIELD_MANAGER);
    lc.applied.push(...chart.objects.map(objectRef));

    const objs = dcnetObjects(ctx);
    serverSideApply(api, kubectlBin, nodeSkeletons(ctx), LAB_FIELD_MANAGER);
    serverSideApply(api, kubectlBin, objs.nodePatches, DCNET_FIELD_MANAGER);
    patchNodeStatus(api, kubectlBin, ctx);
    lc.applied.push(...objs.nodePatches.map(objectRef));

    makeDir(lc.operatorDir, 0o700);
    writeConfigDir(join(lc.operatorDir, "config"), { ...chart.ciliumConfig, ...resolveOverrides(LAB_OPERATOR_OVERRIDES, { device: "", stateDir: "", bpfRoot: "", cgroupRoot: "", relayPort: 0 }) });
    say(`cluster ${c.name}: cilium-operator (registers Cilium's CRDs)`);
    startOperator(state, c.name, api, lc.operatorDir, tools.ciliumOperator!);
  }
  for (const c of clusters) {
    const lc = cs.clusters[c.name];
    await waitCrds(state, c.name, lc.apiServer, lc.operatorDir, kubectlBin, lc.speaker === "cilium");
    const ctx = clusterContext(plan, opts.inputs, c.name);
    const objs = dcnetObjects(ctx);
    const secrets = lc.speaker === "cilium" ? bgpSecrets(ctx, state.passwords) : [];
    serverSideApply(lc.apiServer, kubectlBin, secrets, LAB_FIELD_MANAGER);
    serverSideApply(lc.apiServer, kubectlBin, ciliumNodeSeeds(ctx), LAB_FIELD_MANAGER);
    serverSideApply(lc.apiServer, kubectlBin, objs.apply, DCNET_FIELD_MANAGER);
    lc.applied.push(...secrets.map(objectRef), ...objs.apply.map(objectRef), ...objs.skipped.map((s) => `skipped: ${s}`));
    say(`cluster ${c.name}: applied ${objs.apply.length + objs.nodePatches.length} dcnet objects${secrets.length ? ` and ${secrets.length} BGP secrets` : ""}${objs.skipped.length ? `; skipped ${objs.skipped.length} Istio objects (no Istio CRDs)` : ""}`);
  }
  cs.timings.objectsMs = Date.now() - started;
  saveState(state);

  // agents
  const bpfDir = join(req(tools.ciliumModuleDir, "the Cilium module"), "bpf");
  for (const c of clusters) {
    const lc = cs.clusters[c.name];
    const relayPort = clusterInput(opts.inputs, c.name)?.apiServer?.port ?? 6443;
    for (const name of c.nodes) {
      const dev = state.devices[name];
      if (!dev) throw new LabError(`cluster ${c.name}: node ${name} is not a device of the lab`);
      const dir = join(dev.dir, "cilium");
      const node: LabClusterNode = {
        name,
        cluster: c.name,
        speaker: speakers.get(name) ?? "bird",
        dir,
        apiSocket: join(dir, "agent.sock"),
        configDir: join(dir, "config"),
        cgroup: "",
        relayPort,
        log: join(dir, "agent.log"),
      };
      cs.nodes[name] = node;
      saveState(state);
      makeDir(dev.dir, 0o700);
      makeDir(dir, 0o700);
      const iface = plan.devices.find((d) => d.name === name)?.interfaces.find((i) => i.addresses.length > 0)?.name ?? "eth0";
      const ctx = clusterContext(plan, opts.inputs, c.name);
      const host = isHostMode(ctx);
      const paths = { device: iface, stateDir: join(dir, "state"), bpfRoot: join(dir, "bpffs"), cgroupRoot: join(dir, "cgroup"), relayPort, kubeconfig: join(dir, "kubeconfig"), apiSocket: node.apiSocket, libDir: join(dir, "lib") };
      const overrides = { ...resolveOverrides(LAB_AGENT_OVERRIDES, paths), ...(host ? resolveOverrides(LAB_HOST_AGENT_OVERRIDES, paths) : {}) };
      lc.overrides = overrides;
      if (host) {
        // host mode: the config dir and unit dcnet renders for a host, below the node's folder; the agent started from the unit
        const hostPaths = labHostPaths(node, tools);
        node.host = { paths: hostPaths };
        node.configDir = hostPaths.configDir;
        saveState(state);
        writeRestartHook(state, name, hostPaths.restartHook);
        writeHostAgentFiles(renderHostAgent(ctx, name, rendered.get(c.name)!, { paths: hostPaths, overrides }));
      } else writeConfigDir(node.configDir, { ...rendered.get(c.name)!, ...overrides });
      writeKubeconfig(lc.apiServer, join(dir, "kubeconfig"), `https://127.0.0.1:${relayPort}`);
      startNodeRelay(state, dev, node, lc.apiServer.relaySocket, tools as { socat: string });
      await waitNodeRelay(state, dev, node);
      if (host) startAgentFromUnit(state, name, node.host!.paths.unitFile, tools);
      else startAgent(state, dev, node, join(dir, "kubeconfig"), { ciliumAgent: tools.ciliumAgent!, socat: tools.socat!, clang: tools.clang!, bpfDir, curl }, cs.cgroups);
    }
  }
  saveState(state);
  say(`starting ${Object.keys(cs.nodes).length} cilium-agents (each compiles its datapath first)`);
  for (const node of Object.values(cs.nodes)) await waitAgent(state, node, curl);
  cs.timings.agentsMs = Date.now() - started;
  saveState(state);
  say(`every cilium-agent healthy after ${(cs.timings.agentsMs / 1000).toFixed(1)} s`);
  return cs;
}

/** Remove what the processes left: the agents' cgroups (their processes are gone by now). */
export function clusterDown(state: LabState): string[] {
  const warnings: string[] = [];
  for (const cg of state.cluster?.cgroups ?? []) {
    if (!/\/dcnet-[a-z0-9]+-[A-Za-z0-9._-]+$/.test(cg) || !cg.includes(`dcnet-${state.prefix}-`)) continue;
    if (!existsSync(cg)) continue;
    try {
      rmdirSync(cg);
    } catch (e) {
      warnings.push(`cgroup ${cg}: ${(e as Error).message}`);
    }
  }
  return warnings;
}

/** Start a node's agent again (after `stopAgent`), with its config as it is; waits until healthy. */
export async function startAgentAgain(state: LabState, node: string, tools: ClusterTools = clusterTools()): Promise<void> {
  const n = state.cluster?.nodes[node];
  const dev = state.devices[node];
  if (!n || !dev) throw new LabError(`${node} runs no Cilium agent in this lab`);
  const curl = req(findExecutable(["curl"]), "curl");
  const bpfDir = join(req(tools.ciliumModuleDir, "the Cilium module"), "bpf");
  if (n.host) startAgentFromUnit(state, node, n.host.paths.unitFile, tools);
  else startAgent(state, dev, n, join(n.dir, "kubeconfig"), { ciliumAgent: req(tools.ciliumAgent, "cilium-agent"), socat: req(tools.socat, "socat"), clang: req(tools.clang, "clang"), bpfDir, curl }, state.cluster!.cgroups);
  await waitAgent(state, n, curl);
}
