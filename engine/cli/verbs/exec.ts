// `dockling exec [OPTIONS] CONTAINER COMMAND [ARG...]` (chapter 3): a second process in a
// running container, in the docker CLI's order (protocol reference §5.5): inspect (the
// container exists), create the exec, start it hijacked (stdcopy out, our stdin in with -i),
// then read its exit code from the exec's JSON — that is our exit code. With -t the process
// gets a terminal of its own: our size goes with create and start (ConsoleSize), the stream is
// raw both ways, our terminal is raw while it runs and its size follows ours (/exec/{id}/resize).
import type { Verb, VerbContext } from '../verb.js';
import { demux } from '../attach-stream.js';
import { NOT_A_TTY, consoleSize, openTerminal } from '../terminal.js';

export const verb: Verb = {
  usage: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  args: { min: 2 },
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
    { name: 'env', short: 'e', type: 'strings', value: 'list', description: 'Set environment variables' },
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', type: 'string', value: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', type: 'string', value: 'string', description: 'Working directory inside the container' },
  ],
  async run(ctx) {
    const [name, ...cmd] = ctx.args as [string, ...string[]];
    const client = ctx.client();
    const detach = ctx.flags.detach === true;
    const stdin = ctx.flags.interactive === true && !detach;
    const tty = ctx.flags.tty === true;
    // -it needs a terminal to type on (`echo x | docker exec -it …` is refused the same way)
    if (tty && stdin && !ctx.stdin.isTTY) {
      ctx.stderr.write(`${NOT_A_TTY}\n`);
      return 1;
    }
    // 1. the container exists (the daemon checks that it runs)
    const c = await client.json<{ Id: string }>('GET', `/containers/${encodeURIComponent(name)}/json`);
    // 2. the exec instance
    const size = tty ? consoleSize(ctx.stdout) : undefined;
    const { Id: id } = await client.json<{ Id: string }>('POST', `/containers/${c.Id}/exec`, json({
      User: (ctx.flags.user as string | undefined) ?? '', Privileged: false, Tty: tty, AttachStdin: stdin, AttachStderr: !detach, AttachStdout: !detach,
      Detach: detach, DetachKeys: '', Env: (ctx.flags.env as string[] | undefined) ?? null, WorkingDir: (ctx.flags.workdir as string | undefined) ?? '', Cmd: cmd,
      ConsoleSize: size ?? null,
    }));
    // 3. -d: started in the background, nothing to read
    if (detach) {
      (await client.ok('POST', `/exec/${id}/start`, json({ Detach: true, Tty: tty, ConsoleSize: size ?? null }))).resume();
      return 0;
    }
    // 4. hijacked until the process exits; with -t our terminal raw and its size followed
    const terminal = tty ? openTerminal({ client, resizePath: `/exec/${id}/resize`, stdin: stdin ? ctx.stdin : undefined, stdout: ctx.stdout }) : undefined;
    try {
      await attachExec({ ctx, id, stdin, tty, size, started: terminal?.resize });
    } finally {
      terminal?.restore();
    }
    // 5. its exit code is ours
    const x = await client.json<{ ExitCode?: number | null }>('GET', `/exec/${id}/json`);
    return x.ExitCode ?? 0;
  },
};

function json(body: unknown): { body: Buffer; headers: Record<string, string> } {
  return { body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } };
}

/** The hijacked start: our stdin in (with -i), the output out — raw with a terminal — until the exit. */
async function attachExec(a: { ctx: VerbContext; id: string; stdin: boolean; tty: boolean; size?: [number, number]; started?: () => Promise<void> }): Promise<void> {
  const { ctx } = a;
  const socket = await ctx.client().hijack(`/exec/${a.id}/start`, json({ Detach: false, Tty: a.tty, ConsoleSize: a.size ?? null }));
  if (a.stdin) {
    ctx.stdin.on('data', (b: Buffer) => socket.write(b));
    ctx.stdin.on('end', () => socket.end());
  } else {
    socket.end();
  }
  const output = demux(socket, { stdout: ctx.stdout, stderr: ctx.stderr }, a.tty);
  // The terminal exists once start has answered: our size again, as docker's monitorTtySize does
  await a.started?.();
  await output;
  if (a.stdin) ctx.stdin.destroy();
}
