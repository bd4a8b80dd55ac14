/**
 * dcnet lab: bring a plan up on this machine with real BIRD and FRR in network namespaces,
 * check it against the plan, take it down. Plain Node (child_process), no Pulumi.
 *
 * ```ts
 * const state = await labUp(plan, { name: "my-lab" });              // planned configs, waits for sessions
 * const report = labCheck(plan, state);                              // report.ok, report.problems
 * await labDown(state);                                              // or labDown(runDir)
 * ```
 *
 * For an apply step over SSH (later issues): `labUp(plan, { name, configs: "baseline",
 * ssh: { authorizedKey } })` starts every daemon with a config that has no BGP session and an
 * sshd per device on a management bridge. `state.devices[d].ssh` gives host, port, user and the
 * pinned host key; the files to replace on each device are:
 *
 * - nodes: `state.devices[n].bird.conf` (BIRD config; secrets in `bird.secretsDir`), reload with
 *   `birdc -s <bird.socket> configure`;
 * - switches: `state.devices[s].frr.conf` (FRR running config file), apply with
 *   `vtysh --vty_socket <frr.vtySocketDir> --config_dir <frr.vtySocketDir> -f <frr.conf>` or
 *   `frr-reload.py --reload --vty_socket <dir> --confdir <dir> --rundir <dir> <frr.conf>` (dir =
 *   `frr.vtySocketDir`; run inside the namespace, as an ssh session is). vtysh takes no `-N` here:
 *   `--vty_socket` already names the daemons' socket folder.
 *
 * Every device also has `device.env` (path in `state.devices[d].envFile`; ssh sessions get it in
 * `DCNET_DEVICE_ENV`) with `DCNET_BIRD_CONF`, `DCNET_BIRD_SOCKET`, `DCNET_BIRDC`,
 * `DCNET_FRR_CONF`, `DCNET_FRR_VTY_SOCKET`, `DCNET_VTYSH`, ... ready to `source`.
 */
export { labUp, LabUpError, LabUpOptions, LabProgress, listNamespaces, checkPlanForLab, baselineBirdConfig, baselineFrrConfig, nodeLocalAddresses, DEFAULT_WAIT_MS, LAB_ALLOWED } from "./up";
export { labCheck, formatCheckReport, LabCheckReport, SwitchCheck, NodeCheck, RouteCheck, TopologyCheck } from "./check";
export { labDown, LabDownResult } from "./down";
export { LabState, LabDevice, LabProcess, LabConfigs, LabTimings, LabBirdInfo, LabFrrInfo, LabSshInfo, loadState, loadRunPlan, stateFile } from "./state";
export { labPrerequisites, requireTools, MissingPrerequisitesError, LabPrerequisites, LabTools } from "./prereq";
export { labPrefix, defaultRunDir, labRoot, LabNames } from "./names";
export { LabError } from "./exec";
export { DEFAULT_MGMT_PREFIX, mgmtCandidates, planPrefixes } from "./mgmt";
export { probeSessions, frrPeers, frrBgpTable, birdProtocols, kernelRoutes, vtysh, birdc, SessionProbe } from "./probe";
export { stopBird, startBirdAgain, replaceBirdConfig, setLink, cableOf, fibNextHops, timeUntil, reach, bgpFib, labDevice, birdPid } from "./ops";
