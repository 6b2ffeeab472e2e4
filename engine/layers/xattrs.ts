// Extended attributes in layers (chapter 1). Tar carries them as PAX records named
// `SCHILY.xattr.<name>` (the name GNU tar and star agreed on). Node's fs cannot read or write
// xattrs, so this module drives `getfattr` and `setfattr` (Debian `attr`) — one process for a
// whole tree or a whole layer, never one per file: their dump format (`# file: path` followed
// by `name=0s<base64>` lines) carries any number of files.
//
// Two families are never taken from a layer: `trusted.overlay.*` is overlayfs's own bookkeeping
// (a layer could fake an opaque dir or a redirect), and `security.capability` would hand file
// capabilities to a binary just because an image said so.
import { run } from '../base/index.js';
import type { Span } from '../trace/index.js';

export const PAX_XATTR_PREFIX = 'SCHILY.xattr.';

export type Xattrs = Record<string, Buffer>;

/** Whether a layer may set this xattr on unpack. */
export function isAllowedLayerXattr(name: string): boolean {
  return !name.startsWith('trusted.overlay.') && name !== 'security.capability';
}

/** Whether pack should record this xattr: not overlayfs's own (an upperdir is full of them). */
export function isPackableXattr(name: string): boolean {
  return !name.startsWith('trusted.overlay.');
}

// getfattr escapes a file name's backslash, newline and other unprintable bytes as \ooo.
function escapeName(p: string): string {
  return [...Buffer.from(p)].map((b) => (b <= 0x20 || b >= 0x7f || b === 0x5c ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b))).join('');
}

function unescapeName(s: string): string {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of s.matchAll(/\\([0-7]{3})/g)) {
    parts.push(Buffer.from(s.slice(last, m.index)), Buffer.from([parseInt(m[1]!, 8)]));
    last = m.index! + 4;
  }
  parts.push(Buffer.from(s.slice(last)));
  return Buffer.concat(parts).toString();
}

function decodeValue(v: string): Buffer {
  if (v.startsWith('0s')) return Buffer.from(v.slice(2), 'base64');
  if (v.startsWith('0x')) return Buffer.from(v.slice(2), 'hex');
  if (v.startsWith('"') && v.endsWith('"')) return Buffer.from(v.slice(1, -1));
  return Buffer.from(v);
}

/** Parses a `getfattr -d -e base64` dump into relative path → xattrs. */
export function parseDump(text: string): Map<string, Xattrs> {
  const out = new Map<string, Xattrs>();
  let current: Xattrs | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      let p = unescapeName(line.slice('# file: '.length));
      p = p === '.' ? '' : p.replace(/^\.\//, '');
      current = {};
      out.set(p, current);
    } else if (current && line.includes('=')) {
      const i = line.indexOf('=');
      current[line.slice(0, i)] = decodeValue(line.slice(i + 1));
    }
  }
  return out;
}

/**
 * Reads every xattr under `root` (or only of `paths`, relative to root), symlinks not followed.
 * One `getfattr` process per call (per 1,000 paths when a list is given).
 */
export async function readXattrs(args: { root: string; paths?: string[]; span?: Span }): Promise<Map<string, Xattrs>> {
  const base = ['getfattr', '--physical', '--no-dereference', '--dump', '--match=-', '--encoding=base64'];
  if (!args.paths) {
    const r = await run([...base, '--recursive', '.'], { cwd: args.root, span: args.span, allowFailure: true });
    return parseDump(r.stdout);
  }
  const out = new Map<string, Xattrs>();
  for (let i = 0; i < args.paths.length; i += 1000) {
    const chunk = args.paths.slice(i, i + 1000).map((p) => (p === '' ? '.' : `./${p}`));
    if (chunk.length === 0) continue;
    const r = await run([...base, '--', ...chunk], { cwd: args.root, span: args.span, allowFailure: true });
    for (const [p, x] of parseDump(r.stdout)) out.set(p, x);
  }
  return out;
}

/** Writes xattrs for many files under `root` with one `setfattr --restore`; symlinks not followed. */
export async function writeXattrs(args: { root: string; xattrs: Map<string, Xattrs>; span?: Span }): Promise<void> {
  if (args.xattrs.size === 0) return;
  let dump = '';
  for (const [p, attrs] of args.xattrs) {
    dump += `# file: ${escapeName(p === '' ? '.' : p)}\n`;
    for (const [name, value] of Object.entries(attrs)) dump += `${name}=0s${value.toString('base64')}\n`;
    dump += '\n';
  }
  await run(['setfattr', '--no-dereference', '--restore=-'], { cwd: args.root, input: dump, span: args.span });
}

/** Sets one xattr on one path (overlay's opaque marker), symlinks not followed. */
export async function setXattr(args: { path: string; name: string; value: string; span?: Span }): Promise<void> {
  await run(['setfattr', '--no-dereference', '-n', args.name, '-v', args.value, '--', args.path], { span: args.span });
}
