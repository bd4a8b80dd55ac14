/**
 * Device-side apply scripts (pure text, no Pulumi): BIRD on nodes, FRR on switches, their
 * secrets, delete scripts, and the rollout order. The Pulumi components in `components/` run
 * these through `@pulumi/command`; anything else (a CI job, Ansible, a human with ssh) can run
 * the same text: `ssh root@host "$script" < payload`.
 */
export * from "./paths";
export * from "./bird";
export * from "./frr";
export * from "./rollout";
export * from "./cilium-agent";
export { encodeSecretsPayload, SecretFile, sha256Hex, shq } from "./shell";
