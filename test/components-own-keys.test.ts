/**
 * User-keyed maps of the components are read by own key only (hardening, issue 10 "go further"):
 * a device named "constructor" (a valid name) finds no inherited value in `hosts`, `rackSsh` or
 * `extraConfig` (it found Object, and `extraConfig` then crashed with a TypeError), and an own
 * `__proto__` key in SSH settings (as JSON.parse or YAML produce it) stays a plain field instead of
 * replacing the merged object's prototype.
 */
import { strict as assert } from "assert";
import * as path from "path";
import type * as PulumiT from "@pulumi/pulumi";
import type * as ComponentsT from "../components";
import { loadSpecFile } from "../sdk/spec/load";
import { DataCenterSpec } from "../sdk/spec/types";
import { mergeSsh } from "../components/device-command";

const SPEC = path.resolve(__dirname, "..", "examples/three-tier/datacenter.yaml");

describe("components: user-keyed maps are read by own key only (Pulumi mocks)", function () {
  this.timeout(120000);
  let pulumi: typeof PulumiT;
  let c: typeof ComponentsT;

  before(async () => {
    pulumi = require("@pulumi/pulumi");
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "dcnet-own-keys", "test", false);
    c = require("../components");
  });

  /** The three-tier example with node r1n1 renamed `constructor` (a valid device name). */
  function specWithConstructorNode(): DataCenterSpec {
    const spec = loadSpecFile(SPEC);
    spec.racks[0].nodes[0].name = "constructor";
    for (const cl of spec.clusters ?? []) cl.nodes = cl.nodes.map((n) => (n === "r1n1" ? "constructor" : n));
    delete spec.clusters;
    return spec;
  }

  it("a device named constructor with no extraConfig entry gets no inherited text (was a TypeError)", () => {
    const spec = specWithConstructorNode();
    assert.doesNotThrow(() => new c.DataCenter("own", { spec, passwords: { "bgp-nodes": "pw-own-keys" }, mode: c.DeliveryMode.localFolder, extraConfig: { r1n2: "# extra for r1n2" } }));
  });

  it("mergeSsh keeps an own __proto__ key a plain field (no prototype change)", () => {
    const layer = JSON.parse('{"user":"ops","__proto__":{"polluted":true}}');
    const merged = mergeSsh(layer, { port: 2222 }) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
    assert.equal((merged as { polluted?: unknown }).polluted, undefined);
    assert.equal(merged.user, "ops");
    assert.equal(merged.port, 2222);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });
});
