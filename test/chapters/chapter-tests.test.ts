// The per-chapter test lists (chapter-tests.ts) and `npm run check`: every test file of the suite
// is in exactly one list, so a new file cannot be forgotten, and the command refuses a chapter it
// does not know with exit status 2 and the valid names.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CHAPTER_GROUPS, findGroup } from './chapter-tests.js';
import { planCheck } from './check.js';
import { tempDir } from '../tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Every file vitest runs: test/**\/*.test.ts, minus test/bench (as test/vitest.config.ts says). */
function suiteFiles(dir = join(ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return relative(ROOT, p) === 'test/bench' ? [] : suiteFiles(p);
    return d.name.endsWith('.test.ts') ? [relative(ROOT, p)] : [];
  });
}

describe('the per-chapter test lists', () => {
  it('put every test file of the suite in exactly one list', () => {
    const listed = CHAPTER_GROUPS.flatMap((g) => g.files.map((f) => ({ f, g: g.id })));
    const forgotten = suiteFiles().filter((f) => !listed.some((l) => l.f === f));
    expect(forgotten, `add these to a list in test/chapters/chapter-tests.ts:\n${forgotten.join('\n')}`).toEqual([]);
    const twice = listed.filter((l) => listed.filter((m) => m.f === l.f).length > 1).map((l) => `${l.f} (in ${l.g})`);
    expect(twice, 'a file is in two lists').toEqual([]);
  });

  it('name only test files that exist', () => {
    const gone = CHAPTER_GROUPS.flatMap((g) => g.files).filter((f) => !f.endsWith('.test.ts') || !existsSync(join(ROOT, f)));
    expect(gone).toEqual([]);
  });

  it('have chapters 0 to 6 and the tutorial, each with its page, and names that do not clash', () => {
    expect(CHAPTER_GROUPS.map((g) => g.id)).toEqual(['0', '1', '2', '3', '4', '5', '6', 'tutorial', 'reliability']);
    for (const g of CHAPTER_GROUPS.filter((g) => /^[1-6]$/.test(g.id))) {
      expect(g.page && existsSync(join(ROOT, g.page)), `${g.id}: ${g.page}`).toBe(true);
      expect(g.page).toMatch(new RegExp(`^chapters/${g.id}-`));
    }
    const names = CHAPTER_GROUPS.flatMap((g) => [g.id, ...g.names]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('are found by number or by name, in any case', () => {
    expect(findGroup('2')?.id).toBe('2');
    expect(findGroup('unionfs')?.id).toBe('2');
    expect(findGroup(' Union-FS ')?.id).toBe('2');
    expect(findGroup('cli')?.id).toBe('6');
    expect(findGroup('7')).toBeUndefined();
  });
});

describe('npm run check', () => {
  it('plans a known chapter and refuses an unknown one, naming the valid ones', () => {
    const ok = planCheck(['layers']);
    expect(ok.ok && ok.group.id).toBe('1');
    for (const args of [['nosuch'], [], ['1', '2']]) {
      const bad = planCheck(args);
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.message).toContain('2 (unionfs, union-fs)');
    }
  });

  it('`check nosuch` exits 2 with the message (the program npm runs after the build)', async () => {
    // Compiled into a temp folder, so that the test does not write into the checkout's dist/.
    const out = await tempDir('dockling-check-');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'test/chapters/tsconfig.json'), '--outDir', out], { cwd: ROOT });
    const run = spawnSync(process.execPath, [join(out, 'test/chapters/check.js'), 'nosuch'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('there is no chapter "nosuch"');
    expect(run.stderr).toContain('1 (layers)');
  });
});
