// Who may do what: htpasswd authentication (a challenge for the anonymous, a refusal for a wrong
// password, a pass for the right one) and read-only mode (writes answered 405, reads served).
// Each behaviour is checked on `dockling registry` and on the CNCF registry configured the same
// way, so "what distribution does" is a test result, not a guess. Then token authentication
// (ours only): the token service, the challenge, scopes granted by rules, and real clients —
// dockling's own and skopeo — going through it. Hostile tokens are in reliability/access.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startRegistry, type RegistryOptions } from '../../engine/registry/server/index.js';
import { CredentialStore, RegistryClient } from '../../engine/registry/index.js';
import { Tracer } from '../../engine/trace/index.js';
import {
  call, digestOf, htpasswdFile, pushImage, randomBlob, startDistribution, startDockling, OCI_MANIFEST,
  type Credentials, type Peer,
} from './server-harness.js';
import { makeImage, newStore } from './client-harness.js';
import {
  SERVICE, alice, askToken, bearer, bob, claimsOf, owner, pushWithToken, startTokenRegistry, tokenFor, type TokenRegistry,
} from './token-harness.js';
import { tempDir } from '../tmp.js';

const exec = promisify(execFile);

const learner: Credentials = { username: 'learner', password: 'correct horse battery staple' };
const teacher: Credentials = { username: 'teacher', password: 's3cret' };

describe.each(['dockling', 'distribution'] as const)('htpasswd on %s', (which) => {
  let reg: Peer & { sink?: { events: Array<{ op: string; phase: string; data: Record<string, unknown> }> } };
  beforeAll(async () => {
    const file = await htpasswdFile(await tempDir('dockling-htpasswd-'), [learner, teacher]);
    reg = which === 'dockling' ? await startDockling({ htpasswd: file, realm: 'workshop' }) : await startDistribution({ htpasswd: file });
  });
  afterAll(() => reg?.stop());

  it('an anonymous request gets 401 UNAUTHORIZED with a Basic challenge and the API version header', async () => {
    const a = await call(reg.url, '/v2/');
    expect(a.status).toBe(401);
    expect(a.headers['www-authenticate']).toMatch(/^Basic realm="(workshop|test-realm)"$/);
    expect(a.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(a.codes()).toEqual(['UNAUTHORIZED']);
  });

  it('a wrong password, or an unknown user, is 401 UNAUTHORIZED', async () => {
    for (const auth of [{ ...learner, password: 'wrong' }, { username: 'nobody', password: 'x' }]) {
      const a = await call(reg.url, '/v2/_catalog', { auth });
      expect(a.status).toBe(401);
      expect(a.codes()).toEqual(['UNAUTHORIZED']);
    }
  });

  it('the right password is accepted, for every user in the file, for reads and writes', async () => {
    expect((await call(reg.url, '/v2/', { auth: learner })).status).toBe(200);
    const img = await pushImage(reg.url, 'room/app', 'v1', { auth: teacher });
    const got = await call(reg.url, '/v2/room/app/manifests/v1', { auth: learner, headers: { Accept: OCI_MANIFEST } });
    expect(got.body.equals(img.manifest)).toBe(true);
  });

  // Ours only (distribution's logs are not a trace); registered for dockling, not skipped for the other.
  if (which === 'dockling') {
    it('records refusals and first acceptances in the trace (bcrypt runs once per credential)', async () => {
      for (let i = 0; i < 3; i++) await call(reg.url, '/v2/', { auth: learner });
      const auth = reg.sink!.events.filter((e) => e.op === 'registry.auth' && e.phase === 'end');
      expect(auth.filter((e) => e.data.outcome === 'accepted')).toHaveLength(2); // learner and teacher, once each
      expect(auth.some((e) => e.data.outcome === 'refused' && e.data.reason === 'wrong-password')).toBe(true);
    });
  }
});

describe('htpasswd files', () => {
  it('a line that is not user:bcrypt is refused at start, naming the line', async () => {
    const dir = await tempDir('dockling-htpasswd-');
    const file = join(dir, 'htpasswd');
    await writeFile(file, `# the room\nok:$2y$05$${'a'.repeat(53)}\nold:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n`);
    await expect(startRegistry({ dataRoot: join(dir, 'data'), listen: '127.0.0.1:0', htpasswd: file })).rejects.toMatchObject({
      code: 'HTPASSWD_INVALID', data: { line: 3 },
    });
  });
});

describe.each(['dockling', 'distribution'] as const)('read-only %s', (which) => {
  let reg: Peer;
  let img: Awaited<ReturnType<typeof pushImage>>;
  beforeAll(async () => {
    if (which === 'dockling') {
      // Fill a data root with a writable registry, then serve it read-only.
      const writable = await startDockling();
      img = await pushImage(writable.url, 'room/app', 'v1');
      await writable.stop();
      reg = await startDockling({ dataRoot: (writable as { dataRoot: string }).dataRoot, readOnly: true });
    } else {
      reg = await startDistribution({ readOnly: true });
    }
  });
  afterAll(() => reg?.stop());

  it('refuses every write with 405 (as distribution does), Allow naming the reads', async () => {
    const d = digestOf(randomBlob(10));
    const writes: Array<[string, string]> = [
      ['POST', '/v2/room/app/blobs/uploads/'],
      ['PUT', '/v2/room/app/manifests/v2'],
      ['DELETE', `/v2/room/app/manifests/${d}`],
      ['DELETE', `/v2/room/app/blobs/${d}`],
    ];
    for (const [method, path] of writes) {
      const a = await call(reg.url, path, { method, body: method === 'PUT' ? '{}' : undefined, headers: { 'Content-Type': OCI_MANIFEST } });
      expect(a.status, `${method} ${path}`).toBe(405);
      if (path.includes('/manifests/') || path.includes('/blobs/sha256')) expect(a.headers.allow).toBe('GET, HEAD');
      if (which === 'dockling') expect(a.codes()).toEqual(['UNSUPPORTED']);
    }
  });

  // Ours was filled before it went read-only; the empty peer has nothing to read.
  if (which === 'dockling') {
    it('still serves reads', async () => {
      expect((await call(reg.url, '/v2/room/app/manifests/v1', { headers: { Accept: OCI_MANIFEST } })).body.equals(img.manifest)).toBe(true);
      expect((await call(reg.url, `/v2/room/app/blobs/${digestOf(img.layers[0]!)}`)).body.equals(img.layers[0]!)).toBe(true);
      expect((await call(reg.url, '/v2/room/app/tags/list')).json()).toEqual({ name: 'room/app', tags: ['v1'] });
    });
  }
});

// Token authentication (issue 9): the registry serves its own token service, as Docker Hub has
// auth.docker.io beside its registry. Who may do what comes from the rules in token-harness.ts.
describe('token authentication', () => {
  let reg: TokenRegistry;
  let host: string;
  beforeAll(async () => {
    reg = await startTokenRegistry();
    host = new URL(reg.url).host;
    await pushWithToken(reg.url, 'a/x', 'v1', await tokenFor(reg.url, owner, 'repository:a/x:pull,push'));
  });
  afterAll(() => reg?.stop());

  it('a request without a token gets 401 and a Bearer challenge naming the token service and the scope it needs', async () => {
    const realm = `realm="${reg.url}/auth/token",service="${SERVICE}"`;
    const cases: Array<[string, string, string]> = [
      ['GET', '/v2/', `Bearer ${realm}`],
      ['GET', '/v2/a/x/manifests/v1', `Bearer ${realm},scope="repository:a/x:pull"`],
      ['HEAD', '/v2/a/x/blobs/sha256:' + 'a'.repeat(64), `Bearer ${realm},scope="repository:a/x:pull"`],
      ['POST', '/v2/a/x/blobs/uploads/', `Bearer ${realm},scope="repository:a/x:pull,push"`],
      ['PUT', '/v2/a/x/manifests/v2', `Bearer ${realm},scope="repository:a/x:pull,push"`],
      ['DELETE', '/v2/a/x/manifests/v1', `Bearer ${realm},scope="repository:a/x:delete"`],
      ['GET', '/v2/_catalog', `Bearer ${realm},scope="registry:catalog:*"`],
    ];
    for (const [method, path, challenge] of cases) {
      const a = await call(reg.url, path, { method });
      expect([method, path, a.status, a.headers['www-authenticate']]).toEqual([method, path, 401, challenge]);
      if (method !== 'HEAD') expect(a.codes()).toEqual(['UNAUTHORIZED']);
    }
  });

  it('the token service refuses a wrong password or an unknown user (401, no token), by GET and by the OAuth2 form', async () => {
    for (const auth of [{ ...alice, password: 'wrong' }, { username: 'mallory', password: alice.password }, { ...alice, username: 'ALICE' }]) {
      const a = await askToken(reg.url, { auth, scopes: ['repository:a/x:pull'] });
      expect([a.status, a.codes, a.token]).toEqual([401, ['UNAUTHORIZED'], '']);
      expect(a.body).not.toContain('eyJ');
    }
    const form = (password: string) => call(reg.url, '/auth/token', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'alice', password, service: SERVICE, scope: 'repository:a/x:pull', client_id: 'test' }).toString(),
    });
    expect((await form('wrong')).status).toBe(401);
    const ok = await form(alice.password);
    expect(ok.status).toBe(200);
    expect(claimsOf(ok.json<{ access_token: string }>().access_token).access).toEqual([{ type: 'repository', name: 'a/x', actions: ['pull'] }]);
  });

  it('grants only what the rules allow: asked-for actions are cut down, other repositories left out', async () => {
    const access = async (auth: typeof alice | undefined, ...scopes: string[]) => (await askToken(reg.url, { auth, scopes })).claims.access;
    expect(await access(alice, 'repository:a/x:pull,push,delete', 'repository:b/x:pull,push', 'registry:catalog:*'))
      .toEqual([{ type: 'repository', name: 'a/x', actions: ['pull', 'push'] }]);
    expect(await access(bob, 'repository:a/x:pull,push', 'repository:b/x:*')).toEqual([
      { type: 'repository', name: 'a/x', actions: ['pull'] },
      { type: 'repository', name: 'b/x', actions: ['pull', 'push', 'delete'] },
    ]);
    expect(await access(owner, 'registry:catalog:*')).toEqual([{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    // A prefix ends at a slash: a/* is not a-evil/x, nor a itself.
    expect(await access(alice, 'repository:a-evil/x:pull,push', 'repository:a:pull,push', 'repository:ab/x:pull')).toEqual([]);
    // No credentials: a token all the same, holding what `anonymous` may do (public/* pull), no more.
    const anon = await askToken(reg.url, { scopes: ['repository:public/x:pull,push', 'repository:a/x:pull'] });
    expect(anon.status).toBe(200);
    expect(anon.claims).toMatchObject({ sub: '', aud: SERVICE, access: [{ type: 'repository', name: 'public/x', actions: ['pull'] }] });
  });

  it('a token carries iss, sub, aud, exp, nbf, iat and a fresh jti; its lifetime is --token-ttl', async () => {
    const [one, two] = [await askToken(reg.url, { auth: alice }), await askToken(reg.url, { auth: alice })];
    expect(one.claims).toMatchObject({ iss: 'dockling-token-service', sub: 'alice', aud: SERVICE, access: [] });
    const c = one.claims as { exp: number; nbf: number; iat: number; jti: string };
    expect(c.exp - c.iat).toBe(300);
    expect(c.nbf).toBe(c.iat);
    expect(c.jti).not.toBe(two.claims.jti);
    expect(JSON.parse(one.body)).toMatchObject({ expires_in: 300, access_token: one.token });
  });

  it('refuses a scope with a bad repository name, another service, or another grant type, by name (400)', async () => {
    for (const scope of ['repository:a/../b:pull', 'repository:A/X:pull', 'repository:a%2fx:pull', 'repository:a//x:pull', 'repository::pull']) {
      const a = await askToken(reg.url, { auth: alice, scopes: [scope] });
      expect([scope, a.status, a.codes]).toEqual([scope, 400, ['NAME_INVALID']]);
    }
    expect((await askToken(reg.url, { auth: alice, scopes: ['nonsense'] })).status).toBe(400);
    expect((await askToken(reg.url, { auth: alice, service: 'registry.docker.io' })).status).toBe(400);
    const refresh = await call(reg.url, '/auth/token', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=x' });
    expect(refresh.status).toBe(400);
  });

  it('with a token for the scope, reads and writes pass; GET /v2/ needs only a valid token', async () => {
    expect((await call(reg.url, '/v2/', { headers: bearer(await tokenFor(reg.url, alice)) })).status).toBe(200);
    const pushed = await pushWithToken(reg.url, 'a/y', 'v1', await tokenFor(reg.url, alice, 'repository:a/y:pull,push'));
    const got = await call(reg.url, '/v2/a/y/manifests/v1', { headers: { ...bearer(await tokenFor(reg.url, bob, 'repository:a/y:pull')), Accept: OCI_MANIFEST } });
    expect(got.body.equals(pushed.manifest)).toBe(true);
    const catalog = await call(reg.url, '/v2/_catalog', { headers: bearer(await tokenFor(reg.url, owner, 'registry:catalog:*')) });
    expect(catalog.json()).toEqual({ repositories: ['a/x', 'a/y'] });
  });

  it('a good token that does not cover the request is 403 DENIED (insufficient_scope); an anonymous one is 401', async () => {
    const t = await tokenFor(reg.url, alice, 'repository:a/x:pull', 'registry:catalog:*');
    for (const [method, path] of [['GET', '/v2/a/y/manifests/v1'], ['POST', '/v2/a/x/blobs/uploads/'], ['GET', '/v2/_catalog']] as const) {
      const a = await call(reg.url, path, { method, headers: bearer(t) });
      expect([path, a.status, a.codes()]).toEqual([path, 403, ['DENIED']]);
      expect(a.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
    }
    const anon = await call(reg.url, '/v2/a/x/manifests/v1', { headers: bearer(await tokenFor(reg.url, undefined, 'repository:a/x:pull')) });
    expect([anon.status, anon.codes()]).toEqual([401, ['UNAUTHORIZED']]);
  });

  it('a mount needs pull on the source too: without it the POST opens an ordinary upload (202) and links nothing', async () => {
    const secret = await pushWithToken(reg.url, 'secret/x', 'v1', await tokenFor(reg.url, owner, 'repository:secret/x:pull,push'));
    const layer = digestOf(secret.layers[0]!);
    const t = await tokenFor(reg.url, alice, 'repository:a/z:pull,push', 'repository:secret/x:pull');
    const refused = await call(reg.url, `/v2/a/z/blobs/uploads/?mount=${layer}&from=secret/x`, { method: 'POST', headers: bearer(t) });
    expect(refused.status).toBe(202);
    expect((await call(reg.url, `/v2/a/z/blobs/${layer}`, { method: 'HEAD', headers: bearer(t) })).status).toBe(404);
    expect(reg.sink.events.some((e) => e.op === 'registry.mount.refused' && e.data.from === 'secret/x')).toBe(true);
    // From a repository alice may read, the same mount is granted.
    const own = digestOf((await pushWithToken(reg.url, 'a/w', 'v1', await tokenFor(reg.url, alice, 'repository:a/w:pull,push'))).layers[0]!);
    const t2 = await tokenFor(reg.url, alice, 'repository:a/z:pull,push', 'repository:a/w:pull');
    expect((await call(reg.url, `/v2/a/z/blobs/uploads/?mount=${own}&from=a/w`, { method: 'POST', headers: bearer(t2) })).status).toBe(201);
  });

  it('dockling\'s own client logs in, pushes and pulls through the token flow', async () => {
    const dir = await tempDir('dkl-token-client-');
    const client = new RegistryClient({ tracer: new Tracer([]), credentials: new CredentialStore(join(dir, 'config.json')) });
    try {
      await expect(client.login({ server: host, username: 'alice', password: 'wrong' })).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
      expect(await client.login({ server: host, username: 'alice', password: alice.password })).toEqual({ status: 'Login Succeeded' });
      const src = await newStore(dir, 'src');
      const image = await makeImage(src.store, { name: `${host}/a/client:v1`, layers: [{ 'hello.txt': 'hello, tokens\n' }] });
      await client.push({ reference: `${host}/a/client:v1`, store: src.store, content: src.content });
      const dst = await newStore(dir, 'dst');
      expect((await client.pull({ reference: `${host}/a/client:v1`, store: dst.store, content: dst.content })).id).toBe(image.id);
      // Outside alice's rules the push is refused, and the registry keeps nothing of it.
      await makeImage(src.store, { name: `${host}/b/x:v1`, layers: [{ 'other.txt': 'not yours\n' }] });
      // Docker's words, even where the refusal is a HEAD's, which has no body to say them.
      await expect(client.push({ reference: `${host}/b/x:v1`, store: src.store, content: src.content })).rejects.toMatchObject({ code: 'REGISTRY_DENIED', message: expect.stringContaining('denied: requested access to the resource is denied') });
      expect((await call(reg.url, '/v2/b/x/tags/list', { headers: bearer(await tokenFor(reg.url, owner, 'repository:b/x:pull')) })).status).toBe(404);
    } finally {
      client.close();
    }
  });

  it('skopeo pushes and pulls through the token flow, and is refused what the rules refuse', async () => {
    const home = await tempDir('dkl-token-skopeo-');
    const skopeo = (...args: string[]) => exec('skopeo', args, { env: { ...process.env, HOME: home } });
    const creds = (c: typeof alice) => `${c.username}:${c.password}`;
    await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds(alice), '--dest-creds', creds(alice), `docker://${host}/a/x:v1`, `docker://${host}/a/skopeo:v1`);
    const out = join(home, 'layout');
    await skopeo('copy', '--src-tls-verify=false', '--src-creds', creds(bob), `docker://${host}/a/skopeo:v1`, `oci:${out}:v1`);
    // What bob pulled is what alice pushed (skopeo gzipped the layer on the way: compare with the registry's copy).
    const m = await call(reg.url, '/v2/a/skopeo/manifests/v1', { headers: { ...bearer(await tokenFor(reg.url, bob, 'repository:a/skopeo:pull')), Accept: OCI_MANIFEST } });
    expect(m.status).toBe(200);
    expect(JSON.parse((await skopeo('inspect', `oci:${out}:v1`)).stdout).Layers).toEqual(m.json<{ layers: Array<{ digest: string }> }>().layers.map((l) => l.digest));
    // bob may read a/*, not write it; and a wrong password gets no token at all.
    await expect(skopeo('copy', '--dest-tls-verify=false', '--dest-creds', creds(bob), `oci:${out}:v1`, `docker://${host}/a/bob:v1`)).rejects.toMatchObject({ stderr: expect.stringMatching(/denied/i) });
    await expect(skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wrong', `oci:${out}:v1`, `docker://${host}/a/x:v2`)).rejects.toMatchObject({ stderr: expect.stringMatching(/unauthorized|401/i) });
    expect((await call(reg.url, '/v2/a/bob/tags/list', { headers: bearer(await tokenFor(reg.url, owner, 'repository:a/bob:pull')) })).status).toBe(404);
  });
});

describe('token authentication settings', () => {
  it('refuses tokens without an htpasswd file, a zero lifetime, a bad realm, a broken rules file or key, naming each; names the realm given', async () => {
    const dir = await tempDir('dkl-token-settings-');
    const htpasswd = await htpasswdFile(dir, [alice]);
    const rules = join(dir, 'rules');
    await writeFile(rules, 'alice a/* pull\nbob b/* pull,fly\n');
    const key = join(dir, 'rsa.key');
    await writeFile(key, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const start = (o: Partial<RegistryOptions>) => startRegistry({ dataRoot: join(dir, 'data'), listen: '127.0.0.1:0', ...o });
    await expect(start({ auth: 'token' })).rejects.toMatchObject({ code: 'TOKEN_AUTH_NEEDS_HTPASSWD' });
    await expect(start({ htpasswd, token: { ttlSeconds: 60 } })).rejects.toMatchObject({ code: 'TOKEN_OPTIONS_UNUSED' });
    await expect(start({ htpasswd, auth: 'token', token: { ttlSeconds: 0 } })).rejects.toMatchObject({ code: 'TOKEN_TTL_INVALID' });
    await expect(start({ htpasswd, auth: 'token', token: { realm: 'ftp://x/token' } })).rejects.toMatchObject({ code: 'TOKEN_REALM_INVALID' });
    await expect(start({ htpasswd, auth: 'token', token: { accessFile: rules } })).rejects.toMatchObject({ code: 'ACCESS_RULES_INVALID', data: { line: 2 } });
    await expect(start({ htpasswd, auth: 'token', token: { keyFile: key } })).rejects.toMatchObject({ code: 'TOKEN_KEY_INVALID' });
    // A refused start leaves the data root free for the next one; a realm given is the one named.
    const reg = await start({ htpasswd, auth: 'token', token: { realm: 'https://auth.room.example/token' } });
    try {
      expect((await call(reg.url, '/v2/')).headers['www-authenticate']).toBe('Bearer realm="https://auth.room.example/token",service="dockling-registry"');
    } finally {
      await reg.close();
    }
  });
});

describe('dockling registry --auth token (the CLI)', () => {
  const MAIN = join(resolve(fileURLToPath(new URL('../..', import.meta.url))), 'dist/engine/cli/main.js');
  const cli = (...args: string[]) => exec(process.execPath, [MAIN, 'registry', ...args]).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);

  it('refuses flags that do not fit together, naming them', async () => {
    const dir = await tempDir('dkl-token-cli-');
    const htpasswd = await htpasswdFile(dir, [alice]);
    const data = join(dir, 'data');
    expect(await cli('--data-root', data, '--htpasswd', htpasswd, '--auth', 'jwt')).toMatchObject({ code: 1, stderr: expect.stringContaining('invalid --auth "jwt"') });
    expect(await cli('--data-root', data, '--htpasswd', htpasswd, '--token-ttl', '60')).toMatchObject({ code: 1, stderr: expect.stringContaining('--token-ttl is for token authentication: add --auth token') });
    expect(await cli('--data-root', data, '--htpasswd', htpasswd, '--auth', 'token', '--token-ttl', 'soon')).toMatchObject({ code: 1, stderr: expect.stringContaining('invalid --token-ttl "soon"') });
    expect(await cli('--data-root', data, '--auth', 'token')).toMatchObject({ code: 1, stderr: expect.stringContaining('--htpasswd') });
  });

  it('serves the token service with the service name, lifetime and rules it is given', async () => {
    const dir = await tempDir('dkl-token-cli-');
    const rules = join(dir, 'rules');
    await writeFile(rules, 'alice room/* pull\n');
    const child = spawn(process.execPath, [MAIN, 'registry', '--listen', '127.0.0.1:0', '--data-root', join(dir, 'data'), '--htpasswd', await htpasswdFile(dir, [alice]),
      '--auth', 'token', '--token-service', 'room-registry', '--token-ttl', '60', '--token-access', rules], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      let out = '';
      const url = await new Promise<string>((ok, fail) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) ok(m[1]!);
        });
        child.stderr.on('data', (d: Buffer) => (out += d));
        void exited.then(() => fail(new Error(`dockling registry exited:\n${out}`)));
      });
      const challenge = await call(url, '/v2/room/app/manifests/v1');
      expect(challenge.headers['www-authenticate']).toBe(`Bearer realm="${url}/auth/token",service="room-registry",scope="repository:room/app:pull"`);
      const a = await call(url, '/auth/token?service=room-registry&scope=repository:room/app:pull,push', { auth: alice });
      expect(a.json()).toMatchObject({ expires_in: 60 });
      expect(claimsOf(a.json<{ token: string }>().token)).toMatchObject({ aud: 'room-registry', access: [{ type: 'repository', name: 'room/app', actions: ['pull'] }] });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
