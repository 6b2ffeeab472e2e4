// Chapter 5: the build context, both halves. packContext (the CLI's) against a real directory:
// what `.dockerignore` leaves out, what it cannot (the Dockerfile, `.dockerignore`), how an
// excluded directory with an exception is walked, and a Dockerfile from outside the context.
// unpackContext (the daemon's) on that tar and on hostile ones, each refused with the entry
// named and nothing written beside the target.
import { beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { packContext } from '../../engine/build/context.js';
import { readContextDockerfile, unpackContext } from '../../engine/build/context-unpack.js';
import { buildTar, type FixtureEntry } from '../layers/fixtures/tar.js';
import { tempDir } from '../tmp.js';
import { list } from './tar-listing.js';


async function pack(opts: Omit<Parameters<typeof packContext>[0], 'out'>): Promise<{ tar: Buffer; dockerfile: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const r = await packContext({ ...opts, out });
  return { tar: Buffer.concat(chunks), dockerfile: r.dockerfile };
}

const write = (path: string, data: string) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, data);
};

let base: string;
let ctx: string;

beforeEach(async () => {
  base = await tempDir('dockling-context-');
  ctx = join(base, 'ctx');
  for (const f of ['a.txt', 'b.log', 'secret/private.txt', 'secret/public.txt', 'node_modules/x/y.js', 'src/main.c', 'src/deep/z.log']) write(join(ctx, f), `${f}\n`);
  write(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
  write(join(ctx, '.dockerignore'), '# what never reaches the daemon\nDockerfile\n.dockerignore\n**/*.log\nsecret\n!secret/public.txt\nnode_modules\n');
  symlinkSync('a.txt', join(ctx, 'link'));
  linkSync(join(ctx, 'a.txt'), join(ctx, 'hard'));
  chmodSync(join(ctx, 'src/main.c'), 0o751);
  utimesSync(join(ctx, 'a.txt'), new Date('2020-01-02T03:04:05.678Z'), new Date('2020-01-02T03:04:05.678Z'));
});

describe('packContext (the docker CLI’s half)', () => {
  it('sends what .dockerignore keeps, and always the Dockerfile and .dockerignore', async () => {
    const { tar, dockerfile } = await pack({ dir: ctx, cwd: base });
    expect(dockerfile).toBe('Dockerfile');
    const entries = await list(tar);
    // Names sorted by bytes, a directory before its contents; `secret/` itself is not sent (it
    // is excluded; the walk only entered it for the exception), nor anything under node_modules.
    expect(entries.map((e) => e.name)).toEqual(['.dockerignore', 'Dockerfile', 'a.txt', 'hard', 'link', 'secret/public.txt', 'src/', 'src/deep/', 'src/main.c']);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('a.txt')).toMatchObject({ type: 'file', uid: 0, gid: 0, mode: 0o644, mtime: Date.parse('2020-01-02T03:04:05Z'), body: 'a.txt\n' });
    expect(byName.get('hard')).toMatchObject({ type: 'link', linkname: 'a.txt' });
    expect(byName.get('link')).toMatchObject({ type: 'symlink', linkname: 'a.txt' });
    expect(byName.get('src/main.c')!.mode).toBe(0o751);
  });

  it('round-trips through unpackContext, and the daemon then drops the ignored build files', async () => {
    const { tar } = await pack({ dir: ctx, cwd: base, compression: 'gzip' });
    expect(tar[0]).toBe(0x1f);
    const dir = join(base, 'unpacked');
    mkdirSync(dir);
    const r = await unpackContext({ input: Readable.from([tar]), dir });
    expect(r).toMatchObject({ compression: 'gzip', entries: 9 });
    expect(readFileSync(join(dir, 'secret/public.txt'), 'utf8')).toBe('secret/public.txt\n');
    expect(statSync(join(dir, 'secret')).mode & 0o7777).toBe(0o755); // made for the file under it
    expect(lstatSync(join(dir, 'hard')).ino).toBe(lstatSync(join(dir, 'a.txt')).ino);
    expect(statSync(join(dir, 'a.txt')).mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z');
    const df = readContextDockerfile({ dir, name: 'Dockerfile' });
    expect(df.text).toBe('FROM scratch\nCOPY . /\n');
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'hard', 'link', 'secret', 'src']);
  });

  it('keeps a Dockerfile inside an excluded directory: the walk enters it for that one file', async () => {
    write(join(ctx, 'sub/Dockerfile'), 'FROM scratch\n');
    write(join(ctx, 'sub/other'), 'x\n');
    write(join(ctx, '.dockerignore'), 'sub\n');
    const { tar, dockerfile } = await pack({ dir: ctx, cwd: ctx, dockerfile: 'sub/Dockerfile' });
    expect(dockerfile).toBe('sub/Dockerfile');
    expect((await list(tar)).map((e) => e.name).filter((n) => n.startsWith('sub'))).toEqual(['sub/Dockerfile']);
  });

  it('keeps the build files in the context when .dockerignore does not exclude them', async () => {
    write(join(ctx, '.dockerignore'), '*.log\n');
    const dir = join(base, 'unpacked');
    mkdirSync(dir);
    await unpackContext({ input: Readable.from([(await pack({ dir: ctx, cwd: base })).tar]), dir });
    readContextDockerfile({ dir });
    expect(existsSync(join(dir, 'Dockerfile')) && existsSync(join(dir, '.dockerignore'))).toBe(true);
  });

  it('adds a Dockerfile from outside the context under a random name, listed in .dockerignore', async () => {
    write(join(base, 'elsewhere/Build.df'), 'FROM scratch\n');
    const { tar, dockerfile } = await pack({ dir: 'ctx', dockerfile: 'elsewhere/Build.df', cwd: base, now: new Date('2024-01-01T00:00:00Z') });
    expect(dockerfile).toMatch(/^\.dockerfile\.[0-9a-f]{20}$/);
    const entries = await list(tar);
    expect(entries.at(-1)).toMatchObject({ name: dockerfile, mode: 0o600, body: 'FROM scratch\n' });
    expect(entries.find((e) => e.name === '.dockerignore')!.body).toMatch(new RegExp(`\nnode_modules\n\n${dockerfile}\n$`));
    const dir = join(base, 'unpacked');
    mkdirSync(dir);
    await unpackContext({ input: Readable.from([tar]), dir });
    expect(readContextDockerfile({ dir, name: dockerfile }).text).toBe('FROM scratch\n');
    expect(existsSync(join(dir, dockerfile))).toBe(false);
  });

  it('writes a .dockerignore naming itself and the added Dockerfile when there was none (stdin)', async () => {
    rmSync(join(ctx, '.dockerignore'));
    const { tar, dockerfile } = await pack({ dir: ctx, cwd: base, dockerfileContent: Buffer.from('FROM scratch\n') });
    const ignore = (await list(tar)).find((e) => e.name === '.dockerignore')!;
    expect(ignore).toMatchObject({ mode: 0o600, body: `.dockerignore\n${dockerfile}\n` });
  });

  it('streams a large file whole, and unpacks it whole', async () => {
    writeFileSync(join(ctx, 'big'), Buffer.alloc(2 ** 21 + 7, 'b'));
    const { tar } = await pack({ dir: ctx, cwd: base });
    const dir = join(base, 'unpacked');
    mkdirSync(dir);
    await unpackContext({ input: Readable.from([tar]), dir });
    expect(statSync(join(dir, 'big')).size).toBe(2 ** 21 + 7);
  });

  it('refuses a missing context and a missing Dockerfile', async () => {
    await expect(pack({ dir: 'nope', cwd: base })).rejects.toMatchObject({ code: 'BUILD_CONTEXT_NOT_FOUND' });
    await expect(pack({ dir: ctx, cwd: base, dockerfile: 'missing.df' })).rejects.toMatchObject({ code: 'BUILD_DOCKERFILE_NOT_FOUND' });
  });
});

/** Each hostile context, named after the error it must produce. `o` is a directory beside the target. */
const hostile: Record<string, Array<{ what: string; entries: (o: string) => FixtureEntry[] }>> = {
  BUILD_CONTEXT_INVALID: [
    { what: 'an absolute name', entries: (o) => [{ name: `${o}/abs.txt`, data: 'x' }] },
    { what: '../ climbing out', entries: () => [{ name: '../outside/dotdot.txt', data: 'x' }] },
    { what: 'a/../../ climbing out', entries: () => [{ name: 'a/../../outside/dotdot.txt', data: 'x' }] },
    { what: 'a relative symlink pointing out', entries: () => [{ name: 'esc', type: 'symlink', linkname: '../outside' }] },
    { what: 'an absolute symlink, then a file through it', entries: (o) => [{ name: 'esc', type: 'symlink', linkname: o }, { name: 'esc/through.txt', data: 'x' }] },
    { what: 'a symlink inside, then a directory through it', entries: () => [{ name: 'd/', type: 'directory' }, { name: 'l', type: 'symlink', linkname: 'd' }, { name: 'l/sub/', type: 'directory' }] },
    { what: 'a hard link out by ..', entries: () => [{ name: 'hl', type: 'link', linkname: '../outside/victim' }] },
    { what: 'a hard link to an absolute path', entries: (o) => [{ name: 'hl', type: 'link', linkname: `${o}/victim` }] },
    { what: 'a hard link to a name not in the tar', entries: () => [{ name: 'hl', type: 'link', linkname: 'nothing' }] },
  ],
  BUILD_CONTEXT_TOO_LARGE: [
    { what: 'more entries than the limit (3)', entries: () => ['a', 'b', 'c', 'd'].map((name) => ({ name, data: 'x' })) },
    { what: 'more bytes than the limit (100)', entries: () => [{ name: 'big', data: Buffer.alloc(101) }] },
  ],
};

describe('unpackContext (the daemon’s half) on hostile tars', () => {
  for (const [code, cases] of Object.entries(hostile)) {
    for (const c of cases) {
      it(`${code}: ${c.what}`, async () => {
        const outside = join(base, 'outside');
        mkdirSync(outside);
        writeFileSync(join(outside, 'victim'), 'precious');
        const dir = join(base, 'target');
        mkdirSync(dir);
        const entries = c.entries(outside);
        const err = await unpackContext({ input: Readable.from([await buildTar(entries)]), dir, limits: { entries: 3, bytes: 100 } }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code });
        expect((err as Error).message).toContain(JSON.stringify(entries.at(-1)!.name));
        expect(readdirSync(outside)).toEqual(['victim']);
        expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('precious');
      });
    }
  }

  it('a hard link to an absolute symlink is made, but never followed by chmod or utimes', async () => {
    const victim = join(base, 'victim');
    writeFileSync(victim, 'precious');
    chmodSync(victim, 0o600);
    const dir = join(base, 'target');
    mkdirSync(dir);
    await unpackContext({ input: Readable.from([await buildTar([{ name: 's', type: 'symlink', linkname: victim }, { name: 'h', type: 'link', linkname: 's', mode: 0o777 }])]), dir });
    expect(lstatSync(join(dir, 'h')).isSymbolicLink()).toBe(true);
    expect(statSync(victim).mode & 0o777).toBe(0o600);
  });

  it('refuses a compression other than gzip, garbage, and a directory that is not empty', async () => {
    const dir = join(base, 'target');
    mkdirSync(dir);
    const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]);
    await expect(unpackContext({ input: Readable.from([xz]), dir })).rejects.toMatchObject({ code: 'BUILD_CONTEXT_INVALID' });
    await expect(unpackContext({ input: Readable.from([Buffer.alloc(700, 'garbage')]), dir })).rejects.toMatchObject({ code: 'BUILD_CONTEXT_INVALID' });
    writeFileSync(join(dir, 'x'), '');
    await expect(unpackContext({ input: Readable.from([await buildTar([])]), dir })).rejects.toMatchObject({ code: 'BUILD_CONTEXT_DIR_NOT_EMPTY' });
  });

  it('reads the Dockerfile inside the context only, and says so when it is missing or empty', async () => {
    const dir = join(base, 'target');
    mkdirSync(dir);
    await unpackContext({ input: Readable.from([await buildTar([{ name: 'dockerfile', data: 'FROM x\n' }, { name: 'empty.df', data: '' }])]), dir });
    expect(readContextDockerfile({ dir })).toEqual({ name: 'dockerfile', text: 'FROM x\n' });
    expect(() => readContextDockerfile({ dir, name: 'other' })).toThrow(expect.objectContaining({ code: 'BUILD_DOCKERFILE_NOT_FOUND', message: 'Cannot locate specified Dockerfile: other' }));
    expect(() => readContextDockerfile({ dir, name: 'empty.df' })).toThrow(expect.objectContaining({ code: 'BUILD_DOCKERFILE_EMPTY' }));
    expect(() => readContextDockerfile({ dir, name: '../x' })).toThrow(expect.objectContaining({ code: 'BUILD_PATH_OUTSIDE_CONTEXT' }));
  });
});

// The gzip round trip above is checked byte-for-byte against gunzip here, so a context packed
// with compression is the same tar as one packed without.
it('a gzip context is the plain context, gzipped', async () => {
  const plain = await pack({ dir: ctx, cwd: base });
  const gz = await pack({ dir: ctx, cwd: base, compression: 'gzip' });
  expect(gunzipSync(gz.tar).equals(plain.tar)).toBe(true);
});
