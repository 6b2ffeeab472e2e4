// `dockling base-image`: a base image made offline from what this machine has. Chapter 1.
// With a static busybox (Debian busybox-static): busybox:latest laid out like Docker Hub's, every
// applet a hard link to /bin/busybox. Without one: dockling/host-shell:latest, the host's /bin/sh
// and core tools with the shared libraries `ldd` lists. Reproducible: every time is the binary's.
import { execFile } from 'node:child_process';
import { access, chmod, constants, copyFile, link, mkdir, open, realpath, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { tempDir } from '../base/index.js';
import type { Span } from '../trace/index.js';
import { hexOf } from './digest.js';
import type { ImageStore } from './image-store.js';
import { hostPlatform } from './manifest.js';
import { packLayer } from './pack.js';
import type { Image, ImageConfig } from './types.js';

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const HOST_TOOLS = ['sh', 'ls', 'cat', 'echo', 'mkdir', 'rm', 'rmdir', 'cp', 'mv', 'ln', 'ps', 'id', 'env', 'sleep', 'true', 'false',
  'uname', 'hostname', 'pwd', 'touch', 'chmod', 'grep', 'sed', 'head', 'tail', 'wc', 'sort', 'date', 'kill', 'mount', 'df'];

/** One path of the root tree: the plan is data, written by writeTree and shown by the trace. */
export type TreeEntry =
  | { path: string; kind: 'dir'; mode: number }
  | { path: string; kind: 'file'; mode: number; from?: string; text?: string }
  | { path: string; kind: 'hardlink'; target: string };

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
mail:x:8:
www-data:x:33:
operator:x:37:
staff:x:50:
users:x:100:
nogroup:x:65534:
`;

/** The skeleton both images share: Hub busybox's top-level directories and account files. */
function skeleton(): TreeEntry[] {
  const dirs: Array<[string, number]> = [['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['root', 0o700], ['tmp', 0o1777],
    ['usr', 0o755], ['usr/sbin', 0o755], ['var', 0o755], ['var/spool', 0o755], ['var/spool/mail', 0o755], ['var/www', 0o755]];
  return [
    ...dirs.map(([path, mode]) => ({ path, kind: 'dir' as const, mode })),
    { path: 'etc/passwd', kind: 'file', mode: 0o644, text: PASSWD },
    { path: 'etc/group', kind: 'file', mode: 0o644, text: GROUP },
  ];
}

// #region busybox-tree
/** busybox's tree: the binary once, each applet another name for it (a hard link, as on Hub). */
export function busyboxTree(busybox: string, applets: string[]): TreeEntry[] {
  const names = [...new Set(applets)].filter((a) => /^[A-Za-z0-9_.[-]+$/.test(a) && a !== 'busybox').sort();
  return [
    ...skeleton(),
    { path: 'bin/busybox', kind: 'file', mode: 0o755, from: busybox },
    ...names.map((a) => ({ path: `bin/${a}`, kind: 'hardlink' as const, target: 'bin/busybox' })),
  ];
}
// #endregion busybox-tree

/** The host-shell tree: each tool copied into /bin, each library at the path the loader looks for it. */
export function hostShellTree(tools: Map<string, string>, libraries: string[]): TreeEntry[] {
  const entries = skeleton();
  const dirs = new Set(entries.filter((e) => e.kind === 'dir').map((e) => e.path));
  for (const lib of [...new Set(libraries)].sort()) {
    const rel = lib.replace(/^\/+/, '');
    for (let d = dirname(rel); d !== '.' && !dirs.has(d); d = dirname(d)) dirs.add(d);
    entries.push({ path: rel, kind: 'file', mode: 0o755, from: lib });
  }
  for (const d of [...dirs].sort()) if (!entries.some((e) => e.path === d)) entries.push({ path: d, kind: 'dir', mode: 0o755 });
  for (const [name, from] of [...tools].sort()) entries.push({ path: `bin/${name}`, kind: 'file', mode: 0o755, from });
  return entries.sort((a, b) => a.path.split('/').length - b.path.split('/').length);
}

async function writeTree(root: string, entries: TreeEntry[], mtime: Date): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const e of entries) {
    const p = join(root, e.path);
    await mkdir(dirname(p), { recursive: true });
    if (e.kind === 'dir') await mkdir(p, { recursive: true });
    else if (e.kind === 'hardlink') await link(join(root, e.target), p);
    else if (e.from) await copyFile(e.from, p);
    else await writeFile(p, e.text ?? '');
    if (e.kind !== 'hardlink') await chmod(p, e.mode); // after creation: the umask does not apply to chmod
  }
  for (const e of [...entries].reverse()) await utimes(join(root, e.path), mtime, mtime);
  await utimes(root, mtime, mtime);
}

// #region static-check
/** A static executable has no PT_INTERP program header: nothing asks for a dynamic loader. */
export async function isStaticElf(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(64);
    await fh.read(head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46) return false; // "\x7fELF"
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? head.readBigUInt64LE(0x20) : head.readBigUInt64BE(0x20)) : u32(head, 0x1c);
    const phentsize = u16(head, is64 ? 0x36 : 0x2a);
    const phnum = u16(head, is64 ? 0x38 : 0x2c);
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) if (u32(table, i * phentsize) === PT_INTERP) return false;
    return true;
  } finally {
    await fh.close();
  }
}
// #endregion static-check

async function exec(argv: string[], span: Span): Promise<string> {
  const { stdout } = await promisify(execFile)(argv[0]!, argv.slice(1), { maxBuffer: 16 << 20 });
  span.event('exec', { argv, status: 0 });
  return stdout;
}

/** Which tools the host has, by PATH lookup (following /bin/sh → dash to the real file). */
async function findTools(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const tool of HOST_TOOLS) {
    for (const dir of PATH_DIRS) {
      const p = join(dir, tool);
      if (await access(p, constants.X_OK).then(() => true, () => false)) {
        found.set(tool, await realpath(p));
        break;
      }
    }
  }
  return found;
}

/** The shared libraries and loader `ldd` names: `libc.so.6 => /lib/…/libc.so.6 (0x…)` and `/lib64/ld-linux-x86-64.so.2 (0x…)`. */
export function parseLdd(out: string): string[] {
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

function seconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

// #region make
export async function makeBaseImage(args: { store: ImageStore; tmpRoot: string; busybox?: string; tag?: string; span?: Span }): Promise<Image> {
  const { store } = args;
  const busybox = args.busybox ?? '/bin/busybox';
  return store.tracer.span({ chapter: 'layers', op: 'image.base', parent: args.span, data: { busybox } }, async (span) => {
    const tmp = await tempDir(args.tmpRoot, 'base-');
    try {
      // 1. what to build from: a static busybox, else the host's own tools
      const haveBusybox = (await stat(busybox).then((s) => s.isFile(), () => false)) && (await isStaticElf(busybox));
      let tree: TreeEntry[];
      let mtime: Date;
      let name: string;
      if (haveBusybox) {
        const applets = (await exec([busybox, '--list'], span)).split('\n').map((s) => s.trim()).filter(Boolean);
        tree = busyboxTree(busybox, applets);
        mtime = seconds((await stat(busybox)).mtime);
        name = args.tag ?? 'busybox:latest';
      } else {
        const tools = await findTools();
        const libs: string[] = [];
        for (const path of new Set(tools.values())) libs.push(...parseLdd(await exec(['ldd', path], span).catch(() => '')));
        tree = hostShellTree(tools, libs);
        mtime = seconds((await stat(tools.get('sh') ?? '/bin/sh')).mtime);
        name = args.tag ?? 'dockling/host-shell:latest';
      }
      span.event('base.plan', { kind: haveBusybox ? 'busybox' : 'host-shell', entries: tree.length, mtime: mtime.toISOString() });
      // 2. the tree on disk, every time the same
      const root = join(tmp.path, 'rootfs');
      await writeTree(root, tree, mtime);
      // 3. one layer: packed and stored in the same pass
      const pipe = new PassThrough();
      const [layer] = await Promise.all([store.ingestLayer(pipe, { span }), packLayer({ root, out: pipe, compression: 'gzip', mtime, span })]);
      // 4. a config like Hub's busybox
      const created = mtime.toISOString().replace('.000Z', 'Z');
      const platform = hostPlatform();
      const config: ImageConfig = {
        architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}),
        config: { Env: [PATH_ENV], Cmd: ['sh'] },
        created,
        history: [
          { created, created_by: `/bin/sh -c #(nop) ADD file:${hexOf(layer.diffID)} in / ` },
          { created, created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
        ],
        rootfs: { type: 'layers', diff_ids: [layer.diffID] },
      };
      return await store.addImage({ config, layers: [layer], names: [name], span });
    } finally {
      await tmp.remove();
    }
  });
}
// #endregion make
