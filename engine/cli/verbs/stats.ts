// `dockling stats [--no-stream] [CONTAINER...]` (chapter 3): what each container's cgroup
// says it uses, in the docker CLI's table and with its arithmetic: CPU % is the container's
// share of the machine's CPU time between two samples a second apart, times the CPUs; memory is
// the cgroup's usage against its limit (the host's memory when it has none). NET I/O and BLOCK
// I/O are not counted yet: they show 0B / 0B. Without --no-stream the table is redrawn every
// second until Ctrl-C. No CONTAINER: every running container.
import type { Verb, VerbContext } from '../verb.js';
import { DaemonError } from '../errors.js';
import { tabwrite } from '../format/table.js';
import { bytesSize } from '../format/size.js';

/** The parts of Docker's stats JSON this table reads. */
interface StatsJSON {
  id: string;
  name: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number };
  pids_stats?: { current?: number };
}

// #region stats-row
/** One row, computed as the docker CLI does (cli/command/container/stats_helpers.go). */
export function statsRow(s: StatsJSON): string[] {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpu = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * (s.cpu_stats?.online_cpus ?? 1) * 100 : 0;
  const usage = s.memory_stats?.usage ?? 0;
  const limit = s.memory_stats?.limit ?? 0;
  const memPercent = limit > 0 ? (usage / limit) * 100 : 0;
  return [
    s.id.slice(0, 12), s.name.replace(/^\//, ''), `${cpu.toFixed(2)}%`, `${bytesSize(usage)} / ${bytesSize(limit)}`,
    `${memPercent.toFixed(2)}%`, '0B / 0B', '0B / 0B', String(s.pids_stats?.current ?? 0),
  ];
}
// #endregion stats-row

const TITLES = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

async function table(ctx: VerbContext, names: string[]): Promise<{ text: string; failed: boolean }> {
  const client = ctx.client();
  let failed = false;
  const rows = await Promise.all(names.map((name) =>
    client.json<StatsJSON>('GET', `/containers/${encodeURIComponent(name)}/stats`, { query: { stream: 'false' } }).then(statsRow, (err: unknown) => {
      if (!(err instanceof DaemonError)) throw err;
      ctx.stderr.write(`${err.message}\n`);
      failed = true;
      return undefined;
    })));
  const lines = [TITLES, ...rows.filter((r) => r !== undefined)].map((r) => r.join('\t') + '\n').join('');
  return { text: tabwrite(lines), failed };
}

export const verb: Verb = {
  usage: 'stats [OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  flags: [{ name: 'no-stream', type: 'bool', description: 'Disable streaming stats and only pull the first result' }],
  async run(ctx) {
    const names = ctx.args.length ? ctx.args : (await ctx.client().json<Array<{ Id: string }>>('GET', '/containers/json')).map((c) => c.Id);
    if (ctx.flags['no-stream']) {
      const { text, failed } = await table(ctx, names);
      ctx.stdout.write(text);
      return failed ? 1 : 0;
    }
    // Each round takes about a second (the daemon's two CPU samples): clear, home, redraw.
    for (;;) {
      const { text } = await table(ctx, names);
      ctx.stdout.write(`\x1b[2J\x1b[H${text}`);
    }
  },
};
