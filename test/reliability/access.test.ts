// Issue 9, who may reach what: the mutating Engine API only on the unix socket (mode 0660, owned
// by root, closed to other users); the `--trace-listen` TCP endpoint read-only, loopback-bound,
// answering only its own GETs to a loopback Host from an allowed Origin; and a registry whose
// authentication cannot be bypassed — not by a wrong password, a bearer token, or a repository
// name that tries to climb out of its store — and, with token authentication, not by a token for
// another scope, an expired, tampered, unsigned or foreign one, or a name that tries to reach one
// repository through another's scope.
import { spawn, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, api, dockling, importTar, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { bridgeArgs, cgroupParents, removeCgroupParents } from '../daemon/host-leftovers.js';
import { call, digestOf, freePort, htpasswdFile, pushImage, randomBlob, startDockling, EMPTY_JSON, OCI_MANIFEST, type Credentials } from '../registry/server-harness.js';
import {
  alice, askToken, bearer, bob, claims, claimsOf, headerOf, mint, owner, pushWithToken, startTokenRegistry, tokenFor, type TokenRegistry,
} from '../registry/token-harness.js';
import { tempDir } from '../tmp.js';
import { rawRequest } from './raw-http.js';
import { report } from './report.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('skipping the access tests: the socket owner, a setuid client and a daemon need root');
const net = bridgeArgs(118);
const parentsBefore = cgroupParents();
const NOBODY = 65534;
let d: RunningDaemon;
let port: number;
const tally = { tried: 0, refused: 0 };
/** Counts one hostile attempt, and whether it was refused. */
const count = (refused: boolean) => {
  tally.tried++;
  if (refused) tally.refused++;
  return refused;
};

beforeAll(async () => {
  if (!isRoot) return;
  port = await freePort();
  d = await startDaemon({ args: [...net.args, '--default-address-pool', 'base=10.213.118.128/25,size=26', '--trace-listen', `127.0.0.1:${port}`] });
  await importTar(d.sock, 'access/base:1');
});

afterAll(async () => {
  await d?.stop();
  removeCgroupParents(parentsBefore);
  report({ area: 'access: socket, live listener, registry auth', hostileTried: tally.tried, hostileRefused: tally.refused, objectsLost: 0, note: 'other users, non-GET, foreign Host/Origin, bad credentials, climbing repository names, tokens for another scope, expired, tampered, unsigned or foreign tokens' });
});

/** Every file under a registry's data root and beside it: after a refusal nothing may appear anywhere. */
function treeOf(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      out.push(p);
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

/** What the Engine API lists: must be the same after every refusal. */
async function engineState(): Promise<string> {
  const get = async (p: string) => (await api(d.sock, 'GET', `/v1.50${p}`)).text;
  return [await get('/images/json?all=1'), await get('/containers/json?all=1'), await get('/volumes'), await get('/networks')].join('\n');
}

describe.skipIf(!isRoot)('the unix socket', () => {
  it('is a socket, mode 0660, owned by root', () => {
    const st = statSync(d.sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect([st.uid, st.gid]).toEqual([0, 0]);
  });

  it('refuses a client running as nobody (EACCES), even when it can reach the directory', async () => {
    const dir = dirname(d.sock);
    const mode = statSync(dir).mode & 0o777;
    chmodSync(dir, 0o711); // let nobody reach the socket itself: its own mode must refuse
    try {
      const script = `require('node:net').createConnection({ path: ${JSON.stringify(d.sock)} }).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); });`;
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        child.stdout.on('data', (c) => (text += c));
        child.stderr.on('data', (c) => (text += c));
        child.on('error', reject);
        child.on('close', () => resolve(text.trim()));
      });
      expect(count(out === 'EACCES'), out).toBe(true);
    } finally {
      chmodSync(dir, mode);
    }
  });

  // Mutual TLS is the only way to the whole API on TCP (issue 10, test/remote/tls.test.ts); without
  // it the daemon does not start — even with --tls=false off loopback, and --tls alone anywhere.
  it('a daemon asked to listen on TCP without TLS client verification refuses to start', async () => {
    const tries: Array<[string[], RegExp]> = [
      [['-H', 'tcp://0.0.0.0:2375'], /refusing to serve the API on tcp:\/\/0\.0\.0\.0:2375 without --tlsverify/],
      [['-H', 'tcp://0.0.0.0:2375', '--tls=false'], /refusing to serve the API on tcp:\/\/0\.0\.0\.0:2375 without --tlsverify/],
      [['-H', 'tcp://127.0.0.1:2375'], /without --tlsverify; to serve it unauthenticated anyway \(read-only, loopback only\), add --tls=false/],
      [['-H', 'tcp://127.0.0.1:2376', '--tls'], /--tls without --tlsverify/],
    ];
    for (const [args, why] of tries) {
      const dir = await mkdtemp(join(tmpdir(), 'dkl-access-'));
      const r = spawnSync(process.execPath, [MAIN, 'daemon', '--data-root', join(dir, 'root'), ...args], { encoding: 'utf8', timeout: 20_000 });
      await rm(dir, { recursive: true, force: true });
      expect(count(r.status !== 0), args.join(' ')).toBe(true);
      expect(r.stderr + r.stdout, args.join(' ')).toMatch(why);
    }
  });
});

describe.skipIf(!isRoot)('the --trace-listen endpoint', () => {
  const to = () => ({ host: '127.0.0.1', port });
  const ok = () => `127.0.0.1:${port}`;

  it('answers its own GETs to a loopback Host', async () => {
    for (const path of ['/', '/trace/recent', '/state/images', '/state/containers', '/state/networks']) {
      const a = await rawRequest(to(), { method: 'GET', target: path, headers: { Host: ok() } });
      expect([path, a.status]).toEqual([path, 200]);
    }
  });

  it('refuses every method but GET, on every path — its own and the Engine API\'s — and changes nothing', async () => {
    const before = await engineState();
    const paths = ['/', '/trace/recent', '/state/images', '/containers/create', '/v1.50/containers/create', '/v1.50/images/load', '/v1.50/build', '/v1.50/volumes/create', '/v1.50/networks/create', '/v1.50/images/access%2Fbase:1', '/v1.50/containers/prune', '/v1.50/auth'];
    for (const path of paths) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const a = await rawRequest(to(), { method, target: path, headers: { Host: ok(), 'Content-Type': 'application/json' }, body: Buffer.from('{"Image":"access/base:1","Name":"x"}') });
        expect(count(a.status === 405), `${method} ${path}: ${a.status}`).toBe(true);
        expect(JSON.parse(a.body).message).toMatch(/read-only/);
      }
    }
    // A CORS preflight asking for anything but GET is refused too.
    const pre = await rawRequest(to(), { method: 'OPTIONS', target: '/trace/recent', headers: { Host: ok(), Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' } });
    expect(count(pre.status === 405)).toBe(true);
    expect(await engineState()).toBe(before);
  });

  it('has no Engine API: its GETs are not found here', async () => {
    for (const path of ['/_ping', '/v1.50/containers/json', '/v1.50/images/json', '/v1.50/info', '/v1.50/images/access%2Fbase:1/get', '/v1.50/containers/x/export', '/dockling/trace']) {
      const a = await rawRequest(to(), { method: 'GET', target: path, headers: { Host: ok() } });
      expect(count(a.status === 404), `${path}: ${a.status}`).toBe(true);
    }
  });

  it('refuses a Host that is not this listener on loopback (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `localhost.:${port}`, `127.0.0.1:${port + 1}`, `0.0.0.0:${port}`, `[::ffff:127.0.0.1]:${port}`, `127.1:${port}`, '']) {
      const a = await rawRequest(to(), { method: 'GET', target: '/state/images', headers: { Host: host } });
      expect(count(a.status === 403 || a.status === 400), `Host ${host}: ${a.status}`).toBe(true);
      expect(a.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('refuses other origins, with no CORS header for their browser to read by', async () => {
    for (const origin of ['http://evil.example', 'null', 'http://localhost:5173.evil.example', 'https://localhost:5173', 'http://localhost:5174', 'file://']) {
      const a = await rawRequest(to(), { method: 'GET', target: '/trace/recent', headers: { Host: ok(), Origin: origin } });
      expect(count(a.status === 403), `Origin ${origin}: ${a.status}`).toBe(true);
      expect(a.headers['access-control-allow-origin']).toBeUndefined();
    }
    const allowed = await rawRequest(to(), { method: 'GET', target: '/trace/recent', headers: { Host: ok(), Origin: 'http://localhost:5173' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });

  it('is bound to loopback only: the host\'s other addresses do not answer', async () => {
    const others = Object.values(networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4' && !i.internal).map((i) => i!.address);
    if (others.length === 0) console.warn('no non-loopback IPv4 address on this host: the bind check has nothing to try');
    for (const address of others) {
      const a = await rawRequest({ host: address, port }, { method: 'GET', target: '/', headers: { Host: ok() } }, 3000);
      expect(count(a.status === 0), `${address}:${port} answered ${a.status}`).toBe(true);
    }
  });

  it('a daemon asked to listen anywhere but loopback refuses to start, before touching its data root', async () => {
    for (const spec of ['0.0.0.0:7357', '[::]:7357', '192.0.2.1:7357', 'evil.example:7357', '127.0.0.2:7357', 'localhost.evil.example:7357', ':7357']) {
      const dir = await mkdtemp(join(tmpdir(), 'dkl-access-'));
      const r = spawnSync(process.execPath, [MAIN, 'daemon', '--data-root', join(dir, 'root'), '-H', `unix://${join(dir, 'd.sock')}`, '--trace-listen', spec], { encoding: 'utf8', timeout: 20_000 });
      const touched = existsSync(join(dir, 'root')) ? readdirSync(join(dir, 'root')) : [];
      await rm(dir, { recursive: true, force: true });
      expect(count(r.status !== 0 && touched.length === 0), `${spec}: exit ${r.status}, ${r.stderr}`).toBe(true);
      expect(r.stderr + r.stdout).toMatch(/loopback/);
    }
  });
});

describe('the registry\'s authentication', () => {
  const bob: Credentials = { username: 'bob', password: 'right horse' };
  let reg: Awaited<ReturnType<typeof startDockling>>;
  beforeAll(async () => {
    reg = await startDockling({ htpasswd: await htpasswdFile(await tempDir('dockling-access-htpasswd-'), [bob]) });
    await pushImage(reg.url, 'room/app', 'v1', { auth: bob });
  });
  afterAll(() => reg?.stop());

  const tree = () => treeOf(dirname(reg.dataRoot));

  it('a wrong password, an unknown user, a bearer token or a malformed header is 401', async () => {
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    const headers = [
      basic('bob:wrong'), basic('alice:right horse'), basic('bob:'), basic('bob'), basic(':right horse'), basic('bob:right horse\0'), basic('BOB:right horse'),
      'Basic !!!notbase64', 'Basic', 'Bearer eyJhbGciOiJub25lIn0.eyJhY2Nlc3MiOlt7InR5cGUiOiJyZXBvc2l0b3J5IiwibmFtZSI6InJvb20vYXBwIiwiYWN0aW9ucyI6WyJwdXNoIl19XX0.',
      `Bearer ${'a'.repeat(64)}`, 'Digest username="bob"', basic('bob:right horse').toLowerCase(),
    ];
    for (const authorization of headers) {
      for (const [method, path] of [['GET', '/v2/room/app/manifests/v1'], ['POST', '/v2/room/app/blobs/uploads/'], ['DELETE', '/v2/room/app/manifests/v1'], ['GET', '/v2/_catalog']]) {
        const a = await call(reg.url, path!, { method, headers: { Authorization: authorization } });
        expect(count(a.status === 401), `${method} ${path} with ${authorization}: ${a.status}`).toBe(true);
      }
    }
  });

  it('names that climb, hide a slash, shout or run long are refused (400/404), with the right password, and nothing appears outside the store', async () => {
    const before = tree();
    const names = ['..', '../..', 'room/..', 'room/../../etc', '%2e%2e', 'room/%2e%2e/%2e%2e', 'room%2fapp', 'room%2F..%2F..', 'ROOM/APP', 'Room/app', 'room//app', 'room/app/', `${'a'.repeat(300)}/x`, `${'a/'.repeat(200)}x`, 'room/app%00', 'room/\u202eppa', '.hidden/app', 'room/-app'];
    for (const name of names) {
      const target = name.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
      for (const [method, path] of [['GET', `/v2/${target}/manifests/v1`], ['GET', `/v2/${target}/tags/list`], ['POST', `/v2/${target}/blobs/uploads/`], ['PUT', `/v2/${target}/manifests/v1`], ['DELETE', `/v2/${target}/manifests/v1`]]) {
        const a = await call(reg.url, path!, { method, auth: bob, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }, body: method === 'PUT' ? '{"schemaVersion":2}' : undefined });
        expect(count(a.status === 400 || a.status === 404), `${method} ${path}: ${a.status} ${a.body.toString().slice(0, 200)}`).toBe(true);
      }
    }
    expect(tree()).toEqual(before);
  });
});

// Token authentication (`dockling registry --auth token`): every way around a token is tried —
// another user's password, a token for another repository or action, one expired or not yet
// valid, for another registry, tampered with, unsigned, signed by another key or with another
// algorithm, and repository names that try to reach one repository through another's scope.
describe('the registry\'s token authentication', () => {
  let reg: TokenRegistry;
  let to: { host: string; port: number };
  let bx: Awaited<ReturnType<typeof pushWithToken>>;
  const tree = () => treeOf(dirname(reg.dataRoot));
  /** The same request with a token: refused (401/403) or let through. */
  const tryToken = (token: string, method: string, path: string, body?: Buffer) =>
    call(reg.url, path, { method, body, headers: { ...bearer(token), 'Content-Type': path.includes('/manifests/') ? OCI_MANIFEST : 'application/octet-stream' } });
  beforeAll(async () => {
    reg = await startTokenRegistry();
    to = { host: '127.0.0.1', port: Number(new URL(reg.url).port) };
    await pushWithToken(reg.url, 'a/x', 'v1', await tokenFor(reg.url, owner, 'repository:a/x:pull,push'));
    bx = await pushWithToken(reg.url, 'b/x', 'v1', await tokenFor(reg.url, owner, 'repository:b/x:pull,push'));
  });
  afterAll(() => reg?.stop());

  /** Writes a token with these claims might try: a new blob, a monolithic blob, a manifest, a delete. */
  const writes = (repo: string) => {
    const blob = randomBlob(64);
    return [
      ['POST', `/v2/${repo}/blobs/uploads/`, undefined],
      ['POST', `/v2/${repo}/blobs/uploads/?digest=${digestOf(blob)}`, blob],
      ['PUT', `/v2/${repo}/manifests/evil`, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: EMPTY_JSON, layers: [] }))],
      ['DELETE', `/v2/${repo}/manifests/${bx.digest}`, undefined],
    ] as Array<[string, string, Buffer | undefined]>;
  };

  it('a wrong password, an unknown user or a mangled header gets no token from the token service (401)', async () => {
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    const headers = [basic('alice:wrong'), basic('mallory:down the rabbit hole'), basic('alice:'), basic('alice'), basic('Alice:down the rabbit hole'), basic(':x'), 'Basic !!!', 'Basic', 'Bearer x', `Basic ${basic(`${alice.username}:${alice.password}`).slice(6).toLowerCase()}`];
    for (const authorization of headers) {
      const a = await call(reg.url, `/auth/token?service=test-registry&scope=repository:a/x:pull,push`, { headers: { Authorization: authorization } });
      expect(count(a.status === 401 && !a.body.toString().includes('token"')), `${authorization}: ${a.status}`).toBe(true);
    }
  });

  it('a token for a/x is refused on a/y and b/x, for reads and writes (403), and nothing is written', async () => {
    const before = tree();
    const t = await tokenFor(reg.url, alice, 'repository:a/x:pull,push');
    for (const repo of ['a/y', 'b/x', 'a/x/y', 'a']) {
      for (const [method, path, body] of [['GET', `/v2/${repo}/manifests/v1`, undefined], ['GET', `/v2/${repo}/tags/list`, undefined], ...writes(repo)] as Array<[string, string, Buffer | undefined]>) {
        const a = await tryToken(t, method, path, body);
        expect(count(a.status === 403), `${method} ${path}: ${a.status}`).toBe(true);
      }
    }
    expect(count((await tryToken(t, 'GET', '/v2/_catalog')).status === 403)).toBe(true);
    expect(tree()).toEqual(before);
  });

  it('a pull-only token cannot push: no blob, no upload, no manifest stored, nothing deleted', async () => {
    const owners = await tokenFor(reg.url, owner, 'repository:a/x:pull,push');
    // An upload the owner opened: bob may not write into it either.
    const started = await tryToken(owners, 'POST', '/v2/a/x/blobs/uploads/');
    expect(started.status).toBe(202);
    const before = tree();
    const t = await tokenFor(reg.url, bob, 'repository:a/x:pull,push,delete');
    expect(claimsOf(t).access).toEqual([{ type: 'repository', name: 'a/x', actions: ['pull'] }]);
    expect((await tryToken(t, 'GET', '/v2/a/x/manifests/v1')).status).toBe(200);
    const blob = randomBlob(64);
    const location = started.headers.location!;
    const attempts: Array<[string, string, Buffer | undefined]> = [
      ...writes('a/x'),
      ['PATCH', location, blob],
      ['PUT', `${location}?digest=${digestOf(blob)}`, blob],
      ['DELETE', location, undefined],
    ];
    for (const [method, path, body] of attempts) {
      const a = await tryToken(t, method, path, body);
      expect(count(a.status === 403), `${method} ${path}: ${a.status}`).toBe(true);
    }
    expect(tree()).toEqual(before);
    expect((await tryToken(owners, 'HEAD', `/v2/a/x/blobs/${digestOf(blob)}`)).status).toBe(404);
    expect((await tryToken(owners, 'DELETE', location)).status).toBe(204);
  });

  it('a hand-made token with the right key and claims passes; each wrong claim alone is refused (401)', async () => {
    const kid = headerOf(await tokenFor(reg.url, alice)).kid;
    const make = (over: Record<string, unknown>) => mint({ alg: 'ES256', key: reg.key, header: { kid }, payload: claims([{ name: 'a/x', actions: ['pull', 'push'] }], over) });
    // The control: without it, the refusals below could be a mistake in how tokens are made here.
    expect((await tryToken(make({}), 'GET', '/v2/a/x/manifests/v1')).status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    const wrong: Record<string, Record<string, unknown>> = {
      'expired an hour ago': { exp: now - 3600, nbf: now - 3900, iat: now - 3900 },
      'expired beyond the leeway': { exp: now - 120 },
      'not valid for an hour': { nbf: now + 3600 },
      'for another registry': { aud: 'registry.docker.io' },
      'for other registries': { aud: ['registry.docker.io', 'ghcr.io'] },
      'from another issuer': { iss: 'auth.docker.io' },
      'no expiry': { exp: undefined },
      'expiry as text': { exp: String(now + 300) },
      'no subject': { sub: undefined },
      'access not a list': { access: { type: 'repository', name: 'a/x', actions: ['pull'] } },
    };
    for (const [why, over] of Object.entries(wrong)) {
      const a = await tryToken(make(over), 'GET', '/v2/a/x/manifests/v1');
      expect(count(a.status === 401), `${why}: ${a.status}`).toBe(true);
      expect(a.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    }
    // Access names are exact: no wildcard, no prefix, no case folding, nothing decoded.
    for (const name of ['a/*', '*', 'a/', 'A/X', 'a%2fx', 'a/x/', './a/x']) {
      const t = mint({ alg: 'ES256', key: reg.key, header: { kid }, payload: claims([{ name, actions: ['pull', 'push'] }]) });
      expect(count((await tryToken(t, 'GET', '/v2/a/x/manifests/v1')).status === 403), name).toBe(true);
    }
  });

  it('tampered, unsigned, other-algorithm and other-key tokens are refused (401)', async () => {
    const real = await tokenFor(reg.url, alice, 'repository:a/x:pull');
    const [head, , sig] = real.split('.') as [string, string, string];
    const kid = headerOf(real).kid;
    const wider = Buffer.from(JSON.stringify({ ...claimsOf(real), access: [{ type: 'repository', name: 'b/x', actions: ['pull', 'push', 'delete'] }] })).toString('base64url');
    const publicPem = createPublicKey(reg.key).export({ type: 'spki', format: 'pem' }) as string;
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const payload = claims([{ name: 'b/x', actions: ['pull', 'push', 'delete'] }]);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const derSig = sign('sha256', Buffer.from(`${head}.${real.split('.')[1]}`), reg.key).toString('base64url');
    const anotherRegistry = await startTokenRegistry();
    const foreign = await tokenFor(anotherRegistry.url, owner, 'repository:b/x:pull,push,delete');
    await anotherRegistry.stop();
    const tokens: Record<string, string> = {
      'payload widened, signature kept': `${head}.${wider}.${sig}`,
      'signature changed': `${head}.${real.split('.')[1]}.${flip(sig, 10)}`,
      'signature cut short': `${head}.${real.split('.')[1]}.${sig.slice(0, 40)}`,
      'signature in DER form': `${head}.${real.split('.')[1]}.${derSig}`,
      'signature padded': `${real}==`,
      'no signature': `${head}.${real.split('.')[1]}.`,
      'alg none': mint({ alg: 'none', header: { kid }, payload }),
      'alg NONE with a signature': `${Buffer.from(JSON.stringify({ alg: 'NONE', kid })).toString('base64url')}.${wider}.${sig}`,
      'HS256 keyed with our public key': mint({ alg: 'HS256', key: Buffer.from(publicPem), header: { kid }, payload }),
      'RS256 by another key': mint({ alg: 'RS256', key: rsa, header: { kid }, payload }),
      'ES256 by another key, naming ours': mint({ alg: 'ES256', key: other, header: { kid }, payload }),
      'ES256 by another key, naming none': mint({ alg: 'ES256', key: other, payload }),
      'a critical extension': mint({ alg: 'ES256', key: reg.key, header: { kid, crit: ['exp'] }, payload }),
      // Signed right, by our key, but the header names another algorithm: it must say ES256, exactly.
      'header saying ES512': mint({ alg: 'ES256', key: reg.key, header: { kid, alg: 'ES512' }, payload }),
      'header saying es256': mint({ alg: 'ES256', key: reg.key, header: { kid, alg: 'es256' }, payload }),
      'from another dockling registry': foreign,
      'two parts': `${head}.${wider}`,
      'four parts': `${real}.${sig}`,
      'not base64': `${head}.${wider}!.${sig}`,
      'empty': '',
    };
    for (const [why, token] of Object.entries(tokens)) {
      for (const [method, path] of [['GET', '/v2/b/x/manifests/v1'], ['POST', '/v2/b/x/blobs/uploads/'], ['DELETE', `/v2/b/x/manifests/${bx.digest}`]]) {
        const a = await tryToken(token, method!, path!);
        expect(count(a.status === 401), `${why}, ${method} ${path}: ${a.status}`).toBe(true);
      }
    }
    expect((await tryToken(await tokenFor(reg.url, owner, 'repository:b/x:pull'), 'GET', `/v2/b/x/manifests/${bx.digest}`)).status).toBe(200);
  });

  it('names that climb, hide a slash or shout never reach another repository: refused (400/401/403/404), nothing written', async () => {
    const before = tree();
    const t = await tokenFor(reg.url, alice, 'repository:a/x:pull,push');
    const targets = [
      '/v2/a/x/../../b/x/manifests/v1', '/v2/a/x/%2e%2e/%2e%2e/b/x/manifests/v1', '/v2/a/x/%2E%2E/b/manifests/v1',
      '/v2/a%2fx/manifests/v1', '/v2/a%2Fx/../b/x/manifests/v1', '/v2/A/X/manifests/v1', '/v2/a/X/manifests/v1',
      '/v2/a/x/manifests/../../b/x/manifests/v1', '/v2/a/x/blobs/uploads/../../../b/x/blobs/uploads/',
      '//v2/b/x/manifests/v1', '/v2//b/x/manifests/v1', '/v2/./b/x/manifests/v1', '/v2/b/x/manifests/v1?scope=repository:a/x:pull',
      '/v2/a/x%00/../../b/x/manifests/v1', `/v2/a/x/blobs/uploads/?mount=${digestOf(bx.layers[0]!)}&from=a/x/../../b/x`,
      `/v2/a/x/blobs/uploads/?mount=${digestOf(bx.layers[0]!)}&from=b%2fx`,
    ];
    for (const target of targets) {
      for (const method of ['GET', 'PUT', 'POST', 'DELETE']) {
        for (const headers of [bearer(t), {}]) {
          const body = method === 'PUT' ? Buffer.from('{"schemaVersion":2}') : undefined;
          const a = await rawRequest(to, { method, target, headers: { Host: `127.0.0.1:${to.port}`, 'Content-Type': OCI_MANIFEST, ...headers }, body });
          // A mount that is refused falls back to an ordinary upload in a/x (202): allowed, it reads nothing of b/x.
          const ok = [400, 401, 403, 404, 405].includes(a.status) || (target.includes('mount=') && a.status === 202 && method === 'POST' && 'Authorization' in headers);
          expect(count(ok), `${method} ${target} ${'Authorization' in headers ? 'with' : 'without'} a token: ${a.status}`).toBe(true);
        }
      }
    }
    // Those fallbacks opened uploads in a/x; close them so only they are new.
    const uploads = join(reg.dataRoot, 'uploads');
    expect(tree().filter((p) => !p.startsWith(uploads))).toEqual(before.filter((p) => !p.startsWith(uploads)));
    expect((await tryToken(await tokenFor(reg.url, owner, 'repository:a/x:pull'), 'HEAD', `/v2/a/x/blobs/${digestOf(bx.layers[0]!)}`)).status).toBe(404);
    // Nor may a token be asked for such a name.
    for (const scope of ['repository:a/x/../../b/x:pull,push', 'repository:a/%2e%2e/b/x:push', 'repository:A/X:push', 'repository:a%2fx:push', 'repository:a/x/:push', 'repository:../b/x:push']) {
      const a = await askToken(reg.url, { auth: alice, scopes: [scope] });
      expect(count(a.status === 400 && a.token === ''), `${scope}: ${a.status}`).toBe(true);
    }
  });

  it('anonymous: public/* may be read, nothing else; nothing may be written', async () => {
    const anon = await tokenFor(reg.url, undefined, 'repository:public/x:pull,push', 'repository:a/x:pull');
    expect(claimsOf(anon).access).toEqual([{ type: 'repository', name: 'public/x', actions: ['pull'] }]);
    const before = tree();
    for (const [method, path, body] of [['GET', '/v2/a/x/manifests/v1', undefined], ['GET', '/v2/_catalog', undefined], ...writes('public/x'), ...writes('a/x')] as Array<[string, string, Buffer | undefined]>) {
      const a = await tryToken(anon, method, path, body);
      expect(count(a.status === 401), `${method} ${path}: ${a.status}`).toBe(true);
    }
    expect(tree()).toEqual(before);
  });
});

describe.skipIf(!isRoot)('dockling login, push and pull through the token flow', () => {
  let reg: TokenRegistry;
  let host: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    reg = await startTokenRegistry();
    host = new URL(reg.url).host;
    env = { DOCKER_CONFIG: await tempDir('dkl-access-docker-config-') };
  });
  afterAll(() => reg?.stop());
  const dk = (args: string[], input?: string) => dockling(d.host, args, { env, input: input === undefined ? undefined : Buffer.from(input) });

  it('a wrong password is refused; the right one logs in; push and pull go through; another user\'s repository is denied', async () => {
    const wrong = await dk(['login', '-u', 'alice', '--password-stdin', host], 'wrong\n');
    expect(count(wrong.code !== 0)).toBe(true);
    expect(wrong.stderr).toMatch(/unauthorized/);
    expect(await dk(['login', '-u', 'alice', '--password-stdin', host], `${alice.password}\n`)).toMatchObject({ code: 0, stdout: 'Login Succeeded\n' });
    expect((await dk(['tag', 'access/base:1', `${host}/a/cli:v1`])).code).toBe(0);
    const pushed = await dk(['push', `${host}/a/cli:v1`]);
    expect([pushed.code, pushed.stderr]).toEqual([0, '']);
    expect((await dk(['rmi', `${host}/a/cli:v1`])).code).toBe(0);
    const pulled = await dk(['pull', `${host}/a/cli:v1`]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain(`Status: Downloaded newer image for ${host}/a/cli:v1`);
    // alice may not write b/*: the push fails, and the registry has no b/cli.
    expect((await dk(['tag', 'access/base:1', `${host}/b/cli:v1`])).code).toBe(0);
    const denied = await dk(['push', `${host}/b/cli:v1`]);
    expect(count(denied.code !== 0)).toBe(true);
    expect(denied.stderr).toContain('denied: requested access to the resource is denied');
    const owners = await tokenFor(reg.url, owner, 'repository:b/cli:pull');
    expect((await call(reg.url, '/v2/b/cli/tags/list', { headers: bearer(owners) })).status).toBe(404);
    await dk(['rmi', `${host}/a/cli:v1`, `${host}/b/cli:v1`]);
  });
});
