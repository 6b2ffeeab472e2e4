// Two "machines" for the remote tests, made by the test itself: two network namespaces joined by
// a veth pair, like two hosts on one cable. The daemon runs in one, the client in the other, so a
// request really crosses a network (and only this one: nothing else on the host is touched).
// Deleting a namespace deletes the veth end inside it, and with it the other end.
import { execFile, execFileSync, type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { api } from '../daemon/harness.js';

const run = promisify(execFile);

export interface TwoHostsOptions {
  /** The daemon side's address, with its prefix: 10.213.122.1/24 unless told. */
  serverAddress?: string;
  /** The client side's address: 10.213.122.2/24 unless told. */
  clientAddress?: string;
}

export interface TwoHosts {
  /** The namespaces' names (`ip netns` names, starting `dkl`). */
  serverNs: string;
  clientNs: string;
  /** The bare addresses, without prefix: 10.213.122.1 and 10.213.122.2. */
  serverIp: string;
  clientIp: string;
  /**
   * argv run inside `ns`'s network, and nothing else changed: `nsenter --net=/run/netns/NS`.
   * (`ip netns exec` would also mount a /sys of its own, hiding /sys/fs/cgroup from a daemon,
   * and keep the daemon's mounts where the host's leftover checks cannot see them.)
   */
  inNs(ns: string, argv: string[]): string[];
  /** Deletes both namespaces (and so the veth pair). */
  cleanup(): Promise<void>;
}

export async function makeTwoHosts(opts: TwoHostsOptions = {}): Promise<TwoHosts> {
  const serverAddress = opts.serverAddress ?? '10.213.122.1/24';
  const clientAddress = opts.clientAddress ?? '10.213.122.2/24';
  const tag = randomBytes(3).toString('hex');
  const serverNs = `dkls${tag}`;
  const clientNs = `dklc${tag}`;
  const made: string[] = [];
  const cleanup = async () => {
    for (const ns of made.reverse()) await run('ip', ['netns', 'delete', ns]).catch(() => {});
    made.length = 0;
  };
  try {
    for (const ns of [serverNs, clientNs]) {
      await run('ip', ['netns', 'add', ns]);
      made.push(ns);
    }
    // The veth pair is created straight inside the two namespaces: it never exists on the host.
    await run('ip', ['link', 'add', 'dkla', 'netns', serverNs, 'type', 'veth', 'peer', 'name', 'dklb', 'netns', clientNs]);
    for (const [ns, dev, addr] of [[serverNs, 'dkla', serverAddress], [clientNs, 'dklb', clientAddress]] as const) {
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', ns, 'addr', 'add', addr, 'dev', dev]);
      await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  const inNs = (ns: string, argv: string[]) => ['nsenter', `--net=/run/netns/${ns}`, '--', ...argv];
  return {
    serverNs, clientNs,
    serverIp: serverAddress.split('/')[0]!,
    clientIp: clientAddress.split('/')[0]!,
    inNs,
    cleanup,
  };
}

/** True when `ip netns` can be used here (root, iproute2). */
export function canMakeHosts(): string | null {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'no `ip netns` here (iproute2)';
  }
  return null;
}

export interface DaemonInNs {
  sock: string;
  host: string;
  dataRoot: string;
  logs(): string;
  stop(): Promise<void>;
}

/** `dockling daemon` inside a namespace (as harness.ts's startDaemon, entered with inNs). */
export async function startDaemonIn(a: { dir: string; inNs: (argv: string[]) => string[]; main: string; args: string[] }): Promise<DaemonInNs> {
  const dataRoot = join(a.dir, 'root');
  const sock = join(a.dir, 'd.sock');
  // nsenter execs the command (no --fork): the child's pid is the daemon's own.
  const [cmd, ...args] = a.inNs([process.execPath, a.main, 'daemon', '--data-root', dataRoot, '-H', `unix://${sock}`, ...a.args]);
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const stop = async () => {
    await stopChild(child);
    await rm(sock, { force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited early (${child.exitCode}):\n${output}`);
    // A unix socket is a file: reachable from any network namespace.
    if (existsSync(sock) && (await api(sock, 'GET', '/_ping').then((r) => r.status === 200, () => false))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`daemon did not come up:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { sock, host: `unix://${sock}`, dataRoot, logs: () => output, stop };
}

/** A child we started, in the foreground, by its pid: SIGTERM, then SIGKILL after 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
