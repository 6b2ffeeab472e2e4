// The ssh transport (chapter 6, "Over ssh"). First `dockling system dial-stdio` alone: raw HTTP
// into its stdin comes back out of its stdout, and an attach's half-close gets through. Then
// `dockling -H ssh://root@10.213.124.1:2222` on two machines the test makes (two network
// namespaces on a veth pair): the daemon, an sshd of the test's own and a registry in one, the
// CLI in the other. Every stream goes through ssh: run -i, logs -f, exec, attach, build, push
// and pull. A wrong key and an unknown host key fail with ssh's own words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAIN, ROOT, api, run, startDaemon, type RunResult, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { tempDir } from '../tmp.js';
import { sshCommand } from '../../engine/cli/ssh-transport.js';
import { startRegistry, type RunningRegistry } from '../reliability/crash-harness.js';
import { canMakeHosts, makeTwoHosts, startDaemonIn, type DaemonInNs, type TwoHosts } from './two-hosts.js';
import { knownHostsLine, makeKey, sshMissing, startSshd, writeClientConfig, type SshServer } from './ssh-harness.js';

const why = canMakeHosts() ?? sshMissing();
if (why) console.log(`skipping the ssh transport tests: ${why}`);

const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });

/** `dockling system dial-stdio` against `host`: the test writes to its stdin and reads its stdout and stderr. */
function dialStdio(host: string): { child: ChildProcess; stdout: () => Buffer; done: Promise<number> } {
  const child = spawn(process.execPath, [MAIN, 'system', 'dial-stdio'], { env: { ...process.env, DOCKLING_HOST: host }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => out.push(d));
  const done = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
  return { child, stdout: () => Buffer.concat(out), done };
}

/** The payloads of stdcopy frames (8-byte header, then the bytes), joined. */
function unframe(buf: Buffer): string {
  let text = '';
  for (let at = 0; at + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(at + 4);
    text += buf.subarray(at + 8, at + 8 + len).toString('utf8');
    at += 8 + len;
  }
  return text;
}

// The ssh command is a plan (plain data): checked here without ssh, root or a network.
describe('the ssh command the transport runs', () => {
  it('batch mode, the user and port from the URL, "--" before the host, then the remote command', () => {
    expect(sshCommand(new URL('ssh://ada@build-box:2200'))).toEqual({
      file: 'ssh',
      args: ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=30', '-T', '-l', 'ada', '-p', '2200', '--', 'build-box', 'dockling system dial-stdio'],
    });
  });

  it("no user or port: ssh's own defaults; an ssh_config file and a remote command when given", () => {
    expect(sshCommand(new URL('ssh://[fd00::5]'), { configFile: '/tmp/cfg', remoteCommand: 'node /opt/dockling/main.js' }).args)
      .toEqual(['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=30', '-T', '-F', '/tmp/cfg', '--', 'fd00::5', 'node /opt/dockling/main.js system dial-stdio']);
  });

  it.each([
    ['ssh://host/var/run/dockling.sock', 'extra path after the host: /var/run/dockling.sock'],
    ['ssh://ada:secret@host', 'a password in an ssh:// URL is not supported'],
    ['ssh://host?x=1', 'nothing after it'],
    ['ssh://-oProxyCommand=x', 'cannot start with "-"'],
  ])('refuses %s', (url, message) => {
    expect(() => sshCommand(new URL(url))).toThrow(message);
  });
});

describe.skipIf(why)('dockling system dial-stdio', () => {
  let d: RunningDaemon;
  const net = bridgeArgs(124);
  const ids: string[] = [];
  const parentsBefore = cgroupParents();

  beforeAll(async () => {
    d = await startDaemon({ args: net.args });
    expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
  });
  afterAll(async () => {
    if (d) {
      for (const id of ids) await api(d.sock, 'DELETE', `/v1.50/containers/${id}?force=1`);
      expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: ids })).toEqual(NOTHING);
    }
    await d?.stop();
    removeCgroupParents(parentsBefore);
  });

  it('carries a raw GET /_ping to the daemon and its answer back', async () => {
    const p = dialStdio(d.host);
    p.child.stdin!.end('GET /_ping HTTP/1.1\r\nHost: dockling\r\nConnection: close\r\n\r\n');
    expect(await p.done).toBe(0);
    const answer = p.stdout().toString('utf8');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.endsWith('\r\n\r\nOK')).toBe(true);
  });

  it('keeps an attach working: the end of its stdin reaches the container, and the output still comes back', async () => {
    const created = await api(d.sock, 'POST', '/v1.50/containers/create', json({ Image: 'busybox', Cmd: ['sh', '-c', 'cat; echo done'], OpenStdin: true, StdinOnce: true, AttachStdin: true }));
    expect(created.status).toBe(201);
    const id = created.json<{ Id: string }>().Id;
    ids.push(id);
    const p = dialStdio(d.host);
    p.child.stdin!.write(`POST /v1.50/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: dockling\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    // 101 first: from then on the connection is a pipe both ways.
    while (!p.stdout().includes('\r\n\r\n')) await new Promise((r) => setTimeout(r, 20));
    expect(p.stdout().toString('latin1')).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\n/);
    expect((await api(d.sock, 'POST', `/v1.50/containers/${id}/start`)).status).toBe(204);
    // `cat` ends only if our stdin's end gets through as a half-close; `done` proves reading went on.
    p.child.stdin!.end('hello\n');
    expect(await p.done).toBe(0);
    const all = p.stdout();
    expect(unframe(all.subarray(all.indexOf('\r\n\r\n') + 4))).toBe('hello\ndone\n');
  });

  it('says there is no daemon when its socket is missing, and exits 1', async () => {
    const dir = await tempDir('dkl-nodaemon-');
    const r = await run(process.execPath, [MAIN, 'system', 'dial-stdio'], { env: { DOCKLING_HOST: `unix://${dir}/none.sock` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot connect to the Dockling daemon at unix://${dir}/none.sock. Is the daemon running?`);
  });
});

describe.skipIf(why)('dockling -H ssh://', () => {
  const SERVER = '10.213.124.1';
  const PORT = 2222;
  const URL = `ssh://root@${SERVER}:${PORT}`;
  const net = bridgeArgs(125);
  let hosts: TwoHosts | undefined;
  let dir = '';
  let sshd: SshServer | undefined;
  let daemon: DaemonInNs | undefined;
  let registry: RunningRegistry | undefined;
  const config = { good: '', wrongKey: '', unknownHost: '' };
  const parentsBefore = cgroupParents();

  /** The CLI in the client namespace, through ssh; `sshConfig` picks the client's key and known hosts. */
  const dockling = (args: string[], opts: { input?: Buffer | string; sshConfig?: string; host?: string; remoteCommand?: string } = {}): Promise<RunResult> => {
    const [cmd, ...argv] = hosts!.inNs(hosts!.clientNs, [process.execPath, MAIN, '-H', opts.host ?? URL, ...args]);
    return run(cmd!, argv, {
      input: opts.input === undefined ? undefined : Buffer.from(opts.input),
      env: {
        DOCKLING_SSH_CONFIG: opts.sshConfig ?? config.good,
        // dockling is not installed on the "other machine": run the build, at this daemon.
        DOCKLING_SSH_REMOTE_COMMAND: opts.remoteCommand ?? `DOCKLING_HOST=${daemon!.host} ${process.execPath} ${MAIN}`,
      },
    });
  };

  beforeAll(async () => {
    hosts = await makeTwoHosts({ serverAddress: `${SERVER}/24`, clientAddress: '10.213.124.2/24' });
    dir = await tempDir('dkl-ssh-');
    const serverDir = join(dir, 'server');
    await mkdir(serverDir);
    await mkdir(join(dir, 'daemon'));
    const inServer = (argv: string[]) => hosts!.inNs(hosts!.serverNs, argv);
    // The client's key and a stranger's; only the first is authorized on the server.
    const key = await makeKey(join(dir, 'id'));
    await makeKey(join(dir, 'stranger'));
    sshd = await startSshd({ dir: serverDir, inNs: inServer, address: SERVER, port: PORT, authorizedKeys: [key] });
    await writeFile(join(dir, 'known_hosts'), knownHostsLine(SERVER, PORT, sshd.hostKey));
    await writeFile(join(dir, 'known_hosts.empty'), '');
    config.good = join(dir, 'ssh_config');
    config.wrongKey = join(dir, 'ssh_config.wrong-key');
    config.unknownHost = join(dir, 'ssh_config.unknown-host');
    await writeClientConfig({ path: config.good, identity: join(dir, 'id'), knownHosts: join(dir, 'known_hosts') });
    await writeClientConfig({ path: config.wrongKey, identity: join(dir, 'stranger'), knownHosts: join(dir, 'known_hosts') });
    await writeClientConfig({ path: config.unknownHost, identity: join(dir, 'id'), knownHosts: join(dir, 'known_hosts.empty') });
    daemon = await startDaemonIn({ dir: join(dir, 'daemon'), inNs: inServer, main: MAIN, args: net.args });
    expect((await api(daemon.sock, 'POST', '/dockling/base-image')).status).toBe(201);
  });

  afterAll(async () => {
    await registry?.stop();
    if (daemon) {
      const all = (await api(daemon.sock, 'GET', '/v1.50/containers/json?all=1')).json<Array<{ Id: string }>>();
      for (const c of all) await api(daemon.sock, 'DELETE', `/v1.50/containers/${c.Id}?force=1`);
      expect(leftovers({ dataRoot: daemon.dataRoot, bridge: net.bridge, containerIds: all.map((c) => c.Id) })).toEqual(NOTHING);
    }
    await daemon?.stop();
    await sshd?.stop();
    // Deleting the namespaces deletes what is inside them: the veth pair and the daemon's bridge.
    await hosts?.cleanup();
    removeCgroupParents(parentsBefore);
    // No ssh client, remote shell or dial-stdio of ours is left running.
    if (dir) expect(execFileSync('ps', ['-eo', 'pid,args']).toString().split('\n').filter((l) => l.includes(dir))).toEqual([]);
  });

  it('version: the server part comes from the daemon on the other machine, through ssh', async () => {
    const r = await dockling(['version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Server: Dockling Engine');
    // sshd saw our key, from the client's address: the request crossed the "network".
    expect(sshd!.logs()).toMatch(/Accepted publickey for root from 10\.213\.124\.2 /);
  });

  it('run --rm busybox echo hi', async () => {
    const r = await dockling(['run', '--rm', 'busybox', 'echo', 'hi']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
  });

  it('run -i: our stdin goes up the pipe, its end too (a half-close), and the output comes back', async () => {
    const r = await dockling(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; echo done; exit 3'], { input: 'hello\n' });
    expect(r.stdout).toBe('hello\ndone\n');
    expect(r.code).toBe(3);
  });

  it('a start that fails: exit 127 and the reason, as on the socket', async () => {
    const r = await dockling(['run', '--name', 'ssh-nostart', 'busybox', '/no/such/program']);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/no such file or directory|executable file not found/i);
    expect((await dockling(['rm', 'ssh-nostart'])).code).toBe(0);
  });

  it('a connection destroyed by the client kills its ssh child (the daemon would keep it open)', async () => {
    expect((await dockling(['run', '-d', '--name', 'ssh-follow', 'busybox', 'sh', '-c', 'echo up; sleep 300'])).code).toBe(0);
    // The transport alone, in the client's namespace: follow the logs, destroy at the first
    // bytes. The script ends only when nothing is left running: its ssh child must be gone.
    const script = [
      `import { sshTransport } from ${JSON.stringify(join(ROOT, 'dist/engine/cli/ssh-transport.js'))};`,
      `const t = sshTransport(new URL(${JSON.stringify(URL)}));`,
      "const req = t.request({ ...t.options, path: '/v1.50/containers/ssh-follow/logs?follow=1&stdout=1' }, (res) => {",
      "  res.once('data', () => { req.destroy(); console.log('destroyed'); });",
      '});',
      "req.on('error', () => {});",
      'req.end();',
    ].join('\n');
    const [cmd, ...argv] = hosts!.inNs(hosts!.clientNs, [process.execPath, '--input-type=module', '-e', script]);
    const r = await run(cmd!, argv, { env: { DOCKLING_SSH_CONFIG: config.good, DOCKLING_SSH_REMOTE_COMMAND: `DOCKLING_HOST=${daemon!.host} ${process.execPath} ${MAIN}` } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('destroyed\n');
    expect(r.code).toBe(0);
    expect((await dockling(['rm', '-f', 'ssh-follow'])).code).toBe(0);
  });

  it('run -d, then logs -f follows the container to its exit', async () => {
    const started = await dockling(['run', '-d', '--name', 'ssh-logs', 'busybox', 'sh', '-c', 'echo one; sleep 1; echo two']);
    expect(started.code).toBe(0);
    const logs = await dockling(['logs', '-f', 'ssh-logs']);
    expect(logs.stdout).toBe('one\ntwo\n');
    expect(logs.code).toBe(0);
    expect((await dockling(['rm', 'ssh-logs'])).code).toBe(0);
  });

  it('exec, exec -i and attach on a running container', async () => {
    const started = await dockling(['run', '-d', '-i', '--name', 'ssh-live', 'busybox', 'sh', '-c', 'read line; echo "got $line"']);
    expect(started.code).toBe(0);
    const exec = await dockling(['exec', 'ssh-live', 'echo', 'from exec']);
    expect(exec.stdout).toBe('from exec\n');
    expect(exec.code).toBe(0);
    const execIn = await dockling(['exec', '-i', 'ssh-live', 'sh', '-c', 'cat; echo end'], { input: 'up and back\n' });
    expect(execIn.stdout).toBe('up and back\nend\n');
    // attach: our line reaches `read`, the container answers and exits, and so do we, with its code.
    const attach = await dockling(['attach', 'ssh-live'], { input: 'a line\n' });
    expect(attach.stdout).toBe('got a line\n');
    expect(attach.code).toBe(0);
    expect((await dockling(['rm', 'ssh-live'])).code).toBe(0);
  });

  it('build: the context goes up through ssh, the progress comes back', async () => {
    const context = join(dir, 'context');
    await mkdir(context);
    await writeFile(join(context, 'Dockerfile'), 'FROM busybox\nCOPY greeting /greeting\nRUN cat /greeting > /built\nCMD ["cat", "/built"]\n');
    await writeFile(join(context, 'greeting'), 'built over ssh\n');
    const build = await dockling(['build', '-t', 'ssh-built', context]);
    expect(build.code, build.stderr).toBe(0);
    expect(`${build.stdout}${build.stderr}`).toMatch(/Successfully tagged ssh-built:latest|naming to .*ssh-built:latest/);
    const r = await dockling(['run', '--rm', 'ssh-built']);
    expect(r.stdout).toBe('built over ssh\n');
    expect((await dockling(['rmi', 'ssh-built'])).code).toBe(0);
  });

  it('push, then pull with its progress, from a registry on the daemon machine', async () => {
    registry = await startRegistry(join(dir, 'registry'), 5000, (argv) => hosts!.inNs(hosts!.serverNs, argv));
    const ref = '127.0.0.1:5000/ssh/busybox:1';
    expect((await dockling(['tag', 'busybox', ref])).code).toBe(0);
    const push = await dockling(['push', ref]);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toMatch(/Pushed/);
    // Gone from the daemon (both names), so the pull must download every layer again.
    expect((await dockling(['rmi', ref, 'busybox'])).code).toBe(0);
    const pull = await dockling(['pull', ref]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toMatch(/Pull complete/);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${ref}`);
    expect((await dockling(['run', '--rm', ref, 'echo', 'pulled'])).stdout).toBe('pulled\n');
  });

  it('a key the server does not know: ssh\'s "Permission denied", exit 1', async () => {
    const r = await dockling(['version'], { sshConfig: config.wrongKey });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Permission denied \(publickey/);
    expect(r.stdout).not.toContain('Server:');
  });

  it('a server whose host key we do not know: "Host key verification failed", exit 1', async () => {
    const r = await dockling(['version'], { sshConfig: config.unknownHost });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Host key verification failed');
  });

  it('no dockling on the other machine: the shell says "not found", and we say what to check', async () => {
    const r = await dockling(['version'], { remoteCommand: `${dir}/not-installed/dockling` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ssh exited with status 127: .*not-installed\/dockling.*(not found|No such file)/);
    expect(r.stderr).toContain('is dockling on the PATH of the other machine?');
  });

  it('no daemon on the other machine: dial-stdio says so there, and the CLI shows it here', async () => {
    const r = await dockling(['version'], { remoteCommand: `DOCKLING_HOST=unix://${dir}/none.sock ${process.execPath} ${MAIN}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot connect to the Dockling daemon at unix://${dir}/none.sock. Is the daemon running?`);
  });

  it('refuses an ssh:// host with a path or a password before starting ssh', async () => {
    const path = await dockling(['version'], { host: `${URL}/var/run/dockling.sock` });
    expect(path.code).toBe(1);
    expect(path.stderr).toContain('extra path after the host: /var/run/dockling.sock');
    const password = await dockling(['version'], { host: `ssh://root:secret@${SERVER}:${PORT}` });
    expect(password.code).toBe(1);
    expect(password.stderr).toContain('a password in an ssh:// URL is not supported');
  });
});
