// `dockling start [-a] [-i] CONTAINER...` (chapter 3): starts created or stopped containers and
// prints each name as given. With -a, one container's output is attached and its exit code is ours.
import type { Verb } from '../verb.js';
import { DaemonError } from '../errors.js';
import { attachAndStart } from '../attach-stream.js';
import { NOT_A_TTY, containerResizePath, openTerminal } from '../terminal.js';

export const verb: Verb = {
  usage: 'start [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  args: { min: 1 },
  flags: [
    { name: 'attach', short: 'a', type: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
  ],
  async run(ctx) {
    const client = ctx.client();
    if (ctx.flags.attach || ctx.flags.interactive) {
      if (ctx.args.length > 1) throw new DaemonError(400, 'you cannot start and attach multiple containers at once');
      const c = await client.json<{ Id: string; Config: { Tty: boolean } }>('GET', `/containers/${encodeURIComponent(ctx.args[0]!)}/json`);
      const stdin = ctx.flags.interactive ? ctx.stdin : undefined;
      if (c.Config.Tty && stdin && !stdin.isTTY) {
        ctx.stderr.write(`${NOT_A_TTY}\n`);
        return 1;
      }
      const terminal = c.Config.Tty ? openTerminal({ client, resizePath: containerResizePath(c.Id), stdin, stdout: ctx.stdout }) : undefined;
      try {
        const run = await attachAndStart({
          client, id: c.Id, tty: c.Config.Tty, condition: 'next-exit', start: true,
          stdin, stdout: ctx.stdout, stderr: ctx.stderr, started: terminal?.resize,
        });
        const code = await run.exitCode;
        if (stdin) stdin.destroy();
        return code;
      } finally {
        terminal?.restore();
      }
    }
    let failed = false;
    for (const name of ctx.args) {
      try {
        await client.ok('POST', `/containers/${encodeURIComponent(name)}/start`).then((r) => r.resume());
        ctx.stdout.write(`${name}\n`);
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        ctx.stderr.write(`${err.message}\n`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};
