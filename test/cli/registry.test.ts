// Chapter 4 from the command line: `dockling push`, `pull`, `login`, `logout`, and `run`/`create`
// pulling what is missing, against a daemon started with --insecure-registry and
// --registry-mirror, and two registries on 127.0.0.1: dockling registry (open) and the CNCF
// distribution registry behind htpasswd. Outputs are compared line for line with what the docker
// CLI prints for the same streams off a terminal; credentials live in a temporary DOCKER_CONFIG.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAIN, api, dockling } from '../daemon/harness.js';
import { ptySession } from './pty-session.js';
import { useRuntimeDaemon } from '../daemon/runtime-leftovers.js';
import { call, type Peer } from '../registry/server-harness.js';
import { MANIFEST_TYPES, useRegistryPeers } from './registry-peers.js';

const isRoot = process.getuid?.() === 0;
const peers = await useRegistryPeers({ enabled: isRoot, prefix: 'dkl-cliregistry-' });
const { H } = peers;
let open: Peer;
let locked: Peer;
let L = '';
let dockerConfig = '';
beforeAll(() => void ({ open, locked, L, dockerConfig } = peers));
const { daemon } = useRuntimeDaemon({ enabled: isRoot, third: 91, extraArgs: ['--insecure-registry', H, '--registry-mirror', `http://${H}`] });

const dk = (...args: string[]) => dockling(daemon().host, args, { env: { DOCKER_CONFIG: dockerConfig } });
const dkIn = (input: string, ...args: string[]) => dockling(daemon().host, args, { env: { DOCKER_CONFIG: dockerConfig }, input: Buffer.from(input) });
const inspect = async (name: string) => (await api(daemon().sock, 'GET', `/v1.50/images/${name}/json`)).json();
/** The first layer's digest in the registry's manifest: the id pull lines carry. */
async function layerId(base: string, repo: string, tag: string): Promise<string> {
  const m = (await call(base, `/v2/${repo}/manifests/${tag}`, { headers: { Accept: MANIFEST_TYPES } })).json<{ layers: Array<{ digest: string }> }>();
  return m.layers[0]!.digest.slice(7, 19);
}

describe.skipIf(!isRoot)('dockling push and pull', () => {
  let id = '';
  let diffId = '';

  it('info lists the insecure registries and the mirror', async () => {
    const r = await dk('info');
    expect(r.stdout).toContain(` Insecure Registries:\n  ${H}\n  ::1/128\n  127.0.0.0/8\n Registry Mirrors:\n  http://${H}/\n`);
  });

  it('push prints what docker push prints', async () => {
    const image = await inspect('busybox');
    id = image.Id;
    diffId = image.RootFS.Layers[0].slice(7, 19);
    expect((await dk('tag', 'busybox', `${H}/cli/app:v1`)).code).toBe(0);
    const r = await dk('push', `${H}/cli/app:v1`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([`The push refers to repository [${H}/cli/app]`, `${diffId}: Preparing`, `${diffId}: Pushed`]);
    expect(lines[3]).toMatch(/^v1: digest: sha256:[0-9a-f]{64} size: \d+$/);
    expect(lines.slice(4)).toEqual(['']);
  });

  it('rmi, then pull brings back the same image, printing what docker pull prints', async () => {
    // busybox goes too: with it the layer would be "Already exists"
    expect((await dk('rmi', `${H}/cli/app:v1`, 'busybox')).code).toBe(0);
    expect((await api(daemon().sock, 'GET', `/v1.50/images/${id}/json`)).status).toBe(404);
    const layer = await layerId(open.url, 'cli/app', 'v1');
    const r = await dk('pull', `${H}/cli/app:v1`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual(['v1: Pulling from cli/app', `${layer}: Pulling fs layer`, `${layer}: Verifying Checksum`, `${layer}: Download complete`, `${layer}: Pull complete`]);
    expect(lines[5]).toMatch(/^Digest: sha256:[0-9a-f]{64}$/);
    expect(lines.slice(6)).toEqual([`Status: Downloaded newer image for ${H}/cli/app:v1`, `${H}/cli/app:v1`, '']);
    expect((await inspect(`${H}/cli/app:v1`)).Id).toBe(id);
    // the run tests below need busybox again
    expect((await dk('tag', `${H}/cli/app:v1`, 'busybox')).code).toBe(0);
  });

  it('pull again: up to date; -q prints only the name; no tag means latest', async () => {
    const again = await dk('pull', `${H}/cli/app:v1`);
    expect(again.stdout).toMatch(new RegExp(`^v1: Pulling from cli/app\\nDigest: sha256:[0-9a-f]{64}\\nStatus: Image is up to date for ${H}/cli/app:v1\\n${H}/cli/app:v1\\n$`));
    expect(await dk('pull', '-q', `${H}/cli/app:v1`)).toMatchObject({ code: 0, stdout: `${H}/cli/app:v1\n`, stderr: '' });
    expect((await dk('tag', 'busybox', `${H}/cli/app`)).code).toBe(0);
    const pushed = await dk('push', `${H}/cli/app`);
    expect(pushed.stdout.split('\n').slice(0, 2)).toEqual(['Using default tag: latest', `The push refers to repository [${H}/cli/app]`]);
    expect(pushed.stdout).toContain(`${diffId}: Layer already exists`);
    const pulled = await dk('pull', `${H}/cli/app`);
    expect(pulled.stdout.split('\n')[0]).toBe('Using default tag: latest');
    expect(pulled.stdout.endsWith(`\n${H}/cli/app:latest\n`)).toBe(true);
  });

  it('a Docker Hub name goes to the mirror first', async () => {
    expect((await dk('tag', 'busybox', `${H}/library/mirrored:v1`)).code).toBe(0);
    expect((await dk('push', '-q', `${H}/library/mirrored:v1`)).stdout).toBe(`${H}/library/mirrored:v1\n`);
    const r = await dk('pull', 'mirrored:v1');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^v1: Pulling from library\/mirrored\n/);
    expect(r.stdout).toContain('Status: Downloaded newer image for mirrored:v1\ndocker.io/library/mirrored:v1\n');
  });

  it('failures: a missing tag, a missing local image, another platform, a bad name', async () => {
    const tag = await dk('pull', `${H}/cli/app:nope`);
    expect(tag.code).toBe(1);
    expect(tag.stderr).toMatch(/^Error response from daemon: manifest for .*cli\/app:nope.*manifest unknown/);
    const local = await dk('push', `${H}/cli/none:v1`);
    expect(local).toMatchObject({ code: 1, stderr: `Error response from daemon: An image does not exist locally with the tag: ${H}/cli/none\n` });
    const other = process.arch === 's390x' ? 'linux/riscv64' : 'linux/s390x';
    const platform = await dk('pull', '--platform', other, `${H}/cli/app:v1`);
    expect(platform.code).toBe(1);
    expect(platform.stderr).toMatch(new RegExp(`^Error response from daemon: .*does not match the requested platform: wanted ${other}`));
    const bad = await dk('pull', 'Busybox');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^invalid reference format: repository name \(library\/Busybox\) must be lowercase/);
  });
});

describe.skipIf(!isRoot)('run and create pull what is missing', () => {
  it('run of an image only in the registry: "Unable to find image", the pull on stderr, then the container', async () => {
    expect((await dk('tag', 'busybox', `${H}/cli/runme:v1`)).code).toBe(0);
    expect((await dk('push', '-q', `${H}/cli/runme:v1`)).code).toBe(0);
    expect((await dk('rmi', `${H}/cli/runme:v1`)).code).toBe(0);
    const r = await dk('run', '--rm', `${H}/cli/runme:v1`, 'echo', 'hi');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hi\n');
    const err = r.stderr.split('\n');
    expect(err[0]).toBe(`Unable to find image '${H}/cli/runme:v1' locally`);
    expect(err[1]).toBe('v1: Pulling from cli/runme');
    expect(r.stderr).toContain(`Status: Downloaded newer image for ${H}/cli/runme:v1\n`);
    // the name pulled is not printed by run (docker prints it only for pull)
    expect(r.stderr).not.toContain(`\n${H}/cli/runme:v1\n`);
    expect((await inspect(`${H}/cli/runme:v1`)).Id).toBe((await inspect('busybox')).Id);
  });

  it('create pulls too, and prints only the ID on stdout; -q hides the pull', async () => {
    expect((await dk('rmi', `${H}/cli/runme:v1`)).code).toBe(0);
    const r = await dk('create', '-q', `${H}/cli/runme:v1`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(r.stderr).toBe(`Unable to find image '${H}/cli/runme:v1' locally\n`);
  });

  it('--pull never does not pull; an image the registry lacks fails after trying (125)', async () => {
    expect((await dk('rmi', '-f', `${H}/cli/runme:v1`)).code).toBe(0);
    const never = await dk('run', '--rm', '--pull', 'never', `${H}/cli/runme:v1`, 'true');
    expect(never.code).toBe(125);
    expect(never.stderr).toContain(`No such image: ${H}/cli/runme:v1`);
    expect(never.stderr).not.toContain('Unable to find image');
    const absent = await dk('run', '--rm', `${H}/cli/absent:v1`, 'true');
    expect(absent.code).toBe(125);
    expect(absent.stderr).toMatch(new RegExp(`^Unable to find image '${H}/cli/absent:v1' locally\\ndockling: Error response from daemon: manifest for .*manifest unknown`));
    const bad = await dk('run', '--pull', 'sometimes', 'busybox', 'true');
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain(`invalid pull option: 'sometimes'`);
  });
});

describe.skipIf(!isRoot)('login and logout (htpasswd registry)', () => {
  const configFile = () => join(dockerConfig, 'config.json');
  const auths = async () => (JSON.parse(await readFile(configFile(), 'utf8')) as { auths: Record<string, { auth: string }> }).auths;

  it('a wrong password fails with the registry\'s words, exit 1, and writes nothing', async () => {
    const r = await dk('login', '-u', 'bob', '-p', 'wrong', L);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`WARNING! Using --password via the CLI is insecure. Use --password-stdin.\nError response from daemon: unauthorized: incorrect username or password for ${L} (refused by http://${L})\n`);
    expect(existsSync(configFile())).toBe(false);
  });

  it('without a login a push is refused inside its stream', async () => {
    expect((await dk('tag', 'busybox', `${L}/sec/app:v1`)).code).toBe(0);
    const r = await dk('push', `${L}/sec/app:v1`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^unauthorized: authentication required by /);
  });

  it('the right one: Login Succeeded, config.json (0600) holds it, and push and pull use it', async () => {
    const r = await dkIn('secret\n', 'login', '-u', 'bob', '--password-stdin', L);
    expect(r).toMatchObject({ code: 0, stdout: 'Login Succeeded\n' });
    expect(r.stderr).toContain(`stored unencrypted in '${configFile()}'`);
    expect((await auths())[L]).toEqual({ auth: Buffer.from('bob:secret').toString('base64') });
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    const pushed = await dk('push', `${L}/sec/app:v1`);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    expect((await dk('rmi', `${L}/sec/app:v1`)).code).toBe(0);
    const pulled = await dk('pull', `${L}/sec/app:v1`);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout.endsWith(`Status: Downloaded newer image for ${L}/sec/app:v1\n${L}/sec/app:v1\n`)).toBe(true);
  });

  it('login with nothing given reuses what is kept; with nothing kept and no terminal it says so', async () => {
    const again = await dk('login', L);
    expect(again).toMatchObject({ code: 0, stdout: 'Authenticating with existing credentials... [Username: bob]\nLogin Succeeded\n' });
    const nobody = await dk('login', H);
    expect(nobody).toMatchObject({ code: 1, stderr: 'Error: Cannot perform an interactive login from a non TTY device\n' });
    const both = await dkIn('x', 'login', '-u', 'bob', '-p', 'x', '--password-stdin', L);
    expect(both).toMatchObject({ code: 1, stderr: '--password and --password-stdin are mutually exclusive\n' });
  });

  it('on a terminal with nothing given it asks, and the password is not echoed', async () => {
    expect((await dk('logout', L)).code).toBe(0);
    const session = ptySession(`${process.execPath} ${MAIN} login ${L}`, { rows: 30, cols: 100 }, { DOCKLING_HOST: daemon().host, DOCKER_CONFIG: dockerConfig });
    await session.waitFor(/Username: $/);
    session.type('bob\r');
    const asked = (await session.waitFor(/Password: $/)).length;
    session.type('secret\r');
    expect(await session.exit).toBe(0);
    expect(session.output()).toContain('Login Succeeded');
    expect(session.output().slice(asked)).not.toContain('secret');
    expect((await auths())[L]).toEqual({ auth: Buffer.from('bob:secret').toString('base64') });
  });

  it('logout removes it, and the registry refuses again', async () => {
    expect(await dk('logout', L)).toMatchObject({ code: 0, stdout: `Removing login credentials for ${L}\n` });
    expect((await auths())[L]).toBeUndefined();
    const r = await dk('pull', `${L}/sec/app:v1`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error response from daemon: unauthorized: authentication required/);
    // as docker 28 does: the same words when there was nothing to remove
    expect(await dk('logout', L)).toMatchObject({ code: 0, stdout: `Removing login credentials for ${L}\n` });
  });
});
