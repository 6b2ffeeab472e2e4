// The daemon's configuration file (chapter 6), dockerd's `daemon.json` in Dockling's place:
//
//   /etc/dockling/daemon.json
//   {"insecure-registries": ["workshop:5000", "10.0.0.0/8"],
//    "registry-mirrors":    ["https://mirror.workshop.example"]}
//
// Keys are the flags' names in the plural, as in dockerd. Only the registry settings are read
// from the file so far; any other key is refused by name rather than silently ignored, and so is
// a setting given both as a flag and in the file (dockerd's rules, and for the same reason: a
// daemon that quietly picks one of two answers is hard to debug).
import { readFile } from 'node:fs/promises';
import { invalid } from '../base/index.js';

/** The settings the file may hold. */
export interface DaemonFileConfig {
  insecureRegistries?: string[];
  registryMirrors?: string[];
}

const KEYS: Record<string, keyof DaemonFileConfig> = {
  'insecure-registries': 'insecureRegistries',
  'registry-mirrors': 'registryMirrors',
};

// #region read-config
/** The file's settings; a missing file is no settings unless `required` (a path the user named). */
export async function readDaemonConfig(path: string, opts: { required: boolean }): Promise<DaemonFileConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !opts.required) return {};
    throw invalid('DAEMON_CONFIG_UNREADABLE', `unable to read the configuration file ${path}: ${(err as Error).message}`, { path }, err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalid('DAEMON_CONFIG_INVALID', `${path} is not valid JSON: ${(err as Error).message}`, { path }, err);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('DAEMON_CONFIG_INVALID', `${path} must hold a JSON object`, { path });
  const unknown = Object.keys(doc).filter((k) => !(k in KEYS));
  if (unknown.length) {
    throw invalid('DAEMON_CONFIG_INVALID', `the following directives don't match any configuration option: ${unknown.join(', ')} (in ${path}; known: ${Object.keys(KEYS).join(', ')})`, { path, keys: unknown });
  }
  const config: DaemonFileConfig = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw invalid('DAEMON_CONFIG_INVALID', `${path}: "${key}" must be a list of strings`, { path, key });
    }
    config[KEYS[key]!] = value as string[];
  }
  return config;
}
// #endregion read-config

/** Flags and file together; the same setting in both is an error naming both values. */
export function mergeDaemonConfig(flags: Required<DaemonFileConfig>, file: DaemonFileConfig, path: string): Required<DaemonFileConfig> {
  const merged = { ...flags };
  for (const [key, name] of Object.entries(KEYS)) {
    const fromFile = file[name];
    if (fromFile === undefined) continue;
    if (flags[name].length > 0) {
      throw invalid('DAEMON_CONFIG_CONFLICT', `the following directives are specified both as a flag and in the configuration file ${path}: ${key}: (from flag: [${flags[name].join(' ')}], from file: [${fromFile.join(' ')}])`, { path, key });
    }
    merged[name] = fromFile;
  }
  return merged;
}
