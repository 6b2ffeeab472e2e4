// Chapter 2's container verbs from both command lines against a real daemon: the real docker CLI
// (28.2.2; skipped, with the reason, when it is not installed) and dockling's own. Each command's
// real output is asserted; no mount may be left behind.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOCKER, api, dockling, run, startDaemon, type RunningDaemon } from '../daemon/harness.js';

const isRoot = process.getuid?.() === 0;
const present = existsSync(DOCKER);
if (!isRoot) console.log('skipping the container CLI tests: they need root (real mounts)');
if (!present) console.log(`skipping the docker CLI container tests: ${DOCKER} is not installed`);

let d: RunningDaemon;
const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(dir));
const tarList = async (file: string) => (await run('tar', ['-tf', file])).stdout.split('\n').filter(Boolean);

describe.skipIf(!isRoot)('container verbs', () => {
  beforeAll(async () => {
    d = await startDaemon();
    expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
    await mkdir(join(d.dir, 'docker-config'));
    await writeFile(join(d.dir, 'note.txt'), 'a note\n');
  });
  afterEach(() => {
    expect(mountsUnder(d.dir)).toEqual([]);
  });
  afterAll(async () => {
    await d?.stop();
  });

  describe.skipIf(!present)('the real docker CLI', () => {
    let id = '';
    const docker = (...args: string[]) => run(DOCKER, args, { env: { DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') } });

    it('docker create --name web busybox sh', async () => {
      const r = await docker('create', '--name', 'web', 'busybox', 'sh');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
      id = r.stdout.trim();
    });

    it('docker create with a name in use, and with an image it would have to pull', async () => {
      const taken = await docker('create', '--name', 'web', 'busybox', 'sh');
      expect(taken.code).toBe(1); // transcript err-create-conflict: create exits 1 (run would exit 125)
      expect(taken.stderr).toContain(`Error response from daemon: Conflict. The container name "/web" is already in use by container "${id}".`);
      const pull = await docker('create', 'alpine', 'sh');
      expect(pull.code).not.toBe(0);
      expect(pull.stderr).toContain("Unable to find image 'alpine:latest' locally");
    });

    it('docker inspect web (a container before an image)', async () => {
      const r = await docker('inspect', 'web');
      expect(r.code).toBe(0);
      const [c] = JSON.parse(r.stdout);
      expect(c).toMatchObject({ Id: id, Name: '/web', Path: 'sh', State: { Status: 'created', Running: false }, Config: { Image: 'busybox', Cmd: ['sh'] } });
      expect((await docker('inspect', '-f', '{{.State.Status}} {{.Config.Hostname}}', 'web')).stdout).toBe(`created ${id.slice(0, 12)}\n`);
      expect((await docker('container', 'inspect', '-f', '{{.Name}}', id.slice(0, 6))).stdout).toBe('/web\n');
    });

    it('docker cp f web:/tmp/, then docker diff web', async () => {
      const r = await docker('cp', join(d.dir, 'note.txt'), 'web:/tmp/');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const diff = await docker('diff', 'web');
      expect(diff.code).toBe(0);
      expect(diff.stdout).toBe('C /tmp\nA /tmp/note.txt\n');
    });

    it('docker cp web:/etc/passwd f, and a directory, and to stdout', async () => {
      const out = join(d.dir, 'passwd.out');
      const r = await docker('cp', 'web:/etc/passwd', out);
      expect(r.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toMatch(/^root:x:0:0:/);
      const dir = join(d.dir, 'tmpcopy');
      expect((await docker('cp', 'web:/tmp', dir)).code).toBe(0);
      expect(readFileSync(join(dir, 'note.txt'), 'utf8')).toBe('a note\n');
      const tar = await docker('cp', 'web:/tmp/note.txt', '-');
      expect(tar.code).toBe(0);
      expect(tar.stdoutBytes.subarray(0, 8).toString()).toBe('note.txt');
      const missing = await docker('cp', 'web:/nope', join(d.dir, 'x'));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('Could not find the file /nope in container web');
    });

    it('docker commit web img:1', async () => {
      const r = await docker('commit', 'web', 'img:1');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
      const images = await docker('images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}');
      expect(images.stdout).toContain(`img:1 ${r.stdout.slice(7, 19)}`);
      const history = await docker('history', '--format', '{{.CreatedBy}}', 'img:1');
      expect(history.stdout.split('\n')[0]).toBe('sh');
      const changed = await docker('commit', '--change', 'ENV X=1', '-m', 'msg', 'web', 'img:2');
      expect(changed.code).toBe(0);
      expect((await docker('inspect', '-f', '{{.Config.Env}} {{.Comment}}', 'img:2')).stdout).toMatch(/X=1\] msg\n$/);
    });

    it('docker export -o f web', async () => {
      const file = join(d.dir, 'web.tar');
      const r = await docker('export', '-o', file, 'web');
      expect(r.code).toBe(0);
      const names = await tarList(file);
      expect(names).toContain('tmp/note.txt');
      expect(names).toContain('etc/passwd');
    });

    it('docker ps -a and docker info', async () => {
      const ps = await docker('ps', '-a', '--format', '{{.Names}} {{.Image}} {{.Command}} {{.Status}}');
      expect(ps.stdout).toBe('web busybox "sh" Created\n');
      const info = await docker('info', '--format', '{{.Containers}} {{.ContainersStopped}} {{.Driver}}');
      expect(info.stdout).toMatch(/^1 1 (overlay|copy)\n$/);
    });

    it('docker rmi refuses an image in use', async () => {
      const r = await docker('rmi', 'busybox');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/conflict: unable to remove repository reference "busybox" \(must force\) - container [0-9a-f]{12} is using its referenced image/);
    });

    it('docker rm web', async () => {
      const r = await docker('rm', 'web');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('web\n');
      const again = await docker('rm', 'web');
      expect(again.code).toBe(1);
      expect(again.stderr).toBe('Error response from daemon: No such container: web\n');
    });
  });

  describe("dockling's own CLI", () => {
    const dk = (...args: string[]) => dockling(d.host, args);

    it('create, ps -a, inspect', async () => {
      const r = await dk('create', '--name', 'mine', '-e', 'K=v', 'busybox', 'ls', '-la');
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
      expect((await dk('ps', '-a', '--format', '{{.Names}} {{.Command}}')).stdout).toContain('mine "ls -la"\n');
      expect((await dk('inspect', '-f', '{{.Path}} {{.Args}}', 'mine')).stdout).toBe('ls [-la]\n');
      const taken = await dk('create', '--name', 'mine', 'busybox');
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain('Error response from daemon: Conflict. The container name "/mine" is already in use');
    });

    it('cp in (file, renamed file, directory contents), diff, cp out', async () => {
      await mkdir(join(d.dir, 'tree/sub'), { recursive: true });
      await writeFile(join(d.dir, 'tree/sub/x'), 'x\n');
      expect((await dk('cp', join(d.dir, 'note.txt'), 'mine:/tmp/')).code).toBe(0);
      expect((await dk('cp', join(d.dir, 'note.txt'), 'mine:/tmp/renamed')).code).toBe(0);
      expect((await dk('cp', join(d.dir, 'tree/.'), 'mine:/opt')).code).toBe(0);
      const diff = await dk('diff', 'mine');
      expect(diff.stdout).toBe('A /opt\nA /opt/sub\nA /opt/sub/x\nC /tmp\nA /tmp/note.txt\nA /tmp/renamed\n');
      const out = join(d.dir, 'renamed.out');
      expect((await dk('cp', 'mine:/tmp/renamed', out)).code).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('a note\n');
      expect((await dk('cp', 'mine:/opt', join(d.dir, 'optcopy'))).code).toBe(0);
      expect(readFileSync(join(d.dir, 'optcopy/sub/x'), 'utf8')).toBe('x\n');
    });

    it('commit, export, container rm', async () => {
      const c = await dk('commit', '-c', 'CMD ["cat","/tmp/note.txt"]', 'mine', 'mine:v1');
      expect(c.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
      expect((await dk('inspect', '-f', '{{.Config.Cmd}}', 'mine:v1')).stdout).toBe('[cat /tmp/note.txt]\n');
      const file = join(d.dir, 'mine.tar');
      expect((await dk('export', '-o', file, 'mine')).code).toBe(0);
      expect(await tarList(file)).toContain('opt/sub/x');
      const rm = await dk('container', 'rm', 'mine');
      expect(rm.stdout).toBe('mine\n');
      expect((await dk('rm', 'mine')).stderr).toBe('Error response from daemon: No such container: mine\n');
    });
  });
});
