// `dockling system dial-stdio` (chapter 6, "Over ssh"): joins this process's stdin and stdout to
// the daemon's socket, byte for byte, both ways. Nobody types it. `dockling -H ssh://host` runs
// it on the other machine through ssh, and then ssh's two pipes carry the daemon's HTTP.
// Each direction ends on its own (a "half-close"). When stdin ends, we close only our writing
// side of the socket: the daemon can still answer. An attach needs exactly that. When the
// daemon's side ends, there is nothing more to say: we flush stdout and exit.
import { connect, type Socket } from 'node:net';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';

export const verb: Verb = {
  usage: 'system dial-stdio',
  description: 'Connect stdin and stdout to the daemon\'s socket (what `dockling -H ssh://…` runs on the other machine; not for typing by hand)',
  args: { max: 0 },
  flags: [],
  async run(ctx) {
    const socket = await dial(ctx.host);
    return relay(socket, ctx);
  },
};

/** Connects to the daemon's unix socket; the errors say what the CLI would say. */
function dial(host: string): Promise<Socket> {
  if (!host.startsWith('unix://')) {
    throw new CliError(`dial-stdio connects to a daemon on this machine: expected a unix:///path host, got ${host}`);
  }
  const path = host.slice('unix://'.length);
  return new Promise((resolve, reject) => {
    // allowHalfOpen: the daemon's end of its output must not close our writing side too.
    const socket = connect({ path, allowHalfOpen: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EACCES') reject(new CliError(`permission denied while trying to connect to the Dockling daemon socket at ${host}`));
      else reject(new CliError(`Cannot connect to the Dockling daemon at ${host}. Is the daemon running?`));
    });
  });
}

// #region dial-stdio-relay
/** Copies stdin → socket and socket → stdout; resolves with the exit code once the daemon is done. */
function relay(socket: Socket, io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  return new Promise((resolve) => {
    // pipe() calls socket.end() when stdin ends: a FIN to the daemon, and the socket stays readable.
    io.stdin.pipe(socket);
    io.stdin.on('error', () => socket.end());
    socket.pipe(io.stdout, { end: false });
    socket.on('end', () => {
      // The daemon has said everything. Stop reading stdin (it may never end), then flush and exit.
      io.stdin.unpipe(socket);
      io.stdin.destroy();
      socket.destroy();
      io.stdout.write('', () => resolve(0));
    });
    io.stdout.on('error', () => {
      // Our reader is gone (ssh ended): nobody is left to answer to.
      io.stdin.destroy();
      socket.destroy();
      resolve(1);
    });
    socket.on('error', (err) => {
      io.stdin.destroy();
      io.stderr.write(`dial-stdio: the connection to the daemon failed: ${err.message}\n`);
      resolve(1);
    });
  });
}
// #endregion dial-stdio-relay
