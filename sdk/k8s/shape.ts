/**
 * Shape of cluster-side inputs given in code (a component's `k8s` argument, `ClusterInputs`
 * passed to `renderClusterManifests`): they never went through the spec's JSON Schema, so they
 * are checked against its `ClusterK8sSpec` definition before any rule reads them.
 */
import Ajv, { ValidateFunction } from "ajv";
import schema from "../../schema/datacenter.schema.json";
import { SpecProblem, quote } from "../validate/errors";

let validator: ValidateFunction | undefined;

function compile(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    validator = ajv.compile({ $ref: "#/definitions/ClusterK8sSpec", definitions: (schema as { definitions: object }).definitions });
  }
  return validator;
}

/** Shape problems of one cluster's inputs, with paths below `base` (e.g. `clusters[0].k8s`). */
export function clusterInputShapeProblems(k8s: unknown, base: string): SpecProblem[] {
  const validate = compile();
  if (validate(k8s)) return [];
  return (validate.errors ?? []).map((e) => {
    const path =
      base +
      e.instancePath
        .split("/")
        .slice(1)
        .map((raw) => {
          const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
          return /^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$-]*$/.test(seg) ? `.${seg}` : `[${quote(seg)}]`;
        })
        .join("");
    const extra =
      e.keyword === "additionalProperties"
        ? ` (${quote((e.params as { additionalProperty: string }).additionalProperty)})`
        : e.keyword === "enum"
          ? ` (${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(", ")})`
          : "";
    return { path, rule: `schema-${e.keyword}`, message: `${e.message}${extra}` };
  });
}
