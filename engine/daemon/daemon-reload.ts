// What SIGHUP changes (chapter 6, "Running the daemon as a service"). `systemctl reload
// dockling` sends SIGHUP; the daemon reads daemon.json again and applies what dockerd applies
// without a restart: the registries it trusts in plain HTTP, the Hub mirrors and the log level.
// The rest (data-root, default-address-pools, hosts, tls*) shaped stores and sockets that are
// already open, so a change there is reported and waits for the next start.
//
// This file only plans: the old and new file in, the new settings and the lines to log out. A
// file that cannot be read or checked throws, and the daemon keeps its old settings.
import { checkRegistrySettings, type RegistrySettings } from './registry-settings.js';
import { mergeDaemonConfig, mergeOne, type DaemonFileConfig, type LogLevel } from './daemon-config.js';

/** The flags the daemon started with: they still win, and still conflict with the file. */
export interface ReloadFlags {
  insecureRegistries: string[];
  registryMirrors: string[];
  logLevel?: LogLevel;
}

export interface ReloadPlan {
  registrySettings: RegistrySettings;
  logLevel: LogLevel;
  /** `insecure-registries: [a] -> [a b]`, one per setting that changed. */
  applied: string[];
  /** The file's keys that changed but only take effect at the next start. */
  atNextStart: string[];
}

/** Keys read only at start: their stores and sockets are open already. */
const START_ONLY = [
  ['data-root', 'dataRoot'], ['default-address-pools', 'addressPool'], ['hosts', 'hosts'], ['tls', 'tls'],
  ['tlsverify', 'tlsverify'], ['tlscacert', 'tlscacert'], ['tlscert', 'tlscert'], ['tlskey', 'tlskey'],
] as const;

// #region plan-reload
export function planReload(a: {
  path: string;
  flags: ReloadFlags;
  before: { file: DaemonFileConfig; registrySettings: RegistrySettings; logLevel: LogLevel };
  file: DaemonFileConfig;
}): ReloadPlan {
  const merged = mergeDaemonConfig({ insecureRegistries: a.flags.insecureRegistries, registryMirrors: a.flags.registryMirrors }, a.file, a.path);
  const registrySettings = checkRegistrySettings({ insecureRegistries: merged.insecureRegistries, mirrors: merged.registryMirrors });
  const logLevel = mergeOne({ key: 'log-level', flag: a.flags.logLevel, file: a.file.logLevel, path: a.path }) ?? 'info';
  const show = (list: string[]) => `[${list.join(' ')}]`;
  const applied: string[] = [];
  const old = a.before.registrySettings;
  if (show(old.insecureRegistries) !== show(registrySettings.insecureRegistries)) {
    applied.push(`insecure-registries: ${show(old.insecureRegistries)} -> ${show(registrySettings.insecureRegistries)}`);
  }
  if (show(old.mirrors) !== show(registrySettings.mirrors)) applied.push(`registry-mirrors: ${show(old.mirrors)} -> ${show(registrySettings.mirrors)}`);
  if (a.before.logLevel !== logLevel) applied.push(`log-level: ${a.before.logLevel} -> ${logLevel}`);
  const atNextStart = START_ONLY.filter(([, name]) => JSON.stringify(a.before.file[name]) !== JSON.stringify(a.file[name])).map(([key]) => key);
  return { registrySettings, logLevel, applied, atNextStart };
}
// #endregion plan-reload
