// Chapter 5: COPY and ADD, from the words of the instruction to the tar that lands in the
// container. The expectations are the classic builder's rules (moby's copy.go, read from its
// source); those marked "buildah" were also seen in layers buildah 1.28 built from the same
// Dockerfile and context; "buildah differs" marks where buildah does something else and we
// follow Docker. Each case resolves the sources, writes the tar, and lists it; a few also
// extract it with chapter 2's extractToPath to see where the files really land.
import { beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { resolveCopySources, type CopySourceRequest } from '../../engine/build/copy-sources.js';
import { writeCopyTar, type CopyTarOptions } from '../../engine/build/copy-tar.js';
import { extractToPath } from '../../engine/unionfs/path-archive.js';
import { buildTar } from '../layers/fixtures/tar.js';
import { tempDir } from '../tmp.js';
import { list, type Listed } from './tar-listing.js';


/** Debian's xz-utils, bzip2 and zstd: ADD uses them for those archives. */
const hostTools = ['xz', 'bzip2', 'zstd'].every((t) => {
  try {
    execFileSync('which', [t]);
    return true;
  } catch {
    return false;
  }
});

let base: string;
let ctx: string;
let target: string;
const NOW = new Date('2024-05-06T07:08:09Z');
const MTIME = new Date('2020-01-02T03:04:05.678Z');

const write = (path: string, data: string | Buffer, mode = 0o644) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, data);
  chmodSync(path, mode);
};

beforeAll(async () => {
  base = await tempDir('dockling-copy-');
  ctx = join(base, 'ctx');
  write(join(ctx, 'file.txt'), 'a\n', 0o640);
  utimesSync(join(ctx, 'file.txt'), MTIME, MTIME);
  write(join(ctx, 'b.txt'), 'b\n');
  symlinkSync('file.txt', join(ctx, 'link.txt'));
  symlinkSync('/etc/passwd', join(ctx, 'abs-link')); // means ctx/etc/passwd: there is none
  symlinkSync('/file.txt', join(ctx, 'abs-in')); // means ctx/file.txt
  write(join(ctx, 'dir/f1'), '1\n');
  write(join(ctx, 'dir/s/f2'), '2\n', 0o600);
  chmodSync(join(ctx, 'dir/s'), 0o751);
  linkSync(join(ctx, 'dir/f1'), join(ctx, 'dir/s/h'));
  write(join(ctx, 'd1/x'), 'x\n');
  write(join(ctx, 'd2/y'), 'y\n');
  const archive = await buildTar([
    { name: 'top/', type: 'directory', uid: 123, gid: 456, mode: 0o755 },
    { name: 'top/hl', data: 'in\n', uid: 123, gid: 456, mtime: new Date('2001-01-01T00:00:00Z') },
    { name: 'top/sub/', type: 'directory', uid: 123, gid: 456, mode: 0o700 },
    { name: 'top/sub/file', type: 'link', linkname: 'top/hl', uid: 123, gid: 456 },
    { name: '/abs/x', data: 'leading slash dropped\n' },
  ]);
  write(join(ctx, 'app.tar'), archive);
  write(join(ctx, 'app.tgz'), gzipSync(archive));
  if (hostTools) {
    write(join(ctx, 'app.tar.xz'), execFileSync('xz', ['-c'], { input: archive }));
    write(join(ctx, 'app.tar.bz2'), execFileSync('bzip2', ['-c'], { input: archive }));
    write(join(ctx, 'app.tar.zst'), execFileSync('zstd', ['-q', '-c'], { input: archive }));
  }
  write(join(ctx, 'notatar.gz'), gzipSync('not a tar\n'));

  target = join(base, 'root');
  write(join(target, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nbob:x:1001:1002::/home/bob:/bin/sh\n');
  write(join(target, 'etc/group'), 'root:x:0:\nstaff:x:50:\nbobs:x:1002:\n');
  mkdirSync(join(target, 'srv'));
  symlinkSync('/srv', join(target, 'app'));
  mkdirSync(join(target, 'w'));
  write(join(target, 'afile'), 'a file\n');
});

type Args = Partial<CopySourceRequest> & Partial<Omit<CopyTarOptions, 'plan' | 'out'>> & { sources: string[]; dest: string };

/** One COPY/ADD: sources resolved in the context, the tar written against the target root. */
async function copy(a: Args): Promise<{ entries: Listed[]; checksum: string; tar: Buffer; dest: string }> {
  const plan = resolveCopySources({ instruction: a.instruction ?? 'COPY', root: a.root ?? ctx, fromImage: a.fromImage, sources: a.sources, dest: a.dest });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const r = await writeCopyTar({ plan, dest: a.dest, workdir: a.workdir, chown: a.chown, chmod: a.chmod, targetRoot: a.targetRoot ?? target, tmpRoot: base, now: NOW, out });
  const tar = Buffer.concat(chunks);
  return { entries: await list(tar), checksum: plan.checksum, tar, dest: r.dest };
}

const names = (es: Listed[]) => es.map((e) => e.name);
const find = (es: Listed[], name: string) => es.find((e) => e.name === name)!;

describe('COPY sources and destinations', () => {
  it('a file into a directory ending in /: made 0755 0:0, the file keeps its mode and mtime (to the second)', async () => {
    const { entries } = await copy({ sources: ['file.txt'], dest: '/dst/' }); // buildah
    expect(entries).toEqual([
      { name: 'dst/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: NOW.getTime(), linkname: null, body: '' },
      { name: 'dst/file.txt', type: 'file', mode: 0o640, uid: 0, gid: 0, mtime: Date.parse('2020-01-02T03:04:05Z'), linkname: null, body: 'a\n' },
    ]);
  });

  it('a file to a path not ending in / is that path; ./ and / before a source change nothing', async () => {
    expect(names((await copy({ sources: ['./file.txt'], dest: '/newname' })).entries)).toEqual(['newname']); // buildah
    expect(names((await copy({ sources: ['/file.txt'], dest: '/a/b/c' })).entries)).toEqual(['a/', 'a/b/', 'a/b/c']);
  });

  it('a directory copies its contents, not itself, with modes, subdirectories and hard links', async () => {
    const { entries } = await copy({ sources: ['dir'], dest: '/d2' }); // buildah
    expect(names(entries)).toEqual(['d2/', 'd2/f1', 'd2/s/', 'd2/s/f2', 'd2/s/h']);
    expect(find(entries, 'd2/s/').mode).toBe(0o751);
    expect(find(entries, 'd2/s/f2').mode).toBe(0o600);
    expect(find(entries, 'd2/s/h')).toMatchObject({ type: 'link', linkname: 'd2/f1' });
  });

  it('a wildcard: each match is a source, a matching directory gives its contents', async () => {
    expect(names((await copy({ sources: ['d*'], dest: '/w/' })).entries)).toEqual(['w/x', 'w/y', 'w/f1', 'w/s/', 'w/s/f2', 'w/s/h']); // buildah (d1, d2, dir)
    const txt = await copy({ sources: ['*.txt'], dest: '/m/' }); // buildah
    expect(names(txt.entries)).toEqual(['m/', 'm/b.txt', 'm/file.txt', 'm/link.txt']);
    expect(find(txt.entries, 'm/link.txt')).toMatchObject({ type: 'file', body: 'a\n' }); // a symlink source is followed
  });

  it('a large file is streamed whole', async () => {
    const big = Buffer.alloc(3 * 2 ** 20 + 5, 'z');
    write(join(ctx, 'big/blob'), big);
    const { entries } = await copy({ sources: ['big/blob'], dest: '/b' });
    expect(find(entries, 'b').body.length).toBe(big.length);
  });

  it('a wildcard matching one file needs no trailing /', async () => {
    expect(names((await copy({ sources: ['file.t?t'], dest: '/one' })).entries)).toEqual(['one']);
  });

  it('symlinks in a source are followed inside the context, never out of it', async () => {
    expect(find((await copy({ sources: ['abs-in'], dest: '/x' })).entries, 'x').body).toBe('a\n');
    await expect(copy({ sources: ['abs-link'], dest: '/x' })).rejects.toMatchObject({ code: 'COPY_SOURCE_NOT_FOUND' }); // buildah: not found too
  });

  it('relative destinations are under WORKDIR; . is WORKDIR itself', async () => {
    expect(names((await copy({ sources: ['file.txt'], dest: '.', workdir: '/w' })).entries)).toEqual(['w/file.txt']); // buildah
    expect(names((await copy({ sources: ['file.txt'], dest: 'sub/', workdir: '/w' })).entries)).toEqual(['w/sub/', 'w/sub/file.txt']); // buildah
    expect(names((await copy({ sources: ['file.txt'], dest: './name', workdir: '/w' })).entries)).toEqual(['w/name']); // buildah
  });

  it('a destination through a symlink of the image lands where it points', async () => {
    const slash = await copy({ sources: ['file.txt'], dest: '/app/' }); // buildah: /srv/file.txt
    expect(names(slash.entries)).toEqual(['srv/file.txt']);
    expect(slash.dest).toBe('/srv');
    expect(names((await copy({ sources: ['file.txt'], dest: '/app' })).entries)).toEqual(['srv/file.txt']); // an existing directory
  });

  it('the tar lands where it says when extracted into the container root', async () => {
    const root = join(base, 'extract-root');
    execFileSync('cp', ['-a', target, root]);
    const { tar } = await copy({ sources: ['dir', 'file.txt'], dest: '/app/', targetRoot: root });
    await extractToPath({ root, path: '/', container: 'test', input: Readable.from([tar]), tmpRoot: base, noOverwriteDirNonDir: false });
    expect(readFileSync(join(root, 'srv/file.txt'), 'utf8')).toBe('a\n');
    expect(readFileSync(join(root, 'srv/s/f2'), 'utf8')).toBe('2\n');
    expect(lstatSync(join(root, 'app')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(root, 'srv/s/h')).ino).toBe(lstatSync(join(root, 'srv/f1')).ino);
  });
});

describe('COPY errors, worded as Docker words them', () => {
  const cases: [string, Args, string, string][] = [
    ['several sources, no trailing /', { sources: ['file.txt', 'b.txt'], dest: '/nodir' }, 'COPY_DEST_NOT_DIRECTORY', 'When using COPY with more than one source file, the destination must be a directory and end with a /'], // buildah differs: it makes /nodir/
    ['a wildcard matching nothing', { sources: ['nomatch*'], dest: '/x/' }, 'COPY_NO_SOURCES', 'COPY failed: no source files were specified'],
    ['a missing file', { sources: ['missing'], dest: '/x' }, 'COPY_SOURCE_NOT_FOUND', 'COPY failed: file not found in build context or excluded by .dockerignore: stat missing: file does not exist'],
    ['a path outside the context', { sources: ['../x'], dest: '/x' }, 'COPY_OUTSIDE_CONTEXT', 'COPY failed: forbidden path outside the build context: ../x ()'],
    ['a path climbing out in the middle', { sources: ['dir/../../x'], dest: '/x' }, 'COPY_OUTSIDE_CONTEXT', 'COPY failed: forbidden path outside the build context: dir/../../x ()'],
    ['a URL for COPY', { sources: ['https://example.com/x'], dest: '/x' }, 'COPY_SOURCE_URL', "COPY failed: source can't be a URL for COPY"],
    ['a URL for ADD (not supported yet)', { instruction: 'ADD', sources: ['http://example.com/x'], dest: '/x' }, 'ADD_URL_UNSUPPORTED', 'ADD failed: ADD of a URL is not supported by Dockling yet: http://example.com/x (download it and COPY it, or use RUN)'],
    ['a missing file of a --from stage', { fromImage: true, sources: ['missing'], dest: '/x' }, 'COPY_SOURCE_NOT_FOUND', 'COPY failed: stat missing: file does not exist'],
    ['a parent of the destination that is a file', { sources: ['file.txt'], dest: '/afile/x' }, 'COPY_DEST_NOT_DIRECTORY', 'failed to copy files: mkdir /afile: not a directory'],
    ['a directory onto a file', { sources: ['dir'], dest: '/afile' }, 'COPY_DEST_NOT_DIRECTORY', 'failed to copy files: failed to copy directory: mkdir /afile: not a directory'],
  ];
  for (const [what, args, code, message] of cases) {
    it(what, async () => {
      await expect(copy(args)).rejects.toMatchObject({ code, message });
    });
  }
});

describe('--chown and --chmod', () => {
  it('names are looked up in the image’s /etc/passwd and /etc/group; numbers are used as they are', async () => {
    expect(find((await copy({ sources: ['file.txt'], dest: '/u2', chown: 'bob:staff' })).entries, 'u2')).toMatchObject({ uid: 1001, gid: 50 }); // buildah
    const num = await copy({ sources: ['file.txt'], dest: '/u3/', chown: '7:8' }); // buildah
    expect(num.entries.map((e) => [e.name, e.uid, e.gid])).toEqual([['u3/', 7, 8], ['u3/file.txt', 7, 8]]);
    expect(find((await copy({ sources: ['file.txt'], dest: '/u4', chown: '1001' })).entries, 'u4')).toMatchObject({ uid: 1001, gid: 1001 });
  });

  it('directories made above a file get the owner; above a directory copy they stay 0:0', async () => {
    const file = await copy({ sources: ['file.txt'], dest: '/n1/n2/n3', chown: 'bob:bobs' }); // buildah
    expect(file.entries.map((e) => [e.name, e.uid])).toEqual([['n1/', 1001], ['n1/n2/', 1001], ['n1/n2/n3', 1001]]);
    const dir = await copy({ sources: ['dir'], dest: '/n4/n5', chown: 'bob:bobs' }); // buildah differs: it chowns n4/ too
    expect(dir.entries.slice(0, 3).map((e) => [e.name, e.uid])).toEqual([['n4/', 0], ['n4/n5/', 1001], ['n4/n5/f1', 1001]]);
  });

  it('refuses unknown names and bad formats with the classic builder’s words', async () => {
    const pre = 'unable to convert uid/gid chown string to host mapping: ';
    await expect(copy({ sources: ['file.txt'], dest: '/x', chown: 'nobody' })).rejects.toMatchObject({ code: 'COPY_CHOWN_INVALID', message: `${pre}can't find uid for user nobody: no such user: nobody` });
    // A user alone means the group of the same *name* (buildah differs: it takes bob's primary group).
    await expect(copy({ sources: ['file.txt'], dest: '/x', chown: 'bob' })).rejects.toMatchObject({ message: `${pre}can't find gid for group bob: no such group: bob` });
    await expect(copy({ sources: ['file.txt'], dest: '/x', chown: 'a:b:c' })).rejects.toMatchObject({ message: `${pre}invalid chown string format: a:b:c` });
    await expect(copy({ sources: ['file.txt'], dest: '/x', chown: 'bob', targetRoot: join(base, 'nowhere') })).rejects.toMatchObject({ message: `${pre}can't find uid for user bob: open /etc/passwd: no such file or directory` });
  });

  it('--chmod sets the mode of what is copied, not of the directories made for it', async () => {
    expect(find((await copy({ sources: ['file.txt'], dest: '/x', chmod: '0755' })).entries, 'x').mode).toBe(0o755); // buildah
    const dir = await copy({ sources: ['dir'], dest: '/x/y', chmod: '0640' }); // buildah
    expect(dir.entries.map((e) => [e.name, e.mode.toString(8)])).toEqual([['x/', '755'], ['x/y/', '755'], ['x/y/f1', '640'], ['x/y/s/', '640'], ['x/y/s/f2', '640'], ['x/y/s/h', '640']]);
    await expect(copy({ sources: ['file.txt'], dest: '/x', chmod: 'u+x' })).rejects.toMatchObject({ code: 'COPY_CHMOD_INVALID' });
  });

  it('COPY --from keeps the owners of the stage’s files unless --chown is given', async () => {
    const stage = join(base, 'stage');
    write(join(stage, 'bin/tool'), 'tool\n', 0o755);
    chownSync(join(stage, 'bin/tool'), 5, 6);
    expect(find((await copy({ root: stage, fromImage: true, sources: ['/bin/tool'], dest: '/t' })).entries, 't')).toMatchObject({ uid: 5, gid: 6, mode: 0o755 });
    expect(find((await copy({ root: stage, sources: ['/bin/tool'], dest: '/t' })).entries, 't')).toMatchObject({ uid: 0, gid: 0 });
  });
});

describe('ADD: a local archive is unpacked, anything else copied', () => {
  const archives = ['app.tar', 'app.tgz', ...(hostTools ? ['app.tar.xz', 'app.tar.bz2', 'app.tar.zst'] : [])];
  for (const src of archives) {
    it(`${src} is unpacked with its own owners, modes, times and hard links`, async () => {
      const { entries } = await copy({ instruction: 'ADD', sources: [src], dest: '/x1' }); // buildah (gz, xz, bz2, zst)
      expect(entries.map((e) => [e.name, e.type, e.uid, e.gid, e.mode.toString(8)])).toEqual([
        ['x1/', 'directory', 0, 0, '755'],
        ['x1/top/', 'directory', 123, 456, '755'],
        ['x1/top/hl', 'file', 123, 456, '644'],
        ['x1/top/sub/', 'directory', 123, 456, '700'],
        ['x1/top/sub/file', 'link', 123, 456, '644'],
        ['x1/abs/x', 'file', 0, 0, '644'],
      ]);
      expect(find(entries, 'x1/top/sub/file').linkname).toBe('x1/top/hl');
      expect(find(entries, 'x1/top/hl').mtime).toBe(Date.parse('2001-01-01T00:00:00Z'));
    });
  }

  it('--chown does not apply to an archive’s entries, nor to the directory made for them', async () => {
    const { entries } = await copy({ instruction: 'ADD', sources: ['app.tar'], dest: '/x7', chown: 'bob:staff' }); // buildah differs on x7/ (it chowns it)
    expect(entries.slice(0, 2).map((e) => [e.name, e.uid, e.gid])).toEqual([['x7/', 0, 0], ['x7/top/', 123, 456]]);
  });

  it('a gzip of something that is not a tar is copied as it is; COPY never unpacks', async () => {
    expect(names((await copy({ instruction: 'ADD', sources: ['notatar.gz'], dest: '/x6/' })).entries)).toEqual(['x6/', 'x6/notatar.gz']); // buildah
    expect(names((await copy({ sources: ['app.tar'], dest: '/c/' })).entries)).toEqual(['c/', 'c/app.tar']);
  });

  it('an archive entry climbing out of the destination is refused', async () => {
    write(join(ctx, 'evil.tar'), await buildTar([{ name: '../../etc/evil', data: 'x' }]));
    await expect(copy({ instruction: 'ADD', sources: ['evil.tar'], dest: '/x' })).rejects.toMatchObject({ code: 'ADD_ARCHIVE_INVALID' });
  });
});

describe('the checksum the build cache keys on', () => {
  it('is stable, changes with a byte or a mode, and not with an mtime', async () => {
    const c = join(base, 'sum-ctx');
    write(join(c, 'd/a'), 'one\n');
    write(join(c, 'd/b'), 'two\n');
    const sum = (sources = ['d']) => resolveCopySources({ instruction: 'COPY', root: c, sources, dest: '/x/' }).checksum;
    const first = sum();
    expect(first).toMatch(/^dir:[0-9a-f]{64}$/);
    expect(sum()).toBe(first);
    utimesSync(join(c, 'd/a'), new Date(0), new Date(0));
    expect(sum()).toBe(first);
    writeFileSync(join(c, 'd/a'), 'onE\n');
    const byte = sum();
    expect(byte).not.toBe(first);
    chmodSync(join(c, 'd/b'), 0o600);
    expect(sum()).not.toBe(byte);
    expect(sum(['d/a'])).toMatch(/^file:[0-9a-f]{64}$/);
    expect(sum(['d/a', 'd/b'])).toMatch(/^multi:[0-9a-f]{64}$/);
  });

  it('hashes a file as a tarsum v1 entry: its header fields, then its bytes', async () => {
    const c = join(base, 'sum-file');
    write(join(c, 'f'), 'hi\n', 0o644);
    chownSync(join(c, 'f'), 0, 0);
    const header = 'namefmode420uid0gid0size3typeflag0linknameunamegnamedevmajor0devminor0';
    const want = (await import('node:crypto')).createHash('sha256').update(header).update('hi\n').digest('hex');
    expect(resolveCopySources({ instruction: 'COPY', root: c, sources: ['f'], dest: '/f' }).checksum).toBe(`file:${want}`);
  });

  it('is the same for the same files in another context directory', async () => {
    const a = join(base, 'twin-a');
    const b = join(base, 'twin-b');
    for (const d of [a, b]) write(join(d, 'src/x'), 'same\n');
    const sum = (root: string) => resolveCopySources({ instruction: 'COPY', root, sources: ['src'], dest: '/' }).checksum;
    expect(sum(a)).toBe(sum(b));
    expect(existsSync(join(a, 'src/x'))).toBe(true);
  });
});
