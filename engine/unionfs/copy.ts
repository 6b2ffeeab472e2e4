// The copy snapshotter (chapter 2, "union fs"): the reference the overlay driver is checked
// against, and the fallback where the kernel has no overlayfs. Every snapshot is a full tree:
// prepare copies the parent's whole tree (`cp -a --reflink=auto`, which keeps owners, modes,
// xattrs, device nodes and hard links, and shares blocks on filesystems that can), layers are
// applied onto that copy with whiteouts *applied* (deleted for real), and a container's root is
// a bind mount of its copy. Simple and slow: what overlayfs saves is exactly this copying.
// Layout: <root>/metadata.json, <root>/snapshots/<id>/fs.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalid, run } from '../base/index.js';
import type { Span, Tracer } from '../trace/index.js';
import { readOnlyBind } from './mount.js';
import { SnapshotMeta, refuseIfMounted, requireKind } from './snapshot-meta.js';
import type { MountPlan, SnapshotInfo, Snapshotter } from './types.js';

export class CopySnapshotter implements Snapshotter {
  readonly driver = 'copy' as const;
  // A layer's tree starts as a full copy of the one below: it cannot be unpacked first.
  readonly unpacksAlone = false;
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
    return this.trace('snapshot.prepare', { key, parent: parent ?? null }, opts.span, async (span) => {
      const info = await this.meta.create({ key, kind: 'active', parent, labels: opts.labels }, async (i) => {
        await mkdir(join(this.dir, i.id), { recursive: true });
        if (i.parent === undefined) await mkdir(this.fs(i));
        else await run(['cp', '-a', '--reflink=auto', this.fs(await this.meta.get(i.parent)), this.fs(i)], { span });
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
    return this.trace('snapshot.commit', { name, key }, opts.span, async () => {
      if (opts.parent !== undefined) throw invalid('SNAPSHOT_PARENT_TOO_LATE', `the copy driver cannot give snapshot ${key} a parent at commit: its tree starts as a copy of the parent`, { key, parent: opts.parent });
      await this.meta.commit(name, key);
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
    return { dir: this.fs(info), whiteouts: 'apply' };
  }

  async changesSource(key: string): Promise<{ form: 'copy'; dir: string; parentDir?: string }> {
    const info = await this.meta.get(key);
    requireKind(info, ['active'], 'reading changes');
    if (info.parent === undefined) return { form: 'copy', dir: this.fs(info) };
    return { form: 'copy', dir: this.fs(info), parentDir: this.fs(await this.meta.get(info.parent)) };
  }

  private async plan(info: SnapshotInfo): Promise<MountPlan> {
    requireKind(info, ['active', 'view'], 'a mount plan');
    const base = { driver: this.driver, key: info.key };
    if (info.kind === 'active') {
      const dir = this.fs(info);
      return { ...base, layers: [dir], mounts: [{ type: 'bind', source: dir, options: ['bind'] }], readonly: false, upper: dir };
    }
    // A view needs no copy: the committed parent's tree, bound read-only.
    const source = info.parent === undefined ? this.fs(info) : this.fs(await this.meta.get(info.parent));
    return { ...base, layers: [source], mounts: readOnlyBind(source), readonly: true };
  }
}
