// What a container changed (chapter 2, "union fs"; `docker diff`): a list of paths, each Added,
// Changed or Deleted relative to the image, sorted by path. Two ways to find out:
//   overlay — everything the container wrote is in its upperdir, so walk only that: a 0/0
//             character device is a deletion (D); a path the lower layers also have is C, else A;
//             an opaque directory (rm -rf then mkdir) hid all its lower children: each is a D.
//   copy    — the container's tree is a full copy, so compare it with the parent's full tree by
//             lstat fields, as Docker's naive differ does: type and mode, owner, device number,
//             and for non-directories size and mtime (a directory's size and mtime say nothing).
// In both, every directory above a changed path is reported as C (Docker does the same, so a
// committed layer carries the parents' owners and modes): `touch /tmp/x` gives `C /tmp`, `A /tmp/x`.
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { run } from '../base/index.js';
import type { Change } from '../layers/index.js';
import type { Span } from '../trace/index.js';
import type { Snapshotter } from './types.js';

const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);
const lstat = (p: string) => lstatSync(p, { throwIfNoEntry: false, bigint: true });
const isWhiteout = (st: BigIntStats) => st.isCharacterDevice() && st.rdev === 0n;

// getfattr escapes unprintable bytes in file names as \ooo.
const unescape = (s: string) => Buffer.from(s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), 'latin1').toString();

/** The directories under `root` marked opaque (`trusted.overlay.opaque=y`), one getfattr for the tree. */
async function opaqueDirs(root: string, span?: Span): Promise<Set<string>> {
  const r = await run(['getfattr', '--recursive', '--physical', '--dump', '--match=^trusted\\.overlay\\.opaque$', '--encoding=text', '.'], { cwd: root, span, allowFailure: true });
  const out = new Set<string>();
  let file: string | null = null;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('# file: ')) file = unescape(line.slice(8)).replace(/^\.\/?/, '');
    else if (file !== null && line === 'trusted.overlay.opaque="y"') out.add(file);
  }
  return out;
}

/** The lower layers of an overlay mount, read the way overlayfs merges them (top first). */
class LowerView {
  private readonly opaque = new Map<string, Promise<Set<string>>>();

  constructor(private readonly lowers: string[], private readonly span?: Span) {}

  private isOpaque(lower: string, p: string): Promise<boolean> {
    let set = this.opaque.get(lower);
    if (!set) this.opaque.set(lower, (set = opaqueDirs(lower, this.span)));
    return set.then((s) => s.has(p));
  }

  /** The lowers (top first) in which `p` is visible in the merged view: one for a non-dir, maybe several for a dir. */
  async sources(p: string): Promise<string[]> {
    const parts = p === '' ? [] : p.split('/');
    const out: string[] = [];
    for (const lower of this.lowers) {
      let stop = false; // an opaque dir on the way hides everything below this layer
      let q = '';
      let st: BigIntStats | undefined = lstat(lower);
      for (let k = 0; k < parts.length && st; k++) {
        if (await this.isOpaque(lower, q)) stop = true;
        q = join(q, parts[k]!);
        st = lstat(`${lower}/${q}`);
        if (st && isWhiteout(st)) return out;
        if (st && k < parts.length - 1 && !st.isDirectory()) return out;
      }
      if (st) {
        out.push(lower);
        if (!st.isDirectory() || (await this.isOpaque(lower, p))) return out;
      }
      if (stop) return out;
    }
    return out;
  }

  async has(p: string): Promise<boolean> {
    return (await this.sources(p)).length > 0;
  }

  /** The names the merged lower view shows in directory `dir`. */
  async list(dir: string): Promise<string[]> {
    const decided = new Map<string, boolean>();
    for (const lower of await this.sources(dir)) {
      const abs = dir === '' ? lower : `${lower}/${dir}`;
      if (!lstat(abs)?.isDirectory()) break;
      for (const name of readdirSync(abs)) {
        if (!decided.has(name)) decided.set(name, !isWhiteout(lstat(`${abs}/${name}`)!));
      }
    }
    return [...decided].filter(([, visible]) => visible).map(([name]) => name);
  }
}

async function overlayChanges(upper: string, lowers: string[], span?: Span): Promise<Change[]> {
  const lower = new LowerView(lowers, span);
  const upperOpaque = await opaqueDirs(upper, span);
  const out: Change[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of readdirSync(dir === '' ? upper : `${upper}/${dir}`).sort()) {
      const p = join(dir, name);
      const st = lstat(`${upper}/${p}`)!;
      if (isWhiteout(st)) {
        out.push({ kind: 'D', path: `/${p}` });
        continue;
      }
      const inLower = await lower.has(p);
      out.push({ kind: inLower ? 'C' : 'A', path: `/${p}` });
      if (!st.isDirectory()) continue;
      if (inLower && upperOpaque.has(p)) {
        for (const child of await lower.list(p)) {
          if (!lstat(`${upper}/${p}/${child}`)) out.push({ kind: 'D', path: `/${p}/${child}` });
        }
      }
      await walk(p);
    }
  };
  await walk('');
  return out;
}

/** Docker's naive comparison of one path's two lstats. */
function statDifferent(a: BigIntStats, b: BigIntStats, pa: string, pb: string): boolean {
  // #region exercise-2-stat-compare
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  if (b.isDirectory()) return false;
  if (a.size !== b.size || a.mtimeNs !== b.mtimeNs) return true;
  return b.isSymbolicLink() && readlinkSync(pa) !== readlinkSync(pb);
  // #endregion exercise-2-stat-compare
}

function copyChanges(dir: string, parentDir: string | undefined): Change[] {
  const out: Change[] = [];
  const addAll = (p: string) => {
    out.push({ kind: 'A', path: `/${p}` });
    if (lstat(`${dir}/${p}`)?.isDirectory()) for (const n of readdirSync(`${dir}/${p}`)) addAll(join(p, n));
  };
  const compare = (d: string) => {
    const cur = new Set(readdirSync(d === '' ? dir : `${dir}/${d}`));
    const old = new Set(readdirSync(d === '' ? parentDir! : `${parentDir}/${d}`));
    for (const name of [...new Set([...cur, ...old])].sort()) {
      const p = join(d, name);
      if (!old.has(name)) addAll(p);
      else if (!cur.has(name)) out.push({ kind: 'D', path: `/${p}` });
      else {
        const a = lstat(`${parentDir}/${p}`)!;
        const b = lstat(`${dir}/${p}`)!;
        if (statDifferent(a, b, `${parentDir}/${p}`, `${dir}/${p}`)) out.push({ kind: 'C', path: `/${p}` });
        if (b.isDirectory() && a.isDirectory()) compare(p);
        else if (b.isDirectory()) for (const n of readdirSync(`${dir}/${p}`)) addAll(join(p, n));
      }
    }
  };
  if (parentDir === undefined) for (const n of readdirSync(dir)) addAll(n);
  else compare('');
  return out;
}

/** Adds every missing parent directory of a change as C, and sorts by path (Docker's order). */
export function withParents(list: Change[]): Change[] {
  const byPath = new Map(list.map((c) => [c.path, c]));
  for (const c of list) {
    for (let p = c.path.slice(0, c.path.lastIndexOf('/')); p !== ''; p = p.slice(0, p.lastIndexOf('/'))) {
      if (!byPath.has(p)) byPath.set(p, { kind: 'C', path: p });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The changes of the active snapshot `key` relative to its parent, sorted by path. */
export async function changes(args: { snapshotter: Snapshotter; key: string; span?: Span }): Promise<Change[]> {
  const span = args.span?.child('unionfs', 'snapshot.changes', { key: args.key, driver: args.snapshotter.driver });
  try {
    const source = await args.snapshotter.changesSource(args.key);
    const list = source.form === 'overlay' ? await overlayChanges(source.upper, source.lowers, span) : copyChanges(source.dir, source.parentDir);
    const result = withParents(list);
    span?.end({ added: result.filter((c) => c.kind === 'A').length, changed: result.filter((c) => c.kind === 'C').length, deleted: result.filter((c) => c.kind === 'D').length });
    return result;
  } catch (err) {
    span?.fail(err);
    throw err;
  }
}
