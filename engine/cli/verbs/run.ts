// `dockling run [OPTIONS] IMAGE [COMMAND] [ARG...]`: create + start, chapter 3. Without -d it
// does what the docker CLI does (protocol reference §5.4): create, attach (hijack), wait
// (condition next-exit, or removed with --rm), start, print the output, and exit with the
// container's code. The CLI's own failures use Docker's codes: 125 the daemon or a flag, 126 the
// command is not executable, 127 it was not found. A missing image is pulled first, as docker does.
import { readFileSync } from 'node:fs';
import type { Verb, VerbContext } from '../verb.js';
import { DaemonError } from '../errors.js';
import { verb as create, createBody } from './create.js';
import { attachAndStart, startFailureCode } from '../attach-stream.js';
import { NOT_A_TTY, consoleSize, containerResizePath, openTerminal } from '../terminal.js';
import { CliError } from '../errors.js';
import { PullFailed, createPulling, pullPolicy, type PullPolicy } from '../create-pulling.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `-m 32m` → 33554432 (Docker's RAMInBytes: b, k, m, g, with an optional trailing b). */
export function memoryBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(text.trim());
  if (!m) throw new CliError(`invalid size: '${text}'`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

/** `-p [ip:][hostPort:]containerPort[/proto]` → PortBindings and ExposedPorts. */
export function portBindings(specs: string[]): { bindings: Record<string, Array<{ HostIp: string; HostPort: string }>>; exposed: Record<string, object> } {
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  const exposed: Record<string, object> = {};
  for (const spec of specs) {
    const [addr, proto = 'tcp'] = spec.split('/') as [string, string?];
    const parts = addr.split(':');
    const containerPort = parts.pop()!;
    const hostPort = parts.pop() ?? '';
    const hostIp = parts.join(':');
    if (!/^\d+$/.test(containerPort) || (hostPort && !/^\d+$/.test(hostPort))) throw new CliError(`invalid port specification: "${spec}"`);
    const key = `${containerPort}/${proto}`;
    (bindings[key] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
    exposed[key] = {};
  }
  return { bindings, exposed };
}

/** `--env-file`: KEY=value lines; a bare KEY takes our own value; # comments and blanks skipped. */
function envFile(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .flatMap((l) => (l.includes('=') ? [l] : process.env[l] !== undefined ? [`${l}=${process.env[l]}`] : []));
}

/** Docker's create body for run: create's, with the resource and network flags in HostConfig. */
export function runBody(image: string, command: string[], flags: Record<string, unknown>): Record<string, unknown> {
  const list = (k: string) => (flags[k] as string[] | undefined) ?? [];
  const env = [...list('env-file').flatMap(envFile), ...list('env')];
  const body = createBody(image, command, { ...flags, env });
  const ports = portBindings(list('publish'));
  const host = body.HostConfig as Record<string, unknown>;
  if (flags.memory) host.Memory = memoryBytes(flags.memory as string);
  if (flags.cpus) host.NanoCpus = Math.round(Number(flags.cpus) * 1e9);
  if (flags['pids-limit']) host.PidsLimit = Number(flags['pids-limit']);
  host.PortBindings = ports.bindings;
  if (flags.detach) Object.assign(body, { AttachStdin: false, AttachStdout: false, AttachStderr: false });
  return { ...body, ExposedPorts: ports.exposed };
}

function fail(ctx: VerbContext, message: string, code: number): number {
  ctx.stderr.write(`dockling: ${message}\n\nRun 'dockling run --help' for more information\n`);
  return code;
}

export const verb: Verb = {
  usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  args: { min: 1 },
  interspersed: false,
  flags: [
    ...create.flags,
    { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
    { name: 'env-file', type: 'strings', value: 'list', description: 'Read in a file of environment variables' },
    { name: 'memory', short: 'm', type: 'string', value: 'bytes', description: 'Memory limit' },
    { name: 'cpus', type: 'string', value: 'decimal', description: 'Number of CPUs' },
    { name: 'pids-limit', type: 'string', value: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
    { name: 'publish', short: 'p', type: 'strings', value: 'list', description: "Publish a container's port(s) to the host" },
  ],
  async run(ctx) {
    // -it needs a terminal to put in raw mode; -t alone does not (its output is just raw bytes).
    if (ctx.flags.tty && ctx.flags.interactive && !ctx.flags.detach && !ctx.stdin.isTTY) {
      ctx.stderr.write(`${NOT_A_TTY}\n`);
      return 1;
    }
    const [image, ...command] = ctx.args as [string, ...string[]];
    const client = ctx.client();
    let body: Record<string, unknown>;
    let policy: PullPolicy;
    try {
      policy = pullPolicy(ctx.flags.pull);
      body = runBody(image, command, ctx.flags);
      if (ctx.flags.tty) (body.HostConfig as Record<string, unknown>).ConsoleSize = consoleSize(ctx.stdout);
    } catch (err) {
      return fail(ctx, (err as Error).message, 125);
    }
    // 1. create (pulling the image first when it is not here)
    let id: string;
    try {
      const res = await createPulling({
        client, ctx, name: image, policy, quiet: ctx.flags.quiet === true,
        create: () => client.json<{ Id: string; Warnings?: string[] }>('POST', '/containers/create', {
          query: { name: ctx.flags.name as string | undefined },
          body: Buffer.from(JSON.stringify(body)),
          headers: { 'Content-Type': 'application/json' },
        }),
      });
      for (const w of res.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
      id = res.Id;
    } catch (err) {
      if (err instanceof DaemonError || err instanceof PullFailed) return fail(ctx, err.message, 125);
      throw err;
    }
    try {
      // 2. detached: start and print the id
      if (ctx.flags.detach) {
        await client.ok('POST', `/containers/${id}/start`).then((r) => r.resume());
        ctx.stdout.write(`${id}\n`);
        return 0;
      }
      // 3. attached: attach, wait, start, then the output until the exit; with -t our terminal
      //    in raw mode meanwhile, its size sent after start and on each SIGWINCH
      const stdin = ctx.flags.interactive ? ctx.stdin : undefined;
      const terminal = ctx.flags.tty ? openTerminal({ client, resizePath: containerResizePath(id), stdin, stdout: ctx.stdout }) : undefined;
      try {
        const run = await attachAndStart({
          client, id, tty: ctx.flags.tty === true, condition: ctx.flags.rm ? 'removed' : 'next-exit', start: true,
          stdin, stdout: ctx.stdout, stderr: ctx.stderr, started: terminal?.resize,
        });
        const code = await run.exitCode;
        if (stdin) stdin.destroy(); // or a terminal on stdin keeps us alive
        return code;
      } finally {
        terminal?.restore();
      }
    } catch (err) {
      if (err instanceof DaemonError) return fail(ctx, err.message, startFailureCode(err.daemonMessage));
      throw err;
    }
  },
};
