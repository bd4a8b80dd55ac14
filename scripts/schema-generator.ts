/** Builds the JSON Schema of `DataCenterSpec` from the TypeScript spec types (the single source of truth). */
import { createGenerator } from "ts-json-schema-generator";
import * as path from "path";

/** The repository root. */
export const ROOT = path.resolve(__dirname, "..");

/** The generated schema object, as written to schema/datacenter.schema.json. */
export function generateSpecSchema(): Record<string, unknown> {
  const schema = createGenerator({
    path: path.join(ROOT, "sdk/spec/types.ts"),
    tsconfig: path.join(ROOT, "tsconfig.json"),
    type: "DataCenterSpec",
    additionalProperties: false,
    skipTypeCheck: true,
  }).createSchema("DataCenterSpec") as Record<string, unknown>;
  schema.$id = "https://dcnet.dev/schema/datacenter.schema.json";
  return JSON.parse(JSON.stringify(schema));
}
