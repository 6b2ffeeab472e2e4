// Docker's `--format` conventions on top of the template engine: `table` (a header row, then
// columns aligned by the tabwriter), `json` (one `{{json .}}` per line), typed `\t` and `\n`
// turned into real tabs and newlines, one line per row. Used by `images`, `history`, `inspect`.
import { execute, parseTemplate } from './template.js';
import { tabwrite } from './table.js';

export interface FormatSpec {
  /** What the user gave with --format (or the verb's default). */
  format: string;
  /** The default `table …` body used when the format is just `table`. */
  defaultTable: string;
  /** Header label per field name: `{ ID: 'IMAGE ID', … }`. */
  headers: Record<string, string>;
}

/** Renders rows the way Docker's formatter.Context does. */
export function formatRows(spec: FormatSpec, rows: unknown[]): string {
  let format = spec.format;
  if (format === 'json') format = '{{json .}}';
  if (format === 'table') format = spec.defaultTable;
  const isTable = format.startsWith('table');
  if (isTable) format = format.slice('table'.length);
  format = format.trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const nodes = parseTemplate(format);
  let body = '';
  for (const row of rows) body += execute(nodes, row) + '\n';
  if (!isTable) return body;
  // The header is the same template run on field names mapped to their labels.
  const header = execute(nodes, new Proxy(spec.headers, { get: (t, k) => (typeof k === 'string' ? t[k] ?? '' : undefined) }));
  return tabwrite(header + '\n' + body);
}
