// Authentication, the three ways registries ask for it: Basic (docker-registry behind
// htpasswd), Bearer tokens from a token server (the flow Docker Hub uses, played here by a
// token server and a front that checks tokens before handing requests to docker-registry),
// and the credentials `login` keeps in a Docker config.json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { makeBaseImage, type Image } from '../../engine/layers/index.js';
import { CredentialStore, DOCKER_HUB_SERVER, RegistryClient, dockerConfigPath } from '../../engine/registry/index.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';
import { makeImage, newStore, progressLog, serve, startDistribution, type Distribution } from './client-harness.js';

let dir: string;
let src: Awaited<ReturnType<typeof newStore>>;
let n = 0;
const fresh = () => newStore(dir, `store${n++}`);
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = await tempDir('dockling-regauth-');
  src = await fresh();
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

/** A client with its own config.json (a temp DOCKER_CONFIG), and a sink to check the trace for secrets. */
async function clientWithConfig() {
  const configDir = await tempDir('dockling-docker-config-');
  const path = dockerConfigPath({ DOCKER_CONFIG: configDir });
  const sink = new MemorySink();
  const client = new RegistryClient({ tracer: new Tracer([sink]), credentials: new CredentialStore(path) });
  stops.push(async () => client.close());
  return { client, path, sink };
}

describe('Basic auth (docker-registry with htpasswd)', () => {
  let registry: Distribution;
  let image: Image;

  beforeAll(async () => {
    registry = await startDistribution(await tempDir('dockling-htpasswd-'), { htpasswd: { username: 'alice', password: 'wonderland' } });
    stops.push(registry.stop);
    image = await makeBaseImage({ store: src.store, tmpRoot: dir, tag: `${registry.host}/private/busybox:v1` });
  });

  it('refuses a wrong password clearly, and writes nothing', async () => {
    const { client, path } = await clientWithConfig();
    const err = await client.login({ server: registry.host, username: 'alice', password: 'wrong' }).catch((e) => e);
    expect(err).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    expect(err.message).toMatch(/incorrect username or password/);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('logs in (config.json gets the entry, private), pushes and pulls with it, logs out', async () => {
    const { client, path, sink } = await clientWithConfig();
    expect(await client.login({ server: registry.host, username: 'alice', password: 'wonderland' })).toEqual({ status: 'Login Succeeded' });
    const config = JSON.parse(await readFile(path, 'utf8'));
    expect(config).toEqual({ auths: { [registry.host]: { auth: Buffer.from('alice:wonderland').toString('base64') } } });
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    await client.push({ reference: `${registry.host}/private/busybox:v1`, store: src.store, content: src.content });
    const dst = await fresh();
    expect((await client.pull({ reference: `${registry.host}/private/busybox:v1`, store: dst.store, content: dst.content })).id).toBe(image.id);
    expect(JSON.stringify(sink.events)).not.toContain('wonderland');
    expect(JSON.stringify(sink.events)).not.toContain(Buffer.from('alice:wonderland').toString('base64'));

    expect(await client.logout({ server: `http://${registry.host}/v2/` })).toEqual({ removed: true, server: registry.host });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ auths: {} });
    expect((await client.logout({ server: registry.host })).removed).toBe(false);
  });

  it('without credentials the pull is refused, saying to log in; with `auth` given it passes', async () => {
    const { client } = await clientWithConfig();
    const log = progressLog();
    const dst = await fresh();
    await expect(client.pull({ reference: `${registry.host}/private/busybox:v1`, store: dst.store, content: dst.content, onProgress: log.listener }))
      .rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED', message: expect.stringMatching(/authentication required/) });
    expect(log.messages.at(-1)?.errorDetail?.message).toMatch(/authentication required/);
    const got = await client.pull({ reference: `${registry.host}/private/busybox:v1`, store: dst.store, content: dst.content, auth: { username: 'alice', password: 'wonderland' } });
    expect(got.id).toBe(image.id);
  });
});

// #region token-server
/**
 * A token server like Docker Hub's auth service: GET /token?service=&scope=… with Basic
 * credentials (bob:secret) grants what is asked; anonymously only `pull` on public/ repositories.
 * The front checks `Authorization: Bearer` against what was granted and forwards to the registry.
 */
async function startTokenRegistry(backend: Distribution) {
  const settings = { expiresIn: 300, field: 'token' as 'token' | 'access_token' };
  const granted = new Map<string, { access: Set<string>; expires: number }>();
  const tokenRequests: Array<{ scope: string; account: string | null; basic: boolean }> = [];
  const tokens = await serve((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const basic = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString() : undefined;
    tokenRequests.push({ scope: scopes.join(' '), account: url.searchParams.get('account'), basic: !!basic });
    if (basic !== undefined && basic !== 'bob:secret') return json(res, 401, { details: 'incorrect username or password' });
    const access = new Set<string>();
    for (const scope of scopes) {
      const [, name, actions] = /^repository:(.+):([a-z,]+)$/.exec(scope) ?? [];
      for (const action of actions?.split(',') ?? []) if (basic || (action === 'pull' && name!.startsWith('public/'))) access.add(`${name}:${action}`);
    }
    const token = randomBytes(16).toString('hex');
    granted.set(token, { access, expires: Date.now() + settings.expiresIn * 1000 });
    json(res, 200, { [settings.field]: token, expires_in: settings.expiresIn, issued_at: new Date().toISOString(), ...(basic && url.searchParams.get('offline_token') ? { refresh_token: 'refresh-me' } : {}) });
  });
  const [bhost, bport] = backend.host.split(':');
  const front = await serve((req, res) => {
    const need = required(req);
    const bearer = req.headers.authorization?.startsWith('Bearer ') ? granted.get(req.headers.authorization.slice(7)) : undefined;
    if (!bearer || bearer.expires < Date.now() || !need.every((a) => bearer.access.has(a))) {
      const scope = need.length ? `,scope="repository:${need[0]!.replace(/:([a-z]+)$/, ':$1')}"` : '';
      res.setHeader('WWW-Authenticate', `Bearer realm="${tokens.url}/token",service="dockling-test"${scope}`);
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const up = request({ host: bhost, port: Number(bport), method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const stop = async () => {
    await front.stop();
    await tokens.stop();
  };
  return { front, tokens, settings, tokenRequests, stop };
}

/** What a request needs: `name:pull` to read, `name:push` to write, `from:pull` to mount. */
function required(req: IncomingMessage): string[] {
  const url = new URL(req.url!, 'http://x');
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname);
  if (!m) return [];
  const need = [`${m[1]}:${req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push'}`];
  const from = url.searchParams.get('from');
  if (from) need.push(`${from}:pull`);
  return need;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
// #endregion token-server

describe('Bearer tokens (a token server and a front, as Docker Hub does it)', () => {
  let reg: Awaited<ReturnType<typeof startTokenRegistry>>;
  let host: string;

  beforeAll(async () => {
    const backend = await startDistribution(await tempDir('dockling-tokenreg-'));
    stops.push(backend.stop);
    reg = await startTokenRegistry(backend);
    stops.push(reg.stop);
    host = reg.front.host;
  });

  it('logs in through the token server (credentials checked, refresh token handed back)', async () => {
    const { client, path } = await clientWithConfig();
    await expect(client.login({ server: host, username: 'bob', password: 'nope' })).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    reg.tokenRequests.length = 0;
    expect(await client.login({ server: host, username: 'bob', password: 'secret' })).toEqual({ status: 'Login Succeeded', identityToken: 'refresh-me' });
    expect(reg.tokenRequests).toEqual([{ scope: '', account: 'bob', basic: true }]);
    expect(await new CredentialStore(path).get(host)).toEqual({ username: 'bob', password: 'secret' });
  });

  it('asks for one token per scope and reuses it for every request of a push and of pulls', async () => {
    const { client, sink } = await clientWithConfig();
    await client.login({ server: host, username: 'bob', password: 'secret' });
    const img = await makeImage(src.store, { name: `${host}/tok/app:v1`, layers: [{ a: 'one' }, { b: 'two' }, { c: 'three' }] });
    reg.tokenRequests.length = 0;
    await client.push({ reference: `${host}/tok/app:v1`, store: src.store, content: src.content });
    expect(reg.tokenRequests).toEqual([{ scope: 'repository:tok/app:pull,push', account: 'bob', basic: true }]);

    reg.tokenRequests.length = 0;
    const dst = await fresh();
    expect((await client.pull({ reference: `${host}/tok/app:v1`, store: dst.store, content: dst.content })).id).toBe(img.id);
    const again = await fresh();
    await client.pull({ reference: `${host}/tok/app:v1`, store: again.store, content: again.content });
    expect(reg.tokenRequests).toEqual([{ scope: 'repository:tok/app:pull', account: 'bob', basic: true }]);
    const traced = sink.events.filter((e) => e.op === 'auth.token');
    expect(traced.map((e) => e.data)).toContainEqual(expect.objectContaining({ realm: `${reg.tokens.url}/token`, service: 'dockling-test', scope: 'repository:tok/app:pull', cached: false }));
    expect(traced.map((e) => e.data)).toContainEqual(expect.objectContaining({ scope: 'repository:tok/app:pull', cached: true }));
    expect(JSON.stringify(sink.events)).not.toMatch(/secret|Bearer [0-9a-f]/);
  });

  it('mounts across repositories with a token for both (pull on the source)', async () => {
    const { client } = await clientWithConfig();
    const auth = { username: 'bob', password: 'secret' };
    const img = await makeImage(src.store, { name: `${host}/tok/first:v1`, layers: [{ m: randomBytes(2048) }] });
    await client.push({ reference: `${host}/tok/first:v1`, store: src.store, content: src.content, auth });
    await src.store.tag(`${host}/tok/first:v1`, `${host}/tok/second:v1`);
    reg.tokenRequests.length = 0;
    const log = progressLog();
    await client.push({ reference: `${host}/tok/second:v1`, store: src.store, content: src.content, auth, onProgress: log.listener });
    expect(log.lines()).toContain(`${img.layers[0]!.diffID.slice(7, 19)}: Mounted from tok/first`);
    expect(reg.tokenRequests.map((r) => r.scope)).toContain('repository:tok/second:pull,push repository:tok/first:pull');
  });

  it('pulls anonymously where the token server allows it, and is refused where it does not', async () => {
    const { client } = await clientWithConfig();
    const auth = { username: 'bob', password: 'secret' };
    const img = await makeImage(src.store, { name: `${host}/public/open:v1`, layers: [{ o: 'open' }] });
    await client.push({ reference: `${host}/public/open:v1`, store: src.store, content: src.content, auth });
    await makeImage(src.store, { name: `${host}/closed/shut:v1`, layers: [{ s: 'shut' }] });
    await client.push({ reference: `${host}/closed/shut:v1`, store: src.store, content: src.content, auth });

    const anonymous = (await clientWithConfig()).client;
    const dst = await fresh();
    reg.tokenRequests.length = 0;
    expect((await anonymous.pull({ reference: `${host}/public/open:v1`, store: dst.store, content: dst.content })).id).toBe(img.id);
    expect(reg.tokenRequests).toEqual([{ scope: 'repository:public/open:pull', account: null, basic: false }]);
    await expect(anonymous.pull({ reference: `${host}/closed/shut:v1`, store: dst.store, content: dst.content }))
      .rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
  });

  it('honours expires_in, and takes the token from access_token too', async () => {
    const { client } = await clientWithConfig();
    const auth = { username: 'bob', password: 'secret' };
    await makeImage(src.store, { name: `${host}/tok/short:v1`, layers: [{ s: 'short-lived' }] });
    await client.push({ reference: `${host}/tok/short:v1`, store: src.store, content: src.content, auth });
    Object.assign(reg.settings, { expiresIn: 1, field: 'access_token' });
    try {
      const dst = await fresh();
      reg.tokenRequests.length = 0;
      await client.pull({ reference: `${host}/tok/short:v1`, store: dst.store, content: dst.content, auth });
      expect(reg.tokenRequests).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1200));
      await client.pull({ reference: `${host}/tok/short:v1`, store: dst.store, content: dst.content, auth });
      expect(reg.tokenRequests).toHaveLength(2); // the first had expired: a new one was asked for
    } finally {
      Object.assign(reg.settings, { expiresIn: 300, field: 'token' });
    }
  });
});

describe('config.json', () => {
  it("keeps Docker Hub under its v1 URL, finds entries however the server is written, and leaves other keys alone", async () => {
    const configDir = await tempDir('dockling-docker-config-');
    const path = dockerConfigPath({ DOCKER_CONFIG: configDir });
    expect(path).toBe(join(configDir, 'config.json'));
    expect(dockerConfigPath({ HOME: '/home/x' })).toBe('/home/x/.docker/config.json');
    await writeFile(path, JSON.stringify({ auths: { 'https://registry.example:5000/v2/': { auth: Buffer.from('u:p:with:colons').toString('base64') } }, credsStore: 'none', proxies: { default: {} } }));
    const store = new CredentialStore(path);
    expect(await store.get('registry.example:5000')).toEqual({ username: 'u', password: 'p:with:colons' });
    await store.set('docker.io', 'hubuser', 'hubpass');
    expect(await store.get('index.docker.io')).toEqual({ username: 'hubuser', password: 'hubpass' });
    expect(await store.get(DOCKER_HUB_SERVER)).toEqual({ username: 'hubuser', password: 'hubpass' });
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc.credsStore).toBe('none');
    expect(doc.proxies).toEqual({ default: {} });
    expect(doc.auths[DOCKER_HUB_SERVER]).toEqual({ auth: Buffer.from('hubuser:hubpass').toString('base64') });
    expect(await store.remove('registry.example:5000')).toBe(true);
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')).auths)).toEqual([DOCKER_HUB_SERVER]);
  });
});
