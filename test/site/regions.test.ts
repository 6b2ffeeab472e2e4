// Chapters never paste code (STYLE habit 14): every `<<<` import in chapters/*.md must name a
// file that exists and, when it names a region, a region that file still has. The failure names
// the page, the line and the region, so a renamed region is fixed in a minute.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { regionProblem, snippetImports } from './snippets.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHAPTERS = join(ROOT, 'chapters');

function pages(): string[] {
  return readdirSync(CHAPTERS).filter((f) => f.endsWith('.md') && f !== 'README.md').map((f) => join(CHAPTERS, f));
}

describe('code imported into the chapters', () => {
  it('names files and regions that exist', () => {
    const problems: string[] = [];
    let count = 0;
    for (const page of pages()) {
      for (const imp of snippetImports({ page, text: readFileSync(page, 'utf8'), srcDir: CHAPTERS })) {
        count++;
        const where = `${relative(ROOT, page)}:${imp.line}: <<< ${imp.written}${imp.region ? `#${imp.region}` : ''}`;
        if (!existsSync(imp.file) || !statSync(imp.file).isFile()) {
          problems.push(`${where} — ${relative(ROOT, imp.file)} does not exist`);
          continue;
        }
        if (!relative(ROOT, imp.file).startsWith('engine/')) problems.push(`${where} — code comes from engine/ only`);
        if (imp.region === undefined) continue;
        const problem = regionProblem(readFileSync(imp.file, 'utf8'), imp.region);
        if (problem) problems.push(`${where} — ${relative(ROOT, imp.file)}: ${problem}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
    // Guards the scanner itself: the pages do import code (at least one excerpt per page).
    expect(count).toBeGreaterThanOrEqual(pages().length - 1);
  });

  it('every chapter page shows engine code', () => {
    const without = pages()
      // the numbered chapters: not the home page, the tour's replay or the teacher's guide
      .filter((p) => /\/\d+-[^/]+\.md$/.test(p))
      .filter((p) => snippetImports({ page: p, text: readFileSync(p, 'utf8'), srcDir: CHAPTERS }).length === 0);
    expect(without.map((p) => relative(ROOT, p))).toEqual([]);
  });
});

describe('the import scanner', () => {
  const page = join(CHAPTERS, 'x.md');
  const source = ['// #region ok', 'a', '// #endregion ok', '  // #region indented', 'b', '  // #endregion indented', '// #region unnamed-end', 'c', '// #endregion'].join('\n');

  it.each([
    { name: 'ok', problem: undefined },
    { name: 'indented', problem: undefined },
    { name: 'gone', problem: 'is not in the file' },
    { name: 'unnamed-end', problem: 'is never closed' },
    { name: 'ok-but-longer', problem: 'is not in the file' },
  ])('region $name: $problem', ({ name, problem }) => {
    const found = regionProblem(source, name);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it('reads @/ and relative paths, regions, highlights and titles, and skips fenced examples', () => {
    const text = [
      '# Page',
      '<<< @/../engine/layers/digest.ts#sha256',
      '<<< ../engine/layers/pack.ts#pack {2-3} [pack.ts]',
      '   <<< @/../engine/base/errors.ts',
      '```md',
      '<<< @/../engine/not/an-import.ts#example',
      '```',
      'Text with <<< in the middle is not an import.',
    ].join('\n');
    const found = snippetImports({ page, text, srcDir: CHAPTERS });
    expect(found.map((f) => [f.line, relative(ROOT, f.file), f.region])).toEqual([
      [2, 'engine/layers/digest.ts', 'sha256'],
      [3, 'engine/layers/pack.ts', 'pack'],
      [4, 'engine/base/errors.ts', undefined],
    ]);
  });
});
