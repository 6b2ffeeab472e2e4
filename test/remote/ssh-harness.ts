// What the ssh transport tests set up on the "server" machine (a network namespace, two-hosts.ts,
// entered with its inNs, so a daemon there still sees /sys/fs/cgroup and the host's mounts):
// an sshd of the test's own, with its own config, host key and authorized key, all in a temp
// dir; and the client's side of ssh: a key pair, a known_hosts file and an ssh_config naming
// them, given to the CLI as DOCKLING_SSH_CONFIG. Nothing in /etc/ssh or ~/.ssh is read or
// written. Each stop() kills only the process it started, by its pid.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopChild } from './two-hosts.js';

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
