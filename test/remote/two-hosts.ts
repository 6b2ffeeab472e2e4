// Two "machines" for the remote tests, made by the test itself: two network namespaces joined by
// a veth pair, like two hosts on one cable. The daemon runs in one, the client in the other, so a
// request really crosses a network (and only this one: nothing else on the host is touched).
// Deleting a namespace deletes the veth end inside it, and with it the other end.
import { execFile, execFileSync, type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

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
  /** Starts argv inside `ns` as a child process (nsenter execs it: the child's pid is the command's own). */
  spawnIn(ns: string, argv: string[], opts?: SpawnOptions): ChildProcess;
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
    spawnIn: (ns, argv, spawnOpts = {}) => {
      const [cmd, ...args] = inNs(ns, argv);
      return spawn(cmd!, args, spawnOpts);
    },
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
