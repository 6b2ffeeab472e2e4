// `dockling create [OPTIONS] IMAGE [COMMAND] [ARG...]`: a container made, not started (chapter 2).
// The daemon unpacks the image's layers as snapshots and prepares an empty read-write layer on
// top; the CLI prints the new container's ID. Flags stop at the image name, as in Docker.
import type { Verb } from '../verb.js';

/** The body Docker's CLI sends: Config fields at the top, HostConfig beside them. */
export function createBody(image: string, command: string[], flags: Record<string, unknown>): Record<string, unknown> {
  const list = (k: string) => (flags[k] as string[] | undefined) ?? [];
  const labels = Object.fromEntries(list('label').map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])));
  const entrypoint = flags.entrypoint as string | undefined;
  return {
    Hostname: (flags.hostname as string | undefined) ?? '',
    User: (flags.user as string | undefined) ?? '',
    AttachStdin: flags.interactive === true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: flags.tty === true,
    OpenStdin: flags.interactive === true,
    StdinOnce: flags.interactive === true,
    Env: list('env').length ? list('env') : null,
    Cmd: command.length ? command : null,
    Image: image,
    WorkingDir: (flags.workdir as string | undefined) ?? '',
    Entrypoint: entrypoint === undefined ? null : entrypoint === '' ? [''] : [entrypoint],
    Labels: labels,
    HostConfig: { NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: flags.rm === true, ConsoleSize: [0, 0] },
  };
}

export const verb: Verb = {
  usage: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  args: { min: 1 },
  interspersed: false,
  flags: [
    { name: 'name', type: 'string', value: 'string', description: 'Assign a name to the container' },
    { name: 'env', short: 'e', type: 'strings', value: 'list', description: 'Set environment variables' },
    { name: 'entrypoint', type: 'string', value: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
    { name: 'workdir', short: 'w', type: 'string', value: 'string', description: 'Working directory inside the container' },
    { name: 'user', short: 'u', type: 'string', value: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
    { name: 'label', short: 'l', type: 'strings', value: 'list', description: 'Set meta data on a container' },
    { name: 'hostname', short: 'h', type: 'string', value: 'string', description: 'Container host name' },
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'rm', type: 'bool', description: 'Automatically remove the container when it exits' },
  ],
  async run(ctx) {
    const [image, ...command] = ctx.args as [string, ...string[]];
    // A daemon error (name in use, no such image) is printed as is, exit 1, as `docker create` does.
    const res = await ctx.client().json<{ Id: string; Warnings?: string[] }>('POST', '/containers/create', {
      query: { name: ctx.flags.name as string | undefined },
      body: Buffer.from(JSON.stringify(createBody(image, command, ctx.flags))),
      headers: { 'Content-Type': 'application/json' },
    });
    for (const w of res.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
    ctx.stdout.write(`${res.Id}\n`);
  },
};
