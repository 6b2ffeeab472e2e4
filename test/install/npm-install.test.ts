// Installing Dockling as a command (issue 11): `npm pack` makes a tarball of the compiled engine
// and the helpers' C sources, and `npm install -g` of it builds the static helpers on the
// installing machine (engine/namespaces/install-helpers.mjs) and puts `dockling` on PATH. Each
// install goes into a temporary prefix, never the real global one; the packages come from the
// npm cache `npm ci` filled. The daemon part (a container run through the installed command)
// needs root. Also: a missing compiler, a missing static libc and an old Node each stop the
// install and say what to install; and `npm install -g <clone>` links the clone and
// runs its prepare, which builds it when its dependencies are installed and asks for `npm ci`
// when they are not (npm installs none in a linked folder). The clone is of the last commit.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../tmp.js';
import { ROOT, api, run, type RunResult } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the daemon run through the installed dockling: it needs root (mounts, namespaces)');

const HELPERS = ['namespaces/dockling-init', 'namespaces/dockling-shim', 'namespaces/dockling-pty', 'daemon/dockling-spawn', 'registry/server/dockling-sendfile'];

let work = '';
let tarball = '';
let packed: string[] = [];

/** npm with its log in our temp dir, quiet about audits, funding and updates. */
function npm(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return run('npm', [...args, '--no-audit', '--no-fund', '--no-update-notifier', `--logs-dir=${join(work, 'npm-logs')}`], opts);
}

/** `npm install -g` of SPEC into PREFIX, from the npm cache where it can. */
function installGlobal(prefix: string, spec: string, env: Record<string, string> = {}): Promise<RunResult> {
  // npm 11.16+ asks for the install scripts of a global package to be allowed (npm 12 will
  // require it); a tarball or a folder is named by its absolute path.
  return npm(['install', '-g', '--prefix', prefix, '--prefer-offline', `--allow-scripts=${spec}`, spec], { env });
}

beforeAll(async () => {
  work = await tempDir('dkl-install-');
  // --ignore-scripts: the checkout's dist/ is already built (npm test builds first); without
  // it, pack would run prepare and rebuild dist/ under the other test files' feet.
  const r = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
  expect(r.code, r.stderr).toBe(0);
  const [info] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, info.filename);
  packed = info.files.map((f) => f.path);
});

describe('npm pack', () => {
  it('holds the compiled engine, the helpers’ C sources and the install step; no tests, no sources to compile, no prebuilt helpers', () => {
    expect(packed).toEqual(expect.arrayContaining([
      'package.json', 'README.md', 'dist/engine/cli/main.js', 'dist/engine/daemon/daemon.js',
      'engine/namespaces/install-helpers.mjs', 'engine/namespaces/build-helpers.sh', 'engine/namespaces/resize-lines.h',
      ...HELPERS.map((h) => `engine/${h}.c`),
    ]));
    expect(packed.filter((p) => /^(test|site|chapters|dist\/test)\//.test(p) || p.endsWith('.ts'))).toEqual([]);
    expect(packed.filter((p) => HELPERS.some((h) => p === `dist/engine/${h}`))).toEqual([]);
  });
});

describe('npm install -g of the packed tarball', () => {
  let prefix = '';
  let dockling = '';
  beforeAll(async () => {
    prefix = join(work, 'prefix');
    dockling = join(prefix, 'bin/dockling');
    const r = await installGlobal(prefix, tarball);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('builds the static helpers beside the installed JS, where the engine looks for them', () => {
    for (const h of HELPERS) accessSync(join(prefix, 'lib/node_modules/dockling/dist/engine', h), constants.X_OK);
  });

  it('puts a working `dockling` in PREFIX/bin: version (its client part) and help', async () => {
    const v = await run(dockling, ['version'], { env: { DOCKLING_HOST: `unix://${join(work, 'nobody.sock')}` } });
    expect(v.stdout).toMatch(/^Client:\n Version:\s+0\.1\.0\n/);
    expect(v.stderr).toContain('Cannot connect to the Dockling daemon');
    const h = await run(dockling, ['help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage:  dockling [OPTIONS] COMMAND');
  });

  it.skipIf(!isRoot)('runs a daemon and a container through the installed command', async () => {
    const dir = await tempDir('dkl-install-daemon-');
    const dataRoot = join(dir, 'root');
    const sock = join(dir, 'd.sock');
    const net = bridgeArgs(126);
    const parentsBefore = cgroupParents();
    const daemon = spawn(dockling, ['daemon', '--data-root', dataRoot, '-H', `unix://${sock}`, ...net.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    daemon.stdout.on('data', (d) => (output += d));
    daemon.stderr.on('data', (d) => (output += d));
    const exited = new Promise((r) => daemon.once('exit', r));
    try {
      const deadline = Date.now() + 30_000;
      for (let up = false; !up;) {
        if (daemon.exitCode !== null) throw new Error(`the installed daemon exited (${daemon.exitCode}):\n${output}`);
        if (Date.now() > deadline) throw new Error(`the installed daemon did not answer within 30 s:\n${output}`);
        up = existsSync(sock) && (await api(sock, 'GET', '/_ping').then((r) => r.status === 200, () => false));
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      const env = { DOCKLING_HOST: `unix://${sock}` };
      const base = await run(dockling, ['base-image'], { env });
      expect(base.code, base.stderr).toBe(0);
      const hi = await run(dockling, ['run', '--rm', 'busybox', 'echo', 'hi'], { env });
      expect(hi.code, hi.stderr + output).toBe(0);
      expect(hi.stdout).toBe('hi\n');
      const all = (await api(sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string }>;
      expect(all).toEqual([]);
    } finally {
      if (daemon.exitCode === null) daemon.kill('SIGTERM');
      await exited;
      const left = leftovers({ dataRoot, bridge: net.bridge, containerIds: [] });
      removeCgroupParents(parentsBefore);
      expect(left).toEqual(NOTHING);
    }
  });
});

describe('a missing prerequisite stops the install and names the package', () => {
  const step = () => join(work, 'prefix/lib/node_modules/dockling/engine/namespaces/install-helpers.mjs');

  it('no C compiler: npm install -g fails with the message', async () => {
    const r = await installGlobal(join(work, 'prefix-no-cc'), tarball, { CC: join(work, 'no-such-cc') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('needs a C compiler');
    expect(r.stderr).toContain('apt-get install gcc libc6-dev');
  });

  it('a compiler that cannot link statically (no libc.a): the static C library and libc6-dev', async () => {
    const fakeCc = join(work, 'cc-without-libc-a');
    await writeFile(fakeCc, '#!/bin/sh\necho "/usr/bin/ld: cannot find -lc: No such file or directory" >&2\nexit 1\n');
    await chmod(fakeCc, 0o755);
    const r = await run(process.execPath, [step()], { env: { CC: fakeCc } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the static C library (libc.a) is probably missing');
    expect(r.stderr).toContain('apt-get install gcc libc6-dev');
    expect(r.stderr).toContain('cannot find -lc');
  });

  it('a Node older than package.json’s engines', async () => {
    // The Node that runs the step is made to say 18.19.0 before the step's first line.
    const older = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"18.19.0"})';
    const r = await run(process.execPath, ['--import', older, step()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Node.js 18.19.0 is too old: Dockling needs Node.js >=20.15');
  });
});

describe('npm install -g of a clone', () => {
  it('a bare clone stops, naming `npm ci`; with its dependencies, it is linked, built by its prepare, and its dockling works', { timeout: 300_000 }, async () => {
    const clone = join(work, 'clone');
    const cloned = await run('git', ['clone', '--quiet', ROOT, clone]);
    expect(cloned.code, cloned.stderr).toBe(0);
    // npm installs nothing inside a linked folder: a bare clone cannot build, and says why.
    const bare = await installGlobal(join(work, 'prefix-bare-clone'), clone);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain('is a checkout without its dependencies (no node_modules/typescript): run `npm ci` in it first');
    // What `npm ci` in the clone installs, without the network: the checkout's node_modules,
    // hard-linked (copied when the temp dir is on another file system).
    let deps = await run('cp', ['-al', join(ROOT, 'node_modules'), clone]);
    if (deps.code !== 0) deps = await run('cp', ['-a', join(ROOT, 'node_modules'), clone]);
    expect(deps.code, deps.stderr).toBe(0);
    const prefix = join(work, 'prefix-clone');
    const r = await installGlobal(prefix, clone);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const h of HELPERS) accessSync(join(clone, 'dist/engine', h), constants.X_OK);
    const v = await run(join(prefix, 'bin/dockling'), ['version'], { env: { DOCKLING_HOST: `unix://${join(work, 'nobody.sock')}` } });
    expect(v.stdout).toMatch(/^Client:\n Version:\s+0\.1\.0\n/);
  });
});
