// Where snapshot records live (chapter 2, "union fs"). Both drivers keep the same bookkeeping:
// one JSON file, <root>/metadata.json, mapping each snapshot key to its record (kind, parent,
// short numeric id), plus the next free id. Every change is a read-modify-write under one mutex
// and lands with writeFileAtomic, so a crash leaves the old file or the new one, never half.
// The file is read once and then kept in memory: with 1000 containers it holds 2000 records
// (600 KB), and reading it again for every lookup made each create slower than the last.
// The rules a snapshotter must keep are here too: keys are unique, a parent must be committed,
// a snapshot that is some other snapshot's parent cannot be removed.
import { readFile, rm } from 'node:fs/promises';
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

  /**
   * The records as last read or written. One snapshotter is its root's only writer (the daemon
   * holds the data root's pid lock), so what it wrote last is what the file says. Never changed
   * in place: update() works on a copy and swaps it in once the file has it; readers get copies.
   */
  private loaded: Promise<MetaFile> | undefined;

  private load(): Promise<MetaFile> {
    this.loaded ??= readFile(this.file, 'utf8').then(
      (text) => JSON.parse(text) as MetaFile,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return { nextId: 1, snapshots: {} };
        throw err;
      },
    ).catch((err: unknown) => {
      this.loaded = undefined; // a bad read is not remembered: the next call reads again
      throw err;
    });
    return this.loaded;
  }

  /** Runs `fn` on a copy of the records with the lock held; what it leaves there is written back. */
  private update<T>(fn: (meta: MetaFile) => T | Promise<T>): Promise<T> {
    return this.mutex.run('meta', async () => {
      const meta = structuredClone(await this.load());
      const result = await fn(meta);
      await writeFileAtomic(this.file, JSON.stringify(meta, null, 2) + '\n');
      this.loaded = Promise.resolve(meta);
      return structuredClone(result);
    });
  }

  async get(key: string): Promise<SnapshotInfo> {
    const info = (await this.load()).snapshots[key];
    if (!info) throw notFound('SNAPSHOT_NOT_FOUND', `snapshot ${key} does not exist`, { key });
    return structuredClone(info);
  }

  async has(key: string): Promise<boolean> {
    return (await this.load()).snapshots[key] !== undefined;
  }

  async list(): Promise<SnapshotInfo[]> {
    return structuredClone(Object.values((await this.load()).snapshots)).sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** The committed chain under `key` (itself first if committed), top first. */
  async chain(parent: string | undefined): Promise<SnapshotInfo[]> {
    const { snapshots } = await this.load();
    const out: SnapshotInfo[] = [];
    for (let k = parent; k !== undefined; k = snapshots[k]?.parent) {
      const info = snapshots[k];
      if (!info) throw notFound('SNAPSHOT_NOT_FOUND', `snapshot ${k} does not exist`, { key: k });
      out.push(structuredClone(info));
    }
    return out;
  }

  /**
   * Records a new active or view snapshot on top of the committed `parent`, after `make` has
   * made its directory; returns its record. Three steps, so a crash between any two leaves at
   * worst a directory no record names (which reclaim.ts removes), never a record naming nothing:
   *   1. the key and parent are checked and an id is taken (nextId moves on, no record yet);
   *   2. `make` builds <root>/snapshots/<id> (its fs, work dir, a copy of the parent…);
   *   3. the record is written, after checking again that nothing took the key meanwhile.
   * A failed `make` or step 3 removes the directory.
   */
  async create(
    args: { key: string; kind: Exclude<SnapshotKind, 'committed'>; parent?: string; labels?: Record<string, string> },
    make: (info: SnapshotInfo) => Promise<void> = async () => {},
  ): Promise<SnapshotInfo> {
    if (args.key === '') throw invalid('SNAPSHOT_KEY_INVALID', 'a snapshot key cannot be empty', { key: args.key });
    const info = await this.update((meta) => {
      checkNew(meta, args);
      const taken: SnapshotInfo = { key: args.key, kind: args.kind, id: String(meta.nextId++), created: new Date().toISOString() };
      if (args.parent !== undefined) taken.parent = args.parent;
      if (args.labels) taken.labels = args.labels;
      return taken;
    });
    try {
      await make(info);
      return await this.update((meta) => {
        checkNew(meta, args);
        meta.snapshots[args.key] = info;
        return info;
      });
    } catch (err) {
      await rm(snapshotDir(this.root, info.id), { recursive: true, force: true });
      throw err;
    }
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

/** The directory of snapshot `id` (its fs, and the overlay driver's work dir), under `root`. */
export function snapshotDir(root: string, id: string): string {
  return join(root, 'snapshots', id);
}

/** A new snapshot's key must be free and its parent, if any, committed. */
function checkNew(meta: MetaFile, args: { key: string; parent?: string }): void {
  if (meta.snapshots[args.key]) throw new EngineError({ code: 'SNAPSHOT_EXISTS', kind: 'already-exists', message: `snapshot ${args.key} already exists`, data: { key: args.key } });
  if (args.parent === undefined) return;
  const parent = meta.snapshots[args.parent];
  if (!parent) throw notFound('SNAPSHOT_NOT_FOUND', `parent snapshot ${args.parent} does not exist`, { key: args.parent });
  if (parent.kind !== 'committed') throw invalid('SNAPSHOT_PARENT_NOT_COMMITTED', `parent snapshot ${args.parent} is ${parent.kind}, not committed`, { key: args.parent, kind: parent.kind });
}

export function requireKind(info: SnapshotInfo, kinds: SnapshotInfo['kind'][], what: string): void {
  if (!kinds.includes(info.kind)) throw invalid('SNAPSHOT_WRONG_KIND', `snapshot ${info.key} is ${info.kind}; ${what} needs ${kinds.join(' or ')}`, { key: info.key, kind: info.kind });
}
