// `dockling logs [-f] [-t] [--tail N] [--since T] CONTAINER` (chapter 3): the container's
// json-file log as the daemon streams it, stdcopy frames split back onto stdout and stderr.
import type { Verb } from '../verb.js';
import { demux } from '../attach-stream.js';
import type { Socket } from 'node:net';
import { CliError } from '../errors.js';

/** `--since 10m`, an RFC 3339 time or unix seconds → unix seconds, as the docker CLI sends it. */
export function sinceSeconds(text: string, now = Date.now()): string {
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (d) return String(Math.floor((now - Number(d[1]) * { ms: 1, s: 1e3, m: 6e4, h: 3.6e6 }[d[2] as 'ms']) / 1000));
  if (/^\d+(\.\d+)?$/.test(text)) return text;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new CliError(`invalid value for "since": ${text}`);
  return String(t / 1000);
}

export const verb: Verb = {
  usage: 'logs [OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  args: { exact: 1 },
  flags: [
    { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
    { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
    { name: 'tail', short: 'n', type: 'string', value: 'string', description: 'Number of lines to show from the end of the logs (default "all")' },
    { name: 'since', type: 'string', value: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'until', type: 'string', value: 'string', description: 'Show logs before a timestamp or relative time' },
  ],
  async run(ctx) {
    const client = ctx.client();
    const c = await client.json<{ Id: string; Config: { Tty: boolean } }>('GET', `/containers/${encodeURIComponent(ctx.args[0]!)}/json`);
    const res = await client.ok('GET', `/containers/${c.Id}/logs`, {
      query: {
        stdout: true, stderr: true, follow: ctx.flags.follow === true, timestamps: ctx.flags.timestamps === true,
        tail: (ctx.flags.tail as string | undefined) ?? 'all',
        since: ctx.flags.since ? sinceSeconds(ctx.flags.since as string) : undefined,
        until: ctx.flags.until ? sinceSeconds(ctx.flags.until as string) : undefined,
      },
    });
    // The response is a readable stream like a socket: the same frame splitter serves both.
    await demux(res as unknown as Socket, { stdout: ctx.stdout, stderr: ctx.stderr }, c.Config.Tty);
  },
};
