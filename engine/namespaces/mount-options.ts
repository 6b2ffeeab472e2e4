// Filesystem options (chapter 3): what `-v`, `--mount`, `--tmpfs` and an image's VOLUMEs ask
// for, read from a container's HostConfig and config into a list of MountRequests (plan), then
// each request as the OCI spec mount a runtime performs. Pure: nothing is created or checked on
// disk here — container-mounts.ts creates volumes and host directories, then calls specMount.
// Docker's rules (moby volume/mounts/linux_parser.go, daemon/oci_linux.go):
//   -v /host:/ctr[:ro]   bind; a missing /host is created (only -v: --mount type=bind refuses)
//   -v name:/ctr[:ro]    a named volume, created on first use; a source without `/` is a name
//   -v /ctr, VOLUME /ctr an anonymous volume, one per container and path
//   --tmpfs /run:size=64m  a tmpfs, noexec,nosuid,nodev unless the options say otherwise
import { posix } from 'node:path';
import { invalid } from '../base/index.js';
import type { SpecMount } from './types.js';
import { VOLUME_NAME, validateVolumeName } from './volumes.js';

/** One filesystem a container asked for, before anything exists on disk. */
export interface MountRequest {
  type: 'bind' | 'volume' | 'tmpfs';
  /** bind: an absolute host path; volume: the name, or '' for an anonymous one; tmpfs: ''. */
  source: string;
  /** An absolute, clean path inside the container. */
  destination: string;
  readOnly: boolean;
  /** bind from `-v`: make a missing host path (as a directory) instead of failing. */
  createHostPath: boolean;
  /** tmpfs: options such as size=64m,mode=1777. */
  options: string[];
}

/** The HostConfig fields read here (Docker's names). */
export interface FilesystemHostConfig {
  Binds?: string[] | null;
  Mounts?: Array<{ Type?: string; Source?: string; Target?: string; ReadOnly?: boolean }> | null;
  Tmpfs?: Record<string, string> | null;
  ReadonlyRootfs?: boolean;
}

// #region parse-bind
const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** A container path: absolute, cleaned, and not `/` itself. */
function destinationOf(path: string, spec: string): string {
  if (!path.startsWith('/')) throw invalid('CONTAINER_PATH_NOT_ABSOLUTE', `invalid volume specification: '${spec}': invalid mount path: '${path}' mount path must be absolute`, { spec, path });
  const clean = posix.normalize(path).replace(/(.)\/+$/, '$1');
  if (clean === '/') throw invalid('MOUNT_ON_ROOT', `invalid volume specification: '${spec}': invalid specification: destination can't be '/'`, { spec });
  return clean;
}

/** One `-v` / HostConfig.Binds entry: `SRC:DST[:MODE]` or just `DST` (an anonymous volume). */
export function parseBind(spec: string): MountRequest {
  const parts = spec.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw invalid('INVALID_VOLUME_SPEC', `invalid volume specification: '${spec}'`, { spec });
  if (parts.length === 1) return { type: 'volume', source: '', destination: destinationOf(parts[0]!, spec), readOnly: false, createHostPath: false, options: [] };
  const [source, target, mode = ''] = parts as [string, string, string?];
  const modes = mode ? mode.split(',') : [];
  const bad = modes.find((m) => !MODES.has(m));
  if (bad !== undefined) throw invalid('INVALID_MOUNT_MODE', `invalid mode: ${mode}`, { spec, mode });
  const readOnly = modes.includes('ro');
  const destination = destinationOf(target, spec);
  if (source.startsWith('/')) return { type: 'bind', source: posix.normalize(source), destination, readOnly, createHostPath: true, options: [] };
  // Not absolute: a volume name. `./data` or `data/x` was meant as a host path; Docker's hint says so.
  if (source.includes('/') || source.startsWith('.')) {
    throw invalid('RELATIVE_HOST_PATH', `invalid volume specification: '${spec}': "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`, { spec, source });
  }
  validateVolumeName(source);
  return { type: 'volume', source, destination, readOnly, createHostPath: false, options: [] };
}
// #endregion parse-bind

/** One `--mount` / HostConfig.Mounts entry: the long form, which never creates a bind source. */
export function parseMount(m: NonNullable<FilesystemHostConfig['Mounts']>[number]): MountRequest {
  const spec = `type=${m.Type ?? ''},source=${m.Source ?? ''},target=${m.Target ?? ''}`;
  if (!m.Target) throw invalid('MOUNT_TARGET_MISSING', `invalid mount config: Target must not be empty`, { spec });
  const destination = destinationOf(m.Target, spec);
  const readOnly = m.ReadOnly === true;
  const source = m.Source ?? '';
  switch (m.Type) {
    case 'bind':
      if (!source.startsWith('/')) throw invalid('RELATIVE_HOST_PATH', `invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`, { spec, source });
      return { type: 'bind', source: posix.normalize(source), destination, readOnly, createHostPath: false, options: [] };
    case 'volume':
      if (source !== '' && !VOLUME_NAME.test(source)) validateVolumeName(source);
      return { type: 'volume', source, destination, readOnly, createHostPath: false, options: [] };
    case 'tmpfs':
      if (source !== '') throw invalid('TMPFS_SOURCE', `invalid mount config for type "tmpfs": source must not be specified`, { spec });
      return { type: 'tmpfs', source: '', destination, readOnly, createHostPath: false, options: [] };
    default:
      throw invalid('MOUNT_TYPE_UNSUPPORTED', `invalid mount config: mount type unknown: "${m.Type ?? ''}"`, { spec, type: m.Type });
  }
}

// #region plan-mounts
/**
 * Everything a container asked for, in one list: Binds, Mounts, Tmpfs, then an anonymous
 * volume for each image VOLUME nothing else covers. Two requests for one path are an error
 * (Docker's "Duplicate mount point"). Sorted parents first, so /a is mounted before /a/b.
 */
export function planMounts(args: { hostConfig: FilesystemHostConfig; imageVolumes?: Record<string, object> | null }): MountRequest[] {
  const hc = args.hostConfig;
  const requests: MountRequest[] = [
    ...(hc.Binds ?? []).map(parseBind),
    ...(hc.Mounts ?? []).map(parseMount),
    ...Object.entries(hc.Tmpfs ?? {}).map(([dest, opts]): MountRequest => ({
      type: 'tmpfs', source: '', destination: destinationOf(dest, `${dest}:${opts}`), readOnly: false, createHostPath: false, options: opts ? opts.split(',') : [],
    })),
  ];
  const seen = new Set<string>();
  for (const r of requests) {
    if (seen.has(r.destination)) throw invalid('DUPLICATE_MOUNT_POINT', `Duplicate mount point: ${r.destination}`, { destination: r.destination });
    seen.add(r.destination);
  }
  for (const path of Object.keys(args.imageVolumes ?? {})) {
    const destination = destinationOf(path, path);
    if (seen.has(destination)) continue; // the user's -v for that path wins
    seen.add(destination);
    requests.push({ type: 'volume', source: '', destination, readOnly: false, createHostPath: false, options: [] });
  }
  const depth = (p: string) => p.split('/').length;
  return requests.map((r, i) => ({ r, i })).sort((a, b) => depth(a.r.destination) - depth(b.r.destination) || a.i - b.i).map(({ r }) => r);
}
// #endregion plan-mounts

// #region spec-mount
/** Docker's tmpfs defaults; a later option wins (`exec` undoes `noexec`). */
const TMPFS_DEFAULTS = ['noexec', 'nosuid', 'nodev'];
const OPPOSITES: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', ro: 'rw', rw: 'ro' };

/** Merges mount options left to right: a flag replaces its opposite, key=value its key. */
export function mergeOptions(options: string[]): string[] {
  const out: string[] = [];
  for (const o of options) {
    const key = o.includes('=') ? o.slice(0, o.indexOf('=') + 1) : undefined;
    const i = out.findIndex((x) => (key ? x.startsWith(key) : x === o || x === OPPOSITES[o]));
    if (i >= 0) out.splice(i, 1);
    out.push(o);
  }
  return out;
}

/**
 * A request as the spec mount a runtime performs. `source` is the host path the request
 * resolved to (a bind's own path, a volume's Mountpoint). Binds are `rbind` (submounts come
 * along) and `rprivate` (nothing propagates back to the host), plus `ro` when asked.
 */
export function specMount(request: MountRequest, source = request.source): SpecMount {
  if (request.type === 'tmpfs') {
    const options = mergeOptions([...TMPFS_DEFAULTS, ...(request.readOnly ? ['ro'] : []), ...request.options]);
    return { destination: request.destination, type: 'tmpfs', source: 'tmpfs', options };
  }
  return { destination: request.destination, type: 'bind', source, options: ['rbind', ...(request.readOnly ? ['ro'] : []), 'rprivate'] };
}
// #endregion spec-mount
