// Issue 9, the API under hostile requests: a seeded generator aims malformed JSON, wrong types,
// huge bodies, names with `../`, NULs and unicode tricks, bad query values, unknown endpoints and
// methods at every route of a live daemon's unix socket. Each must be answered with a 4xx and a
// JSON message (not a 5xx, not a hang); the daemon answers /_ping between batches; and the state
// — images, containers, volumes, networks and the data root's files — is what it was before.
// A few hundred requests in `npm test`; thousands under `npm run test:reliability`. The seed is
// printed: DOCKLING_FUZZ_SEED=N replays a run.
import { readdirSync, lstatSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, importTar, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { bridgeArgs, cgroupParents, removeCgroupParents } from '../daemon/host-leftovers.js';
import { rawRequest, type RawAnswer, type RawRequest } from './raw-http.js';
import { FULL, report } from './report.js';

const isRoot = process.getuid?.() === 0;
const net = bridgeArgs(117);
const parentsBefore = cgroupParents();
const SEED = Number(process.env['DOCKLING_FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const COUNT = FULL ? 5000 : 500;
const BATCH = 50;
let d: RunningDaemon;

/** mulberry32: small, seeded, good enough to pick cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// #region hostile-values
/** Names and ids no store may resolve, already as they go on the wire (percent-encoded or raw). */
const HOSTILE_IDS = [
  '..', '%2e%2e', '%2E%2E%2F%2E%2E%2Fetc', '..%2f..%2fetc%2fpasswd', '%00', 'fuzzbox%00', 'fuzz%00box', '%zz', '%', '%c0%ae%c0%ae',
  'a'.repeat(5000), encodeURIComponent('\u202efuzzbox'), encodeURIComponent('fuzzb\u043ex'), encodeURIComponent('cafe\u0301'), encodeURIComponent('caf\u00e9'),
  encodeURIComponent('\ufeffvol'), encodeURIComponent('x\u200by'), '%ff%fe', 'FUZZBOX', '-rf', '$(id)', '%0d%0aX-Injected:%201', 'a%2fb', '~root',
];
/** Image names: as above, plus the shapes a reference parser must refuse. */
const HOSTILE_NAMES = [
  ...HOSTILE_IDS, 'FUZZ/BASE:1', 'fuzz/base:1/../../x', 'fuzz/../base', 'fuzz//base', 'fuzz/base::1', 'fuzz/base@sha256:zz', 'localhost:99999/x',
  `fuzz/base:${'t'.repeat(200)}`, `${'r/'.repeat(300)}x`, encodeURIComponent('fuzz/base:1\u0000'),
];
/** Bodies that are not the JSON object a route wants. */
const BAD_JSON = ['{', '{"Image":', '[]', '123', '"str"', 'true', '{"a":1}x', '\u0000{}', '{"Image":"fuzz/base:1",}', '['.repeat(100_000), 'NaN', '{"__proto__":{"polluted":1},"Name":5}', '\ud800'];
/** Valid JSON of the wrong types for the named field. */
const WRONG_TYPES: Record<string, string[]> = {
  create: [
    '{"Image":123}', '{"Image":["fuzz/base:1"]}', '{"Image":{}}', '{"Image":"fuzz/base:1","Cmd":5}', '{"Image":"fuzz/base:1","Cmd":{"a":1}}',
    '{"Image":"fuzz/base:1","Env":"A=1"}', '{"Image":"fuzz/base:1","Env":[1,2]}', '{"Image":"fuzz/base:1","HostConfig":"x"}', '{"Image":"fuzz/base:1","HostConfig":[]}',
    '{"Image":"fuzz/base:1","HostConfig":{"Binds":"x"}}', '{"Image":"fuzz/base:1","HostConfig":{"Binds":[5]}}', '{"Image":"fuzz/base:1","Labels":[]}',
    '{"Image":"fuzz/base:1","Labels":{"a":1}}', '{"Image":"fuzz/base:1","Entrypoint":7}', '{"Image":"fuzz/base:1","WorkingDir":[]}',
    '{"Image":"fuzz/base:1","User":{}}', '{"Image":"fuzz/base:1","Tty":"yes"}', '{"Image":"fuzz/base:1","ExposedPorts":[]}', '{"Image":"fuzz/base:1","Volumes":"x"}',
    '{"Image":"fuzz/base:1","HostConfig":{"Memory":"1g"}}', '{"Image":"fuzz/base:1","HostConfig":{"NetworkMode":5}}', '{"Image":"fuzz/base:1","HostConfig":{"Runtime":"../../bin/sh"}}',
    '{"Image":"fuzz/base:1","HostConfig":{"Binds":["/:/host"]},"Cmd":null,"Hostname":5}', '{"Image":"fuzz/base:1","HostConfig":{"Binds":["../x:/x"]}}',
  ],
  volume: ['{"Name":5}', '{"Name":["v"]}', '{"Name":"../x"}', '{"Name":"a/b"}', '{"Name":"\\u0000"}', '{"Name":"v","Labels":[]}', '{"Name":"v","Labels":{"a":1}}', '{"Name":"v","DriverOpts":"x"}', '{"Name":"v","Driver":5}', '{"Name":"v","DriverOpts":{"device":"/etc","o":"bind","type":"none"}}'],
  network: ['{"Name":5}', '{"Name":["n"]}', '{"Name":"../n"}', '{"Name":"n","Driver":5}', '{"Name":"n","IPAM":"x"}', '{"Name":"n","IPAM":{"Config":"x"}}', '{"Name":"n","IPAM":{"Config":[{"Subnet":5}]}}', '{"Name":"n","IPAM":{"Config":[{"Subnet":"999.1.1.0/24"}]}}', '{"Name":"n","IPAM":{"Config":[{"Subnet":"10.0.0.0/33"}]}}'],
  exec: ['{"Cmd":"ls"}', '{"Cmd":[1]}', '{"Cmd":["ls"],"Env":"x"}', '{"Cmd":["ls"],"ConsoleSize":[-1,99999999]}', '{"Cmd":["ls"],"Tty":"y"}'],
  auth: ['{"username":5,"password":[],"serveraddress":{}}', '{"username":"u","password":"p","serveraddress":5}', '{"username":"u","password":"p","serveraddress":"../../x"}', '{"username":"u","password":"p","serveraddress":"http://[::1"}'],
};
/** Query values that parse as nothing the route knows. */
const BAD_QUERY = ['%7B', '%5B%5D', '%7B%22status%22%3A5%7D', '-1', '1e309', 'NaN', '%00', 'a'.repeat(3000), encodeURIComponent('\u202e'), '%zz'];
// #endregion hostile-values

type Slot = 'id' | 'name' | 'none';
interface RouteShape {
  method: string;
  /** `{}` is where the id or name goes. */
  path: string;
  slot: Slot;
  /** The query parameters this route reads, to be given bad values. */
  query?: string[];
  /** The wrong-type table its body takes, when it reads a JSON body. */
  body?: keyof typeof WRONG_TYPES | 'any';
  /** Extra fixed query that makes the route do its work (so the hostile part is what is refused). */
  fixed?: string;
}

/** Every route of the daemon's table (engine/daemon/routes/*), with what it reads. */
const ROUTES: RouteShape[] = [
  { method: 'POST', path: '/containers/create', slot: 'none', query: ['name'], body: 'create' },
  { method: 'GET', path: '/containers/json', slot: 'none', query: ['filters'] },
  ...['json', 'changes', 'export', 'top', 'stats', 'logs', 'layers'].map((p): RouteShape => ({ method: 'GET', path: p === 'layers' ? '/dockling/containers/{}/layers' : `/containers/{}/${p}`, slot: 'id', query: p === 'logs' ? ['tail', 'since'] : p === 'top' ? ['ps_args'] : [], fixed: p === 'logs' ? 'stdout=1' : p === 'stats' ? 'stream=0' : undefined })),
  { method: 'HEAD', path: '/containers/{}/archive', slot: 'id', query: ['path'] },
  { method: 'GET', path: '/containers/{}/archive', slot: 'id', query: ['path'] },
  { method: 'PUT', path: '/containers/{}/archive', slot: 'id', query: ['path'], body: 'any' },
  ...['start', 'stop', 'restart', 'kill', 'resize', 'wait', 'pause', 'unpause'].map((p): RouteShape => ({ method: 'POST', path: `/containers/{}/${p}`, slot: 'id', query: p === 'kill' ? ['signal'] : p === 'resize' ? ['h', 'w'] : p === 'wait' ? ['condition'] : ['t'] })),
  { method: 'POST', path: '/containers/{}/exec', slot: 'id', body: 'exec' },
  { method: 'DELETE', path: '/containers/{}', slot: 'id', query: ['force'] },
  { method: 'POST', path: '/commit', slot: 'none', query: ['container', 'repo', 'tag'], body: 'any' },
  { method: 'GET', path: '/images/json', slot: 'none', query: ['filters'] },
  ...['json', 'history', 'get'].map((p): RouteShape => ({ method: 'GET', path: `/images/{}/${p}`, slot: 'name' })),
  { method: 'GET', path: '/dockling/images/{}/layers', slot: 'name' },
  { method: 'POST', path: '/images/{}/tag', slot: 'name', query: ['repo', 'tag'], fixed: 'repo=fuzz/copy' },
  { method: 'POST', path: '/images/{}/push', slot: 'name', query: ['tag'] },
  { method: 'DELETE', path: '/images/{}', slot: 'name', query: ['force'] },
  { method: 'GET', path: '/images/get', slot: 'none', query: ['names'] },
  { method: 'POST', path: '/images/create', slot: 'none', query: ['fromImage', 'fromSrc', 'platform'] },
  { method: 'POST', path: '/build', slot: 'none', query: ['t', 'buildargs', 'labels', 'platform', 'dockerfile', 'remote'] },
  { method: 'POST', path: '/volumes/create', slot: 'none', body: 'volume' },
  { method: 'GET', path: '/volumes', slot: 'none', query: ['filters'] },
  { method: 'GET', path: '/volumes/{}', slot: 'id' },
  { method: 'DELETE', path: '/volumes/{}', slot: 'id', query: ['force'] },
  { method: 'POST', path: '/volumes/prune', slot: 'none', query: ['filters'] },
  { method: 'GET', path: '/networks', slot: 'none', query: ['filters'] },
  { method: 'POST', path: '/networks/create', slot: 'none', body: 'network' },
  { method: 'GET', path: '/networks/{}', slot: 'id' },
  { method: 'DELETE', path: '/networks/{}', slot: 'id' },
  { method: 'POST', path: '/exec/{}/start', slot: 'id', body: 'exec' },
  { method: 'GET', path: '/exec/{}/json', slot: 'id' },
  { method: 'POST', path: '/exec/{}/resize', slot: 'id', query: ['h', 'w'] },
  { method: 'POST', path: '/auth', slot: 'none', body: 'auth' },
];

/** The few query values that would do real work, each with a hostile twin instead. */
const HOSTILE_QUERY: Record<string, string[]> = {
  path: ['', '%00', '..%2f..%2f..%2fetc', encodeURIComponent('/etc/\u0000passwd')],
  fromImage: HOSTILE_NAMES.slice(0, 12).concat(['FUZZ', '..%2F..%2Fx', 'localhost%3A1%2F..%2Fx']),
  fromSrc: ['http%3A%2F%2F127.0.0.1%3A1%2Fx', '..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd'],
  dockerfile: ['..%2F..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fshadow', '%00'],
  remote: ['http%3A%2F%2F127.0.0.1%3A1%2F', 'git%40127.0.0.1%3Ax'],
  tag: ['-1', '.x', 'a%3Ab', 'x'.repeat(200), '%00', encodeURIComponent('t\u202e')],
  t: ['UPPER', '..%2Fx', 'a%3A%3Ab', ...BAD_QUERY.slice(0, 3)],
  repo: ['UPPER', '..%2Fx', 'a%2F%2Fb', encodeURIComponent('r\u202e'), '%00'],
  names: HOSTILE_NAMES.slice(0, 8),
  container: HOSTILE_IDS.slice(0, 8),
};

/** One hostile request for case `i`: which route, which part of it is wrong. */
function generate(rand: () => number): RawRequest & { label: string; route?: RouteShape } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const roll = rand();
  if (roll < 0.08) {
    // No such endpoint or method.
    const target = pick(['/v1.50/nope', '/v1.50/containers/fuzzbox/explode', '/../../etc/passwd', '/v1.50/%2e%2e/%2e%2e/etc/passwd', '/v1.50/containers/json/../../_ping%00', '/v9.99/_ping', '/v1.x/_ping', '/v0.1/_ping', `/${'x'.repeat(8000)}`, '/v1.50/images/', '*']);
    const method = pick(['GET', 'POST', 'PATCH', 'BREW', 'TRACE', 'CONNECT', 'OPTIONS', 'PROPFIND']);
    return { label: `unknown ${method} ${target.slice(0, 60)}`, method, target };
  }
  if (roll < 0.13) {
    // The two endpoints that leave HTTP (attach, exec start) are reached through the upgrade listener.
    const id = pick(HOSTILE_IDS);
    const target = pick([`/v1.50/containers/${id}/attach?stream=1&stdout=1`, `/v1.50/exec/${id}/start`, `/v1.50/containers/${id}/nope`]);
    return { label: `upgrade ${target.slice(0, 60)}`, method: pick(['POST', 'POST', 'GET']), target, headers: { Connection: 'Upgrade', Upgrade: 'tcp' }, body: Buffer.from('{}') };
  }
  const route = pick(ROUTES);
  const v = (p: string) => `/v1.50${p}`;
  const fill = (x: string) => route.path.replace('{}', x);
  const withQuery = (path: string, q: string) => (q ? `${path}?${q}` : path);
  // The kind of hostility, among those this route can have.
  const kinds = [...(route.slot !== 'none' ? ['slot', 'slot'] : []), ...(route.query?.length ? ['query', 'query'] : []), ...(route.body ? ['badjson', 'types'] : []), 'method'];
  const kind = pick(kinds);
  const real = route.slot === 'name' ? 'fuzz/base:1' : route.path.startsWith('/volumes') ? 'fuzzvol' : route.path.startsWith('/networks') ? 'nosuchnet' : route.path.startsWith('/exec') ? 'nosuchexec' : 'fuzzbox';
  const safe = route.slot === 'none' ? route.path : fill(real);
  const fixed = route.fixed ?? '';
  switch (kind) {
    case 'slot': {
      const id = pick(route.slot === 'name' ? HOSTILE_NAMES : HOSTILE_IDS);
      return { label: `${route.method} ${route.path} id=${id.slice(0, 40)}`, route, method: route.method, target: withQuery(v(fill(id)), fixed), body: route.body ? Buffer.from('{}') : undefined };
    }
    case 'query': {
      const name = pick(route.query!);
      const value = pick(HOSTILE_QUERY[name] ?? BAD_QUERY);
      // Destructive routes on the real objects only with values that must be refused before acting.
      const target = route.method === 'DELETE' || ['stop', 'restart', 'kill', 'start', 'pause', 'unpause', 'wait'].some((p) => route.path.endsWith(`/${p}`)) ? fill(pick(HOSTILE_IDS)) : safe;
      const q = [...fixed.split('&').filter((f) => f && !f.startsWith(`${name}=`)), `${name}=${value}`].join('&');
      return { label: `${route.method} ${route.path} ${name}=${value.slice(0, 40)}`, route, method: route.method, target: withQuery(v(target), q), body: route.body ? Buffer.from('{') : undefined };
    }
    case 'badjson': {
      const body = pick(BAD_JSON);
      const target = route.path === '/containers/{}/archive' ? withQuery(v(safe), 'path=%2Ftmp') : withQuery(v(safe), fixed);
      return { label: `${route.method} ${route.path} body=${JSON.stringify(body.slice(0, 30))}`, route, method: route.method, target, body: Buffer.from(body, 'utf8'), headers: { 'Content-Type': 'application/json' } };
    }
    case 'types': {
      const list = route.body === 'any' ? BAD_JSON : WRONG_TYPES[route.body!]!;
      const body = pick(list);
      const target = route.path === '/containers/{}/archive' ? withQuery(v(safe), 'path=%2Ftmp') : route.path === '/commit' ? withQuery(v(route.path), `container=${pick(HOSTILE_IDS)}`) : withQuery(v(safe), fixed);
      return { label: `${route.method} ${route.path} body=${body.slice(0, 60)}`, route, method: route.method, target, body: Buffer.from(body, 'utf8'), headers: { 'Content-Type': 'application/json' } };
    }
    default: {
      const method = pick(['PATCH', 'BREW', 'DELETE', 'POST', 'GET'].filter((m) => m !== route.method && !(route.path === '/containers/{}/archive' && ['GET', 'PUT'].includes(m))));
      // Another method on a path can be another real route (DELETE /containers/{id}): aim it at no object.
      return { label: `${method} ${route.path}`, route, method, target: v(route.slot === 'none' ? route.path : fill(pick(HOSTILE_IDS))), body: method === 'GET' ? undefined : Buffer.from('{}') };
    }
  }
}

/** Streams answer 200 and report a failure inside (load, import, build after the context): that is a refusal too. */
function refused(a: RawAnswer, method: string): { ok: boolean; why: string } {
  if (a.timedOut) return { ok: false, why: 'no answer (hang)' };
  if (a.status === 0) return { ok: false, why: `no status: ${a.error ?? ''}` };
  if (a.status >= 400 && a.status < 500) {
    if (method === 'HEAD') return { ok: true, why: '' }; // a HEAD answer has no body, by definition
    let message: unknown;
    try {
      message = (JSON.parse(a.body) as { message?: unknown }).message;
    } catch {
      return { ok: false, why: `${a.status} without a JSON body: ${a.body.slice(0, 80)}` };
    }
    return typeof message === 'string' && message.length > 0 ? { ok: true, why: '' } : { ok: false, why: `${a.status} without a message` };
  }
  if (a.status === 200 && /"errorDetail":\{"message":"[^"]+/.test(a.body)) return { ok: true, why: '' };
  return { ok: false, why: `${a.status}: ${a.body.slice(0, 160)}` };
}

/** What must not change: the stores as the API lists them, and the data root's files. */
async function state(): Promise<unknown> {
  const get = async (p: string) => (await api(d.sock, 'GET', `/v1.50${p}`)).json();
  const images = ((await get('/images/json?all=1')) as Array<{ Id: string; RepoTags: string[] }>).map((i) => [i.Id, i.RepoTags]);
  const containers = ((await get('/containers/json?all=1')) as Array<{ Id: string; Names: string[]; State: string }>).map((c) => [c.Id, c.Names, c.State]);
  const volumes = ((await get('/volumes')) as { Volumes: Array<{ Name: string }> }).Volumes.map((x) => x.Name);
  const networks = ((await get('/networks')) as Array<{ Id: string; Name: string }>).map((n) => [n.Id, n.Name]);
  return { images, containers, volumes, networks, files: files(d.dataRoot) };
}

/** Path, type and size of each file under the data root, but the trace, logs and scratch space. */
function files(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const rel = relative(root, p);
      if (/(^|\/)(trace|logs?|tmp)(\/|$|\.)/.test(rel) || rel.endsWith('.log') || rel.endsWith('.jsonl')) continue;
      // overlayfs makes work/work inside a snapshot's workdir the first time it mounts it (a read does).
      if (rel.endsWith('/work/work')) continue;
      const st = lstatSync(p);
      out.push(`${rel} ${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.size}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

/** The daemon's peak resident memory, from /proc (kB). */
const peakKb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${d.child.pid}/status`, 'utf8'))?.[1] ?? 0);

beforeAll(async () => {
  if (!isRoot) return;
  d = await startDaemon({ args: [...net.args, '--default-address-pool', 'base=10.213.118.0/23,size=24'] });
  await importTar(d.sock, 'fuzz/base:1');
  const create = await api(d.sock, 'POST', '/v1.50/containers/create?name=fuzzbox', { body: Buffer.from(JSON.stringify({ Image: 'fuzz/base:1', Cmd: ['true'] })), headers: { 'Content-Type': 'application/json' } });
  expect(create.status, create.text).toBe(201);
  expect((await api(d.sock, 'POST', '/v1.50/volumes/create', { body: Buffer.from('{"Name":"fuzzvol"}'), headers: { 'Content-Type': 'application/json' } })).status).toBe(201);
});

afterAll(async () => {
  await d?.stop();
  removeCgroupParents(parentsBefore);
});

describe.skipIf(!isRoot)('API fuzz (issue 9)', () => {
  it(`${COUNT} hostile requests: each a 4xx with a message, the daemon up, nothing changed`, async () => {
    console.log(`api-fuzz seed ${SEED} (DOCKLING_FUZZ_SEED=${SEED} replays it), ${COUNT} requests`);
    const rand = prng(SEED);
    const before = await state();
    const to = { path: d.sock };
    const failures: string[] = [];
    let answered = 0;
    const started = Date.now();
    for (let i = 0; i < COUNT; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, COUNT - i) }, () => generate(rand));
      // Two at a time: the daemon sees concurrency, the two cores are not swamped.
      for (let j = 0; j < batch.length; j += 2) {
        const pair = batch.slice(j, j + 2);
        const answers = await Promise.all(pair.map((r) => rawRequest(to, r)));
        answers.forEach((a, k) => {
          if (a.status > 0) answered++;
          const verdict = refused(a, pair[k]!.method);
          if (!verdict.ok) failures.push(`${pair[k]!.label}: ${verdict.why}`);
        });
      }
      const ping = await api(d.sock, 'GET', '/_ping').catch((e: Error) => ({ status: 0, text: e.message }));
      expect(ping.status, `daemon down after batch ${i / BATCH}: ${ping.text}\n${d.logs().slice(-2000)}`).toBe(200);
    }
    const after = await state();
    report({ area: 'API fuzz (unix socket)', requestsSent: COUNT, requestsAnswered: answered, hostileTried: COUNT, hostileRefused: COUNT - failures.length, objectsLost: 0, note: `seed ${SEED}; 4xx + JSON message each, state compared` });
    console.log(`api-fuzz: ${COUNT} requests in ${Date.now() - started} ms, ${failures.length} not refused`);
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(after).toEqual(before);
  });

  // dockerd reads any word it does not know as "yes" (`?force=nope` forces); Dockling answers 400
  // naming the parameter (http/query.ts), before anything is done or any header is sent.
  it('yes/no and number parameters that are neither are a 400 naming the parameter; the usual spellings work', async () => {
    const before = await state();
    const to = { path: d.sock };
    const refusedWith = async (method: string, target: string, name: string, headers?: Record<string, string>) => {
      const a = await rawRequest(to, { method, target, ...(headers ? { headers } : {}) });
      expect(a.status, `${method} ${target}: ${a.body}`).toBe(400);
      expect((JSON.parse(a.body) as { message: string }).message, target).toContain(name);
    };
    await refusedWith('GET', '/v1.50/containers/json?all=xyz', 'query parameter all');
    await refusedWith('GET', '/v1.50/images/json?all=2', 'query parameter all');
    await refusedWith('GET', '/v1.50/containers/fuzzbox/logs?stdout=1&follow=maybe', 'query parameter follow');
    await refusedWith('GET', '/v1.50/containers/fuzzbox/stats?stream=xyz', 'query parameter stream');
    await refusedWith('DELETE', '/v1.50/containers/fuzzbox?force=nope', 'query parameter force');
    await refusedWith('DELETE', '/v1.50/volumes/fuzzvol?force=%7B', 'query parameter force');
    await refusedWith('POST', '/v1.50/containers/fuzzbox/stop?t=soon', 'query parameter t');
    await refusedWith('POST', '/v1.50/containers/fuzzbox/restart?t=1.5', 'query parameter t');
    await refusedWith('GET', `/v1.50/images/json?filters=${encodeURIComponent('{"dangling":["perhaps"]}')}`, 'filter dangling');
    // Through the upgrade listener (it never reaches the router): still a 400, not a broken stream.
    await refusedWith('POST', '/v1.50/containers/fuzzbox/attach?stream=1&stdout=sure', 'query parameter stdout', { Connection: 'Upgrade', Upgrade: 'tcp' });
    // The spellings clients use.
    for (const v of ['1', 'true', 'True', 'yes', '0', 'false', 'no', '']) {
      const r = await api(d.sock, 'GET', `/v1.50/containers/json?all=${v}`);
      expect(r.status, `all=${v}`).toBe(200);
      expect((r.json() as unknown[]).length, `all=${v}`).toBe(['1', 'true', 'True', 'yes'].includes(v) ? 1 : 0); // fuzzbox exists, and never ran
    }
    expect(await state()).toEqual(before);
  });

  it('a 64 MiB JSON body for create is refused early, not buffered whole', async () => {
    const before = await state();
    const hwm = peakKb();
    const total = 64 << 20;
    const chunk = Buffer.alloc(1 << 20, 0x20);
    const PREFIX = '{"Image":"fuzz/base:1","Env":["';
    const answer = await new Promise<{ status: number; body: string; sentAtAnswer: number }>((resolve, reject) => {
      let sent = 0;
      const req = request({ socketPath: d.sock, method: 'POST', path: '/v1.50/containers/create', headers: { 'Content-Type': 'application/json', 'Content-Length': total + PREFIX.length } }, (res) => {
        const at = sent;
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, sentAtAnswer: at }));
      });
      req.on('error', (e) => (sent < total ? undefined : reject(e)));
      req.write(PREFIX);
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).message).toMatch(/larger than/);
    // Answered long before the 64 MiB were sent, and the daemon's peak memory did not grow by them.
    expect(answer.sentAtAnswer).toBeLessThan(total / 2);
    expect(peakKb() - hwm).toBeLessThan(32 * 1024);
    expect((await api(d.sock, 'GET', '/_ping')).status).toBe(200);
    expect(await state()).toEqual(before);
    report({ area: 'API huge body (64 MiB create)', hostileTried: 1, hostileRefused: 1, objectsLost: 0, note: `413 after ${(answer.sentAtAnswer / 1048576).toFixed(0)} MiB sent` });
  });
});
