/**
 * Several data centers, one Pulumi stack each: a `DataCenter` publishes its allocations (pools, ASNs,
 * clusters: `DataCenter.allocations`, export it as the stack output `allocations`) and takes the other
 * stacks' (`peers`, from `new pulumi.StackReference(...).getOutput("allocations")`). The checks are
 * `sdk/fleet/allocations.ts` (the same as `dcnet validate --fleet`); this file only turns their
 * result into a gate: an Output that resolves when nothing collides and fails with a RunError
 * listing every conflict (path, rule, value) otherwise. Every device command depends on the gate,
 * so an overlap is refused at preview and no device resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { Plan } from "../sdk/plan/types";
import { AllocationProblem, allocationConflicts, allocationsShapeProblems, publishedAllocations, PublishedAllocations } from "../sdk/fleet/allocations";

export type { PublishedAllocations, PublishedAsn, PublishedCluster, PublishedPool } from "../sdk/fleet/allocations";

/** The message of the RunError: one line per conflict, `path [rule] value: message`. */
export function formatAllocationProblems(component: string, problems: AllocationProblem[]): string {
  return (
    `${component}: the allocations of its peers collide with this data center's (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
    problems.map((p) => `  ${p.path} [${p.rule}] ${p.value}: ${p.message}`).join("\n")
  );
}

/** The check of a DataCenter's peers as a resource (no state, no children): what device commands wait for. */
export class PeerCheck extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("dcnet:index:PeerCheck", name, {}, opts);
    this.registerOutputs({});
  }
}

/** The gate of a DataCenter with peers. */
export interface PeerGate {
  /** This data center's allocations, once no peer collides with them. */
  allocations: pulumi.Output<PublishedAllocations>;
  /** Put it in every device command's `dependsOn`: resolves to the `PeerCheck` when the check passed, rejects (RunError) when not. */
  dependency: pulumi.Output<pulumi.Resource>;
}

/**
 * The gate of a DataCenter with `peers` (`meshed`: false leaves cluster names and ids out of the
 * check); undefined without peers. The `PeerCheck` resource `<component>-peers` is its child.
 */
export function peerAllocationsGate(name: string, parent: pulumi.Resource, plan: Plan, peers: pulumi.Input<PublishedAllocations>[] | undefined, meshed = true): PeerGate | undefined {
  if (!peers || peers.length === 0) return undefined;
  const component = `DataCenter ${name}`;
  const own = publishedAllocations(plan);
  const check = new PeerCheck(`${name}-peers`, { parent });
  const allocations = pulumi.all(peers.map((p) => pulumi.output(p))).apply((list) => {
    const unwrapped = list as unknown[];
    const shape = unwrapped.flatMap((p, i) => allocationsShapeProblems(p, `peers[${i}]`));
    if (shape.length) throw new pulumi.RunError(formatAllocationProblems(component, shape));
    const all = [own, ...(unwrapped as PublishedAllocations[])];
    const problems = allocationConflicts(all, meshed ? {} : { meshed: [own.dataCenter] }).filter((p) => p.dataCenters.includes(own.dataCenter));
    if (problems.length) throw new pulumi.RunError(formatAllocationProblems(component, problems));
    return own;
  });
  return { allocations, dependency: allocations.apply(() => check as pulumi.Resource) };
}
