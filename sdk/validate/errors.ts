/** One problem in a spec: where, which rule, what is wrong. */
export interface SpecProblem {
  /** Object path, e.g. `racks[2].nodes[5].podCIDR`. */
  path: string;
  /** Rule identifier, e.g. `overlap`, `asn-reserved`. */
  rule: string;
  /** Human message naming the offending values. */
  message: string;
}

/** Thrown by `resolve()` when the spec is invalid; carries every problem at once. */
export class SpecError extends Error {
  constructor(public readonly problems: SpecProblem[]) {
    super(formatProblems(problems));
    this.name = "SpecError";
  }
}

/** One line per problem: `path: message [rule]`. */
export function formatProblems(problems: SpecProblem[]): string {
  const lines = problems.map((p) => `  ${p.path}: ${p.message} [${p.rule}]`);
  return `spec is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Collects problems while rules run. */
export class ProblemList {
  /** Problems in the order they were found. */
  readonly items: SpecProblem[] = [];
  /** Record one problem. */
  add(path: string, rule: string, message: string): void {
    this.items.push({ path, rule, message });
  }
}
