// Checks STYLE.md habits 3 and 4: dependencies between chapters point one way, and a chapter
// reaches another only through that chapter's index.ts. The table below is the architecture.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const ENGINE = resolve(import.meta.dirname, '../../engine');

/** Which chapters each chapter may import. */
const ALLOWED: Record<string, string[]> = {
  trace: [],
  base: ['trace'],
  layers: ['base', 'trace'],
  unionfs: ['layers', 'base', 'trace'],
  namespaces: ['unionfs', 'layers', 'base', 'trace'],
  registry: ['layers', 'base', 'trace'],
  build: ['namespaces', 'unionfs', 'registry', 'layers', 'base', 'trace'],
  daemon: ['build', 'namespaces', 'unionfs', 'registry', 'layers', 'base', 'trace'],
  // The CLI talks to the daemon over HTTP; it may start one (the `daemon` verb) or a registry
  // (the `registry` verb), share the error vocabulary, and — as the docker CLI does before a
  // pull or a push — read image names (chapter 1's reference grammar) and the credentials
  // `login` keeps (chapter 4's config.json), and — as the docker CLI packs a build context
  // itself — chapter 5's context packing; nothing else.
  cli: ['daemon', 'build', 'registry', 'layers', 'base', 'trace'],
};

/**
 * A second, light entry some chapters give the CLI, so that a command loads only what it uses:
 * `dockling build` packs its context with build/client.ts, not the whole builder.
 */
const CLIENT_ENTRIES: Record<string, string> = { build: 'client.js' };

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const re = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
  return [...src.matchAll(re)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

const chapterOf = (file: string) => relative(ENGINE, file).split(sep)[0]!;

describe('engine import edges', () => {
  const files = tsFiles(ENGINE);

  it('knows every chapter folder', () => {
    const folders = readdirSync(ENGINE).filter((n) => statSync(join(ENGINE, n)).isDirectory());
    for (const f of folders) expect(Object.keys(ALLOWED), `engine/${f} is not in the table`).toContain(f);
  });

  it('imports only allowed chapters, only through index.ts, and no npm package for node builtins', () => {
    const bad: string[] = [];
    for (const file of files) {
      const from = chapterOf(file);
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) {
          if (/^(fs|path|os|crypto|child_process|http|https|net|stream|zlib|events|util|url)(\/|$)/.test(spec)) bad.push(`${relative(ENGINE, file)}: use node:${spec}`);
          continue;
        }
        const target = resolve(dirname(file), spec);
        const to = chapterOf(target);
        if (to === from) continue;
        if (!ALLOWED[from]?.includes(to)) bad.push(`${relative(ENGINE, file)} -> ${to} (not allowed)`);
        else if (relative(join(ENGINE, to), target) !== 'index.js' && !(CLIENT_ENTRIES[to] === relative(join(ENGINE, to), target) && from === 'cli')) {
          bad.push(`${relative(ENGINE, file)} -> ${spec} (go through ${to}/index.ts)`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('the table itself points one way (no cycles)', () => {
    const seen = new Set<string>();
    const visit = (c: string, path: string[]) => {
      expect(path, `cycle ${[...path, c].join(' -> ')}`).not.toContain(c);
      if (seen.has(c)) return;
      for (const d of ALLOWED[c] ?? []) visit(d, [...path, c]);
      seen.add(c);
    };
    for (const c of Object.keys(ALLOWED)) visit(c, []);
  });
});
