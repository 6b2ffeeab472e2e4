// How chapter 5's tests judge a build: Dockling's image against the reference builder's
// (buildah) for the same Dockerfile and context — the config fields the issue names and the
// merged filesystem, as readable lines, none when they agree.
//
// Compared: architecture, os, and config Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts,
// Volumes, Labels, StopSignal, Healthcheck, OnBuild, Shell; every path's type, mode (setuid,
// setgid, sticky included), owner, size, content hash and link target.
//
// Not compared, because the builders legitimately differ (all seen with buildah 1.28.2 here):
//   - times: every file's mtime, `created`, and the history. buildah's history text is not
//     Docker's (`#(nop) ENV` with one space where Docker writes two, LABEL quoted as written,
//     its own `file:` digests for COPY) and its empty_layer flags differ too (a RUN is always a
//     layer, a WORKDIR never is); the history is checked against Docker's rules elsewhere.
//   - empty values: buildah writes `"Entrypoint": []`, `"OnBuild": []`, `"Volumes": {}`,
//     `"User": ""` and, after ENTRYPOINT, `"Cmd": []`, where Docker writes null or nothing. An
//     empty list, object or string counts as absent (so `CMD []` is not told from no CMD).
//   - runtime mount points: a runtime bind-mounts /etc/hostname (and with a network /etc/hosts,
//     /etc/resolv.conf) and /run/.containerenv over files it creates empty in the container's
//     root; buildah commits them with each RUN (/etc/hostname as an empty 0755 file). Docker
//     keeps them in the container's init layer, outside the image. Empty regular files at those
//     paths are dropped from both listings.
//   - WORKDIR directories: Docker's classic builder makes the directory at the WORKDIR step, as
//     root; buildah makes it only when a later RUN or COPY needs it, owned by that step's user.
//     A directory on a WORKDIR path (or above it) is accepted when only ours has it, and its
//     owner is not compared when ours is root's.
import { posix } from 'node:path';
import type { ImageConfig } from '../../engine/layers/index.js';
import type { BuiltImage, FileRow } from './image-listing.js';

export const CONFIG_FIELDS = ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell'] as const;

/** Files a runtime mounts over during RUN; left behind empty, they are not a build's result. */
export const RUNTIME_MOUNT_POINTS = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/run/.containerenv'];

/** At most this many file differences are listed; the rest are counted. */
const MAX_FILE_LINES = 40;

/** Object keys sorted at every depth, so that JSON.stringify compares contents. */
function sorted(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sorted);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sorted(x)]));
}

/** A field's value, an empty list, object or string counting as absent (only at the top: `LABEL a=""` stays). */
function normal(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return undefined;
  if (Array.isArray(v) && v.length === 0) return undefined;
  if (typeof v === 'object' && Object.keys(v as object).length === 0) return undefined;
  return sorted(v);
}

const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

function compareConfigs(ours: ImageConfig, theirs: ImageConfig): string[] {
  const diffs: string[] = [];
  for (const key of ['architecture', 'os'] as const) {
    if (normal(ours[key]) !== normal(theirs[key])) diffs.push(`${key}: ours ${show(ours[key])}, buildah ${show(theirs[key])}`);
  }
  for (const field of CONFIG_FIELDS) {
    const [a, b] = [normal(ours.config?.[field]), normal(theirs.config?.[field])];
    if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`config.${field}: ours ${show(a)}, buildah ${show(b)}`);
  }
  return diffs;
}

/** Every directory a WORKDIR step named (relative ones resolved), and the directories above them. */
function workdirPaths(configs: ImageConfig[]): Set<string> {
  const paths = new Set<string>();
  const add = (dir: string) => {
    for (let d = posix.resolve('/', dir); d !== '/'; d = posix.dirname(d)) paths.add(d);
  };
  for (const config of configs) {
    let current = '/';
    for (const h of config.history ?? []) {
      const m = /#\(nop\)\s+WORKDIR\s+(.+?)\s*$/.exec(h.created_by ?? '');
      if (!m) continue;
      current = posix.resolve(current, m[1]!);
      add(current);
    }
    if (config.config?.WorkingDir) add(config.config.WorkingDir);
  }
  return paths;
}

const isLeftoverMountPoint = (r: FileRow) => r.type === 'file' && r.size === 0 && RUNTIME_MOUNT_POINTS.includes(r.path);

function describe(r: FileRow): string {
  const what = r.type === 'symlink' || r.type === 'hardlink' ? `${r.type} to ${r.target}` : r.type === 'file' ? `file, ${r.size} bytes` : r.type;
  return `${what}, mode ${r.mode.toString(8)}, ${r.uid}:${r.gid}`;
}

function compareFiles(ours: BuiltImage, theirs: BuiltImage): string[] {
  const index = (rows: FileRow[]) => new Map(rows.filter((r) => !isLeftoverMountPoint(r)).map((r) => [r.path, r]));
  const [a, b] = [index(ours.files), index(theirs.files)];
  const workdirs = workdirPaths([ours.config, theirs.config]);
  const diffs: string[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const o = a.get(path);
    const t = b.get(path);
    if (!t && o?.type === 'dir' && workdirs.has(path)) continue; // Docker makes WORKDIR directories at once
    if (!o) { diffs.push(`${path}: only in buildah's image (${describe(t!)})`); continue; }
    if (!t) { diffs.push(`${path}: only in ours (${describe(o)})`); continue; }
    for (const field of ['type', 'mode', 'uid', 'gid', 'size', 'sha256', 'target'] as const) {
      if (o[field] === t[field]) continue;
      const workdirOwner = (field === 'uid' || field === 'gid') && o.type === 'dir' && workdirs.has(path) && o.uid === 0 && o.gid === 0;
      if (workdirOwner) continue;
      const fmt = (v: FileRow[typeof field]) => (field === 'mode' && typeof v === 'number' ? v.toString(8) : show(v));
      diffs.push(`${path}: ${field} ours ${fmt(o[field])}, buildah ${fmt(t[field])}`);
    }
  }
  if (diffs.length <= MAX_FILE_LINES) return diffs;
  return [...diffs.slice(0, MAX_FILE_LINES), `… and ${diffs.length - MAX_FILE_LINES} more file differences`];
}

/** Human-readable differences between our build and buildah's of the same Dockerfile; [] when they agree. */
export function compareImages(ours: BuiltImage, theirs: BuiltImage): string[] {
  return [...compareConfigs(ours.config, theirs.config), ...compareFiles(ours, theirs)];
}
