/**
 * dcnet verify: connect over ssh (pinned host keys, jump hosts) to the devices of a plan, run
 * read-only commands, and compare with the plan: the lab's checks (sessions with peer and ASN,
 * routes and FIB, nodes importing nothing, ECMP) and drift of the visible config.
 */
export { verify, formatVerifyReport, selectDevices, VerifyOptions, VerifyReport, DeviceVerify, DeviceStatus, ConfigDrift } from "./verify";
export { loadInventory, parseInventory, deviceConnections, Inventory, VerifyHost, VerifySshSettings, VerifyJumpHost, VerifyBirdPaths, VerifyFrrPaths, DeviceConnection } from "./inventory";
export { plannedVisibleConfig, redactFrr, unifiedDiff } from "./drift";
export { labInventory } from "./lab";
export { isReadOnly, batchScript, parseBatch } from "./ssh";
