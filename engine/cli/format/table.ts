// Aligned columns like Go's text/tabwriter as Docker configures it (minwidth 10, padding 3,
// spaces): every cell that ends in a tab is padded to its column's width; the text after a
// line's last tab is printed as is. Chapter 6 explains why `docker images` looks the way it does.

export interface TabOptions {
  minWidth?: number;
  padding?: number;
}

/** Aligns tab-separated lines; `text` may end with a newline. */
export function tabwrite(text: string, opts: TabOptions = {}): string {
  const minWidth = opts.minWidth ?? 10;
  const padding = opts.padding ?? 3;
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const out: string[] = [];
  // Go's tabwriter aligns a column over a *block* of consecutive lines that all have it.
  alignBlock(lines, 0, 0, lines.length, minWidth, padding);
  for (const cells of lines) out.push(cells.join(''));
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}

function alignBlock(lines: string[][], column: number, from: number, to: number, minWidth: number, padding: number): void {
  let i = from;
  while (i < to) {
    // Skip lines without a tab-terminated cell in this column.
    if (lines[i]!.length - 1 <= column) {
      i++;
      continue;
    }
    let j = i;
    let width = 0;
    while (j < to && lines[j]!.length - 1 > column) {
      width = Math.max(width, displayWidth(lines[j]![column]!) + padding);
      j++;
    }
    width = Math.max(width, minWidth);
    alignBlock(lines, column + 1, i, j, minWidth, padding);
    for (let k = i; k < j; k++) {
      const cell = lines[k]![column]!;
      lines[k]![column] = cell + ' '.repeat(width - displayWidth(cell));
    }
    i = j;
  }
}

/** Characters, not UTF-16 units: `…` counts as one. */
export function displayWidth(s: string): number {
  return [...s].length;
}

/** Docker's Ellipsis: cut to `max` characters, the last one being `…`. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 0) return '';
  return chars.slice(0, max - 1).join('') + '…';
}
