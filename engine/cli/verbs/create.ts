// `dockling create [OPTIONS] IMAGE [COMMAND] [ARG...]`: a container made, not started (chapter 2).
// The daemon unpacks the image's layers as snapshots and prepares an empty read-write layer on
// top; the CLI prints the new container's ID. Flags stop at the image name, as in Docker. An
// image that is not here is pulled first (create-pulling.ts), unless --pull never.
import { readFileSync } from 'node:fs';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { PullFailed, createPulling, pullPolicy } from '../create-pulling.js';

/** The body Docker's CLI sends: Config fields at the top, HostConfig beside them. */
export function createBody(image: string, command: string[], flags: Record<string, unknown>): Record<string, unknown> {
  const list = (k: string) => (flags[k] as string[] | undefined) ?? [];
  const labels = Object.fromEntries(list('label').map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])));
  const entrypoint = flags.entrypoint as string | undefined;
  const fs = filesystemFlags(flags);
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
    ...(Object.keys(fs.volumes).length ? { Volumes: fs.volumes } : {}),
    HostConfig: {
      ...(fs.binds.length ? { Binds: fs.binds } : {}),
      NetworkMode: (flags.network as string | undefined) || 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: flags.rm === true, ConsoleSize: [0, 0],
      ...(fs.mounts.length ? { Mounts: fs.mounts } : {}),
      ...(Object.keys(fs.tmpfs).length ? { Tmpfs: fs.tmpfs } : {}),
      ...(flags['read-only'] === true ? { ReadonlyRootfs: true } : {}),
      ...(flags.privileged === true ? { Privileged: true } : {}),
      ...(flags.runtime ? { Runtime: flags.runtime } : {}),
      ...(list('cap-add').length ? { CapAdd: list('cap-add') } : {}),
      ...(list('cap-drop').length ? { CapDrop: list('cap-drop') } : {}),
      ...(list('security-opt').length ? { SecurityOpt: list('security-opt').map(securityOpt) } : {}),
    },
  };
}

/**
 * `--security-opt seccomp=FILE.json` is sent as the file's text, as the docker CLI does (the
 * daemon may run elsewhere); `seccomp=unconfined` and other options go as typed.
 */
export function securityOpt(opt: string): string {
  const m = /^seccomp[=:](.*)$/s.exec(opt);
  if (!m || m[1] === 'unconfined' || m[1]!.trimStart().startsWith('{')) return opt;
  try {
    return `seccomp=${readFileSync(m[1]!, 'utf8')}`;
  } catch (err) {
    throw new CliError(`opening seccomp profile (${m[1]}) failed: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

// #region filesystem-flags
/**
 * `-v`, `--mount`, `--tmpfs` as the docker CLI sends them: `-v /data` (no source) is an
 * anonymous volume and goes to Config.Volumes; every other `-v` is a HostConfig.Binds string;
 * `--mount type=bind,source=/x,target=/y,readonly` becomes a HostConfig.Mounts object;
 * `--tmpfs /run:size=64m` a HostConfig.Tmpfs entry. The daemon checks the paths.
 */
export function filesystemFlags(flags: Record<string, unknown>) {
  const list = (k: string) => (flags[k] as string[] | undefined) ?? [];
  const volumes: Record<string, object> = {};
  const binds: string[] = [];
  for (const v of list('volume')) {
    if (v.split(':').length === 1) volumes[v] = {};
    else binds.push(v);
  }
  const tmpfs = Object.fromEntries(list('tmpfs').map((t) => (t.includes(':') ? [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)] : [t, ''])));
  return { volumes, binds, tmpfs, mounts: list('mount').map(parseMountFlag) };
}

/** `type=bind,source=/x,target=/y,readonly` → `{Type, Source, Target, ReadOnly}` (Docker's aliases too). */
export function parseMountFlag(value: string): { Type: string; Source?: string; Target: string; ReadOnly?: boolean } {
  const m: { Type: string; Source?: string; Target: string; ReadOnly?: boolean } = { Type: 'volume', Target: '' };
  for (const field of value.split(',')) {
    const [key = '', val] = field.includes('=') ? [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)] : [field, undefined];
    const k = key.trim().toLowerCase();
    if (k === 'type') m.Type = val ?? '';
    else if (k === 'source' || k === 'src') m.Source = val ?? '';
    else if (k === 'target' || k === 'destination' || k === 'dst') m.Target = val ?? '';
    else if (k === 'readonly' || k === 'ro') m.ReadOnly = val === undefined || val === 'true' || val === '1';
    else throw new CliError(`invalid argument "${value}" for "--mount" flag: unexpected key '${key}' in '${field}'`);
  }
  if (!m.Target) throw new CliError(`invalid argument "${value}" for "--mount" flag: target is required`);
  return m;
}
// #endregion filesystem-flags

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
    { name: 'volume', short: 'v', type: 'strings', value: 'list', description: 'Bind mount a volume' },
    { name: 'mount', type: 'strings', value: 'mount', description: 'Attach a filesystem mount to the container' },
    { name: 'tmpfs', type: 'strings', value: 'list', description: 'Mount a tmpfs directory' },
    { name: 'read-only', type: 'bool', description: "Mount the container's root filesystem as read only" },
    { name: 'network', type: 'string', value: 'network', description: 'Connect a container to a network (bridge, host, none or a network name)' },
    { name: 'cap-add', type: 'strings', value: 'list', description: 'Add Linux capabilities' },
    { name: 'cap-drop', type: 'strings', value: 'list', description: 'Drop Linux capabilities' },
    { name: 'security-opt', type: 'strings', value: 'list', description: 'Security Options (seccomp=unconfined, seccomp=PROFILE.json)' },
    { name: 'privileged', type: 'bool', description: 'Give extended privileges to this container' },
    { name: 'runtime', type: 'string', value: 'string', description: 'Runtime to use for this container (dockling, runc, crun)' },
    { name: 'pull', type: 'string', value: 'string', description: 'Pull image before creating ("always", "missing", "never") (default "missing")' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the pull output' },
  ],
  async run(ctx) {
    const [image, ...command] = ctx.args as [string, ...string[]];
    const client = ctx.client();
    const policy = pullPolicy(ctx.flags.pull);
    const body = Buffer.from(JSON.stringify(createBody(image, command, ctx.flags)));
    // A daemon error (name in use, a failed pull) is printed as is, exit 1, as `docker create` does.
    const res = await createPulling({
      client, ctx, name: image, policy, quiet: ctx.flags.quiet === true,
      create: () => client.json<{ Id: string; Warnings?: string[] }>('POST', '/containers/create', {
        query: { name: ctx.flags.name as string | undefined }, body, headers: { 'Content-Type': 'application/json' },
      }),
    }).catch((err: unknown) => {
      throw err instanceof PullFailed ? new CliError(err.message) : err;
    });
    for (const w of res.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
    ctx.stdout.write(`${res.Id}\n`);
  },
};
