// `dockling attach CONTAINER` (chapter 3): the running container's output from now on (and our
// stdin when it was created with -i), until it exits; our exit code is then the container's.
import type { Verb } from '../verb.js';
import { DaemonError } from '../errors.js';
import { demux } from '../attach-stream.js';

export const verb: Verb = {
  usage: 'attach [OPTIONS] CONTAINER',
  description: "Attach local standard input, output, and error streams to a running container",
  args: { exact: 1 },
  flags: [{ name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' }],
  async run(ctx) {
    const client = ctx.client();
    const c = await client.json<{ Id: string; State: { Running: boolean }; Config: { Tty: boolean; OpenStdin: boolean } }>('GET', `/containers/${encodeURIComponent(ctx.args[0]!)}/json`);
    if (!c.State.Running) throw new DaemonError(409, 'You cannot attach to a stopped container, start it first');
    if (c.Config.Tty) throw new DaemonError(400, 'TTY comes later: this container was created with -t');
    const stdin = c.Config.OpenStdin && ctx.flags['no-stdin'] !== true;
    const socket = await client.hijack(`/containers/${c.Id}/attach`, { query: { stream: true, stdin, stdout: true, stderr: true } });
    if (stdin) {
      ctx.stdin.on('data', (b: Buffer) => socket.write(b));
      ctx.stdin.on('end', () => socket.end());
    } else {
      socket.end();
    }
    await demux(socket, { stdout: ctx.stdout, stderr: ctx.stderr });
    if (stdin) ctx.stdin.destroy();
    const after = await client.json<{ State: { ExitCode: number } }>('GET', `/containers/${c.Id}/json`);
    return after.State.ExitCode;
  },
};
