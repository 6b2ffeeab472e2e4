// `dockling system df [-v]`: what images, containers, volumes and the build cache take on disk,
// from `GET /system/df`, in Docker's table — and with -v, one table per kind.
import type { Verb } from '../verb.js';
import { shortId } from '../verb.js';
import { humanSize, humanSizeWithPrecision } from '../format/size.js';
import { humanDuration } from '../format/duration.js';
import { tabwrite } from '../format/table.js';

interface DataUsage {
  LayersSize?: number;
  Images?: Array<{ Id: string; RepoTags?: string[] | null; Created: number; Size: number; SharedSize: number; Containers: number }> | null;
  Containers?: Array<{ Id: string; Names: string[]; Image: string; Command: string; Created: number; State: string; Status: string; SizeRw?: number }> | null;
  Volumes?: Array<{ Name: string; UsageData?: { Size: number; RefCount: number } }> | null;
  BuildCache?: unknown[] | null;
}

/** `1.2MB (40%)`: Docker's RECLAIMABLE cell. */
function reclaimable(bytes: number, of: number): string {
  return of > 0 ? `${humanSize(bytes)} (${Math.floor((bytes * 100) / of)}%)` : humanSize(bytes);
}

export const verb: Verb = {
  usage: 'system df [OPTIONS]',
  description: 'Show docker disk usage',
  args: { max: 0 },
  flags: [{ name: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage' }],
  async run(ctx) {
    const du = await ctx.client().json<DataUsage>('GET', '/system/df');
    const images = du.Images ?? [];
    const containers = du.Containers ?? [];
    const volumes = du.Volumes ?? [];
    ctx.stdout.write(ctx.flags.verbose === true ? verbose(images, containers, volumes) : summary(du.LayersSize ?? 0, images, containers, volumes));
  },
};

function summary(layers: number, images: NonNullable<DataUsage['Images']>, containers: NonNullable<DataUsage['Containers']>, volumes: NonNullable<DataUsage['Volumes']>): string {
  // Docker's arithmetic: an image in use keeps its unique part; what is shared stays anyway.
  const activeImages = images.filter((i) => i.Containers > 0);
  const usedBytes = activeImages.reduce((s, i) => s + i.Size - Math.max(0, i.SharedSize), 0);
  const rw = containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const running = containers.filter((c) => c.State === 'running' || c.State === 'paused');
  const idleRw = containers.filter((c) => !running.includes(c)).reduce((s, c) => s + (c.SizeRw ?? 0), 0);
  const volBytes = volumes.reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const idleVolBytes = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const rows = [
    'TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE',
    `Images\t${images.length}\t${activeImages.length}\t${humanSize(layers)}\t${reclaimable(Math.max(0, layers - usedBytes), layers)}`,
    `Containers\t${containers.length}\t${running.length}\t${humanSize(rw)}\t${reclaimable(idleRw, rw)}`,
    `Local Volumes\t${volumes.length}\t${volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length}\t${humanSize(volBytes)}\t${reclaimable(idleVolBytes, volBytes)}`,
    'Build Cache\t0\t0\t0B\t0B',
  ];
  return tabwrite(rows.join('\n') + '\n');
}

function verbose(images: NonNullable<DataUsage['Images']>, containers: NonNullable<DataUsage['Containers']>, volumes: NonNullable<DataUsage['Volumes']>): string {
  const ago = (unix: number) => `${humanDuration(Date.now() - unix * 1000)} ago`;
  const imageRows = images.flatMap((i) => {
    const tags = i.RepoTags?.length ? i.RepoTags : ['<none>:<none>'];
    return tags.map((t) => {
      const at = t.lastIndexOf(':');
      const size = (n: number) => humanSizeWithPrecision(n, 3);
      return `${t.slice(0, at)}\t${t.slice(at + 1)}\t${shortId(i.Id)}\t${ago(i.Created)}\t${size(i.Size)}\t${size(Math.max(0, i.SharedSize))}\t${size(i.Size - Math.max(0, i.SharedSize))}\t${i.Containers}`;
    });
  });
  const containerRows = containers.map((c) => `${shortId(c.Id)}\t${c.Image}\t"${c.Command}"\t0\t${humanSize(c.SizeRw ?? 0)}\t${ago(c.Created)}\t${c.Status}\t${c.Names.map((n) => n.replace(/^\//, '')).join(',')}`);
  const volumeRows = volumes.map((v) => `${v.Name}\t${v.UsageData?.RefCount ?? 0}\t${humanSize(v.UsageData?.Size ?? 0)}`);
  return [
    'Images space usage:\n\n' + tabwrite(['REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS', ...imageRows].join('\n') + '\n'),
    'Containers space usage:\n\n' + tabwrite(['CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES', ...containerRows].join('\n') + '\n'),
    'Local Volumes space usage:\n\n' + tabwrite(['VOLUME NAME\tLINKS\tSIZE', ...volumeRows].join('\n') + '\n'),
    'Build cache usage: 0B\n\nCACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED\n'.replace(/\t/g, '   '),
  ].join('\n');
}
