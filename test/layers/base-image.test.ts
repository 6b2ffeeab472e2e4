// The offline base image: busybox:latest from the host's static busybox (hard links, Hub's layout,
// the same ID every time), and the host-shell fallback when there is no static busybox.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Headers } from 'tar-stream';
import { ContentStore } from '../../engine/layers/content-store.js';
import { ImageStore } from '../../engine/layers/image-store.js';
import { isStaticElf, makeBaseImage, parseLdd } from '../../engine/layers/base-image.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import type { Image } from '../../engine/layers/types.js';
import { tempDir } from '../tmp.js';

const haveBusybox = existsSync('/bin/busybox') && (await isStaticElf('/bin/busybox'));
if (!haveBusybox) console.log('skipping the busybox base image test: no static /bin/busybox (Debian package busybox-static)');

let dir: string;
let n = 0;
async function newStore() {
  const sink = new MemorySink();
  const tracer = new Tracer([sink]);
  const content = new ContentStore({ root: join(dir, `store${n++}`), tracer });
  await content.init();
  return { content, store: new ImageStore({ content, tracer }), sink };
}

async function layerEntries(content: ContentStore, image: Image): Promise<Map<string, Headers>> {
  const x = extract();
  const out = new Map<string, Headers>();
  const feeding = pipeline(content.createReadStream(image.layers[0]!.digest), createGunzip(), x);
  for await (const e of x) {
    out.set(e.header.name, e.header);
    e.resume();
  }
  await feeding;
  return out;
}

beforeAll(async () => {
  dir = await tempDir('dockling-base-');
});

describe('static ELF detection', () => {
  it('tells static from dynamic', async () => {
    expect(await isStaticElf('/bin/ls')).toBe(false);
    if (haveBusybox) expect(await isStaticElf('/bin/busybox')).toBe(true);
  });

  it('reads ldd output', () => {
    expect(parseLdd('\tlinux-vdso.so.1 (0x00007f)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n'))
      .toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });
});

describe.skipIf(!haveBusybox)('busybox base image', () => {
  it('is busybox:latest, Hub-like, and the same ID twice', async () => {
    const { store, content, sink } = await newStore();
    const image = await makeBaseImage({ store, tmpRoot: join(dir, 'tmp') });
    expect(image.names).toEqual(['docker.io/library/busybox:latest']);
    expect(image.config.config).toEqual({ Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] });
    expect(image.config.os).toBe('linux');
    expect(image.config.history!.map((h) => !!h.empty_layer)).toEqual([false, true]);
    expect(image.config.history![1]!.created_by).toContain('CMD ["sh"]');
    const entries = await layerEntries(content, image);
    // One regular file, every other name a hard link to it. The packer writes entries sorted, so
    // the file's tar entry is the first name (`bin/[`, as in Hub's layer), /bin/busybox a link too.
    const bin = [...entries.values()].filter((h) => h.name.startsWith('bin/') && h.name !== 'bin/');
    const file = bin.filter((h) => h.type === 'file');
    expect(file).toHaveLength(1);
    for (const name of ['bin/sh', 'bin/ls', 'bin/busybox']) {
      const h = entries.get(name)!;
      expect(h.type === 'file' ? h.name : h.linkname, name).toBe(file[0]!.name);
    }
    expect(bin.length).toBeGreaterThan(100);
    expect(entries.get('tmp/')!.mode! & 0o7777).toBe(0o1777);
    expect(entries.get('root/')!.mode! & 0o7777).toBe(0o700);
    for (const d of ['home/', 'var/', 'usr/sbin/', 'etc/', 'dev/']) expect(entries.has(d), d).toBe(true);
    const mtimes = new Set([...entries.values()].map((h) => h.mtime!.getTime()));
    expect(mtimes.size).toBe(1);
    expect(new Date(image.config.created!).getTime()).toBe([...mtimes][0]);
    expect(sink.ops()).toContain('image.base:end');

    // the account files
    const x = extract();
    const files = new Map<string, string>();
    const feeding = pipeline(content.createReadStream(image.layers[0]!.digest), createGunzip(), x);
    for await (const e of x) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c);
      if (e.header.name.startsWith('etc/')) files.set(e.header.name, Buffer.concat(chunks).toString());
    }
    await feeding;
    expect(files.get('etc/passwd')).toMatch(/^root:x:0:0:/m);
    expect(files.get('etc/passwd')).toMatch(/^nobody:x:65534:65534:/m);
    expect(files.get('etc/group')).toMatch(/^root:x:0:/m);

    const again = await newStore();
    const second = await makeBaseImage({ store: again.store, tmpRoot: join(dir, 'tmp') });
    expect(second.id).toBe(image.id);
    expect(second.layers[0]!.diffID).toBe(image.layers[0]!.diffID);
  });
});

describe('host-shell fallback', () => {
  it('packs the host\'s sh and core tools with their libraries', async () => {
    const { store, content } = await newStore();
    const image = await makeBaseImage({ store, tmpRoot: join(dir, 'tmp'), busybox: join(dir, 'no-such-busybox') });
    expect(image.names).toEqual(['docker.io/dockling/host-shell:latest']);
    expect(image.config.config!.Cmd).toEqual(['sh']);
    const entries = await layerEntries(content, image);
    for (const p of ['bin/sh', 'bin/ls', 'bin/cat']) expect(entries.get(p), p).toMatchObject({ type: 'file' });
    const { execFileSync } = await import('node:child_process');
    const libs = parseLdd(execFileSync('ldd', ['/bin/sh']).toString());
    expect(libs.length).toBeGreaterThan(0);
    for (const lib of libs) expect(entries.has(lib.replace(/^\//, '')), lib).toBe(true);
  });
});
