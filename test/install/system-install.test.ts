// The daemon as a service (issue 11): `dockling system install --root DIR` writes valid systemd
// units, daemon.json and the group under a temporary root (never the real /etc), and uninstall
// removes exactly that, keeping the data root unless --purge. Then the daemon as systemd runs
// it: started by socket activation (systemd-socket-activate hands it the socket as fd 3), with
// daemon.json's values in effect, journal priority prefixes, SIGHUP re-reading the file (a bad
// file keeps the old settings), and SIGTERM leaving a running container to the next daemon.
// All as root; systemd itself need not run (it does not, in CI).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempDir } from '../tmp.js';
import { MAIN, api, dockling, run, startDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { planListeners } from '../../engine/daemon/listen-plan.js';
import { planReload } from '../../engine/daemon/daemon-reload.js';
import { DaemonLog } from '../../engine/daemon/daemon-log.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping system install and the daemon under socket activation: they need root (groupadd, mounts, namespaces)');
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
if (isRoot && !hasAnalyze) console.log('skipping systemd-analyze verify of the generated units: systemd-analyze is not installed (Debian package systemd)');
const hasActivate = spawnSync('systemd-socket-activate', ['--version']).status === 0;
if (isRoot && !hasActivate) console.log('skipping the socket-activated daemon: systemd-socket-activate is not installed (Debian package systemd)');
const systemdRuns = existsSync('/run/systemd/system');

/** Every path under dir, relative, sorted. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)));
      if (e.isDirectory()) await walk(join(d, e.name));
    }
  };
  await walk(dir);
  return out.sort();
}

/** A temporary root with copies of /etc/group and /etc/gshadow: what groupadd --prefix edits. */
async function fakeRoot(): Promise<string> {
  const root = await tempDir('dkl-root-');
  await mkdir(join(root, 'etc'));
  await copyFile('/etc/group', join(root, 'etc/group'));
  await copyFile('/etc/gshadow', join(root, 'etc/gshadow'));
  return root;
}

const mode = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);

const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'no error';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('plans (no root needed)', () => {
  it('fd:// takes every descriptor systemd passed, fd://N one of them, and nothing without them', () => {
    expect(planListeners(['fd://'], {}, [3, 4])).toEqual([{ kind: 'fd', host: 'fd://3', fd: 3 }, { kind: 'fd', host: 'fd://4', fd: 4 }]);
    expect(planListeners(['fd://4'], {}, [3, 4])).toEqual([{ kind: 'fd', host: 'fd://4', fd: 4 }]);
    expect(codeOf(() => planListeners(['fd://5'], {}, [3, 4]))).toBe('HOST_INVALID');
    expect(codeOf(() => planListeners(['fd://'], {}, []))).toBe('HOST_INVALID');
  });

  it('SIGHUP plans: registries, mirrors and log level apply; start-only keys wait; a flag still conflicts', () => {
    const before = { file: { dataRoot: '/a', insecureRegistries: ['x:1'] }, registrySettings: { insecureRegistries: ['x:1'], mirrors: [] }, logLevel: 'info' as const };
    const plan = planReload({ path: 'daemon.json', flags: { insecureRegistries: [], registryMirrors: [] }, before, file: { dataRoot: '/b', insecureRegistries: ['y:2'], registryMirrors: ['https://m.example'], logLevel: 'debug' } });
    expect(plan.registrySettings).toEqual({ insecureRegistries: ['y:2'], mirrors: ['https://m.example/'] });
    expect(plan.logLevel).toBe('debug');
    expect(plan.applied).toEqual(['insecure-registries: [x:1] -> [y:2]', 'registry-mirrors: [] -> [https://m.example/]', 'log-level: info -> debug']);
    expect(plan.atNextStart).toEqual(['data-root']);
    expect(codeOf(() => planReload({ path: 'daemon.json', flags: { insecureRegistries: [], registryMirrors: [], logLevel: 'warn' }, before, file: { logLevel: 'debug' } }))).toBe('DAEMON_CONFIG_CONFLICT');
    expect(codeOf(() => planReload({ path: 'daemon.json', flags: { insecureRegistries: [], registryMirrors: [] }, before, file: { insecureRegistries: ['http://z:3'] } }))).toBe('INVALID_INSECURE_REGISTRY');
  });

  it('log lines: sd-daemon priorities for the journal, plain otherwise, filtered by level', () => {
    const lines: string[] = [];
    const journal = new DaemonLog((l) => lines.push(l), true, 'info');
    journal.debug('hidden');
    journal.info('i');
    journal.warn('w');
    journal.error('e');
    journal.setLevel('error');
    journal.warn('hidden too');
    new DaemonLog((l) => lines.push(l), false, 'debug').debug('plain');
    expect(lines).toEqual(['<6>i', '<4>w', '<3>e', 'plain']);
  });
});

describe.skipIf(!isRoot)('dockling system install --root', () => {
  let realGroup: string;
  beforeAll(async () => {
    realGroup = await readFile('/etc/group', 'utf8');
  });
  afterAll(async () => {
    // The real /etc/group is never touched by a --root install or uninstall.
    expect(await readFile('/etc/group', 'utf8')).toBe(realGroup);
  });

  it('writes the two units, daemon.json, the group and a manifest under DIR, and warns about the group', async () => {
    const root = await fakeRoot();
    const r = await dockling(undefined, ['system', 'install', '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const socket = await readFile(join(root, 'etc/systemd/system/dockling.socket'), 'utf8');
    expect(socket).toMatch(/^ListenStream=\/run\/dockling\.sock$/m);
    expect(socket).toMatch(/^SocketMode=0660$/m);
    expect(socket).toMatch(/^SocketGroup=dockling$/m);
    const service = await readFile(join(root, 'etc/systemd/system/dockling.service'), 'utf8');
    expect(service).toContain(`\nExecStart=${process.execPath} ${MAIN} daemon -H fd:// --config-file /etc/dockling/daemon.json\n`);
    expect(service).toMatch(/^Requires=dockling\.socket$/m);
    expect(service).toMatch(/^KillMode=process$/m); // the containers' shims outlive the daemon
    expect(service).toMatch(/^Delegate=yes$/m);
    for (const f of ['etc/systemd/system/dockling.socket', 'etc/systemd/system/dockling.service', 'etc/dockling/daemon.json', 'etc/dockling/install.json']) {
      expect(await mode(join(root, f)), f).toBe('644');
    }
    const config = JSON.parse(await readFile(join(root, 'etc/dockling/daemon.json'), 'utf8'));
    expect(Object.keys(config).sort()).toEqual(['data-root', 'default-address-pools', 'insecure-registries', 'log-level', 'registry-mirrors']);
    expect(await readFile(join(root, 'etc/group'), 'utf8')).toMatch(/^dockling:x:\d+:$/m);
    expect(r.stdout).toMatch(/WARNING: members of the group dockling [^\n]*the same\s+as root on this machine/);
    if (systemdRuns) console.log('systemd runs here: the by-hand start command is printed only where it does not');
    else expect(r.stdout).toContain(`Start the daemon by hand (it gives /run/dockling.sock the group dockling):\n  sudo ${process.execPath} ${MAIN} daemon --config-file /etc/dockling/daemon.json\n`);
  });

  it.skipIf(!hasAnalyze)('systemd-analyze verify accepts the units', async () => {
    const root = await fakeRoot();
    expect((await dockling(undefined, ['system', 'install', '--root', root])).code).toBe(0);
    // --root=DIR would need a whole systemd tree (sysinit.target …) there; the files by path
    // are checked against this machine, where ExecStart's node and main.js exist.
    const units = ['dockling.socket', 'dockling.service'].map((u) => join(root, 'etc/systemd/system', u));
    const r = await run('systemd-analyze', ['verify', ...units]);
    // A key systemd does not know is only a warning (exit 0): no line may name our files.
    expect(r.stderr.split('\n').filter((l) => l.includes('dockling'))).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('uninstall removes what install wrote and keeps the data root; --purge deletes it', async () => {
    const root = await fakeRoot();
    const before = await listing(root);
    expect((await dockling(undefined, ['system', 'install', '--root', root])).code).toBe(0);
    await mkdir(join(root, 'var/lib/dockling/content'), { recursive: true }); // as a daemon would
    await writeFile(join(root, 'var/lib/dockling/engine-id'), 'x\n');
    const r = await dockling(undefined, ['system', 'uninstall', '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kept the data root ${join(root, 'var/lib/dockling')}`);
    expect(await readFile(join(root, 'etc/group'), 'utf8')).not.toMatch(/^dockling:/m);
    // groupadd keeps a backup of what it edits (group-, gshadow-), as it does in the real /etc.
    const after = (await listing(root)).filter((p) => p !== 'etc/group-' && p !== 'etc/gshadow-');
    expect(after).toEqual([...before, 'var', 'var/lib', 'var/lib/dockling', 'var/lib/dockling/content', 'var/lib/dockling/engine-id'].sort());
    // Installed again and uninstalled with --purge: the data root goes too.
    expect((await dockling(undefined, ['system', 'install', '--root', root])).code).toBe(0);
    const p = await dockling(undefined, ['system', 'uninstall', '--root', root, '--purge']);
    expect(p.code).toBe(0);
    expect(existsSync(join(root, 'var/lib/dockling'))).toBe(false);
    // Nothing installed any more: uninstall says so.
    expect((await dockling(undefined, ['system', 'uninstall', '--root', root])).code).toBe(1);
  });

  it('a daemon.json the user changed is kept, by install and by uninstall; a group that existed stays', async () => {
    const root = await fakeRoot();
    await writeFile(join(root, 'etc/group'), (await readFile(join(root, 'etc/group'), 'utf8')) + 'dockling:x:4242:ann\n');
    expect((await dockling(undefined, ['system', 'install', '--root', root])).code).toBe(0);
    const edited = '{"log-level": "debug"}\n';
    await writeFile(join(root, 'etc/dockling/daemon.json'), edited);
    const again = await dockling(undefined, ['system', 'install', '--root', root]);
    expect(again.stdout).toContain('kept');
    expect(await readFile(join(root, 'etc/dockling/daemon.json'), 'utf8')).toBe(edited);
    const r = await dockling(undefined, ['system', 'uninstall', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('was changed since install');
    expect(await readFile(join(root, 'etc/dockling/daemon.json'), 'utf8')).toBe(edited);
    expect(existsSync(join(root, 'etc/systemd/system/dockling.service'))).toBe(false);
    expect(existsSync(join(root, 'etc/dockling/install.json'))).toBe(false);
    expect(await readFile(join(root, 'etc/group'), 'utf8')).toMatch(/^dockling:x:4242:ann$/m);
  });
});

/** Waits for `check` (polling; the deadline only turns a hang into a failure). */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!isRoot || !hasActivate)('the daemon under socket activation', () => {
  const net = bridgeArgs(127);
  const parentsBefore = cgroupParents();
  let dir: string;
  let sock: string;
  let cfg: string;
  let child: ChildProcess;
  let output = '';
  const ids: string[] = [];
  const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });
  const info = async () => (await api(sock, 'GET', '/v1.50/info')).json();
  const insecure = async () => Object.keys((await info()).RegistryConfig.IndexConfigs).filter((k) => k !== 'docker.io');

  beforeAll(async () => {
    dir = await tempDir('dkl-');
    sock = join(dir, 'activated.sock');
    cfg = join(dir, 'daemon.json');
    // data-root in the file is the root the harness uses for `dir` (dir/root): the second daemon takes it over.
    await writeFile(cfg, JSON.stringify({
      'data-root': join(dir, 'root'), 'insecure-registries': ['first.example:5000'], 'log-level': 'debug',
      'default-address-pools': [{ base: '10.213.128.0/24', size: 24 }],
    }));
    // systemd-socket-activate binds the socket, then execs the daemon with it as fd 3 and
    // LISTEN_PID/LISTEN_FDS set, as systemd would; -E passes the variables the daemon needs.
    child = spawn('systemd-socket-activate', ['-l', sock, '-E', 'PATH', '-E', 'JOURNAL_STREAM=8:12345', process.execPath, MAIN, 'daemon', '-H', 'fd://', '--config-file', cfg, ...net.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await until('the activation socket', async () => (existsSync(sock) ? true : undefined));
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    removeCgroupParents(parentsBefore);
  });

  it('answers /_ping on the socket it was handed, with daemon.json in effect and journal priorities', async () => {
    // The first connection is what starts the daemon; it waits in the socket's queue meanwhile.
    expect((await api(sock, 'GET', '/_ping')).text).toBe('OK');
    expect(output).toContain('<6>API listening on fd://3');
    expect(output).toMatch(/^<7>configuration: log-level debug/m); // debug lines: log-level debug
    expect(output).toMatch(/^<6>dockling daemon /m); // no line of the daemon's own goes without a priority
    expect(output).not.toMatch(/^(dockling daemon|API listening|configuration:)/m);
    const i = await info();
    expect(i.DockerRootDir).toBe(join(dir, 'root'));
    expect(await insecure()).toEqual(['first.example:5000']);
    const created = await api(sock, 'POST', '/v1.50/networks/create', json({ Name: `dkl-pool-${process.pid}` }));
    expect(created.status).toBe(201);
    const netInfo = (await api(sock, 'GET', `/v1.50/networks/${created.json().Id}`)).json();
    expect(netInfo.IPAM.Config[0].Subnet).toBe('10.213.128.0/24'); // from default-address-pools
    expect((await api(sock, 'DELETE', `/v1.50/networks/${created.json().Id}`)).status).toBe(204);
  });

  it('SIGHUP applies a changed daemon.json; a bad one keeps the old settings and says why', async () => {
    const logged = output.length;
    await writeFile(cfg, JSON.stringify({ 'data-root': join(dir, 'root'), 'insecure-registries': ['second.example:5000'], 'log-level': 'warn', 'default-address-pools': [{ base: '10.213.128.0/24' }] }));
    child.kill('SIGHUP');
    expect(await until('the new insecure registry', async () => ((await insecure()).includes('second.example:5000') ? await insecure() : undefined))).toEqual(['second.example:5000']);
    await writeFile(cfg, '{"insecure-registries": ["third.example:5000"');
    child.kill('SIGHUP');
    await until('the reload error', async () => (output.includes('<3>reload failed, keeping the old settings') ? true : undefined));
    expect(await insecure()).toEqual(['second.example:5000']);
    // log-level warn: the reload's own info line was not written, the error was.
    expect(output.slice(logged)).not.toContain('<6>');
  });

  it('SIGTERM: the daemon exits 0 and releases its lock; the container keeps running and the next daemon adopts it', async () => {
    await writeFile(cfg, JSON.stringify({ 'data-root': join(dir, 'root'), 'log-level': 'info' }));
    expect((await api(sock, 'POST', '/dockling/base-image')).status).toBe(201);
    const c = await api(sock, 'POST', '/v1.50/containers/create', json({ Image: 'busybox', Cmd: ['sleep', '300'] }));
    const id = c.json().Id as string;
    ids.push(id);
    expect((await api(sock, 'POST', `/v1.50/containers/${id}/start`)).status).toBe(204);
    const pid = (await api(sock, 'GET', `/v1.50/containers/${id}/json`)).json().State.Pid as number;
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(existsSync(join(dir, 'root', 'daemon.pid'))).toBe(false);
    expect(() => process.kill(pid, 0)).not.toThrow(); // still alive
    const next = await startDaemon({ dir, args: net.args });
    try {
      const ps = (await api(next.sock, 'GET', '/v1.50/containers/json')).json() as Array<{ Id: string; State: string }>;
      expect(ps.find((p) => p.Id === id)?.State).toBe('running');
      expect((await api(next.sock, 'POST', `/v1.50/containers/${id}/stop?t=1`)).status).toBe(204);
      expect((await api(next.sock, 'GET', `/v1.50/containers/${id}/json`)).json().State.Running).toBe(false);
      for (const x of ids) await api(next.sock, 'DELETE', `/v1.50/containers/${x}?force=1`);
      expect(leftovers({ dataRoot: next.dataRoot, bridge: net.bridge, containerIds: ids })).toEqual(NOTHING);
    } finally {
      await next.stop();
    }
  });
});

describe.skipIf(!isRoot)('--group: who may use a unix socket the daemon makes itself', () => {
  it('the socket belongs to the group named, mode 0660; a group that does not exist is refused', async () => {
    const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.startsWith('daemon:'));
    if (!line) return console.log('skipping --group: this machine has no group "daemon" to lend its socket to');
    const d = await startDaemon({ args: [...bridgeArgs(128).args, '--group', 'daemon'] });
    try {
      const st = await stat(d.sock);
      expect(st.gid).toBe(Number(line.split(':')[2]));
      expect((st.mode & 0o777).toString(8)).toBe('660');
    } finally {
      await d.stop();
    }
    const r = await dockling(undefined, ['daemon', '--data-root', join(await tempDir('dkl-'), 'root'), '-H', 'unix:///tmp/dkl-never.sock', '--group', 'dkl-no-such-group']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--group dkl-no-such-group: no such group');
  });
});
