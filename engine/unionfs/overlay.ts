// The overlay snapshotter (chapter 2, "union fs"): each snapshot is a directory, and a container's
// root is an overlayfs mount stacking its parent chain's directories (lowerdir, top first) under
// its own empty one (upperdir) — nothing is copied, ever. Layout under the state root:
//   <root>/metadata.json          the records (snapshot-meta.ts)
//   <root>/snapshots/<id>/fs      a layer unpacked in overlay form, or a container's upperdir
//   <root>/snapshots/<id>/work    overlayfs's scratch dir (same filesystem as fs, required)
// Mount plans name the lower dirs as `<id>/fs` relative to <root>/snapshots (plan.cwd), so even
// 120 layers take under 1 KB of the kernel's one-page options string.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Span, Tracer } from '../trace/index.js';
import { readOnlyBind } from './mount.js';
import { SnapshotMeta, refuseIfMounted, requireKind } from './snapshot-meta.js';
import type { MountPlan, SnapshotInfo, Snapshotter } from './types.js';

export class OverlaySnapshotter implements Snapshotter {
  readonly driver = 'overlay' as const;
  // A layer's directory is its own changes only (whiteouts included): what is below does not matter.
  readonly unpacksAlone = true;
  private readonly meta: SnapshotMeta;
  private readonly dir: string;
  private readonly tracer: Tracer;

  constructor(args: { root: string; tracer: Tracer }) {
    this.meta = new SnapshotMeta(args.root);
    this.dir = join(args.root, 'snapshots');
    this.tracer = args.tracer;
  }

  private fs(info: SnapshotInfo): string {
    return join(this.dir, info.id, 'fs');
  }

  /** A span of its own for each operation, under the caller's when it gives one (opts.span). */
  private trace<T>(op: string, data: Record<string, unknown>, parent: Span | undefined, fn: (span: Span) => Promise<T>): Promise<T> {
    return this.tracer.span({ chapter: 'unionfs', op, parent, data: { driver: this.driver, ...data } }, fn);
  }

  prepare(key: string, parent?: string, opts: { labels?: Record<string, string>; span?: Span } = {}): Promise<MountPlan> {
    return this.trace('snapshot.prepare', { key, parent: parent ?? null }, opts.span, async () => {
      const info = await this.meta.create({ key, kind: 'active', parent, labels: opts.labels }, async (i) => {
        await mkdir(this.fs(i), { recursive: true });
        await mkdir(join(this.dir, i.id, 'work'));
      });
      return this.plan(info);
    });
  }

  view(key: string, parent?: string, opts: { span?: Span } = {}): Promise<MountPlan> {
    return this.trace('snapshot.view', { key, parent: parent ?? null }, opts.span, async () => {
      const info = await this.meta.create({ key, kind: 'view', parent }, (i) => mkdir(this.fs(i), { recursive: true }).then(() => {}));
      return this.plan(info);
    });
  }

  commit(name: string, key: string, opts: { parent?: string; span?: Span } = {}): Promise<void> {
    return this.trace('snapshot.commit', { name, key, ...(opts.parent ? { parent: opts.parent } : {}) }, opts.span, async () => {
      await this.meta.commit(name, key, opts.parent);
    });
  }

  remove(key: string, opts: { span?: Span } = {}): Promise<void> {
    return this.trace('snapshot.remove', { key }, opts.span, async () => {
      const info = await this.meta.remove(key, (i) => refuseIfMounted(i, this.fs(i)));
      await rm(join(this.dir, info.id), { recursive: true, force: true });
    });
  }

  async mounts(key: string): Promise<MountPlan> {
    return this.plan(await this.meta.get(key));
  }

  stat(key: string): Promise<SnapshotInfo> {
    return this.meta.get(key);
  }

  list(): Promise<SnapshotInfo[]> {
    return this.meta.list();
  }

  async unpackTarget(key: string): Promise<{ dir: string; whiteouts: 'overlay' | 'apply' }> {
    const info = await this.meta.get(key);
    requireKind(info, ['active'], 'unpacking a layer');
    return { dir: this.fs(info), whiteouts: 'overlay' };
  }

  async changesSource(key: string): Promise<{ form: 'overlay'; upper: string; lowers: string[] }> {
    const info = await this.meta.get(key);
    requireKind(info, ['active'], 'reading changes');
    const chain = await this.meta.chain(info.parent);
    return { form: 'overlay', upper: this.fs(info), lowers: chain.map((c) => this.fs(c)) };
  }

  // #region mount-plan
  /** How to mount an active snapshot or a view: the recipe this chapter is about. */
  private async plan(info: SnapshotInfo): Promise<MountPlan> {
    requireKind(info, ['active', 'view'], 'a mount plan');
    const chain = await this.meta.chain(info.parent);
    const layers = chain.map((c) => this.fs(c));
    const lowerdir = `lowerdir=${chain.map((c) => `${c.id}/fs`).join(':')}`;
    const base = { driver: this.driver, key: info.key, layers };
    if (info.kind === 'active') {
      const upper = this.fs(info);
      // overlayfs needs at least one lower dir: with no parent the upper dir is the whole root.
      if (chain.length === 0) return { ...base, mounts: [{ type: 'bind', source: upper, options: ['bind'] }], readonly: false, upper };
      // upperdir and workdir stay absolute: /proc/self/mountinfo then shows which snapshot is mounted.
      const options = [lowerdir, `upperdir=${upper}`, `workdir=${join(this.dir, info.id, 'work')}`];
      return { ...base, mounts: [{ type: 'overlay', source: 'overlay', options }], cwd: this.dir, readonly: false, upper };
    }
    // A view has no upper dir, and overlayfs without an upperdir needs two lower dirs or more:
    // a view of one layer (or of nothing) is a read-only bind mount instead.
    if (chain.length === 0) return { ...base, mounts: readOnlyBind(this.fs(info)), readonly: true };
    if (chain.length === 1) return { ...base, mounts: readOnlyBind(layers[0]!), readonly: true };
    return { ...base, mounts: [{ type: 'overlay', source: 'overlay', options: [lowerdir] }], cwd: this.dir, readonly: true };
  }
  // #endregion mount-plan
}
