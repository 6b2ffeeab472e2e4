// The workshop copy of each chapter (workshop.ts), made for real in a temp folder with the
// checkout's node_modules linked in: its stubbed files compile, the exercise's tests FAIL on the
// stub (with the "not written yet" message), and PASS once the reference body is put back (the
// engine file copied over from the checkout).
//
// Only the tests the exercise list names are run here — they are part of the chapter's check
// list, and running every chapter's whole list in a copy would take minutes. `npm run check -- N`
// in a copy runs the whole list. The chapters run two at a time (two cores).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EXERCISES, exercisesOf } from './exercises.js';
import { makeWorkshop, outProblem, parseWorkshopArgs } from './workshop.js';
import { tempDir } from '../tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const isRoot = process.getuid?.() === 0;
/** Exercises whose tests need root (real mounts): they are skipped, not passed, without it. */
const NEEDS_ROOT = new Set(['2-stat-compare']);

/** At most two processes of this file at once. */
let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(work: () => Promise<T>): Promise<T> {
  while (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Runs node with `args` in `cwd`; the exit status and the output, never a throw. */
async function node(cwd: string, args: string[]): Promise<{ status: number; output: string }> {
  return limited(async () => {
    try {
      const r = await promisify(execFile)(process.execPath, args, { cwd, maxBuffer: 32 * 1024 * 1024 });
      return { status: 0, output: r.stdout + r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { status: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  });
}

/**
 * The copy's vitest config without its global setup: that setup tidies host-wide state (the
 * shared `dockling` parent cgroups, hugetlb for crun) at its end, which a run nested inside the
 * suite must leave to the outer run. The exercise tests need none of it.
 */
const NESTED_CONFIG = [
  "import base from './vitest.config.ts';",
  'export default { ...base, test: { ...base.test, globalSetup: [] } };',
  '',
].join('\n');

const vitest = (cwd: string, files: string[]) =>
  node(cwd, [join(cwd, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/vitest.nested.config.ts', ...files]);

describe('workshop arguments and folders', () => {
  it('reads --chapter and --out, and says what is missing', () => {
    expect(parseWorkshopArgs(['--chapter', '2', '--out', '/tmp/x'])).toEqual({ chapter: '2', out: '/tmp/x' });
    expect(parseWorkshopArgs(['--chapter=unionfs', '--out=/tmp/x'])).toEqual({ chapter: 'unionfs', out: '/tmp/x' });
    expect(parseWorkshopArgs(['--chapter', '2'])).toMatch(/both --chapter and --out/);
    expect(parseWorkshopArgs(['--out'])).toMatch(/needs a value/);
    expect(parseWorkshopArgs(['-x'])).toMatch(/unknown argument/);
  });

  it('refuses a folder inside the checkout, and one that is not empty', async () => {
    expect(outProblem(ROOT, join(ROOT, 'workshop'))).toMatch(/inside the checkout/);
    expect(outProblem(ROOT, ROOT)).toMatch(/inside the checkout/);
    const full = await tempDir('dockling-workshop-full-');
    writeFileSync(join(full, 'x'), '');
    expect(outProblem(ROOT, full)).toMatch(/not an empty folder/);
    expect(outProblem(ROOT, join(full, 'new'))).toBeUndefined();
    expect(() => makeWorkshop({ root: ROOT, chapter: '9', out: join(full, 'new') })).toThrow(/no chapter "9"/);
    expect(existsSync(join(full, 'new'))).toBe(false);
  });
});

describe.concurrent('the workshop copy of each chapter', () => {
  it.each([1, 2, 3, 4, 5, 6])('chapter %i: compiles, fails its exercise tests, passes them with the reference restored', async (n) => {
    const exercises = exercisesOf(n);
    if (!isRoot && exercises.some((e) => NEEDS_ROOT.has(e.id))) {
      console.warn(`skipping chapter ${n}'s workshop copy: its exercise tests need root`);
      return;
    }
    const parent = await tempDir(`dockling-workshop-${n}-`);
    const out = join(parent, 'copy');
    const made = makeWorkshop({ root: ROOT, chapter: String(n), out });
    expect(made.files).toBeGreaterThan(100);
    expect(existsSync(join(out, 'node_modules')) || existsSync(join(out, 'dist'))).toBe(false);
    expect(readFileSync(join(out, 'WORKSHOP.md'), 'utf8')).toContain(`npm run check -- ${n}`);
    symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'));
    writeFileSync(join(out, 'test', 'vitest.nested.config.ts'), NESTED_CONFIG);

    // The stubbed files (and what they import) type-check: the copy's `npm run build` would work.
    writeFileSync(
      join(out, 'tsconfig.exercises.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, include: exercises.map((e) => e.file) }),
    );
    const tsc = await node(out, [join(out, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.exercises.json']);
    expect(tsc.status, tsc.output).toBe(0);

    const tests = [...new Set(exercises.flatMap((e) => e.tests))];
    const before = await vitest(out, tests);
    expect(before.status, before.output).not.toBe(0);
    for (const e of exercises) expect(before.output).toContain(`exercise ${e.id}: not written yet`);

    for (const e of exercises) copyFileSync(join(ROOT, e.file), join(out, e.file));
    const after = await vitest(out, tests);
    expect(after.status, after.output).toBe(0);
    expect(after.output).not.toContain('not written yet');
  });

  it('covers every exercise', () => {
    expect(new Set(EXERCISES.map((e) => e.chapter))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
  });
});
