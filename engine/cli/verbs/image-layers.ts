// `dockling image layers IMAGE`: chapter 2's union view as a table. One row per layer, newest
// first like `docker history`, with what the layer added, modified and removed and the bytes it
// ships that nobody sees in the final tree; then one summary line. `--paths` adds which layer
// provides each path; `--format json` prints the daemon's whole document.
import type { Verb } from '../verb.js';
import { formatFlag, shortId } from '../verb.js';
import { formatRows } from '../format/formatter.js';
import { humanSizeWithPrecision } from '../format/size.js';
import { ellipsis } from '../format/table.js';

/** The parts of GET /dockling/images/{name}/layers this verb prints. */
interface LayerItem {
  index: number;
  digest?: string;
  label?: string;
  createdBy: string;
  size: number;
  files: number;
  added: number;
  modified: number;
  removed: number;
  wastedBytes: number;
}

interface PathItem {
  path: string;
  type: string;
  size: number;
  layer: number | null;
  hiddenIn: number[];
  removedBy?: number;
}

export interface UnionViewDoc {
  image: string;
  layers: LayerItem[];
  paths?: PathItem[];
  totalBytes: number;
  wastedBytes: number;
  efficiency: number;
}

const DEFAULT_TABLE = 'table {{.Layer}}\t{{.Size}}\t{{.Files}}\t{{.Added}}\t{{.Modified}}\t{{.Removed}}\t{{.Wasted}}\t{{.CreatedBy}}';
const HEADERS = {
  Index: 'INDEX', Layer: 'LAYER', Size: 'SIZE', Files: 'FILES', Added: 'ADDED', Modified: 'MODIFIED',
  Removed: 'REMOVED', Wasted: 'WASTED', CreatedBy: 'CREATED BY',
};
const PATHS_TABLE = 'table {{.Layer}}\t{{.Type}}\t{{.Size}}\t{{.HiddenIn}}\t{{.Path}}';
const PATH_HEADERS = { Layer: 'LAYER', Type: 'TYPE', Size: 'SIZE', HiddenIn: 'HIDDEN IN', Path: 'PATH' };

const size = (n: number, human: boolean) => (human ? humanSizeWithPrecision(n, 3) : String(n));

/** Layer rows, top layer first (the order of `docker history`). */
export function layerRows(doc: UnionViewDoc, opts: { truncate: boolean; human: boolean }) {
  return [...doc.layers].reverse().map((l) => {
    const createdBy = (l.createdBy ?? '').replace(/\t/g, ' ');
    const name = l.label ?? (l.digest ? (opts.truncate ? shortId(l.digest) : l.digest) : String(l.index));
    return {
      Index: String(l.index),
      Layer: name,
      Size: size(l.size, opts.human),
      Files: String(l.files),
      Added: String(l.added),
      Modified: String(l.modified),
      Removed: String(l.removed),
      Wasted: size(l.wastedBytes, opts.human),
      CreatedBy: opts.truncate ? ellipsis(createdBy, 45) : createdBy,
    };
  });
}

/** `Total: 2.13MB in 401 files; wasted 12.3kB; efficiency 99.4%` */
export function summaryLine(doc: UnionViewDoc, human = true): string {
  const files = doc.layers.reduce((s, l) => s + l.files, 0);
  const pct = (Math.floor(doc.efficiency * 1000 + 1e-9) / 10).toFixed(1);
  return `Total: ${size(doc.totalBytes, human)} in ${files} files; wasted ${size(doc.wastedBytes, human)}; efficiency ${pct}%\n`;
}

/** Path rows: the provider's index (or `-` for a path no longer in the tree) and the layers hiding it. */
export function pathRows(doc: UnionViewDoc, human: boolean) {
  return (doc.paths ?? []).map((p) => ({
    Layer: p.layer === null ? `- (removed by ${p.removedBy ?? '?'})` : String(p.layer),
    Type: p.type,
    Size: size(p.size, human),
    HiddenIn: p.hiddenIn.length ? p.hiddenIn.join(',') : '-',
    Path: '/' + p.path,
  }));
}

/** `image layers` and `container layers` differ only in what they ask the daemon for. */
function layersVerb(what: 'image' | 'container'): Verb {
  return {
    usage: what === 'image' ? 'image layers [OPTIONS] IMAGE' : 'container layers [OPTIONS] CONTAINER',
    description:
      (what === 'image' ? "Show an image's layers" : "Show a container's image layers and its read-write layer on top") +
      ' as a union: what each layer added, modified and removed, and the bytes\n' +
      'it ships that a higher layer hides (wasted). Layers are listed top first, like `history`.',
    args: { exact: 1 },
    flags: [
      formatFlag,
      { name: 'human', short: 'H', type: 'bool', default: true, description: 'Print sizes in human readable format (default true)' },
      { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
      { name: 'paths', type: 'bool', description: 'Also list every path with the layer that provides it and the layers it is hidden in' },
    ],
    async run(ctx) {
      const withPaths = ctx.flags.paths === true;
      const doc = await ctx.client().json<UnionViewDoc>('GET', `/dockling/${what}s/${ctx.args[0]}/layers`, { query: { paths: withPaths } });
      const format = (ctx.flags.format as string | undefined) ?? 'table';
      if (format === 'json') {
        ctx.stdout.write(JSON.stringify(doc, null, 2) + '\n');
        return;
      }
      const human = ctx.flags.human !== false;
      ctx.stdout.write(formatRows({ format, defaultTable: DEFAULT_TABLE, headers: HEADERS }, layerRows(doc, { truncate: ctx.flags['no-trunc'] !== true, human })));
      if (!format.startsWith('table')) return;
      ctx.stdout.write(summaryLine(doc, human));
      if (withPaths) ctx.stdout.write('\n' + formatRows({ format: 'table', defaultTable: PATHS_TABLE, headers: PATH_HEADERS }, pathRows(doc, human)));
    },
  };
}

export const verb = layersVerb('image');
export const containerVerb = layersVerb('container');
