// Where snapshot records live (chapter 2, "union fs"). Both drivers keep the same bookkeeping:
// one JSON file, <root>/metadata.json, mapping each snapshot key to its record (kind, parent,
// short numeric id), plus the next free id. Every change is a read-modify-write under one mutex
// and lands with writeFileAtomic, so a crash leaves the old file or the new one, never half.
// The rules a snapshotter must keep are here too: keys are unique, a parent must be committed,
// a snapshot that is some other snapshot's parent cannot be removed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError, KeyedMutex, conflict, invalid, notFound, writeFileAtomic } from '../base/index.js';
import { mountsUsing } from './mount.js';
import type { SnapshotInfo, SnapshotKind } from './types.js';

interface MetaFile {
  nextId: number;
  snapshots: Record<string, SnapshotInfo>;
}

export class SnapshotMeta {
  private readonly file: string;
  private readonly mutex = new KeyedMutex();

  constructor(readonly root: string) {
    this.file = join(root, 'metadata.json');
  }

  private async load(): Promise<MetaFile> {
    const text = await readFile(this.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    return text === null ? { nextId: 1, snapshots: {} } : (JSON.parse(text) as MetaFile);
  }

  /** Runs `fn` on the records with the lock held; what it leaves in `meta` is written back. */
  private update<T>(fn: (meta: MetaFile) => T | Promise<T>): Promise<T> {
    return this.mutex.run('meta', async () => {
      const meta = await this.load();
      const result = await fn(meta);
      await writeFileAtomic(this.file, JSON.stringify(meta, null, 2) + '\n');
      return result;
    });
  }

  async get(key: string): Promise<SnapshotInfo> {
    const info = (await this.load()).snapshots[key];
    if (!info) throw notFound('SNAPSHOT_NOT_FOUND', `snapshot ${key} does not exist`, { key });
    return info;
  }

  async has(key: string): Promise<boolean> {
    return (await this.load()).snapshots[key] !== undefined;
  }

  async list(): Promise<SnapshotInfo[]> {
    return Object.values((await this.load()).snapshots).sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** The committed chain under `key` (itself first if committed), top first. */
  async chain(parent: string | undefined): Promise<SnapshotInfo[]> {
    const { snapshots } = await this.load();
    const out: SnapshotInfo[] = [];
    for (let k = parent; k !== undefined; k = snapshots[k]?.parent) {
      const info = snapshots[k];
      if (!info) throw notFound('SNAPSHOT_NOT_FOUND', `snapshot ${k} does not exist`, { key: k });
      out.push(info);
    }
    return out;
  }

  /** Records a new active or view snapshot on top of the committed `parent`; returns its record. */
  create(args: { key: string; kind: Exclude<SnapshotKind, 'committed'>; parent?: string; labels?: Record<string, string> }): Promise<SnapshotInfo> {
    if (args.key === '') throw invalid('SNAPSHOT_KEY_INVALID', 'a snapshot key cannot be empty', { key: args.key });
    return this.update((meta) => {
      if (meta.snapshots[args.key]) throw new EngineError({ code: 'SNAPSHOT_EXISTS', kind: 'already-exists', message: `snapshot ${args.key} already exists`, data: { key: args.key } });
      if (args.parent !== undefined) {
        const parent = meta.snapshots[args.parent];
        if (!parent) throw notFound('SNAPSHOT_NOT_FOUND', `parent snapshot ${args.parent} does not exist`, { key: args.parent });
        if (parent.kind !== 'committed') throw invalid('SNAPSHOT_PARENT_NOT_COMMITTED', `parent snapshot ${args.parent} is ${parent.kind}, not committed`, { key: args.parent, kind: parent.kind });
      }
      const info: SnapshotInfo = { key: args.key, kind: args.kind, id: String(meta.nextId++), created: new Date().toISOString() };
      if (args.parent !== undefined) info.parent = args.parent;
      if (args.labels) info.labels = args.labels;
      meta.snapshots[args.key] = info;
      return info;
    });
  }

  /**
   * Renames the active snapshot `key` to the committed snapshot `name` (same id, same dirs).
   * `parent`: set now, for a snapshot prepared with none (a layer unpacked before the layers
   * below it were, which only a driver whose layers stand alone allows); it must be committed.
   */
  commit(name: string, key: string, parent?: string): Promise<SnapshotInfo> {
    return this.update((meta) => {
      const info = meta.snapshots[key];
      if (!info) throw notFound('SNAPSHOT_NOT_FOUND', `snapshot ${key} does not exist`, { key });
      if (info.kind !== 'active') throw invalid('SNAPSHOT_NOT_ACTIVE', `snapshot ${key} is ${info.kind}; only an active snapshot can be committed`, { key, kind: info.kind });
      if (meta.snapshots[name]) throw new EngineError({ code: 'SNAPSHOT_EXISTS', kind: 'already-exists', message: `snapshot ${name} already exists`, data: { key: name } });
      if (parent !== undefined) {
        if (info.parent !== undefined) throw invalid('SNAPSHOT_HAS_PARENT', `snapshot ${key} already has the parent ${info.parent}`, { key, parent: info.parent });
        const p = meta.snapshots[parent];
        if (!p) throw notFound('SNAPSHOT_NOT_FOUND', `parent snapshot ${parent} does not exist`, { key: parent });
        if (p.kind !== 'committed') throw invalid('SNAPSHOT_PARENT_NOT_COMMITTED', `parent snapshot ${parent} is ${p.kind}, not committed`, { key: parent, kind: p.kind });
      }
      delete meta.snapshots[key];
      const committed: SnapshotInfo = { ...info, key: name, kind: 'committed', ...(parent !== undefined ? { parent } : {}) };
      meta.snapshots[name] = committed;
      return committed;
    });
  }

  /**
   * Drops the record of `key` after `check` agrees (it may throw, e.g. while the snapshot is
   * mounted); refuses while another snapshot names it as parent. Returns the removed record.
   */
  remove(key: string, check: (info: SnapshotInfo) => Promise<void>): Promise<SnapshotInfo> {
    return this.update(async (meta) => {
      const info = meta.snapshots[key];
      if (!info) throw notFound('SNAPSHOT_NOT_FOUND', `snapshot ${key} does not exist`, { key });
      const children = Object.values(meta.snapshots).filter((s) => s.parent === key).map((s) => s.key);
      if (children.length > 0) throw conflict('SNAPSHOT_IN_USE', `snapshot ${key} is the parent of ${children.join(', ')}`, { key, children });
      await check(info);
      delete meta.snapshots[key];
      return info;
    });
  }
}

/** Refuses to delete a snapshot's directory while something in this namespace mounts it. */
export async function refuseIfMounted(info: SnapshotInfo, dir: string): Promise<void> {
  const where = await mountsUsing(dir);
  if (where.length > 0) throw conflict('SNAPSHOT_MOUNTED', `snapshot ${info.key} is still mounted at ${where.join(', ')}`, { key: info.key, mountPoints: where });
}

export function requireKind(info: SnapshotInfo, kinds: SnapshotInfo['kind'][], what: string): void {
  if (!kinds.includes(info.kind)) throw invalid('SNAPSHOT_WRONG_KIND', `snapshot ${info.key} is ${info.kind}; ${what} needs ${kinds.join(' or ')}`, { key: info.key, kind: info.kind });
}
