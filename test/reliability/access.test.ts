// Issue 9, who may reach what: the mutating Engine API only on the unix socket (mode 0660, owned
// by root, closed to other users); the `--trace-listen` TCP endpoint read-only, loopback-bound,
// answering only its own GETs to a loopback Host from an allowed Origin; and a registry whose
// authentication cannot be bypassed — not by a wrong password, a bearer token, or a repository
// name that tries to climb out of its store.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, api, importTar, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { bridgeArgs, cgroupParents, removeCgroupParents } from '../daemon/host-leftovers.js';
import { call, freePort, htpasswdFile, pushImage, startDockling, type Credentials } from '../registry/server-harness.js';
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
  report({ area: 'access: socket, live listener, registry auth', hostileTried: tally.tried, hostileRefused: tally.refused, objectsLost: 0, note: 'other users, non-GET, foreign Host/Origin, bad credentials, climbing repository names' });
});

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

  it('a daemon asked to listen on TCP without TLS refuses to start', async () => {
    for (const host of ['tcp://0.0.0.0:2375', 'tcp://127.0.0.1:2375']) {
      const dir = await mkdtemp(join(tmpdir(), 'dkl-access-'));
      const r = spawnSync(process.execPath, [MAIN, 'daemon', '--data-root', join(dir, 'root'), '-H', host], { encoding: 'utf8', timeout: 20_000 });
      await rm(dir, { recursive: true, force: true });
      expect(count(r.status !== 0), host).toBe(true);
      expect(r.stderr + r.stdout).toMatch(/only unix:\/\/ sockets/);
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

  /** Every file under the registry's data root and beside it: nothing may appear anywhere. */
  const tree = () => {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        out.push(p);
        if (statSync(p).isDirectory()) walk(p);
      }
    };
    walk(dirname(reg.dataRoot));
    return out.sort();
  };

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
