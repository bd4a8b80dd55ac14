/** The L4LB lab's parsers and config diff (no lab needed): the client's lines, Cilium 1.20.2's conntrack listing, cilium-config changes. */
import assert from "assert";
import { answersPerBackend, conntrackPorts, parseLbClient, revnatOf } from "../sdk/lab/cluster/lb";
import { configChanges } from "../sdk/lab/cluster/reconfigure";

// lines of `cilium-dbg bpf ct list global` (Cilium 1.20.2) on an announcer, as the lab printed them
const CT = [
  "TCP SVC 198.18.11.50:20004 -> 198.18.200.0:80 expires=12116 Packets=0 Bytes=0 RxFlagsSeen=0x00 LastRxReport=0 TxFlagsSeen=0x13 LastTxReport=12106 Flags=0x0013 [ RxClosing TxClosing SeenNonSyn ] RevNAT=6 SourceSecurityID=0 BackendID=3 NatPort=0 ",
  "TCP OUT 198.18.11.50:20015 -> 198.19.1.200:8080 expires=12116 Packets=0 Bytes=0 RxFlagsSeen=0x1b LastRxReport=12106 TxFlagsSeen=0x13 LastTxReport=12106 Flags=0x0033 [ RxClosing TxClosing SeenNonSyn NodePort ] RevNAT=6 SourceSecurityID=2 BackendID=0 NatPort=0 ",
  "TCP IN 198.18.11.50:20003 -> 198.19.0.237:8080 expires=12116 Packets=0 Bytes=0 RxFlagsSeen=0x13 LastRxReport=12106 TxFlagsSeen=0x1b LastTxReport=12106 Flags=0x0013 [ RxClosing TxClosing SeenNonSyn ] RevNAT=0 SourceSecurityID=2 BackendID=0 NatPort=0 ",
  "TCP SVC 198.18.11.50:20007 -> 198.18.200.0:80 expires=12116 Packets=0 Bytes=0 RxFlagsSeen=0x00 LastRxReport=0 TxFlagsSeen=0x13 LastTxReport=12106 Flags=0x0013 [ RxClosing TxClosing SeenNonSyn ] RevNAT=6 SourceSecurityID=0 BackendID=2 NatPort=0 ",
  "TCP SVC 198.18.11.50:20008 -> 198.18.200.1:80 expires=12116 Packets=0 Bytes=0 Flags=0x0013 RevNAT=7 BackendID=2 NatPort=0 ",
  "TCP SVC 198.18.11.5:20009 -> 198.18.200.0:80 expires=12116 Packets=0 Bytes=0 Flags=0x0013 RevNAT=6 BackendID=2 NatPort=0 ",
  "TCP SVC 198.18.11.50:20010 -> 198.18.200.0:8080 expires=12116 Packets=0 Bytes=0 Flags=0x0013 RevNAT=6 BackendID=2 NatPort=0 ",
].join("\n");

describe("lab L4LB (unit): client lines, conntrack service entries, config changes", function () {
  it("the client's lines: time, source port, answer or none", function () {
    const a = parseLbClient("1796175096063 20000 web1 198.18.11.50\n1796175097473 20001 -\nnoise\n1796175097504 20002 web2 198.18.10.11\n");
    assert.deepStrictEqual(a, [
      { t: 1796175096063, sourcePort: 20000, answer: "web1 198.18.11.50" },
      { t: 1796175097473, sourcePort: 20001 },
      { t: 1796175097504, sourcePort: 20002, answer: "web2 198.18.10.11" },
    ]);
    assert.deepStrictEqual(answersPerBackend(a), { web1: 1, web2: 1 });
  });

  it("conntrack: only the service entries client → VIP:port (not the backend legs, other VIPs, ports or clients)", function () {
    assert.deepStrictEqual(conntrackPorts(CT, "198.18.11.50", "198.18.200.0", 80), [20004, 20007]);
    assert.deepStrictEqual(conntrackPorts(CT, "198.18.11.5", "198.18.200.0", 80), [20009]);
    assert.deepStrictEqual(conntrackPorts(CT, "198.18.11.50", "198.18.200.1", 80), [20008]);
    assert.deepStrictEqual(conntrackPorts("", "198.18.11.50", "198.18.200.0", 80), []);
  });

  it("bpf lb list: the reverse-NAT id of a frontend by its protocol (a mixed-protocol Service has one per protocol under the same address:port)", function () {
    // from a lab run: the Service web with 80/TCP and 80/UDP, and a ClusterIP
    const list = [
      "SERVICE ADDRESS              BACKEND ADDRESS (REVNAT_ID) (SLOT)",
      "198.18.200.0:80/UDP (0)      0.0.0.0:0 (8) (0) [LoadBalancer]",
      "198.18.200.0:80/TCP (3)      198.19.16.28:8080/TCP (7) (3)",
      "198.18.200.0:80/TCP (0)      0.0.0.0:0 (7) (0) [LoadBalancer]",
      "198.18.239.163:80/TCP (0)    0.0.0.0:0 (9) (0) [ClusterIP, non-routable]",
      "198.18.200.0:800/TCP (0)     0.0.0.0:0 (11) (0) [LoadBalancer]",
    ].join("\n");
    assert.strictEqual(revnatOf(list, "198.18.200.0:80"), "7");
    assert.strictEqual(revnatOf(list, "198.18.200.0:80", "UDP"), "8");
    assert.strictEqual(revnatOf(list, "198.18.200.0:800"), "11");
    assert.strictEqual(revnatOf(list, "198.18.239.163:80"), "9");
    assert.strictEqual(revnatOf(list, "198.18.200.0:8"), undefined);
    assert.strictEqual(revnatOf(list, "198.18.239.163:80", "UDP"), undefined);
  });

  it("config changes: changed, added and removed keys, lab-only overrides left out", function () {
    const from = { "bpf-lb-mode": "snat", "bpf-lb-algorithm": "maglev", "bpf-lb-maglev-table-size": "16381", devices: "eth9", same: "x" };
    const to = { "bpf-lb-mode": "dsr", "bpf-lb-algorithm": "random", devices: "eth7", same: "x", added: "1" };
    assert.deepStrictEqual(configChanges(from, to), [
      { key: "added", to: "1" },
      { key: "bpf-lb-algorithm", from: "maglev", to: "random" },
      { key: "bpf-lb-maglev-table-size", from: "16381" },
      { key: "bpf-lb-mode", from: "snat", to: "dsr" },
    ]);
    assert.deepStrictEqual(configChanges(from, { ...from }), []);
  });
});
