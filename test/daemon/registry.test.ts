// Chapter 4 through the Engine API, against a real daemon and real registries on 127.0.0.1
// (dockling registry, started in this process; one of them behind htpasswd): push and pull as
// JSON message streams (§4.1 of the protocol reference), failures before the stream as HTTP
// errors and after it as errorDetail, X-Registry-Auth, POST /auth, /info's RegistryConfig, and
// the registry certificates in certs.d/ beside the daemon's --config-file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api, startDaemon, type ApiResponse, type RunningDaemon } from './harness.js';
import { call, htpasswdFile, startDockling } from '../registry/server-harness.js';
import { makeCa, makeLeaf } from '../registry/tls-harness.js';
import { tempDir } from '../tmp.js';
import { chainIDs, type Digest } from '../../engine/layers/index.js';

let d: RunningDaemon;
let open: Awaited<ReturnType<typeof startDockling>>;
let locked: Awaited<ReturnType<typeof startDockling>>;
let openHost = '';
let lockedHost = '';
let baseId = '';
/** Where the daemon's --config-file is, and so its certs.d/. */
let configDir = '';

const BOB = { username: 'bob', password: 'secret' };
/** X-Registry-Auth as the docker CLI sends it: base64url of the JSON, padded. */
const authHeader = (doc: object) => Buffer.from(JSON.stringify(doc)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
const NO_AUTH = { 'X-Registry-Auth': 'e30=' };

interface Message { status?: string; id?: string; progressDetail?: { current?: number; total?: number }; aux?: Record<string, unknown>; errorDetail?: { message: string }; error?: string }

/** The stream's messages; dockerd separates them with \r\n, and so must we. */
function messages(r: ApiResponse): Message[] {
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('application/json');
  expect(r.text.endsWith('\r\n')).toBe(true);
  return r.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as Message);
}

const pull = (fromImage: string, tag: string, headers: Record<string, string> = NO_AUTH) =>
  api(d.sock, 'POST', `/v1.50/images/create?fromImage=${encodeURIComponent(fromImage)}&tag=${encodeURIComponent(tag)}`, { headers });
const push = (name: string, tag: string, headers: Record<string, string> = NO_AUTH) => api(d.sock, 'POST', `/v1.50/images/${name}/push?tag=${tag}`, { headers });
const imageId = async (name: string) => (await api(d.sock, 'GET', `/v1.50/images/${name}/json`)).json().Id as string;

beforeAll(async () => {
  open = await startDockling();
  const dir = await tempDir('dkl-regapi-');
  locked = await startDockling({ htpasswd: await htpasswdFile(dir, [BOB]) });
  openHost = new URL(open.url).host;
  lockedHost = new URL(locked.url).host;
  configDir = dir;
  await writeFile(join(dir, 'daemon.json'), '{}\n');
  d = await startDaemon({
    dir,
    args: ['--insecure-registry', openHost, '--insecure-registry', '10.99.0.0/16', '--registry-mirror', 'http://127.0.0.1:9', '--config-file', join(dir, 'daemon.json')],
  });
  const base = await api(d.sock, 'POST', '/dockling/base-image');
  expect(base.status).toBe(201);
  baseId = base.json().Id;
});
afterAll(async () => {
  await d?.stop();
  await open?.stop();
  await locked?.stop();
});

describe('GET /info', () => {
  it("shows the registry settings as dockerd's RegistryConfig", async () => {
    const info = (await api(d.sock, 'GET', '/v1.50/info')).json();
    expect(info.RegistryConfig).toEqual({
      InsecureRegistryCIDRs: ['10.99.0.0/16', '::1/128', '127.0.0.0/8'],
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: ['http://127.0.0.1:9/'], Secure: true, Official: true },
        [openHost]: { Name: openHost, Mirrors: [], Secure: false, Official: false },
      },
      Mirrors: ['http://127.0.0.1:9/'],
    });
  });
});

describe('POST /images/{name}/push', () => {
  it('streams Docker push messages, the aux object last, and the registry has the manifest', async () => {
    expect((await api(d.sock, 'POST', `/v1.50/images/busybox/tag?repo=${openHost}/api/app&tag=v1`)).status).toBe(201);
    const m = messages(await push(`${openHost}/api/app`, 'v1'));
    expect(m[0]).toEqual({ status: `The push refers to repository [${openHost}/api/app]` });
    const layerLines = m.filter((x) => x.id);
    expect(layerLines.length).toBeGreaterThan(0);
    // plain lines carry an empty progressDetail; byte counts carry numbers
    for (const x of layerLines) {
      if (x.status === 'Pushing') expect(x.progressDetail?.total).toBeGreaterThan(0);
      else expect(x.progressDetail).toEqual({});
    }
    expect(layerLines.map((x) => x.status).filter((s) => s !== 'Pushing')).toEqual(['Preparing', 'Pushed']);
    const aux = m[m.length - 1]!;
    expect(aux).toMatchObject({ progressDetail: {}, aux: { Tag: 'v1', Size: expect.any(Number) } });
    expect(m[m.length - 2]!.status).toBe(`v1: digest: ${aux.aux!.Digest} size: ${aux.aux!.Size}`);
    expect(m.some((x) => x.errorDetail)).toBe(false);
    const head = await call(open.url, '/v2/api/app/manifests/v1', { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
    expect(head.status).toBe(200);
    expect(head.headers['docker-content-digest']).toBe(aux.aux!.Digest);
  });

  it("a missing image is a 404 in dockerd's words, before any stream", async () => {
    const r = await push(`${openHost}/api/none`, 'v1');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json()).toEqual({ message: `An image does not exist locally with the tag: ${openHost}/api/none` });
  });

  it('a registry that wants credentials: the failure arrives as errorDetail once the stream has begun', async () => {
    await api(d.sock, 'POST', `/v1.50/images/busybox/tag?repo=${lockedHost}/sec&tag=v1`);
    const m = messages(await push(`${lockedHost}/sec`, 'v1'));
    const last = m[m.length - 1]!;
    expect(last.errorDetail?.message).toMatch(/unauthorized: authentication required/);
    expect(last.error).toBe(last.errorDetail?.message);
    const ok = messages(await push(`${lockedHost}/sec`, 'v1', { 'X-Registry-Auth': authHeader({ ...BOB, serveraddress: lockedHost }) }));
    expect(ok.some((x) => x.errorDetail)).toBe(false);
    expect(ok.some((x) => x.status?.startsWith('v1: digest: sha256:'))).toBe(true);
  });
});

describe('POST /images/create?fromImage=', () => {
  it('pulls back the image pushed: the same ID, the messages of a Docker pull', async () => {
    // Every name of the image goes (busybox, the pushed tags), and its layer with them.
    expect((await api(d.sock, 'DELETE', `/v1.50/images/${baseId}?force=1`)).status).toBe(200);
    expect((await api(d.sock, 'GET', `/v1.50/images/${baseId}/json`)).status).toBe(404);
    const m = messages(await pull(`${openHost}/api/app`, 'v1'));
    expect(m[0]).toEqual({ status: 'Pulling from api/app', progressDetail: {}, id: 'v1' });
    const statuses = m.filter((x) => x.id && x.id !== 'v1' && !x.progressDetail?.total).map((x) => x.status);
    expect(statuses).toEqual(['Pulling fs layer', 'Verifying Checksum', 'Download complete', 'Pull complete']);
    // unpacked into a snapshot while pulled, as dockerd extracts: Extracting comes before Pull complete
    const layerLines = m.filter((x) => x.id && x.id !== 'v1').map((x) => x.status);
    expect(layerLines.indexOf('Extracting')).toBeGreaterThan(layerLines.indexOf('Download complete'));
    expect(layerLines.indexOf('Extracting')).toBeLessThan(layerLines.indexOf('Pull complete'));
    expect(m.filter((x) => x.status === 'Downloading').every((x) => x.progressDetail!.current! <= x.progressDetail!.total!)).toBe(true);
    expect(m[m.length - 2]!.status).toMatch(/^Digest: sha256:[0-9a-f]{64}$/);
    expect(m[m.length - 1]).toEqual({ status: `Status: Downloaded newer image for ${openHost}/api/app:v1` });
    expect(await imageId(`${openHost}/api/app:v1`)).toBe(baseId);
    // inspect and the list show the name the registry knows it by, as dockerd's RepoDigests
    const digest = m[m.length - 2]!.status!.slice('Digest: '.length);
    const inspected = (await api(d.sock, 'GET', `/v1.50/images/${openHost}/api/app:v1/json`)).json() as { RepoDigests: string[] };
    expect(inspected.RepoDigests).toContain(`${openHost}/api/app@${digest}`);
    const listed = (await api(d.sock, 'GET', '/v1.50/images/json')).json() as Array<{ Id: string; RepoDigests: string[] }>;
    expect(listed.find((i) => i.Id === baseId)!.RepoDigests).toContain(`${openHost}/api/app@${digest}`);
  });

  it('pulls again: up to date, nothing downloaded', async () => {
    const m = messages(await pull(`${openHost}/api/app`, 'v1'));
    expect(m.map((x) => x.status)).toEqual(['Pulling from api/app', expect.stringMatching(/^Digest: /), `Status: Image is up to date for ${openHost}/api/app:v1`]);
  });

  it('takes a digest in the tag parameter, as the docker CLI sends NAME@DIGEST', async () => {
    const digest = messages(await pull(`${openHost}/api/app`, 'v1')).find((x) => x.status?.startsWith('Digest: '))!.status!.slice('Digest: '.length);
    const m = messages(await pull(`${openHost}/api/app`, digest));
    expect(m[0]).toMatchObject({ status: 'Pulling from api/app', id: digest });
    expect(m.some((x) => x.errorDetail)).toBe(false);
    expect(m[m.length - 1]!.status).toMatch(/^Status: /);
  });

  it('a missing tag or repository fails before the stream: an HTTP 404 with the message', async () => {
    for (const [repo, tag] of [[`${openHost}/api/app`, 'nope'], [`${openHost}/api/nobody`, 'latest']] as const) {
      const r = await pull(repo, tag);
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.json().message).toMatch(/manifest unknown/);
    }
  });

  it('credentials come from X-Registry-Auth: without them an HTTP error, with them the image', async () => {
    const without = await pull(`${lockedHost}/sec`, 'v1');
    expect(without.status).toBeGreaterThanOrEqual(400);
    expect(without.json().message).toMatch(/unauthorized: authentication required/);
    const wrong = await pull(`${lockedHost}/sec`, 'v1', { 'X-Registry-Auth': authHeader({ username: 'bob', password: 'nope', serveraddress: lockedHost }) });
    expect(wrong.json().message).toMatch(/unauthorized: incorrect username or password/);
    const m = messages(await pull(`${lockedHost}/sec`, 'v1', { 'X-Registry-Auth': authHeader({ ...BOB, serveraddress: lockedHost }) }));
    expect(m[m.length - 1]!.status).toMatch(/^Status: (Downloaded newer image|Image is up to date) for /);
  });

  it('a layer that goes bad mid-pull ends a 200 stream with errorDetail naming it, and names nothing', async () => {
    // Another image (its own layer), pushed, then its layer blob spoiled on the registry's disk.
    const tar = Buffer.alloc(10240); // an empty tar: two zero blocks and then some
    const id = await importTar(tar);
    await api(d.sock, 'POST', `/v1.50/images/${id}/tag?repo=${openHost}/api/bad&tag=v1`);
    messages(await push(`${openHost}/api/bad`, 'v1'));
    const manifest = (await call(open.url, '/v2/api/bad/manifests/v1', { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } })).json<{ layers: Array<{ digest: string; size: number }> }>();
    const layer = manifest.layers[0]!;
    await writeFile(join(open.dataRoot, 'blobs', 'sha256', layer.digest.slice('sha256:'.length)), Buffer.alloc(layer.size, 0x41));
    await api(d.sock, 'DELETE', `/v1.50/images/${openHost}/api/bad:v1`);
    await api(d.sock, 'DELETE', `/v1.50/images/${id}`);
    const m = messages(await pull(`${openHost}/api/bad`, 'v1'));
    expect(m.some((x) => x.status === 'Pulling fs layer')).toBe(true);
    const last = m[m.length - 1]!;
    expect(last.errorDetail?.message).toContain(layer.digest);
    expect(last.error).toBe(last.errorDetail!.message);
    expect((await api(d.sock, 'GET', `/v1.50/images/${openHost}/api/bad:v1/json`)).status).toBe(404);
  });

  it('refuses a platform it cannot read', async () => {
    const r = await api(d.sock, 'POST', `/v1.50/images/create?fromImage=${encodeURIComponent(`${openHost}/api/app`)}&tag=v1&platform=a/b/c/d`, { headers: NO_AUTH });
    expect(r.status).toBe(400);
    expect(r.json().message).toMatch(/invalid platform/);
  });

  it('rmi takes the unpacked layers with the image, unless another name or a container still needs them', async () => {
    const snapshots = async () => {
      const meta = JSON.parse(await readFile(join(d.dataRoot, 'snapshots-root', 'metadata.json'), 'utf8')) as { snapshots: Record<string, { kind: string }> };
      return Object.entries(meta.snapshots).filter(([, s]) => s.kind === 'committed').map(([k]) => k);
    };
    const name = `${openHost}/api/app:v1`;
    messages(await pull(`${openHost}/api/app`, 'v1'));
    const image = (await api(d.sock, 'GET', `/v1.50/images/${name}/json`)).json() as { Id: string; RootFS: { Layers: string[] } };
    const top = chainIDs(image.RootFS.Layers as Digest[]).at(-1)!;
    expect(await snapshots()).toContain(top);
    // another name: untagged only, the layers stay
    await api(d.sock, 'POST', `/v1.50/images/${name}/tag?repo=gc/other&tag=v1`);
    expect((await api(d.sock, 'DELETE', '/v1.50/images/gc/other:v1')).json()).toEqual([{ Untagged: 'gc/other:v1' }]);
    expect(await snapshots()).toContain(top);
    // a container on it: the image stays (dangling, forced), and so does everything under the container
    const c = await api(d.sock, 'POST', '/v1.50/containers/create', { body: Buffer.from(JSON.stringify({ Image: name, Cmd: ['true'] })), headers: { 'Content-Type': 'application/json' } });
    expect(c.status).toBe(201);
    expect((await api(d.sock, 'DELETE', `/v1.50/images/${name}?force=1`)).status).toBe(200);
    expect(await snapshots()).toContain(top);
    // the container gone, the image's last rmi frees its layers
    expect((await api(d.sock, 'DELETE', `/v1.50/containers/${c.json().Id}`)).status).toBe(204);
    const removed = (await api(d.sock, 'DELETE', `/v1.50/images/${image.Id}`)).json() as Array<{ Deleted?: string }>;
    expect(removed).toContainEqual({ Deleted: image.Id });
    expect(await snapshots()).not.toContain(top);
    for (const l of chainIDs(image.RootFS.Layers as Digest[])) expect(await snapshots()).not.toContain(l);
    // and a pull after it unpacks again, so the tests after this one find the image as before
    const again = messages(await pull(`${openHost}/api/app`, 'v1'));
    expect(again.some((x) => x.status === 'Extracting')).toBe(true);
    expect(await snapshots()).toContain(top);
  });
});

describe('POST /auth', () => {
  const login = (body: object) => api(d.sock, 'POST', '/v1.50/auth', { body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });

  it('right credentials: Login Succeeded and an empty IdentityToken (the CLI stores the password)', async () => {
    const r = await login({ ...BOB, serveraddress: lockedHost });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ Status: 'Login Succeeded', IdentityToken: '' });
  });

  it('wrong ones: a 401 whose message the CLI prints', async () => {
    const r = await login({ username: 'bob', password: 'wrong', serveraddress: lockedHost });
    expect(r.status).toBe(401);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json().message).toMatch(/^unauthorized: incorrect username or password/);
  });

  it('a registry with no authentication accepts any login, as it accepts any pull', async () => {
    expect((await login({ ...BOB, serveraddress: openHost })).json()).toEqual({ Status: 'Login Succeeded', IdentityToken: '' });
  });

  it('a body that is not JSON is a 400', async () => {
    const r = await api(d.sock, 'POST', '/v1.50/auth', { body: Buffer.from('user=bob'), headers: { 'Content-Type': 'application/json' } });
    expect(r.status).toBe(400);
  });
});

describe('certs.d beside --config-file', () => {
  // A secure registry cannot be called by a loopback name (those are insecure, unverified): the
  // registries listen on 127.0.0.1 and are called 0.0.0.0:PORT — this host, secure by Docker's rules.
  const secure = (url: string) => `0.0.0.0:${new URL(url).port}`;

  it('verifies a secure registry against the CA in <config dir>/certs.d/<host>/, and refuses one whose CA is not there', async () => {
    const certs = await tempDir('dkl-regapi-certs-');
    const ca = await makeCa(certs);
    const cert = await makeLeaf(certs, { name: 'registry', ca, ips: ['0.0.0.0'], usage: 'serverAuth' });
    const trusted = await startDockling({ tls: cert });
    const unknown = await startDockling({ tls: cert });
    try {
      const host = secure(trusted.url);
      await mkdir(join(configDir, 'certs.d', host), { recursive: true });
      await copyFile(ca.cert, join(configDir, 'certs.d', host, 'ca.crt'));
      const login = (serveraddress: string) => api(d.sock, 'POST', '/v1.50/auth', { body: Buffer.from(JSON.stringify({ ...BOB, serveraddress })), headers: { 'Content-Type': 'application/json' } });
      expect((await login(host)).json()).toEqual({ Status: 'Login Succeeded', IdentityToken: '' });
      const refused = await login(secure(unknown.url));
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.json().message).toContain(`the TLS certificate of ${secure(unknown.url)} failed verification`);
    } finally {
      await trusted.stop();
      await unknown.stop();
    }
  });
});

/** Imports a tar through the API (fromSrc=-); returns the new image's ID. */
async function importTar(tar: Buffer): Promise<string> {
  const r = await api(d.sock, 'POST', '/v1.50/images/create?fromSrc=-', { body: tar, headers: { 'Content-Type': 'application/x-tar' } });
  const status = r.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l)).find((x) => x.status)?.status;
  expect(status).toMatch(/^sha256:/);
  return status;
}
