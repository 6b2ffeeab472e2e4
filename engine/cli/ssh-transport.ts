// The ssh road to a daemon (chapter 6, "Over ssh"): `-H ssh://[user@]host[:port]`. For each
// connection the CLI starts the system's `ssh` client. ssh logs in to the other machine and runs
// `dockling system dial-stdio` there, which joins its stdin and stdout to the daemon's socket on
// that machine. The ssh child's stdin and stdout are then our connection: HTTP goes into one
// pipe and comes back out of the other. ssh does the hard parts: it checks the machine's host
// key, proves who we are with our key, and encrypts. So the daemon needs no open port and no
// certificate. This is how Docker's ssh transport works too.
//
// Two settings, read from the environment (like DOCKLING_HOST):
//   DOCKLING_SSH_CONFIG          an ssh_config file, given to ssh as `-F FILE`. ssh then reads it
//                                instead of ~/.ssh/config: which key, which known_hosts file.
//   DOCKLING_SSH_REMOTE_COMMAND  how to run dockling on the other machine (default `dockling`,
//                                found on that machine's PATH). ` system dial-stdio` is added.
//                                The tests use `node /abs/dist/engine/cli/main.js`.
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { CliError } from './errors.js';
import type { Transport } from './transport.js';

/** The settings above, as a plain object (the transport reads them from process.env). */
export interface SshSettings {
  configFile?: string;
  remoteCommand?: string;
}

/** One ssh child to start: the program and its arguments (plan as data: tested without ssh). */
export interface SshCommand {
  file: string;
  args: string[];
}

// #region ssh-command
/**
 * `ssh -o BatchMode=yes … -l USER -p PORT -- HOST dockling system dial-stdio`. BatchMode: ssh
 * never asks a question (a password, an unknown host key); it fails and says why on stderr.
 * `--` ends ssh's options, so a host name can never be read as one.
 */
export function sshCommand(url: URL, settings: SshSettings = {}): SshCommand {
  const where = checkSshUrl(url);
  const args = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=30', '-T'];
  if (settings.configFile) args.push('-F', settings.configFile);
  if (where.user) args.push('-l', where.user);
  if (where.port) args.push('-p', where.port);
  args.push('--', where.host, `${settings.remoteCommand || 'dockling'} system dial-stdio`);
  return { file: 'ssh', args };
}
// #endregion ssh-command

/** The parts of ssh://user@host:port that ssh needs; anything else in the URL is refused. */
function checkSshUrl(url: URL): { user: string; host: string; port: string } {
  const bad = (why: string) => new CliError(`invalid host ${url.href}: ${why}`);
  if (url.protocol !== 'ssh:') throw bad('expected ssh://[USER@]HOST[:PORT]');
  if (url.password) throw bad('a password in an ssh:// URL is not supported (use a key)');
  if (url.pathname !== '' && url.pathname !== '/') throw bad(`extra path after the host: ${url.pathname}`);
  if (url.search || url.hash) throw bad('expected ssh://[USER@]HOST[:PORT] and nothing after it');
  // URL keeps the brackets of an IPv6 address; ssh wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad('no host name');
  if (host.startsWith('-')) throw bad('a host name cannot start with "-"');
  return { user: decodeURIComponent(url.username), host, port: url.port };
}

/** The transport for an ssh:// host: plain HTTP, each connection a new ssh child. */
export function sshTransport(url: URL, settings: SshSettings = settingsFromEnv()): Transport {
  const command = sshCommand(url, settings);
  return {
    host: url.href,
    request: http.request,
    options: {
      // node:http wants a net.Socket; it only uses the Duplex part of one (read, write, end, destroy).
      createConnection: () => new SshConnection(command) as unknown as Socket,
    },
  };
}

function settingsFromEnv(): SshSettings {
  return { configFile: process.env.DOCKLING_SSH_CONFIG, remoteCommand: process.env.DOCKLING_SSH_REMOTE_COMMAND };
}

/** How much of ssh's stderr we keep for an error message (the end is what says why). */
const STDERR_KEPT = 4096;

/**
 * One connection: a Duplex over an ssh child. What we write goes to ssh's stdin; what ssh
 * prints on stdout is what we read. Ending our side ends ssh's stdin (a half-close: ssh passes
 * the EOF on, and the answer still comes back). Destroying the connection kills the child.
 */
class SshConnection extends Duplex {
  private readonly child: ChildProcess;
  private stderr = '';

  constructor(private readonly command: SshCommand) {
    super({ allowHalfOpen: true });
    this.child = spawn(command.file, command.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const { stdin, stdout, stderr } = this.child;
    stdout!.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) stdout!.pause();
    });
    stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEPT)));
    // A write into a dead ssh fails with EPIPE; the 'close' below says why it died instead.
    stdin!.on('error', () => {});
    this.child.on('error', (err) => this.destroy(new Error(`could not run ssh: ${err.message} (is the ssh client installed?)`)));
    // 'close' comes after the exit and after stdout and stderr have ended: all is read by then.
    this.child.on('close', (code, signal) => {
      if (this.destroyed) return;
      if (code === 0) this.push(null);
      else this.destroy(this.failure(code, signal));
    });
  }

  /** Why ssh ended badly, in ssh's own words ("Permission denied (publickey)."). */
  private failure(code: number | null, signal: NodeJS.Signals | null): Error {
    const said = this.stderr.trim();
    const how = code !== null ? `exited with status ${code}` : `was killed by ${signal}`;
    let message = `ssh ${how}${said ? `: ${said}` : ''}`;
    // 127 is the shell's "command not found": dockling is missing on the other machine.
    if (code === 127) message += '\n(is dockling on the PATH of the other machine? DOCKLING_SSH_REMOTE_COMMAND says how to run it there)';
    return new Error(message);
  }

  override _read(): void {
    this.child.stdout!.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    // A failed write is not reported here: the child's 'close' reports why ssh went away.
    this.child.stdin!.write(chunk, () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    this.child.stdin!.end(() => done());
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    done(err);
  }
}
