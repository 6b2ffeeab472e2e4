// The real `docker` CLI (28.2.2) driving a dockling daemon: DOCKER_HOST points at our socket,
// DOCKER_CONFIG at an empty temporary directory. Each command's real output is asserted.
// Skipped, with the reason printed, when /usr/local/bin/docker is not installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOCKER, makeTar, run, startDaemon, type RunningDaemon } from '../daemon/harness.js';

const present = existsSync(DOCKER);
if (!present) console.log(`skipping the docker CLI tests: ${DOCKER} is not installed`);

let d: RunningDaemon;
let id = '';
const docker = (...args: string[]) => run(DOCKER, args, { env: { DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') } });

describe.skipIf(!present)('docker CLI against dockling', () => {
  beforeAll(async () => {
    d = await startDaemon();
    await mkdir(join(d.dir, 'docker-config'));
    await writeFile(join(d.dir, 'y.tar'), await makeTar({ 'etc/hostname': 'dockling\n' }));
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('docker version', async () => {
    const r = await docker('version');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Server: Dockling Engine');
    expect(r.stdout).toMatch(/API version: +1\.50 \(minimum version 1\.24\)/);
  });

  it('docker info', async () => {
    const r = await docker('info');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(' Cgroup Driver: cgroupfs');
    expect(r.stdout).toContain(` Docker Root Dir: ${d.dataRoot}`);
    expect(r.stdout).toMatch(/ Images: 0\n/);
  });

  it('docker import prints the new image ID', async () => {
    const r = await docker('import', '-m', 'hello', join(d.dir, 'y.tar'), 'dtest:v1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    id = r.stdout.trim();
  });

  it('docker images lists it', async () => {
    const r = await docker('images');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(r.stdout).toMatch(new RegExp(`^dtest\\s+v1\\s+${id.slice(7, 19)}\\s+.+ ago\\s+\\S+B$`, 'm'));
    expect((await docker('images', '-q', '--no-trunc')).stdout).toContain(id);
    expect((await docker('images', '--format', '{{.Repository}}:{{.Tag}}')).stdout).toBe('dtest:v1\n');
  });

  it('docker image inspect and docker inspect', async () => {
    const a = await docker('image', 'inspect', 'dtest:v1');
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)[0]).toMatchObject({ Id: id, RepoTags: ['dtest:v1'] });
    const b = await docker('inspect', '--format', '{{.Id}}', 'dtest:v1');
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(`${id}\n`);
    const c = await docker('inspect', 'nosuchthing');
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('Error: No such object: nosuchthing');
  });

  it('docker history', async () => {
    const r = await docker('history', 'dtest:v1');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(r.stdout).toContain(id.slice(7, 19));
  });

  it('docker tag and docker rmi of the extra name', async () => {
    const t = await docker('tag', 'dtest:v1', 'mybox:v2');
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    expect((await docker('images', '--format', '{{.Repository}}:{{.Tag}}', 'mybox')).stdout).toBe('mybox:v2\n');
    const r = await docker('rmi', 'mybox:v2');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Untagged: mybox:v2\n');
  });

  it('docker rmi of a missing image', async () => {
    const r = await docker('rmi', 'nosuchimage');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error response from daemon: No such image: nosuchimage/);
  });

  it('docker save -o, docker rmi, docker load -i', async () => {
    const file = join(d.dir, 'dtest.tar');
    const s = await docker('save', '-o', file, 'dtest:v1');
    expect(s.stderr).toBe('');
    expect(s.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    const rm = await docker('rmi', 'dtest:v1');
    expect(rm.stdout).toContain(`Untagged: dtest:v1\nDeleted: ${id}`);
    const l = await docker('load', '-i', file);
    expect(l.stderr).toBe('');
    expect(l.code).toBe(0);
    expect(l.stdout).toBe('Loaded image: dtest:v1\n');
    expect((await docker('inspect', '--format', '{{.Id}}', 'dtest:v1')).stdout).toBe(`${id}\n`);
  });

  it('docker pull from a registry nobody listens on: the daemon\'s error, exit 1 (docker-cli-registry.test.ts pulls for real)', async () => {
    const r = await docker('pull', '127.0.0.1:1/nobody');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('Using default tag: latest\n');
    expect(r.stderr).toMatch(/^Error response from daemon: .*127\.0\.0\.1:1/);
  });
});
