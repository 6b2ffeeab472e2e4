// The chapters' code imports (STYLE habit 14): a page shows engine code only through VitePress's
// snippet syntax, `<<< @/../engine/layers/content-store.ts#write`, which pulls the lines between
// `// #region write` and `// #endregion write` out of the file at build time. VitePress does not
// fail when the region is gone: it silently shows the whole file instead (and an import of a
// file that is gone stops the build with a bare stack trace). These pure functions find every
// import in a page and say what is wrong with it, so that regions.test.ts can name page, line
// and region.
import { dirname, resolve } from 'node:path';

export interface SnippetImport {
  /** 1-based line of the `<<<` in the page. */
  line: number;
  /** The path as written, `@/../engine/…` or relative to the page. */
  written: string;
  /** The file it names, absolute. */
  file: string;
  /** The region's name, when the import names one. */
  region?: string;
}

// `<<< path#region {highlight} [title]` — up to three spaces of indentation, as markdown-it allows.
const IMPORT = /^ {0,3}<<<\s*(\S+?)(?:#([\w-]+))?(?:\s*\{[^}]*\})?(?:\s*\[[^\]]*\])?\s*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * The snippet imports of a page. `@` is VitePress's source root (srcDir: the chapters folder);
 * any other path is relative to the page. Lines inside fenced code blocks are examples, not imports.
 */
export function snippetImports(a: { page: string; text: string; srcDir: string }): SnippetImport[] {
  const found: SnippetImport[] = [];
  let fence: string | undefined;
  a.text.split('\n').forEach((text, i) => {
    const f = FENCE.exec(text);
    if (f) {
      if (fence === undefined) fence = f[1];
      else if (f[1]!.startsWith(fence) && text.trim() === f[1]) fence = undefined;
      return;
    }
    if (fence !== undefined) return;
    const m = IMPORT.exec(text);
    if (!m) return;
    const written = m[1]!;
    const file = written.startsWith('@/') ? resolve(a.srcDir, written.slice(2)) : resolve(dirname(a.page), written);
    found.push({ line: i + 1, written, file, ...(m[2] ? { region: m[2] } : {}) });
  });
  return found;
}

/** `// #region name` or `//#region name` (and the same with `endregion`), as VitePress reads them. */
function marker(line: string): { end: boolean; name: string } | undefined {
  const m = /^\/\/ ?#?(region|endregion) ([\w*-]+)$/.exec(line.trim());
  return m ? { end: m[1] === 'endregion', name: m[2]! } : undefined;
}

/**
 * What keeps `region` from being imported out of a file's text, or undefined when it can be.
 * VitePress needs the end marker to name the region too: `// #endregion` alone does not close it.
 */
export function regionProblem(source: string, region: string): string | undefined {
  const lines = source.split('\n');
  const start = lines.findIndex((l) => marker(l)?.name === region && !marker(l)!.end);
  if (start < 0) return `region "${region}" is not in the file (no "// #region ${region}")`;
  const end = lines.findIndex((l, i) => i > start && marker(l)?.name === region && marker(l)!.end);
  if (end < 0) return `region "${region}" is never closed by "// #endregion ${region}" (VitePress would show the whole file)`;
  return undefined;
}
