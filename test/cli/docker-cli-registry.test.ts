// Chapter 4 driven by the real docker CLI (28.2.2): `docker info`, `push`, `pull`, `login`,
// `logout` and `run` pulling a missing image, against a dockling daemon started with
// --insecure-registry and --registry-mirror, and two registries on 127.0.0.1 — dockling
// registry (open) and the CNCF distribution registry behind htpasswd. DOCKER_CONFIG is a
// temporary directory shared with `dockling`, so a login by one CLI serves the other. Every
// output is docker's own, asserted line by line; `dockling pull` must print the same bytes, off
// a terminal and on one (script(1) gives both CLIs a pty).
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOCKER, MAIN, api, dockling, run } from '../daemon/harness.js';
import { ptySession } from './pty-session.js';
import { useRuntimeDaemon } from '../daemon/runtime-leftovers.js';
import { call, type Peer } from '../registry/server-harness.js';
import { MANIFEST_TYPES, useRegistryPeers } from './registry-peers.js';

const isRoot = process.getuid?.() === 0;
const present = existsSync(DOCKER);
if (!present) console.log(`skipping the docker CLI registry tests: ${DOCKER} is not installed`);
const enabled = isRoot && present;
const peers = await useRegistryPeers({ enabled, prefix: 'dkl-dockerregistry-' });
const { H } = peers;
let open: Peer;
let locked: Peer;
let L = '';
let dockerConfig = '';
beforeAll(() => void ({ open, locked, L, dockerConfig } = peers));
const { daemon } = useRuntimeDaemon({ enabled, third: 92, extraArgs: ['--insecure-registry', H, '--registry-mirror', `http://${H}`] });

const env = () => ({ DOCKER_HOST: daemon().host, DOCKER_CONFIG: dockerConfig });
const docker = (...args: string[]) => run(DOCKER, args, { env: env() });
const dockerIn = (input: string, ...args: string[]) => run(DOCKER, args, { env: env(), input: Buffer.from(input) });
const dk = (...args: string[]) => dockling(daemon().host, args, { env: { DOCKER_CONFIG: dockerConfig } });
const imageId = async (name: string) => (await api(daemon().sock, 'GET', `/v1.50/images/${name}/json`)).json().Id as string;
async function layerId(repo: string, tag: string): Promise<string> {
  const m = (await call(open.url, `/v2/${repo}/manifests/${tag}`, { headers: { Accept: MANIFEST_TYPES } })).json<{ layers: Array<{ digest: string }> }>();
  return m.layers[0]!.digest.slice(7, 19);
}

describe.skipIf(!enabled)('docker push and pull against dockling', () => {
  let id = '';

  it('docker info lists the insecure registries and the mirror', async () => {
    const r = await docker('info');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(` Insecure Registries:\n  ${H}\n  ::1/128\n  127.0.0.0/8\n Registry Mirrors:\n  http://${H}/\n`);
  });

  it('docker push', async () => {
    id = await imageId('busybox');
    const diffId = (await api(daemon().sock, 'GET', '/v1.50/images/busybox/json')).json().RootFS.Layers[0].slice(7, 19);
    expect((await docker('tag', 'busybox', `${H}/dk/app:v1`)).code).toBe(0);
    const r = await docker('push', `${H}/dk/app:v1`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([`The push refers to repository [${H}/dk/app]`, `${diffId}: Preparing`, `${diffId}: Pushed`]);
    expect(lines[3]).toMatch(/^v1: digest: sha256:[0-9a-f]{64} size: \d+$/);
    expect(lines.slice(4)).toEqual(['']);
  });

  it('docker pull after rmi: the same image, and `dockling pull` prints the same bytes', async () => {
    const layer = await layerId('dk/app', 'v1');
    const fresh = async () => {
      await api(daemon().sock, 'DELETE', `/v1.50/images/${id}?force=1`);
      expect((await api(daemon().sock, 'GET', `/v1.50/images/${id}/json`)).status).toBe(404);
    };
    await fresh();
    const r = await docker('pull', `${H}/dk/app:v1`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual(['v1: Pulling from dk/app', `${layer}: Pulling fs layer`, `${layer}: Verifying Checksum`, `${layer}: Download complete`, `${layer}: Pull complete`]);
    expect(lines[5]).toMatch(/^Digest: sha256:[0-9a-f]{64}$/);
    expect(lines.slice(6)).toEqual([`Status: Downloaded newer image for ${H}/dk/app:v1`, `${H}/dk/app:v1`, '']);
    expect(await imageId(`${H}/dk/app:v1`)).toBe(id);
    await fresh();
    const ours = await dk('pull', `${H}/dk/app:v1`);
    expect(ours).toMatchObject({ code: 0, stdout: r.stdout, stderr: '' });
    expect((await docker('tag', `${H}/dk/app:v1`, 'busybox')).code).toBe(0);
  });

  it('on a terminal, `dockling pull` draws what `docker pull` draws: a line per layer, rewritten in place', async () => {
    const layer = await layerId('dk/app', 'v1');
    const name = `${H}/dk/app:v1`;
    const onTerminal = async (cmd: string) => {
      await api(daemon().sock, 'DELETE', `/v1.50/images/${id}?force=1`);
      const session = ptySession(cmd, { rows: 40, cols: 130 }, { DOCKER_HOST: daemon().host, DOCKLING_HOST: daemon().host, DOCKER_CONFIG: dockerConfig });
      expect(await session.exit).toBe(0);
      return session.output();
    };
    const theirs = await onTerminal(`${DOCKER} pull ${name}`);
    const ours = await onTerminal(`${process.execPath} ${MAIN} pull ${name}`);
    // 130 columns: the bar is drawn; the last byte count of the layer is the whole of it.
    expect(ours).toMatch(new RegExp(`\x1b\\[1A\x1b\\[2K\r${layer}: Downloading \\[={50}>\\] +(\\S+)/\\1\r\x1b\\[1B`));
    expect(ours).toContain(`\x1b[1A\x1b[2K\r${layer}: Pull complete \r\x1b[1B`);
    // How many byte counts come in between depends on timing; the rest is the same, byte for byte.
    const steady = (out: string) => out.replace(/\x1b\[1A\x1b\[2K\r[0-9a-f]{12}: Downloading [^\r]*\r\x1b\[1B/g, '');
    expect(steady(ours)).toBe(steady(theirs));
    expect((await docker('tag', name, 'busybox')).code).toBe(0);
  });

  it('docker pull again, pull -q, pull of a Hub name through the mirror, and the same for dockling', async () => {
    const again = await docker('pull', `${H}/dk/app:v1`);
    expect(again.stdout).toMatch(new RegExp(`^v1: Pulling from dk/app\\nDigest: sha256:[0-9a-f]{64}\\nStatus: Image is up to date for ${H}/dk/app:v1\\n${H}/dk/app:v1\\n$`));
    expect((await dk('pull', `${H}/dk/app:v1`)).stdout).toBe(again.stdout);
    expect(await docker('pull', '-q', `${H}/dk/app:v1`)).toMatchObject({ code: 0, stdout: `${H}/dk/app:v1\n` });
    expect((await docker('tag', 'busybox', `${H}/library/viamirror:v1`)).code).toBe(0);
    expect((await docker('push', '-q', `${H}/library/viamirror:v1`)).stdout).toBe(`${H}/library/viamirror:v1\n`);
    const hub = await docker('pull', 'viamirror:v1');
    expect(hub.stderr).toBe('');
    expect(hub.stdout).toMatch(/^v1: Pulling from library\/viamirror\n/);
    expect(hub.stdout).toContain('Status: Downloaded newer image for viamirror:v1\ndocker.io/library/viamirror:v1\n');
  });

  it('failures as docker reports them: a missing tag, a missing local image', async () => {
    const tag = await docker('pull', `${H}/dk/app:nope`);
    expect(tag.code).toBe(1);
    expect(tag.stderr).toMatch(/^Error response from daemon: manifest for .*dk\/app:nope.*manifest unknown/);
    expect((await dk('pull', `${H}/dk/app:nope`)).stderr).toBe(tag.stderr);
    const local = await docker('push', `${H}/dk/none:v1`);
    expect(local).toMatchObject({ code: 1, stderr: `Error response from daemon: An image does not exist locally with the tag: ${H}/dk/none\n` });
  });

  it('docker run pulls an image that is only in the registry', async () => {
    expect((await docker('tag', 'busybox', `${H}/dk/runme:v1`)).code).toBe(0);
    expect((await docker('push', '-q', `${H}/dk/runme:v1`)).code).toBe(0);
    expect((await docker('rmi', `${H}/dk/runme:v1`)).code).toBe(0);
    const r = await docker('run', '--rm', `${H}/dk/runme:v1`, 'echo', 'hi');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hi\n');
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([`Unable to find image '${H}/dk/runme:v1' locally`, 'v1: Pulling from dk/runme']);
    expect(r.stderr).toContain(`Status: Downloaded newer image for ${H}/dk/runme:v1\n`);
  });
});

describe.skipIf(!enabled)('docker login and logout against dockling (htpasswd registry)', () => {
  const auths = async () => (JSON.parse(await readFile(join(dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> }).auths;

  it('a wrong password: the daemon\'s 401 message, exit 1', async () => {
    const r = await dockerIn('wrong\n', 'login', '-u', 'bob', '--password-stdin', L);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error response from daemon: unauthorized: incorrect username or password for ${L} (refused by http://${L})\n`);
    expect(existsSync(join(dockerConfig, 'config.json'))).toBe(false);
  });

  it('the right one: Login Succeeded, and docker push sends the kept credential', async () => {
    const r = await dockerIn('secret\n', 'login', '-u', 'bob', '--password-stdin', L);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Login Succeeded\n');
    expect((await auths())[L]).toEqual({ auth: Buffer.from('bob:secret').toString('base64') });
    expect((await docker('tag', 'busybox', `${L}/sec/app:v1`)).code).toBe(0);
    const pushed = await docker('push', `${L}/sec/app:v1`);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/\nv1: digest: sha256:[0-9a-f]{64} size: \d+\n$/);
    // the login serves dockling too: the same config.json
    expect((await docker('rmi', `${L}/sec/app:v1`)).code).toBe(0);
    expect((await dk('pull', '-q', `${L}/sec/app:v1`)).stdout).toBe(`${L}/sec/app:v1\n`);
  });

  it('docker logout: the credential is gone and the registry refuses docker push again', async () => {
    const r = await docker('logout', L);
    expect(r).toMatchObject({ code: 0, stdout: `Removing login credentials for ${L}\n` });
    expect((await auths())[L]).toBeUndefined();
    const refused = await docker('push', `${L}/sec/app:v1`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^unauthorized: authentication required by /);
  });

  it('dockling login, then docker push with what it kept; dockling logout, and docker push is refused again', async () => {
    expect(await dk('login', '-u', 'bob', '-p', 'secret', L)).toMatchObject({ code: 0, stdout: 'Login Succeeded\n' });
    const pushed = await docker('push', `${L}/sec/app:v1`);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain(': Layer already exists\n');
    expect((await dk('logout', L)).stdout).toBe(`Removing login credentials for ${L}\n`);
    expect((await auths())[L]).toBeUndefined();
    const refused = await docker('push', `${L}/sec/app:v1`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^unauthorized: authentication required by /);
  });
});
