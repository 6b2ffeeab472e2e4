// The daemon's configuration file (chapter 6), dockerd's `daemon.json` in Dockling's place:
//
//   /etc/dockling/daemon.json
//   {"data-root":             "/var/lib/dockling",
//    "insecure-registries":   ["workshop:5000", "10.0.0.0/8"],
//    "registry-mirrors":      ["https://mirror.workshop.example"],
//    "default-address-pools": [{"base": "10.213.0.0/16", "size": 24}],
//    "log-level":             "info"}
//
// Keys are the flags' names (in the plural for lists), as in dockerd. The data root, the
// registry settings, the user networks' pool, the log level and where the daemon listens
// (`hosts`, `tls`, `tlsverify`, `tlscacert`, `tlscert`, `tlskey`) are read from the file; any
// other key is refused by name rather than silently ignored, and so is
// a setting given both as a flag and in the file (dockerd's rules, and for the same reason: a
// daemon that quietly picks one of two answers is hard to debug).
import { readFile } from 'node:fs/promises';
import { invalid } from '../base/index.js';

/** The registry settings the file may hold (lists). */
export interface RegistryFileConfig {
  insecureRegistries?: string[];
  registryMirrors?: string[];
}

/** Where and how the daemon listens: dockerd's keys, spelled as its flags (listen-plan.ts). */
export interface ListenFileConfig {
  hosts?: string[];
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/** dockerd's log levels, most talkative first (`--log-level`, `"log-level"`). */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What only the file's start-up read decides (dockerd does not reload them either). */
export interface HostFileConfig {
  dataRoot?: string;
  /** The base of `default-address-pools`' one pool: user networks get their /24s from it. */
  addressPool?: string;
  logLevel?: LogLevel;
}

/** The settings the file may hold. */
export type DaemonFileConfig = RegistryFileConfig & ListenFileConfig & HostFileConfig;

type ValueType = 'strings' | 'boolean' | 'string' | 'log-level' | 'pools';

/** Each key: the setting it fills and the JSON type its value must have. */
const KEYS: Record<string, { name: keyof DaemonFileConfig; type: ValueType }> = {
  'data-root': { name: 'dataRoot', type: 'string' },
  'log-level': { name: 'logLevel', type: 'log-level' },
  'default-address-pools': { name: 'addressPool', type: 'pools' },
  'insecure-registries': { name: 'insecureRegistries', type: 'strings' },
  'registry-mirrors': { name: 'registryMirrors', type: 'strings' },
  hosts: { name: 'hosts', type: 'strings' },
  tls: { name: 'tls', type: 'boolean' },
  tlsverify: { name: 'tlsverify', type: 'boolean' },
  tlscacert: { name: 'tlscacert', type: 'string' },
  tlscert: { name: 'tlscert', type: 'string' },
  tlskey: { name: 'tlskey', type: 'string' },
};

const TYPE_NAMES: Record<ValueType, string> = {
  strings: 'a list of strings', boolean: 'true or false', string: 'a string',
  'log-level': `one of ${LOG_LEVELS.join(', ')}`,
  // Dockling gives every user network a /24 from one pool; a list of several would be ignored.
  pools: 'a list of one pool, [{"base": "10.213.0.0/16", "size": 24}] (size 24 or left out)',
};

function hasType(value: unknown, type: ValueType): boolean {
  if (type === 'strings') return Array.isArray(value) && value.every((v) => typeof v === 'string');
  if (type === 'log-level') return (LOG_LEVELS as readonly unknown[]).includes(value);
  if (type === 'pools') return poolBase(value) !== null;
  return typeof value === type;
}

/** `[{"base": "10.10.0.0/16", "size": 24}]` → "10.10.0.0/16"; null when it is not that shape. */
function poolBase(value: unknown): string | null {
  if (!Array.isArray(value) || value.length !== 1) return null;
  const pool = value[0] as { base?: unknown; size?: unknown } | null;
  if (!pool || typeof pool !== 'object' || typeof pool.base !== 'string') return null;
  if (pool.size !== undefined && pool.size !== 24) return null;
  if (Object.keys(pool).some((k) => k !== 'base' && k !== 'size')) return null;
  return pool.base;
}

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
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const { name, type } = KEYS[key]!;
    if (!hasType(value, type)) throw invalid('DAEMON_CONFIG_INVALID', `${path}: "${key}" must be ${TYPE_NAMES[type]}`, { path, key });
    config[name] = type === 'pools' ? poolBase(value) : value;
  }
  return config as DaemonFileConfig;
}
// #endregion read-config

/** Registry flags and file together; the same setting in both is an error naming both values. */
export function mergeDaemonConfig(flags: Required<RegistryFileConfig>, file: RegistryFileConfig, path: string): Required<RegistryFileConfig> {
  const merged = { ...flags };
  for (const [key, name] of [['insecure-registries', 'insecureRegistries'], ['registry-mirrors', 'registryMirrors']] as const) {
    const fromFile = file[name];
    if (fromFile === undefined) continue;
    if (flags[name].length > 0) {
      throw invalid('DAEMON_CONFIG_CONFLICT', `the following directives are specified both as a flag and in the configuration file ${path}: ${key}: (from flag: [${flags[name].join(' ')}], from file: [${fromFile.join(' ')}])`, { path, key });
    }
    merged[name] = fromFile;
  }
  return merged;
}

/** -H and the --tls* flags with the file's `hosts` and tls* keys: each from one place only, as dockerd. */
export function mergeListenConfig(flags: ListenFileConfig, file: ListenFileConfig, path: string): ListenFileConfig {
  const merged: ListenFileConfig = { ...flags };
  for (const key of ['hosts', 'tls', 'tlsverify', 'tlscacert', 'tlscert', 'tlskey'] as const) {
    const fromFile = file[key];
    if (fromFile === undefined) continue;
    const fromFlag = flags[key];
    if (fromFlag !== undefined && !(Array.isArray(fromFlag) && fromFlag.length === 0)) {
      const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(' ')}]` : String(v));
      throw invalid('DAEMON_CONFIG_CONFLICT', `the following directives are specified both as a flag and in the configuration file ${path}: ${key}: (from flag: ${show(fromFlag)}, from file: ${show(fromFile)})`, { path, key });
    }
    (merged as Record<string, unknown>)[key] = fromFile;
  }
  return merged;
}

/**
 * One start-up setting from the flag or the file: both is an error (dockerd's rule), neither is
 * undefined (the daemon's default applies).
 */
export function mergeOne<T>(a: { key: string; flag: T | undefined; file: T | undefined; path: string }): T | undefined {
  if (a.flag !== undefined && a.file !== undefined) {
    throw invalid('DAEMON_CONFIG_CONFLICT', `the following directives are specified both as a flag and in the configuration file ${a.path}: ${a.key}: (from flag: ${String(a.flag)}, from file: ${String(a.file)})`, { path: a.path, key: a.key });
  }
  return a.flag ?? a.file;
}
