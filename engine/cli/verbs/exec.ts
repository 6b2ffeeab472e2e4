// `dockling exec [OPTIONS] CONTAINER COMMAND [ARG...]` (chapter 3): a second process in a
// running container, in the docker CLI's order (protocol reference §5.5): inspect (the
// container exists), create the exec, start it hijacked (stdcopy out, our stdin in with -i),
// then read its exit code from the exec's JSON — that is our exit code.
import type { Verb, VerbContext } from '../verb.js';
import { demux } from '../attach-stream.js';

function fail(ctx: VerbContext, message: string, code: number): number {
  ctx.stderr.write(`dockling: ${message}\n\nRun 'dockling exec --help' for more information\n`);
  return code;
}

export const verb: Verb = {
  usage: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  args: { min: 2 },
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
    { name: 'env', short: 'e', type: 'strings', value: 'list', description: 'Set environment variables' },
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY (not yet: TTY comes later)' },
    { name: 'user', short: 'u', type: 'string', value: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', type: 'string', value: 'string', description: 'Working directory inside the container' },
  ],
  async run(ctx) {
    if (ctx.flags.tty) return fail(ctx, '-t (a pseudo-TTY) is not supported yet: TTY comes later in the book; use -i without -t', 125);
    const [name, ...cmd] = ctx.args as [string, ...string[]];
    const client = ctx.client();
    const detach = ctx.flags.detach === true;
    const stdin = ctx.flags.interactive === true && !detach;
    // 1. the container exists (the daemon checks that it runs)
    const c = await client.json<{ Id: string }>('GET', `/containers/${encodeURIComponent(name)}/json`);
    // 2. the exec instance
    const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });
    const { Id: id } = await client.json<{ Id: string }>('POST', `/containers/${c.Id}/exec`, json({
      User: (ctx.flags.user as string | undefined) ?? '', Privileged: false, Tty: false, AttachStdin: stdin, AttachStderr: !detach, AttachStdout: !detach,
      Detach: detach, DetachKeys: '', Env: (ctx.flags.env as string[] | undefined) ?? null, WorkingDir: (ctx.flags.workdir as string | undefined) ?? '', Cmd: cmd,
    }));
    // 3. -d: started in the background, nothing to read
    if (detach) {
      (await client.ok('POST', `/exec/${id}/start`, json({ Detach: true, Tty: false }))).resume();
      return 0;
    }
    // 4. hijacked: the output until the process exits, our stdin with -i
    const socket = await client.hijack(`/exec/${id}/start`, json({ Detach: false, Tty: false }));
    if (stdin) {
      ctx.stdin.on('data', (b: Buffer) => socket.write(b));
      ctx.stdin.on('end', () => socket.end());
    } else {
      socket.end();
    }
    await demux(socket, { stdout: ctx.stdout, stderr: ctx.stderr });
    if (stdin) ctx.stdin.destroy();
    // 5. its exit code is ours
    const x = await client.json<{ ExitCode?: number | null }>('GET', `/exec/${id}/json`);
    return x.ExitCode ?? 0;
  },
};
