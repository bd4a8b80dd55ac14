/** The shipped JSON Schema is generated from the TypeScript spec types and kept in sync. */
import { strict as assert } from "assert";
import { readFileSync } from "fs";
import * as path from "path";
import { generateSpecSchema, ROOT } from "../scripts/schema-generator";

describe("schema/datacenter.schema.json", () => {
  it("matches the schema generated from sdk/spec/types.ts (run `npm run schema` after changing the types)", function () {
    this.timeout(120000);
    const shipped = JSON.parse(readFileSync(path.join(ROOT, "schema/datacenter.schema.json"), "utf8"));
    assert.deepEqual(shipped, generateSpecSchema());
  });
});
