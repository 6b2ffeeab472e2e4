// The API over TCP with mutual TLS (chapter 6, "Driving a daemon on another machine"), on two
// machines the test makes: two network namespaces on a veth pair. The daemon (and a registry)
// run in one, at 10.213.122.1; the CLI runs in the other, at 10.213.122.2. Certificates come from
// `dockling certs`. Good certificates drive everything, streams included; a client with no
// certificate, one from another CA or an expired one is refused in the handshake: the daemon's
// trace shows no http.request for it. Then the real docker CLI with DOCKER_TLS_VERIFY, and the
// unauthenticated loopback listener: read-only, and refused off loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOCKER, MAIN, api, dockling as localDockling, run, startDaemon, type RunResult } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { tempDir } from '../tmp.js';
import { startRegistry, type RunningRegistry } from '../reliability/crash-harness.js';
import { canMakeHosts, makeTwoHosts, startDaemonIn, type DaemonInNs, type TwoHosts } from './two-hosts.js';

const why = canMakeHosts() ?? (existsSync('/usr/bin/openssl') ? null : 'no openssl');
if (why) console.log(`skipping the TLS transport tests: ${why}`);

const SERVER = '10.213.122.1';
/** A second address of the daemon's machine, which its certificate does not name. */
const UNNAMED = '10.213.122.3';
const TLS_HOST = `tcp://${SERVER}:2376`;

interface TraceLine {
  op: string;
  phase: string;
  span: string;
  data: Record<string, unknown>;
}

function traceEvents(dataRoot: string): TraceLine[] {
  const path = join(dataRoot, 'trace', 'events.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe.skipIf(why)('dockling -H tcp:// --tlsverify, between two machines', () => {
  const net = bridgeArgs(123);
  const parentsBefore = cgroupParents();
  let hosts: TwoHosts | undefined;
  let dir = '';
  let sock = '';
  let dataRoot = '';
  let daemon: DaemonInNs | undefined;
  let registry: RunningRegistry | undefined;
  const certs = { good: '', other: '', expired: '', none: '' };

  /** The CLI on the client machine: `-H tcp://10.213.122.1:2376 --tlsverify`, its files from `certPath`. */
  const dockling = (args: string[], opts: { certPath?: string; host?: string; input?: string } = {}): Promise<RunResult> => {
    const [cmd, ...rest] = hosts!.inNs(hosts!.clientNs, [process.execPath, MAIN, '-H', opts.host ?? TLS_HOST, '--tlsverify', ...args]);
    return run(cmd!, rest, { input: opts.input === undefined ? undefined : Buffer.from(opts.input), env: { DOCKLING_CERT_PATH: opts.certPath ?? certs.good, DOCKLING_CONFIG: join(dir, 'client-config') } });
  };

  /**
   * Runs `attempt`, then a marker request on the unix socket, and returns the trace events in
   * between: what the daemon did about the attempt.
   */
  async function traceOf(attempt: () => Promise<unknown>): Promise<TraceLine[]> {
    const before = traceEvents(dataRoot).length;
    await attempt();
    const marker = `/v1.50/images/marker-${Date.now()}/json`;
    await api(sock, 'GET', marker);
    const isMarker = (e: TraceLine) => e.op === 'http.request' && e.phase === 'end' && events.some((s) => s.span === e.span && s.data.path === marker.slice('/v1.50'.length));
    let events = traceEvents(dataRoot);
    // The marker's span ends after its answer is sent: wait for that line in the file.
    while (!events.some(isMarker)) {
      await new Promise((r) => setTimeout(r, 20));
      events = traceEvents(dataRoot);
    }
    const markerSpan = events.find(isMarker)!.span;
    return events.slice(before).filter((e) => e.span !== markerSpan);
  }

  beforeAll(async () => {
    hosts = await makeTwoHosts({ serverAddress: `${SERVER}/24`, clientAddress: '10.213.122.2/24' });
    await run('ip', ['-n', hosts.serverNs, 'addr', 'add', `${UNNAMED}/24`, 'dev', 'dkla']);
    dir = await tempDir('dkl-tls-');
    await mkdir(join(dir, 'client-config'));
    // The room's certificates, and a second room's: its CA signed a client the daemon must refuse.
    certs.good = join(dir, 'certs');
    certs.other = join(dir, 'other-room');
    for (const out of [certs.good, certs.other]) {
      const r = await localDockling(undefined, ['certs', '--out', out, '--hosts', `${SERVER},daemon.lab`]);
      expect(r.code, r.stderr).toBe(0);
    }
    // An expired client certificate from the good CA: valid until a day before it was made.
    certs.expired = join(dir, 'expired');
    await mkdir(certs.expired);
    const e = (f: string) => join(certs.expired, f);
    await run('cp', [join(certs.good, 'ca.pem'), e('ca.pem')]);
    await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', e('key.pem'), '-subj', '/CN=late', '-out', e('c.csr')]);
    await writeFile(e('ext'), 'extendedKeyUsage=clientAuth\n');
    const signed = await run('openssl', ['x509', '-req', '-in', e('c.csr'), '-CA', join(certs.good, 'ca.pem'), '-CAkey', join(certs.good, 'ca-key.pem'), '-CAcreateserial', '-days', '-1', '-extfile', e('ext'), '-out', e('cert.pem')]);
    expect(signed.code, signed.stderr).toBe(0);
    // No certificate at all: only the CA, to check the daemon's.
    certs.none = join(dir, 'none');
    await mkdir(certs.none);
    await run('cp', [join(certs.good, 'ca.pem'), join(certs.none, 'ca.pem')]);

    // The daemon on the server machine: its unix socket (for the test's own checks) and two TCP addresses.
    const g = (f: string) => join(certs.good, f);
    daemon = await startDaemonIn({
      dir, inNs: (argv) => hosts!.inNs(hosts!.serverNs, argv), main: MAIN,
      args: [...net.args, '-H', TLS_HOST, '-H', `tcp://${UNNAMED}:2376`, '--tlsverify', '--tlscacert', g('ca.pem'), '--tlscert', g('server-cert.pem'), '--tlskey', g('server-key.pem')],
    });
    ({ sock, dataRoot } = daemon);
    expect((await api(sock, 'POST', '/dockling/base-image')).status).toBe(201);
  });

  afterAll(async () => {
    await registry?.stop();
    if (daemon && existsSync(sock)) {
      const all = (await api(sock, 'GET', '/v1.50/containers/json?all=1')).json<Array<{ Id: string }>>();
      for (const c of all) await api(sock, 'DELETE', `/v1.50/containers/${c.Id}?force=1`);
      expect(leftovers({ dataRoot, bridge: net.bridge, containerIds: all.map((c) => c.Id) })).toEqual(NOTHING);
    }
    await daemon?.stop();
    // Deleting the namespaces deletes what is inside them: the veth pair and the daemon's bridge.
    await hosts?.cleanup();
    removeCgroupParents(parentsBefore);
  });

  it('dockling certs: six files, keys 0600, the server certificate names the hosts and is for serving only', async () => {
    for (const f of ['ca-key.pem', 'server-key.pem', 'key.pem']) expect(statSync(join(certs.good, f)).mode & 0o777).toBe(0o600);
    const text = (await run('openssl', ['x509', '-in', join(certs.good, 'server-cert.pem'), '-noout', '-text'])).stdout;
    expect(text).toContain(`IP Address:${SERVER}`);
    expect(text).toContain('DNS:daemon.lab');
    expect(text).toMatch(/Extended Key Usage: *\n *TLS Web Server Authentication\n/);
    const client = (await run('openssl', ['x509', '-in', join(certs.good, 'cert.pem'), '-noout', '-text'])).stdout;
    expect(client).toMatch(/Extended Key Usage: *\n *TLS Web Client Authentication\n/);
    // A second run into the same directory overwrites nothing.
    const again = await localDockling(undefined, ['certs', '--out', certs.good, '--hosts', SERVER]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('refusing to overwrite');
  });

  it('version: the server part comes across the network, over mutual TLS', async () => {
    const r = await dockling(['version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Server: Dockling Engine');
    expect(daemon!.logs()).toContain(`API listening on ${TLS_HOST}, mutual TLS`);
  });

  it('run --rm busybox echo hi', async () => {
    const r = await dockling(['run', '--rm', 'busybox', 'echo', 'hi']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
  });

  it('run -d, logs -f, exec, exec -i and attach: every stream through TLS', async () => {
    const started = await dockling(['run', '-d', '-i', '--name', 'tls-live', 'busybox', 'sh', '-c', 'echo one; read line; echo "got $line"']);
    expect(started.code, started.stderr).toBe(0);
    const exec = await dockling(['exec', 'tls-live', 'echo', 'from exec']);
    expect(exec.stdout).toBe('from exec\n');
    const execIn = await dockling(['exec', '-i', 'tls-live', 'sh', '-c', 'cat; echo end'], { input: 'up and back\n' });
    expect(execIn.stdout).toBe('up and back\nend\n');
    // attach: our line reaches `read`, the container answers and exits, and so does attach.
    const attach = await dockling(['attach', 'tls-live'], { input: 'a line\n' });
    expect(attach.stdout).toBe('got a line\n');
    expect(attach.code).toBe(0);
    const logs = await dockling(['logs', '-f', 'tls-live']);
    expect(logs.stdout).toBe('one\ngot a line\n');
    expect((await dockling(['rm', 'tls-live'])).code).toBe(0);
  });

  it('build: the context goes up over TLS, the progress comes back', async () => {
    const context = join(dir, 'context');
    await mkdir(context);
    await writeFile(join(context, 'Dockerfile'), 'FROM busybox\nCOPY greeting /greeting\nCMD ["cat", "/greeting"]\n');
    await writeFile(join(context, 'greeting'), 'built over tls\n');
    const build = await dockling(['build', '-t', 'tls-built', context]);
    expect(build.code, build.stderr).toBe(0);
    expect((await dockling(['run', '--rm', 'tls-built'])).stdout).toBe('built over tls\n');
    expect((await dockling(['rmi', 'tls-built'])).code).toBe(0);
  });

  it('push, then pull with its progress, from a registry on the daemon machine', async () => {
    registry = await startRegistry(join(dir, 'registry'), 5000, (argv) => hosts!.inNs(hosts!.serverNs, argv));
    const ref = '127.0.0.1:5000/tls/busybox:1';
    expect((await dockling(['tag', 'busybox', ref])).code).toBe(0);
    const push = await dockling(['push', ref]);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toMatch(/Pushed/);
    expect((await dockling(['rmi', ref])).code).toBe(0);
    const pull = await dockling(['pull', ref]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
    expect((await dockling(['rmi', ref])).code).toBe(0);
  });

  it.each([
    ['no client certificate', 'none'],
    ['a certificate from another CA', 'other-ca'],
    ['an expired certificate', 'expired'],
  ] as const)('a client with %s is refused in the handshake: no HTTP request reaches the daemon', async (_what, which) => {
    // The other room's client trusts our CA (to get as far as the daemon) but shows its own certificate.
    const certPath = which === 'none' ? certs.none : which === 'expired' ? certs.expired : certs.other;
    const args = which === 'other-ca' ? ['--tlscacert', join(certs.good, 'ca.pem'), 'version'] : ['version'];
    let r: RunResult | undefined;
    const events = await traceOf(async () => (r = await dockling(args, { certPath })));
    expect(r!.code).toBe(1);
    expect(r!.stdout).not.toContain('Server:');
    expect(r!.stderr).toContain('the daemon refused the TLS handshake');
    expect(events.filter((e) => e.op === 'http.request')).toEqual([]);
    // …but the daemon saw the knock, and wrote down why it kept the door shut.
    expect(events.filter((e) => e.op === 'tls.refused' && e.phase === 'start').map((e) => typeof e.data.reason)).toEqual(['string']);
  });

  it("a daemon certificate that does not name the address we dialled is refused by the client", async () => {
    let r: RunResult | undefined;
    const events = await traceOf(async () => (r = await dockling(['version'], { host: `tcp://${UNNAMED}:2376` })));
    expect(r!.code).toBe(1);
    expect(r!.stderr).toContain("the daemon's TLS certificate was refused");
    expect(r!.stderr).toContain(UNNAMED);
    expect(events.filter((e) => e.op === 'http.request')).toEqual([]);
  });

  it('contexts: create one with the certificates, use it, and the -H flags are no longer needed', async () => {
    const env = { DOCKLING_CONFIG: join(dir, 'ctx-config') };
    const inClient = (args: string[]) => {
      const [cmd, ...rest] = hosts!.inNs(hosts!.clientNs, [process.execPath, MAIN, ...args]);
      return run(cmd!, rest, { env });
    };
    const g = (f: string) => join(certs.good, f);
    const created = await inClient(['context', 'create', 'lab', '--description', 'the lab VM', '--docker', `host=${TLS_HOST},ca=${g('ca.pem')},cert=${g('cert.pem')},key=${g('key.pem')}`]);
    expect(created.code, created.stderr).toBe(0);
    expect((await inClient(['context', 'use', 'lab'])).code).toBe(0);
    expect((await inClient(['context', 'show'])).stdout).toBe('lab\n');
    expect((await inClient(['context', 'ls'])).stdout).toMatch(/^lab \*\s+the lab VM\s+tcp:\/\/10\.213\.122\.1:2376$/m);
    const v = await inClient(['version']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('Server: Dockling Engine');
    // --host wins over the current context (here: a socket that is not there).
    const h = await inClient(['-H', `unix://${dir}/nothing.sock`, 'version']);
    expect(h.stderr).toContain(`Cannot connect to the Dockling daemon at unix://${dir}/nothing.sock`);
    expect((await inClient(['--context', 'lab', '-H', TLS_HOST, 'ps'])).stderr).toContain('conflicting options');
    expect((await inClient(['context', 'rm', 'lab'])).stderr).toContain('is in use');
    expect((await inClient(['context', 'use', 'default'])).code).toBe(0);
    expect((await inClient(['context', 'rm', 'lab'])).code).toBe(0);
  });

  it.skipIf(!existsSync(DOCKER))('the real docker CLI with DOCKER_TLS_VERIFY: version, run, ps', async () => {
    await mkdir(join(dir, 'docker-config'), { recursive: true });
    const docker = (...args: string[]) => {
      const [cmd, ...rest] = hosts!.inNs(hosts!.clientNs, [DOCKER, ...args]);
      return run(cmd!, rest, { env: { DOCKER_HOST: TLS_HOST, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.good, DOCKER_CONFIG: join(dir, 'docker-config') } });
    };
    const v = await docker('version');
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('Server: Dockling Engine');
    const r = await docker('run', '--rm', 'busybox', 'echo', 'hi');
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
    const ps = await docker('ps');
    expect(ps.code).toBe(0);
    expect(ps.stdout.split('\n')[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND/);
  });
});
if (!existsSync(DOCKER)) console.log(`skipping the docker CLI over TLS case: ${DOCKER} is not installed`);

describe.skipIf(why)('-H tcp:// without TLS', () => {
  it('is refused off loopback, and on loopback without --tls=false, before the daemon touches anything', async () => {
    const dir = await tempDir('dkl-tcp-');
    const off = await localDockling(undefined, ['daemon', '--data-root', join(dir, 'root'), '-H', 'tcp://10.213.122.1:2375', '--tls=false']);
    expect(off.code).toBe(1);
    expect(off.stderr).toContain('refusing to serve the API on tcp://10.213.122.1:2375 without --tlsverify');
    const quiet = await localDockling(undefined, ['daemon', '--data-root', join(dir, 'root'), '-H', 'tcp://127.0.0.1:2375']);
    expect(quiet.stderr).toContain('add --tls=false');
    const tlsOnly = await localDockling(undefined, ['daemon', '--data-root', join(dir, 'root'), '-H', 'tcp://127.0.0.1:2375', '--tls']);
    expect(tlsOnly.stderr).toContain('--tls without --tlsverify');
    expect(existsSync(join(dir, 'root'))).toBe(false);
  });

  it('on loopback with --tls=false: a warning, GET works, POST /containers/create is 403 and says why', async () => {
    const net = bridgeArgs(122);
    const parentsBefore = cgroupParents();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const d = await startDaemon({ args: [...net.args, '-H', `tcp://127.0.0.1:${port}`, '--tls=false'] });
    try {
      expect(d.logs()).toContain(`API listening on tcp://127.0.0.1:${port}, READ-ONLY`);
      expect(d.logs()).toContain('WARNING');
      const ps = await localDockling(`tcp://127.0.0.1:${port}`, ['ps']);
      expect(ps.code, ps.stderr).toBe(0);
      expect(ps.stdout).toMatch(/^CONTAINER ID/);
      const create = await localDockling(`tcp://127.0.0.1:${port}`, ['create', 'busybox']);
      expect(create.code).toBe(1);
      expect(create.stderr).toContain('POST refused: this API listener has no authentication (--tls=false), so it is read-only');
      // The same request on the unix socket is not refused (404: no such image here).
      expect((await api(d.sock, 'POST', '/v1.50/containers/create', { body: Buffer.from('{"Image":"busybox"}'), headers: { 'Content-Type': 'application/json' } })).status).toBe(404);
      // A web page's request (it names its Origin) and another Host name are refused, as on the live listener.
      const raw = (headers: Record<string, string>) => run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), `http://127.0.0.1:${port}/_ping`]);
      expect((await raw({})).stdout).toBe('200');
      expect((await raw({ Origin: 'http://evil.example' })).stdout).toBe('403');
      expect((await raw({ Host: `evil.example:${port}` })).stdout).toBe('403');
    } finally {
      await d.stop();
      removeCgroupParents(parentsBefore);
    }
  });
});
