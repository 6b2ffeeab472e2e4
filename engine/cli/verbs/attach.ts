// `dockling attach CONTAINER` (chapter 3): the running container's output from now on (and our
// stdin when it was created with -i), until it exits; our exit code is then the container's.
import type { Verb, VerbContext } from '../verb.js';
import { DaemonError } from '../errors.js';
import { demux } from '../attach-stream.js';
import { NOT_A_TTY, containerResizePath, openTerminal } from '../terminal.js';

export const verb: Verb = {
  usage: 'attach [OPTIONS] CONTAINER',
  description: "Attach local standard input, output, and error streams to a running container",
  args: { exact: 1 },
  flags: [{ name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' }],
  async run(ctx) {
    const client = ctx.client();
    const c = await client.json<{ Id: string; State: { Running: boolean }; Config: { Tty: boolean; OpenStdin: boolean } }>('GET', `/containers/${encodeURIComponent(ctx.args[0]!)}/json`);
    if (!c.State.Running) throw new DaemonError(409, 'You cannot attach to a stopped container, start it first');
    const stdin = c.Config.OpenStdin && ctx.flags['no-stdin'] !== true;
    if (c.Config.Tty && stdin && !ctx.stdin.isTTY) {
      ctx.stderr.write(`${NOT_A_TTY}\n`);
      return 1;
    }
    // A TTY container: our terminal raw while attached, and its size now and on SIGWINCH.
    const terminal = c.Config.Tty ? openTerminal({ client, resizePath: containerResizePath(c.Id), stdin: stdin ? ctx.stdin : undefined, stdout: ctx.stdout }) : undefined;
    try {
      return await attachTo({ ctx, id: c.Id, stdin, tty: c.Config.Tty, started: terminal?.resize });
    } finally {
      terminal?.restore();
    }
  },
};

/** The hijacked attach: our stdin in, the output out, until the container's exit closes it. */
async function attachTo(a: { ctx: VerbContext; id: string; stdin: boolean; tty: boolean; started?: () => Promise<void> }): Promise<number> {
  const { ctx, id, stdin } = a;
  const client = ctx.client();
  const socket = await client.hijack(`/containers/${id}/attach`, { query: { stream: true, stdin, stdout: true, stderr: true } });
  if (stdin) {
    ctx.stdin.on('data', (b: Buffer) => socket.write(b));
    ctx.stdin.on('end', () => socket.end());
  } else {
    socket.end();
  }
  const output = demux(socket, { stdout: ctx.stdout, stderr: ctx.stderr }, a.tty);
  await a.started?.();
  await output;
  if (stdin) ctx.stdin.destroy();
  // The stream ends at the exit; the code is recorded a moment later: wait for it, as docker does.
  const after = await client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`, { query: { condition: 'not-running' } });
  return after.StatusCode;
}
