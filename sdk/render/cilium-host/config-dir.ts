/**
 * A host-mode agent's `--config-dir`: one file per key of the chart's `cilium-config` (the layout of
 * the ConfigMap the DaemonSet mounts), each file holding the value exactly, in key order.
 */

/** One file of the config dir. */
export interface ConfigDirFile {
  /** The key: the file name (`[A-Za-z0-9._-]`, not starting with `.`). */
  name: string;
  /** The value, byte for byte as in the ConfigMap. */
  text: string;
}

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * The config dir of `config` (the chart's cilium-config data) with `overrides` on top (the lab's;
 * empty on real hosts), sorted by key. Throws on a key that cannot be a file name.
 */
export function configDirFiles(config: Record<string, string>, overrides: Record<string, string> = {}): ConfigDirFile[] {
  const merged: Record<string, string> = { ...config, ...overrides };
  const names = Object.keys(merged).sort();
  const bad = names.filter((k) => !KEY.test(k));
  if (bad.length) throw new Error(`cilium-config keys that cannot be file names of a config dir: ${bad.map((k) => JSON.stringify(k)).join(", ")}`);
  return names.map((name) => {
    const text = merged[name];
    if (typeof text !== "string") throw new Error(`cilium-config key ${JSON.stringify(name)} holds ${JSON.stringify(text)}, not a string`);
    return { name, text };
  });
}
