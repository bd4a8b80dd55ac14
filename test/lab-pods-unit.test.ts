/**
 * The network config the lab's CNI ADD sends is the agent's own: Cilium 1.20.2's conflist template
 * for chaining mode `none` (daemon/cmd/cni/config.go of the module), rendered with the same values.
 * Skips with a message when the Cilium module is not in the Go module cache (fails under CI=true).
 */
import assert from "assert";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { ciliumCniNetconf, ciliumConflist, formatEndpoints, LabPod, socatTcpAddress } from "../sdk/lab/cluster/pods";
import { clusterTools } from "../sdk/tools/cluster-tools";
import { inCI } from "./support/lab-env";

describe("lab pods: cilium-cni network config", function () {
  it("the conflist is the agent's template for chaining mode none (Cilium 1.20.2), the plugin's config its only entry with cniVersion and name", function () {
    const dir = clusterTools().ciliumModuleDir;
    const file = dir ? join(dir, "daemon", "cmd", "cni", "config.go") : "";
    if (!dir || !existsSync(file)) {
      const msg = "the Cilium module is not in the Go module cache (GOFLAGS=-mod=mod go mod download github.com/cilium/cilium@v1.20.2)";
      if (inCI()) throw new Error(msg);
      console.warn(`      skipping: ${msg}`);
      this.skip();
    }
    const src = readFileSync(file, "utf8");
    const m = /"none": `([^`]*)`/.exec(src);
    assert.ok(m, "no template for chaining mode none in daemon/cmd/cni/config.go");
    const log = "/tmp/dcnet-lab/x/r1n1/cilium/cni/cilium-cni.log";
    const rendered = m[1].replace("{{.Debug | js }}", "false").replace("{{.LogFile | js }}", log);
    assert.deepStrictEqual(ciliumConflist(false, log), JSON.parse(rendered));
    const list = JSON.parse(rendered) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
    assert.deepStrictEqual(ciliumCniNetconf(false, log), { cniVersion: list.cniVersion, name: list.name, ...list.plugins[0] });
  });

  it("the endpoint listing shows both addresses of a dual-stack endpoint and names its pod by either; socat's client address brackets IPv6 literals", function () {
    const pod = { name: "web1", namespace: "default", ip: "198.19.0.7", ip6: "2001:db8:1000::9" } as LabPod;
    const lines = formatEndpoints(
      {
        r1n1: [
          { id: 1, state: "ready", identity: 4, labels: ["reserved:host"], ipv4: "198.19.0.1" },
          { id: 7, state: "ready", identity: 900, labels: ["k8s:app=web"], ipv4: "198.19.0.7", ipv6: "2001:db8:1000::9" },
          { id: 8, state: "ready", identity: 901, labels: ["k8s:app=web"], ipv6: "2001:db8:1000::9" },
        ],
      },
      [pod],
    );
    assert.deepStrictEqual(lines, ["r1n1: 2 pod endpoints", "  7  ready  identity 900  198.19.0.7  2001:db8:1000::9  default/web1", "  8  ready  identity 901  -  2001:db8:1000::9  default/web1"]);
    assert.strictEqual(socatTcpAddress("2001:db8:1000::9", 8080, 2), "TCP6:[2001:db8:1000::9]:8080,connect-timeout=2");
    assert.strictEqual(socatTcpAddress("198.19.0.7", 8080, 2), "TCP:198.19.0.7:8080,connect-timeout=2");
  });
});
