// Chapter 5 end to end: `dockling build` against a real daemon — RUN in real containers, COPY
// from a real context, images in the real store — checked by what the build printed, what the
// image says (config, history, parent), what its files are (a container of it reads them), and
// what the cache does on the next build.
import { describe, expect, it } from 'vitest';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { api, dockling, makeTar, type RunResult } from '../daemon/harness.js';
import { useRuntimeDaemon } from '../daemon/runtime-leftovers.js';
import { tempDir } from '../tmp.js';
import { htpasswdFile, startDockling } from '../registry/server-harness.js';
import { tarOf } from '../registry/client-harness.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('skipping the builder tests: containers need root');
const { daemon } = useRuntimeDaemon({ enabled: isRoot, third: 95 });

/** A context directory with these files (a trailing / makes a directory). */
async function context(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('dkl-buildctx-');
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    if (name.endsWith('/')) await mkdir(path, { recursive: true });
    else {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
  }
  return dir;
}

const build = (dir: string, ...args: string[]) => dockling(daemon().host, ['build', ...args, dir]);
const inspect = async (name: string) => (await api(daemon().sock, 'GET', `/v1.50/images/${name}/json`)).json() as {
  Id: string; Parent: string; Config: Record<string, unknown>; RootFS: { Layers: string[] };
};
/** `cat` of files in a container of `image` (network none: nothing but the files matters). */
async function read(image: string, ...paths: string[]): Promise<string> {
  const r = await dockling(daemon().host, ['run', '--rm', '--network', 'none', image, 'cat', ...paths]);
  expect(r.stderr).toBe('');
  return r.stdout;
}
/** The steps of the daemon's last build, from its trace: keyword, cache hit, and the image made. */
async function tracedSteps(): Promise<Array<{ keyword: string; hit: boolean | null; image: string; emptyLayer: boolean }>> {
  const events = (await readFile(join(daemon().dataRoot, 'trace', 'events.jsonl'), 'utf8')).split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { span: string; parent: string | null; op: string; phase: string; data: Record<string, unknown> });
  const run = events.filter((e) => e.op === 'build.run' && e.phase === 'start').at(-1)!;
  const steps = events.filter((e) => e.op === 'build.step' && e.phase === 'start' && e.parent === run.span);
  return steps.map((st) => {
    const end = events.find((e) => e.span === st.span && e.phase === 'end')!;
    const cache = events.find((e) => e.span === st.span && e.op === 'build.cache');
    return { keyword: String(st.data.keyword), hit: cache ? Boolean(cache.data.hit) : null, image: String(end.data.image), emptyLayer: Boolean(end.data.emptyLayer) };
  });
}

const stepLines = (r: RunResult) => r.stdout.split('\n').filter((l) => l.startsWith('Step ') || l.startsWith(' ---> '));

const APP = `FROM busybox
ENV APP_HOME=/app GREETING=hello
WORKDIR /app
RUN echo "$GREETING" > /app/a.txt && echo one > /app/b.txt
COPY data.txt /app/data.txt
RUN echo two >> /app/b.txt && wc -c /app/data.txt > /app/size.txt
CMD ["/bin/sh", "-c", "cat /app/a.txt"]
`;

describe.skipIf(!isRoot)('dockling build', () => {
  it('builds a Dockerfile step by step, as the classic builder prints it, into an image that works', async () => {
    const dir = await context({ Dockerfile: APP, 'data.txt': 'some data\n' });
    const r = await build(dir, '-t', 'app:1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Sending build context to Docker daemon {2}\d+(\.\d+)?kB\n/);
    const lines = stepLines(r);
    expect(lines.filter((l) => l.startsWith('Step '))).toEqual(APP.trim().split('\n').map((l, i) => `Step ${i + 1}/7 : ${l}`));
    expect(lines.filter((l) => l.startsWith(' ---> Running in '))).toHaveLength(2); // the two RUNs
    expect(lines.filter((l) => l.startsWith(' ---> Removed intermediate container '))).toHaveLength(2);
    const image = await inspect('app:1');
    expect(r.stdout).toContain(`Successfully built ${image.Id.slice(7, 19)}\nSuccessfully tagged app:1\n`);
    expect(image.Config).toMatchObject({ WorkingDir: '/app', Cmd: ['/bin/sh', '-c', 'cat /app/a.txt'] });
    expect(image.Config.Env).toEqual(expect.arrayContaining(['APP_HOME=/app', 'GREETING=hello']));
    // the files the steps wrote, read back from a container of the image
    expect(await read('app:1', '/app/a.txt', '/app/b.txt', '/app/data.txt', '/app/size.txt')).toBe('hello\none\ntwo\nsome data\n10 /app/data.txt\n');
    // its history: one line per step, metadata steps without a layer
    const history = (await api(daemon().sock, 'GET', '/v1.50/images/app:1/history')).json() as Array<{ CreatedBy: string; Size: number }>;
    expect(history.slice(0, 6).map((h) => h.CreatedBy)).toEqual([
      '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "cat /app/a.txt"]',
      '/bin/sh -c echo two >> /app/b.txt && wc -c /app/data.txt > /app/size.txt',
      expect.stringMatching(/^\/bin\/sh -c #\(nop\) {2}COPY file:[0-9a-f]{64} in \/app\/data.txt $/),
      '/bin/sh -c echo "$GREETING" > /app/a.txt && echo one > /app/b.txt',
      '/bin/sh -c #(nop)  WORKDIR /app',
      '/bin/sh -c #(nop)  ENV APP_HOME=/app GREETING=hello',
    ]);
    expect(history[0]!.Size).toBe(0);
    expect(history[5]!.Size).toBe(0);
    // every step's row names its image, and the base's last row the base, as docker history shows a local build
    const ids = (history as unknown as Array<{ Id: string }>).map((h) => h.Id);
    expect(ids.slice(0, 6).every((id) => id.startsWith('sha256:'))).toBe(true);
    expect(ids[6]).toBe((await inspect('busybox')).Id);
    expect(ids[0]).toBe(image.Id);
    expect(ids[1]).toBe(image.Parent);
    // each step's image is the next one's parent: the chain is there, hidden from `images`
    expect(image.Parent).toMatch(/^sha256:/);
    const listed = (await dockling(daemon().host, ['images', '-q'])).stdout.split('\n').filter(Boolean);
    const all = (await dockling(daemon().host, ['images', '-a', '-q'])).stdout.split('\n').filter(Boolean);
    expect(listed).not.toContain(image.Parent.slice(7, 19));
    expect(all).toContain(image.Parent.slice(7, 19));
  });

  it('an unchanged rebuild is all cache hits and the same image; a changed file rebuilds from its COPY on; --no-cache none', async () => {
    const dir = await context({ Dockerfile: APP, 'data.txt': 'cached data\n' });
    const first = await build(dir, '-t', 'cache:1');
    expect(first.code, first.stderr).toBe(0);
    const id = (await inspect('cache:1')).Id;
    const again = await build(dir, '-t', 'cache:2');
    expect(again.code, again.stderr).toBe(0);
    expect(stepLines(again).filter((l) => l === ' ---> Using cache')).toHaveLength(6);
    expect(again.stdout).not.toContain('Running in');
    expect((await inspect('cache:2')).Id).toBe(id);
    // the trace has each step: its instruction, the cache's answer, the image it ended on
    const steps = await tracedSteps();
    expect(steps.map((x) => x.keyword)).toEqual(['FROM', 'ENV', 'WORKDIR', 'RUN', 'COPY', 'RUN', 'CMD']);
    expect(steps.map((x) => x.hit)).toEqual([null, true, true, true, true, true, true]);
    expect(steps.at(-1)!.image).toBe(id);
    expect(steps.slice(1).map((x) => x.emptyLayer)).toEqual([true, false, false, false, false, true]); // ENV, CMD: config only
    // a byte changed in data.txt: ENV, WORKDIR and the first RUN still hit; COPY and after do not
    await writeFile(join(dir, 'data.txt'), 'cached dat4\n');
    const changed = await build(dir, '-t', 'cache:3');
    expect(changed.code, changed.stderr).toBe(0);
    const lines = stepLines(changed);
    const hits = lines.flatMap((l, i) => (l === ' ---> Using cache' ? [lines.slice(0, i).filter((x) => x.startsWith('Step ')).length] : []));
    expect(hits).toEqual([2, 3, 4]);
    expect(await read('cache:3', '/app/data.txt')).toBe('cached dat4\n');
    const none = await build(dir, '--no-cache', '-t', 'cache:4');
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).not.toContain('Using cache');
    expect((await inspect('cache:4')).Id).not.toBe((await inspect('cache:3')).Id);
  });

  it('a failing RUN stops the build with its exit status and message, tags nothing, and keeps its container (unless --force-rm)', async () => {
    const dir = await context({ Dockerfile: 'FROM busybox\nRUN echo before\nRUN echo failing; exit 3\nRUN echo never\n' });
    const r = await build(dir, '-t', 'fails:1');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Step 3/4 : RUN echo failing; exit 3\n');
    expect(r.stdout).toContain('failing\n');
    expect(r.stdout).not.toContain('Step 4/4');
    expect(r.stderr).toBe("The command '/bin/sh -c echo failing; exit 3' returned a non-zero code: 3\n");
    expect((await api(daemon().sock, 'GET', '/v1.50/images/fails:1/json')).status).toBe(404);
    const kept = (await api(daemon().sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string; Command: string }>;
    expect(kept.filter((c) => c.Command.includes('exit 3'))).toHaveLength(1);
    await api(daemon().sock, 'DELETE', `/v1.50/containers/${kept[0]!.Id}?force=1`);
    const forced = await build(dir, '--force-rm', '-t', 'fails:2');
    expect(forced.code).toBe(3);
    expect((await api(daemon().sock, 'GET', '/v1.50/containers/json?all=1')).json()).toEqual([]);
  });

  it('a context of megabytes is streamed while packed: built, its bytes all there (a full pipe once ended the CLI silently)', async () => {
    const dir = await context({ Dockerfile: 'FROM busybox\nCOPY big.bin /big.bin\n' });
    const big = Buffer.alloc(3 << 20);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i); // not all zeros, not compressible to nothing
    await writeFile(join(dir, 'big.bin'), big);
    const r = await build(dir, '-t', 'bigctx:1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Sending build context to Docker daemon {2}3\.\d+MB\n/);
    expect(r.stdout).toContain('Successfully tagged bigctx:1\n');
    const sum = await dockling(daemon().host, ['run', '--rm', '--network', 'none', 'bigctx:1', 'sha256sum', '/big.bin']);
    expect(sum.stdout.split(' ')[0]).toBe(createHash('sha256').update(big).digest('hex'));
    // -f from outside the context: the added Dockerfile's name is chosen before the tar is made.
    const outside = await context({ 'Dockerfile.other': 'FROM busybox\nCOPY big.bin /again.bin\n' });
    const r2 = await dockling(daemon().host, ['build', '-f', join(outside, 'Dockerfile.other'), '-t', 'bigctx:2', dir]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toContain('Successfully tagged bigctx:2\n');
  });

  it('refuses a malformed Dockerfile naming the line, before any step', async () => {
    const dir = await context({ Dockerfile: 'FROM busybox\nRUNN echo typo\n' });
    const r = await build(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2: unknown instruction: RUNN/);
    expect(r.stdout).not.toContain('Step 1');
    const empty = await build(await context({ Dockerfile: '\n# only a comment\n' }));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/cannot be empty|no instructions/);
  });

  it('never reads outside the context: COPY ../ is refused, .dockerignore is honoured, ! brings a file back', async () => {
    const outside = await build(await context({ Dockerfile: 'FROM busybox\nCOPY ../secret /s\n' }));
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/outside the build context|not found/);
    const dir = await context({
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\n',
      '.dockerignore': 'logs/\n*.tmp\n!keep.tmp\n',
      'app.txt': 'app', 'logs/a.log': 'log', 'x.tmp': 'x', 'keep.tmp': 'keep',
    });
    const r = await build(dir, '-t', 'ignored:1');
    expect(r.code, r.stderr).toBe(0);
    const ls = await dockling(daemon().host, ['run', '--rm', '--network', 'none', 'ignored:1', 'ls', '-A', '/ctx']);
    expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(['.dockerignore', 'Dockerfile', 'app.txt', 'keep.tmp']);
    // ignoring the build files themselves: they are still sent (to be read), then left out
    await writeFile(join(dir, '.dockerignore'), 'logs/\n*.tmp\nDockerfile\n.dockerignore\n');
    expect((await build(dir, '-t', 'ignored:2')).code).toBe(0);
    const ls2 = await dockling(daemon().host, ['run', '--rm', '--network', 'none', 'ignored:2', 'ls', '-A', '/ctx']);
    expect(ls2.stdout.split('\n').filter(Boolean)).toEqual(['app.txt']);
  });

  it('multi-stage: COPY --from a named stage; --target stops at a stage', async () => {
    const dir = await context({
      Dockerfile: 'FROM busybox AS builder\nRUN echo compiled > /out.bin\nFROM busybox\nCOPY --from=builder /out.bin /app/out.bin\nCMD ["cat", "/app/out.bin"]\n',
    });
    const r = await build(dir, '-t', 'multi:1');
    expect(r.code, r.stderr).toBe(0);
    expect(await read('multi:1', '/app/out.bin')).toBe('compiled\n');
    const t = await build(dir, '--target', 'builder', '-t', 'multi:builder');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).not.toContain('Step 3/');
    expect(await read('multi:builder', '/out.bin')).toBe('compiled\n');
    const missing = await build(dir, '--target', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('failed to reach build target nope in Dockerfile');
  });

  it('ARG and --build-arg: the value reaches RUN (and its history line), not the image; an unused one is reported', async () => {
    const dir = await context({ Dockerfile: 'FROM busybox\nARG VERSION=1\nRUN echo "v$VERSION" > /version\n' });
    const r = await build(dir, '--build-arg', 'VERSION=2', '--build-arg', 'UNUSED=x', '-t', 'args:1');
    expect(r.code, r.stderr).toBe(0);
    expect(await read('args:1', '/version')).toBe('v2\n');
    expect(r.stdout).toContain('[Warning] One or more build-args [UNUSED] were not consumed');
    const image = await inspect('args:1');
    expect((image.Config.Env as string[]).some((e) => e.startsWith('VERSION='))).toBe(false);
    const history = (await api(daemon().sock, 'GET', '/v1.50/images/args:1/history')).json() as Array<{ CreatedBy: string }>;
    expect(history[0]!.CreatedBy).toBe('|1 VERSION=2 /bin/sh -c echo "v$VERSION" > /version');
    // the default when no --build-arg: a different history line, so a different (uncached) step
    const d = await build(dir, '-t', 'args:2');
    expect(await read('args:2', '/version')).toBe('v1\n');
    expect(d.stdout.match(/Using cache/g)).toHaveLength(1); // only ARG's own step
  });

  it('ONBUILD triggers run when the image is used in FROM, and are not handed down', async () => {
    const base = await build(await context({ Dockerfile: 'FROM busybox\nONBUILD RUN echo triggered > /onbuild\n' }), '-t', 'onbase:1');
    expect(base.code, base.stderr).toBe(0);
    expect((await inspect('onbase:1')).Config.OnBuild).toEqual(['RUN echo triggered > /onbuild']);
    const child = await build(await context({ Dockerfile: 'FROM onbase:1\nRUN true\n' }), '-t', 'onchild:1');
    expect(child.code, child.stderr).toBe(0);
    expect(child.stdout).toContain('# Executing 1 build trigger\n');
    expect(await read('onchild:1', '/onbuild')).toBe('triggered\n');
    expect((await inspect('onchild:1')).Config.OnBuild ?? null).toBeNull();
  });

  it('rmi of a built image removes its intermediate images with it', async () => {
    const dir = await context({ Dockerfile: 'FROM busybox\nENV A=1\nRUN echo x > /x\n' });
    expect((await build(dir, '-t', 'gone:1')).code).toBe(0);
    const image = await inspect('gone:1');
    const r = await dockling(daemon().host, ['rmi', 'gone:1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Deleted: ${image.Id}`);
    expect(r.stdout).toContain(`Deleted: ${image.Parent}`);
    expect((await api(daemon().sock, 'GET', `/v1.50/images/${image.Parent}/json`)).status).toBe(404);
    expect((await api(daemon().sock, 'GET', '/v1.50/images/busybox/json')).status).toBe(200);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a 128th layer with a clear message; a config step on 127 layers is fine', async () => {
    // an image of 127 one-file layers, loaded as a docker-archive
    const layers = await Promise.all(Array.from({ length: 127 }, (_, i) => makeTar({ [`l${i}`]: String(i) })));
    const diffIds = layers.map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } }));
    const manifest = [{ Config: 'config.json', RepoTags: ['deep:127'], Layers: layers.map((_, i) => `${i}.tar`) }];
    const archive = await tarOf({ 'config.json': config, 'manifest.json': Buffer.from(JSON.stringify(manifest)), ...Object.fromEntries(layers.map((l, i) => [`${i}.tar`, l])) });
    expect((await api(daemon().sock, 'POST', '/v1.50/images/load?quiet=1', { body: archive, headers: { 'Content-Type': 'application/x-tar' } })).status).toBe(200);
    expect((await inspect('deep:127')).RootFS.Layers).toHaveLength(127);
    const run = await build(await context({ Dockerfile: 'FROM deep:127\nENV A=1\nRUN true\n' }), '-t', 'deep:128');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Step 2/3 : ENV A=1\n');
    expect(run.stderr).toContain('max depth exceeded: the image has 127 layers, and an image can have at most 127');
    expect(run.stdout).not.toContain('Running in');
    expect((await api(daemon().sock, 'GET', '/v1.50/images/deep:128/json')).status).toBe(404);
  });

  it('FROM an image in a registry that wants a password: pulled with the credentials login kept (X-Registry-Config)', async () => {
    const dir = await tempDir('dkl-build-registry-');
    const reg = await startDockling({ htpasswd: await htpasswdFile(dir, [{ username: 'bob', password: 'secret' }]) });
    try {
      const host = new URL(reg.url).host;
      const withLogin = { DOCKER_CONFIG: join(dir, 'logged-in') };
      const cli = (env: Record<string, string>, args: string[], input?: string) => dockling(daemon().host, args, { env, ...(input ? { input: Buffer.from(input) } : {}) });
      expect((await cli(withLogin, ['login', '-u', 'bob', '--password-stdin', host], 'secret\n')).code).toBe(0);
      expect((await cli(withLogin, ['tag', 'busybox', `${host}/base/busybox:1`])).code).toBe(0);
      expect((await cli(withLogin, ['push', '-q', `${host}/base/busybox:1`])).code).toBe(0);
      expect((await cli(withLogin, ['rmi', `${host}/base/busybox:1`])).code).toBe(0);
      const ctx = await context({ Dockerfile: `FROM ${host}/base/busybox:1\nRUN echo pulled > /p\n` });
      const anonymous = await cli({ DOCKER_CONFIG: join(dir, 'nobody') }, ['build', ctx]);
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toMatch(/unauthorized/);
      const r = await cli(withLogin, ['build', '-t', 'fromreg:1', ctx]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Pulling from base/busybox');
      expect(await read('fromreg:1', '/p')).toBe('pulled\n');
    } finally {
      await reg.stop();
    }
  });

  it('POST /build refuses bad parameters with a 400 before reading the context', async () => {
    const r = await api(daemon().sock, 'POST', '/v1.50/build?buildargs=not-json', { body: Buffer.alloc(1024), headers: { 'Content-Type': 'application/x-tar' } });
    expect(r.status).toBe(400);
    expect(r.json().message).toContain('invalid buildargs parameter');
  });
});
