// The `dockling` CLI as a user runs it: the built dist/engine/cli/main.js against a real
// daemon (DOCKLING_HOST), checking stdout, stderr and exit codes for chapter 1's verbs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockling, makeTar, startDaemon, type RunningDaemon } from '../daemon/harness.js';

const noBusybox = !existsSync('/bin/busybox');
if (noBusybox) console.warn('skipping the base-image test: no /bin/busybox (Debian package busybox-static)');

let d: RunningDaemon;
let id: string;
const cli = (...args: string[]) => dockling(d.host, args);

beforeAll(async () => {
  d = await startDaemon();
  const tar = join(d.dir, 'files.tar');
  await writeFile(tar, await makeTar({ 'etc/hostname': 'dockling\n' }));
  const r = await cli('import', '-m', 'from a test', tar, 'clitest:v1');
  if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  id = r.stdout.trim();
});
afterAll(async () => {
  await d?.stop();
});

describe('without a daemon', () => {
  it('says it cannot connect and how to start one', async () => {
    const r = await dockling('unix:///tmp/dockling-nothing-here.sock', ['images']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot connect to the Dockling daemon at unix:///tmp/dockling-nothing-here.sock. Is the daemon running?');
    expect(r.stderr).toContain('sudo dockling daemon &');
  });
});

describe('usage errors', () => {
  it('--help lists the verbs', async () => {
    const r = await dockling(undefined, ['--help']);
    expect(r.code).toBe(0);
    for (const v of ['images', 'inspect', 'history', 'tag', 'rmi', 'save', 'load', 'import', 'daemon']) expect(r.stdout).toMatch(new RegExp(`^  ${v} `, 'm'));
  });
  it('a verb --help shows its usage and flags', async () => {
    const r = await dockling(undefined, ['images', '--help']);
    expect(r.stdout).toContain('Usage:  dockling images [OPTIONS] [REPOSITORY[:TAG]]');
    expect(r.stdout).toContain('--no-trunc');
  });
  it('an unknown verb names it and exits 1', async () => {
    const r = await dockling(undefined, ['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("'frobnicate' is not a dockling command");
  });
  it('an unknown flag names it and exits 125 like docker', async () => {
    const r = await cli('images', '--bogus');
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('unknown flag: --bogus');
  });
  it('a wrong argument count says so', async () => {
    const r = await cli('tag', 'only-one');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"dockling tag" requires exactly 2 arguments.');
  });
});

describe('images', () => {
  it('prints the classic table', async () => {
    const r = await cli('images');
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^REPOSITORY\s{3,}TAG\s{3,}IMAGE ID\s{3,}CREATED\s{3,}SIZE$/);
    expect(rows.some((row) => new RegExp(`^clitest\\s+v1\\s+${id.slice(7, 19)}\\s+(Less than a second|\\d+ seconds?) ago\\s+\\d+(\\.\\d+)?k?B$`).test(row))).toBe(true);
  });
  it('-q prints short IDs, --no-trunc full ones', async () => {
    expect((await cli('images', '-q')).stdout.split('\n')).toContain(id.slice(7, 19));
    expect((await cli('images', '-q', '--no-trunc')).stdout.split('\n')).toContain(id);
  });
  it('--format with a template, json, and a table', async () => {
    expect((await cli('images', '--format', '{{.Repository}}:{{.Tag}}', 'clitest')).stdout).toBe('clitest:v1\n');
    const json = JSON.parse((await cli('images', '--format', 'json', 'clitest')).stdout);
    expect(json).toMatchObject({ Repository: 'clitest', Tag: 'v1', ID: id.slice(7, 19), Digest: '<none>' });
    expect((await cli('images', '--format', 'table {{.ID}}\\t{{.Tag}}', 'clitest')).stdout).toBe(`IMAGE ID       TAG\n${id.slice(7, 19)}   v1\n`);
  });
  it('image ls is the same verb', async () => {
    expect((await cli('image', 'ls', '-q', 'clitest')).stdout).toBe(`${id.slice(7, 19)}\n`);
  });
});

describe('inspect, history, tag, rmi', () => {
  it('inspect prints a 4-space indented array', async () => {
    const r = await cli('inspect', 'clitest:v1');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('[\n    {\n        "Id": "')).toBe(true);
    expect(JSON.parse(r.stdout)[0].Id).toBe(id);
  });
  it('inspect -f renders a template', async () => {
    expect((await cli('inspect', '-f', '{{.Id}} {{json .RepoTags}}', 'clitest:v1')).stdout).toBe(`${id} ["clitest:v1"]\n`);
  });
  it('inspect of a missing object prints [] and the error, exit 1', async () => {
    const r = await cli('inspect', 'nosuchthing');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('[]\n');
    expect(r.stderr).toBe('Error: No such object: nosuchthing\n');
  });
  it('image inspect of a missing image gives the daemon error', async () => {
    const r = await cli('image', 'inspect', 'nosuchthing');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error response from daemon: No such image: nosuchthing/);
  });
  it('history shows the import with its comment', async () => {
    const r = await cli('history', 'clitest:v1');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(r.stdout).toContain(id.slice(7, 19));
    expect((await cli('history', '-q', 'clitest:v1')).stdout.split('\n')[0]).toBe(id.slice(7, 19));
    expect((await cli('history', '--format', '{{.Comment}}', 'clitest:v1')).stdout).toContain('from a test');
  });
  it('tag then rmi prints Untagged', async () => {
    expect((await cli('tag', 'clitest:v1', 'another/name:2')).code).toBe(0);
    expect((await cli('images', '--format', '{{.Repository}}:{{.Tag}}', 'another/name')).stdout).toBe('another/name:2\n');
    const r = await cli('rmi', 'another/name:2');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Untagged: another/name:2\n');
  });
  it('rmi of a missing image: Error response from daemon, exit 1', async () => {
    const r = await cli('rmi', 'nosuchimage');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error response from daemon: No such image: nosuchimage/);
  });
});

describe('save, load, import', () => {
  it('save -o, rmi, load -i round trip', async () => {
    const file = join(d.dir, 'saved.tar');
    expect((await cli('save', '-o', file, 'clitest:v1')).code).toBe(0);
    expect(existsSync(file)).toBe(true);
    const rm = await cli('rmi', 'clitest:v1');
    expect(rm.stdout).toContain(`Deleted: ${id}`);
    const load = await cli('load', '-i', file);
    expect(load.code).toBe(0);
    expect(load.stdout).toBe('Loaded image: clitest:v1\n');
    expect((await cli('inspect', '-f', '{{.Id}}', 'clitest:v1')).stdout.trim()).toBe(id);
  });
  it('save to stdout and load from stdin', async () => {
    const saved = await cli('save', 'clitest:v1');
    expect(saved.code).toBe(0);
    const load = await dockling(d.host, ['load'], { input: saved.stdoutBytes });
    expect(load.stdout).toBe('Loaded image: clitest:v1\n');
  });
  it('load -i of a missing file fails before any request', async () => {
    const r = await cli('load', '-i', join(d.dir, 'nope.tar'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no such file or directory');
  });
  it('import from stdin with a tag', async () => {
    const r = await dockling(d.host, ['import', '-', 'fromstdin:1'], { input: await makeTar({ 'a.txt': 'a' }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  });
});

describe('system', () => {
  it('version shows client and server', async () => {
    const r = await cli('version');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Client:\n Version: +\d+\.\d+\.\d+/);
    expect(r.stdout).toContain('Server: Dockling Engine');
    expect(r.stdout).toMatch(/API version: +1\.50 \(minimum version 1\.24\)/);
    expect((await cli('version', '--format', '{{.Server.ApiVersion}}')).stdout).toBe('1.50\n');
  });
  it('info shows counts and the data root', async () => {
    const r = await cli('info');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ Images: \d+$/m);
    expect(r.stdout).toContain(` Dockling Root Dir: ${d.dataRoot}`);
    expect((await cli('info', '--format', '{{.CgroupDriver}}')).stdout).toBe('cgroupfs\n');
  });
  it.skipIf(noBusybox)('base-image makes busybox:latest', async () => {
    const r = await cli('base-image');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Tagged: busybox:latest');
    expect((await cli('images', '-q', 'busybox')).stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
  });
  it('trace prints JSON lines', async () => {
    const r = await cli('trace');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((e) => e.op === 'image.tag')).toBe(true);
  });
});
