// What the ssh transport tests set up on the "server" machine (a network namespace, two-hosts.ts,
// entered with its inNs, so a daemon there still sees /sys/fs/cgroup and the host's mounts):
// an sshd of the test's own, with its own config, host key and authorized key, all in a temp
// dir; and the client's side of ssh: a key pair, a known_hosts file and an ssh_config naming
// them, given to the CLI as DOCKLING_SSH_CONFIG. Nothing in /etc/ssh or ~/.ssh is read or
// written. Each stop() kills only the process it started, by its pid.
import { execFile, type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { api } from '../daemon/harness.js';

const run = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';

/** Why these tests cannot run here, or null when they can. */
export function sshMissing(): string | null {
  if (!existsSync(SSHD)) return `no ${SSHD} (Debian package openssh-server)`;
  if (!existsSync('/usr/bin/ssh') || !existsSync('/usr/bin/ssh-keygen')) return 'no /usr/bin/ssh or ssh-keygen (Debian package openssh-client)';
  if (!existsSync('/usr/bin/nsenter')) return 'no /usr/bin/nsenter (Debian package util-linux)';
  return null;
}

/** A new ed25519 key pair at `path` and `path.pub`, without a passphrase. */
export async function makeKey(path: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dockling-test', '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

export interface SshServer {
  /** The host key's public half: `ssh-ed25519 AAAA…`. */
  hostKey: string;
  logs(): string;
  stop(): Promise<void>;
}

// sshd's privilege-separation directory: it refuses to start without it. Made only if missing,
// and removed at the end only if we made it.
const PRIVSEP = '/run/sshd';

/**
 * sshd in the foreground (-D), logging to stderr (-e), with a config of its own in `dir`:
 * its host key, its pid file, and one authorized key file. StrictModes off: the temp dir
 * sits under /tmp, which is writable by everyone, and sshd would refuse keys under it.
 */
export async function startSshd(a: { dir: string; inNs: (argv: string[]) => string[]; address: string; port: number; authorizedKeys: string[] }): Promise<SshServer> {
  const hostKey = await makeKey(join(a.dir, 'ssh_host_ed25519_key'));
  await writeFile(join(a.dir, 'authorized_keys'), a.authorizedKeys.join('\n') + '\n', { mode: 0o600 });
  const config = join(a.dir, 'sshd_config');
  await writeFile(config, [
    `Port ${a.port}`,
    `ListenAddress ${a.address}`,
    `HostKey ${join(a.dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(a.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(a.dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'StrictModes no',
    'LogLevel VERBOSE',
  ].join('\n') + '\n');
  const madePrivsep = !existsSync(PRIVSEP);
  if (madePrivsep) mkdirSync(PRIVSEP, { mode: 0o755 });
  const [cmd, ...args] = a.inNs([SSHD, '-D', '-e', '-f', config]);
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const stop = async () => {
    await stopChild(child);
    if (madePrivsep) {
      try {
        rmdirSync(PRIVSEP);
      } catch {
        // someone else's sshd put something in it since: not ours to remove
      }
    }
  };
  // Up when it says so on stderr ("Server listening on ADDRESS port PORT.").
  const deadline = Date.now() + 10_000;
  while (!output.includes('Server listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`sshd did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { hostKey, logs: () => output, stop };
}

/**
 * The client's ssh_config: our key only (no agent, no ~/.ssh key), our known_hosts only. No
 * StrictHostKeyChecking=no: an unknown host key must fail, as it would for a learner.
 */
export async function writeClientConfig(a: { path: string; identity: string; knownHosts: string }): Promise<void> {
  await writeFile(a.path, [
    'Host *',
    `  IdentityFile ${a.identity}`,
    '  IdentitiesOnly yes',
    '  IdentityAgent none',
    `  UserKnownHostsFile ${a.knownHosts}`,
    '  GlobalKnownHostsFile /dev/null',
    '  UpdateHostKeys no',
  ].join('\n') + '\n');
}

/** A known_hosts line for a server on a port other than 22: `[host]:port key`. */
export function knownHostsLine(host: string, port: number, hostKey: string): string {
  const [type, key] = hostKey.split(' ');
  return `[${host}]:${port} ${type} ${key}\n`;
}

export interface DaemonInNs {
  sock: string;
  host: string;
  dataRoot: string;
  logs(): string;
  stop(): Promise<void>;
}

/** `dockling daemon` inside a namespace (as harness.ts's startDaemon, through `ip netns exec`). */
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
