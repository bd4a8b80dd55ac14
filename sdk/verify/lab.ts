/** The inventory of a lab started with `ssh` (`labUp(plan, { ssh })`): verify its devices as real ones. */
import { LabState } from "../lab/state";
import { Inventory, VerifyHost } from "./inventory";

/** Every device of the lab: management address, port, user, pinned host key and the run dir's paths. */
export function labInventory(state: LabState, identityFile?: string): Inventory {
  const hosts: Record<string, VerifyHost> = {};
  for (const dev of Object.values(state.devices)) {
    if (!dev.ssh) throw new Error(`lab device ${dev.name} has no sshd (start the lab with ssh: { authorizedKey })`);
    hosts[dev.name] = {
      host: dev.ssh.host,
      port: dev.ssh.port,
      user: dev.ssh.user,
      hostKey: dev.ssh.hostPublicKey,
      ...(dev.frr ? { frrPaths: { configFile: dev.frr.conf, vtySocketDir: dev.frr.vtySocketDir } } : {}),
      ...(dev.bird ? { birdPaths: { configFile: dev.bird.conf, controlSocket: dev.bird.socket, secretsDir: dev.bird.secretsDir } } : {}),
    };
  }
  return { ...(identityFile ? { ssh: { identityFile } } : {}), hosts };
}
