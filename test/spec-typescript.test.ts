/** A spec written in TypeScript and the same spec in YAML resolve to byte-identical plans. */
import { strict as assert } from "assert";
import * as path from "path";
import { resolve } from "../sdk/resolve/resolve";
import { loadSpecFile } from "../sdk/spec/load";
import { validateShape } from "../sdk/validate/validate";
import { dataCenter } from "../examples/typescript-spec/datacenter";

describe("TypeScript and YAML specs share one shape", () => {
  it("the TypeScript spec passes the JSON Schema generated from the types", () => {
    assert.deepEqual(validateShape(dataCenter), []);
  });
  it("resolves to the same plan as examples/spine-leaf/datacenter.yaml", () => {
    const fromYaml = resolve(loadSpecFile(path.join(__dirname, "..", "examples", "spine-leaf", "datacenter.yaml")));
    assert.equal(JSON.stringify(resolve(dataCenter), null, 2), JSON.stringify(fromYaml, null, 2));
  });
});
