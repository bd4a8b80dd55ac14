/** Generates schema/datacenter.schema.json from the TypeScript spec types (the single source of truth). */
import { createGenerator } from "ts-json-schema-generator";
import { writeFileSync } from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "..");
const schema = createGenerator({
  path: path.join(root, "sdk/spec/types.ts"),
  tsconfig: path.join(root, "tsconfig.json"),
  type: "DataCenterSpec",
  additionalProperties: false,
  skipTypeCheck: true,
}).createSchema("DataCenterSpec");
schema.$id = "https://dcnet.dev/schema/datacenter.schema.json";
writeFileSync(path.join(root, "schema/datacenter.schema.json"), JSON.stringify(schema, null, 2) + "\n");
console.log("wrote schema/datacenter.schema.json");
