// `dockling start [-a] [-i] CONTAINER...` (chapter 3): starts created or stopped containers and
// prints each name as given. With -a, one container's output is attached and its exit code is ours.
import type { Verb } from '../verb.js';
import { DaemonError } from '../errors.js';
import { attachAndStart } from '../attach-stream.js';

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
      if (c.Config.Tty) throw new DaemonError(400, 'TTY comes later: this container was created with -t');
      const run = await attachAndStart({
        client, id: c.Id, tty: false, condition: 'next-exit', start: true,
        stdin: ctx.flags.interactive ? ctx.stdin : undefined, stdout: ctx.stdout, stderr: ctx.stderr,
      });
      const code = await run.exitCode;
      if (ctx.flags.interactive) ctx.stdin.destroy();
      return code;
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
