// The mount executor (chapter 2, "union fs"): the one place that turns a MountPlan — the plain
// description a snapshotter returns — into mount(8) and umount(8) calls. Each Mount is exactly
// one command a reader could type:
//   overlay  →  cd <plan.cwd> && mount -t overlay overlay -o lowerdir=12/fs:11/fs,upperdir=…,workdir=… <target>
//   bind     →  mount -o bind <source> <target>
//   remount  →  mount -o remount,bind,ro <target>   (a bind mount cannot be made read-only in the
//               same call on older kernels: the read-only flag needs a second, remount step)
// Relative lowerdirs resolve against the mounting process's working directory: that is how a
// stack of 100+ layers fits in the one page (4096 bytes) the kernel accepts for the options.
import { mkdir, readFile, realpath, rm, rmdir } from 'node:fs/promises';
import { EngineError, run, tempDir } from '../base/index.js';
import type { Span } from '../trace/index.js';
import type { Mount, MountPlan } from './types.js';

/** A read-only bind mount: a bind, then a remount that makes that one mount point read-only. */
export function readOnlyBind(source: string): Mount[] {
  return [
    { type: 'bind', source, options: ['bind'] },
    { type: 'bind', source, options: ['remount', 'bind', 'ro'] },
  ];
}

/** The argv of one described mount. */
export function mountArgv(m: Mount, target: string): string[] {
  if (m.type === 'overlay') return ['mount', '-t', 'overlay', m.source || 'overlay', '-o', m.options.join(','), target];
  if (m.options.includes('remount')) return ['mount', '-o', m.options.join(','), target];
  return ['mount', '-o', m.options.join(','), m.source, target];
}

async function mountOne(args: { m: Mount; plan: MountPlan; target: string; span?: Span }): Promise<void> {
  const { m, plan, target } = args;
  const argv = mountArgv(m, target);
  const op = m.type === 'overlay' ? 'overlay.mount' : 'bind.mount';
  const span = args.span?.child('unionfs', op, {
    key: plan.key, driver: plan.driver, target, cwd: plan.cwd ?? null, layers: plan.layers, upper: plan.upper ?? null,
    readonly: plan.readonly, options: m.options, optionsLength: m.options.join(',').length,
  });
  const r = await run(argv, { cwd: m.type === 'overlay' ? plan.cwd : undefined, span, allowFailure: true });
  if (r.status !== 0) {
    const err = new EngineError({
      code: 'MOUNT_FAILED', kind: 'internal',
      message: `${argv.join(' ')}${plan.cwd && m.type === 'overlay' ? ` (in ${plan.cwd})` : ''} failed for ${target}: ${r.stderr.trim()}`,
      data: { argv, target, cwd: plan.cwd, stderr: r.stderr, status: r.status },
    });
    span?.fail(err);
    throw err;
  }
  span?.end();
}

/** Makes the plan's root appear at `target` (an existing empty directory). */
export async function mountPlan(args: { plan: MountPlan; target: string; span?: Span }): Promise<void> {
  const done: Mount[] = [];
  try {
    for (const m of args.plan.mounts) {
      await mountOne({ m, plan: args.plan, target: args.target, span: args.span });
      done.push(m);
    }
  } catch (err) {
    // A plan is all or nothing: a bind mount whose read-only remount failed must not stay writable.
    if (done.some((m) => !m.options.includes('remount'))) await unmount({ target: args.target, lazy: true }).catch(() => {});
    throw err;
  }
}

/** Unmounts `target`; `lazy` detaches it now and lets the kernel finish when it is no longer busy. */
export async function unmount(args: { target: string; lazy?: boolean; span?: Span }): Promise<void> {
  const argv = args.lazy ? ['umount', '-l', args.target] : ['umount', args.target];
  const span = args.span?.child('unionfs', 'unmount', { target: args.target, lazy: !!args.lazy });
  const r = await run(argv, { span, allowFailure: true });
  if (r.status !== 0) {
    const busy = /busy/i.test(r.stderr);
    const err = new EngineError({
      code: busy ? 'MOUNT_BUSY' : 'UNMOUNT_FAILED', kind: busy ? 'conflict' : 'internal',
      message: `${argv.join(' ')} failed: ${r.stderr.trim()}`,
      data: { argv, target: args.target, stderr: r.stderr, status: r.status },
    });
    span?.fail(err);
    throw err;
  }
  span?.end();
}

/**
 * Mounts the plan at a fresh directory under `tmpRoot`, runs `fn` on it, then always unmounts
 * (lazily if something still holds it) and removes the directory — even when `fn` throws.
 */
export async function withMounted<T>(args: { plan: MountPlan; tmpRoot: string; span?: Span }, fn: (root: string) => Promise<T>): Promise<T> {
  const dir = await tempDir(args.tmpRoot, 'mnt-');
  let mounted = false;
  try {
    await mountPlan({ plan: args.plan, target: dir.path, span: args.span });
    mounted = true;
    return await fn(dir.path);
  } finally {
    if (mounted) {
      await unmount({ target: dir.path, span: args.span }).catch(async (err: EngineError) => {
        if (err.code !== 'MOUNT_BUSY') throw err;
        await unmount({ target: dir.path, lazy: true, span: args.span });
      });
    }
    // rmdir, never rm -r: if the unmount failed, a recursive remove would delete the snapshot's files.
    await rmdir(dir.path).catch(() => {});
  }
}

/** One line of /proc/self/mountinfo, the fields we need. */
export interface MountInfo {
  device: string; // major:minor
  root: string; // the path inside its filesystem that is mounted
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** This process's mounts, or another's (`/proc/<pid>/mountinfo`: its mount namespace, seen from its root). */
export async function readMountInfo(file = '/proc/self/mountinfo'): Promise<MountInfo[]> {
  const text = await readFile(file, 'utf8');
  return text.split('\n').filter(Boolean).map((line) => {
    const [pre, post] = line.split(' - ') as [string, string];
    const f = pre.split(' ');
    const g = post.split(' ');
    return { device: f[2]!, root: unescape(f[3]!), mountPoint: unescape(f[4]!), fsType: g[0]!, source: unescape(g[1] ?? ''), superOptions: g[2] ?? '' };
  });
}

/**
 * Mount points (in this mount namespace) that use `dir`: as an overlay upperdir or absolute
 * lowerdir, or as the source of a bind mount. Used to refuse removing a mounted snapshot.
 */
export async function mountsUsing(dir: string): Promise<string[]> {
  const abs = await realpath(dir).catch(() => dir);
  const mounts = await readMountInfo();
  const out = new Set<string>();
  for (const m of mounts) {
    if (m.fsType === 'overlay') {
      const paths = m.superOptions.split(',').flatMap((o) => (/^(upperdir|lowerdir|workdir)=/.test(o) ? o.slice(o.indexOf('=') + 1).split(':') : []));
      if (paths.includes(abs)) out.add(m.mountPoint);
    }
    if (m.mountPoint === abs || m.mountPoint.startsWith(`${abs}/`)) out.add(m.mountPoint);
  }
  // A bind mount shows the source as a path inside its filesystem: find the mount holding `abs`
  // (longest mount point that is a prefix), translate, and look for other mounts of that path.
  const holder = mounts
    .filter((m) => abs === m.mountPoint || abs.startsWith(m.mountPoint === '/' ? '/' : `${m.mountPoint}/`))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
  if (holder) {
    const rest = abs.slice(holder.mountPoint === '/' ? 0 : holder.mountPoint.length);
    const inside = holder.root === '/' ? rest || '/' : `${holder.root}${rest}`;
    for (const m of mounts) {
      if (m.device !== holder.device || m === holder) continue;
      if (m.root === inside || m.root.startsWith(`${inside}/`)) out.add(m.mountPoint);
    }
  }
  return [...out];
}

// #region clear-tmp-root
/**
 * Empties the scratch directory withMounted mounts under, at daemon start. A daemon killed inside
 * withMounted (a commit, a build's COPY, a container's init layer, a `cp`) leaves its mount
 * behind, and `rm -r` would walk into it and delete the snapshot's files through the mount —
 * a container's whole tree, as whiteouts in its upper dir. So every mount under `dir` is
 * detached first, deepest first (lazily: nobody is left to be using it), and only then is the
 * directory removed and made again.
 */
export async function clearTmpRoot(dir: string, span?: Span): Promise<void> {
  const abs = await realpath(dir).catch(() => dir);
  const under = (await readMountInfo()).map((m) => m.mountPoint).filter((p) => p.startsWith(`${abs}/`));
  for (const target of under.sort((a, b) => b.length - a.length)) await unmount({ target, lazy: true, span });
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}
// #endregion clear-tmp-root
