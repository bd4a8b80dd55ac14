/** The shipped JSON Schema is generated from the TypeScript spec types and kept in sync. */
import { strict as assert } from "assert";
import { readFileSync } from "fs";
import * as path from "path";
import { createGenerator } from "ts-json-schema-generator";

describe("schema/datacenter.schema.json", () => {
  it("matches the schema generated from sdk/spec/types.ts (run `npm run schema` after changing the types)", function () {
    this.timeout(120000);
    const root = path.join(__dirname, "..");
    const generated = createGenerator({
      path: path.join(root, "sdk/spec/types.ts"),
      tsconfig: path.join(root, "tsconfig.json"),
      type: "DataCenterSpec",
      additionalProperties: false,
      skipTypeCheck: true,
    }).createSchema("DataCenterSpec");
    generated.$id = "https://dcnet.dev/schema/datacenter.schema.json";
    const shipped = JSON.parse(readFileSync(path.join(root, "schema/datacenter.schema.json"), "utf8"));
    assert.deepEqual(shipped, JSON.parse(JSON.stringify(generated)));
  });
});
