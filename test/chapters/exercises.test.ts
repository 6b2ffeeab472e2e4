// The exercise list (exercises.ts) against the engine and the chapter pages: each region is in its
// file exactly once, around the body of the function the list names; each exercise's tests are in
// its chapter's check list; no engine file has an exercise region the list does not know; and each
// chapter page's Exercises block names its exercises and the check command.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CHAPTER_GROUPS } from './chapter-tests.js';
import { EXERCISES, findRegion, regionName } from './exercises.js';
import { chapterPage, stubRegion } from './workshop.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

function engineFiles(dir = join(ROOT, 'engine')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? engineFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

describe('the exercises', () => {
  it('has one to three per chapter, with ids that start with their chapter', () => {
    for (let n = 1; n <= 6; n++) {
      const count = EXERCISES.filter((e) => e.chapter === n).length;
      expect(count, `chapter ${n}`).toBeGreaterThanOrEqual(1);
      expect(count, `chapter ${n}`).toBeLessThanOrEqual(3);
    }
    for (const e of EXERCISES) expect(e.id).toMatch(new RegExp(`^${e.chapter}-[a-z0-9-]+$`));
    expect(new Set(EXERCISES.map((e) => e.id)).size).toBe(EXERCISES.length);
  });

  it.each(EXERCISES.map((e) => [e.id, e] as const))('%s: its region is once in its file, around the body of its function', (_, e) => {
    const text = read(e.file);
    const { start, end, indent } = findRegion(text, e); // throws unless exactly once
    const lines = text.split('\n');
    // Opened on the line right after the function's signature…
    expect(lines[start - 1]).toMatch(new RegExp(`\\bfunction ${e.fn}\\(.*\\{$`));
    // …and closed on the line right before its closing brace, one level out.
    expect(lines[end + 1]).toBe(`${indent.slice(2)}}`);
    expect(indent.length).toBeGreaterThanOrEqual(2);
    // No other exercise inside.
    expect(lines.slice(start + 1, end).some((l) => l.includes('#region exercise-'))).toBe(false);
  });

  it.each(EXERCISES.map((e) => [e.id, e.chapter, e] as const))('%s: its tests are in chapter %i\'s check list', (_, __, e) => {
    const list = CHAPTER_GROUPS.find((g) => g.id === String(e.chapter))!.files;
    expect(e.tests.length).toBeGreaterThan(0);
    for (const t of e.tests) expect(list, t).toContain(t);
  });

  it('every exercise region in engine/ is in the list', () => {
    const known = new Set(EXERCISES.map(regionName));
    const found = engineFiles().flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/\/\/ #(?:end)?region (exercise-\S+)/g)].map((m) => `${relative(ROOT, f)}: ${m[1]}`),
    );
    expect(found.filter((f) => !known.has(f.split(': ')[1]!))).toEqual([]);
    expect(found.length).toBe(2 * EXERCISES.length);
  });

  it.each(EXERCISES.map((e) => [e.id, e] as const))('%s: the stub keeps the signature and the markers, and throws', (_, e) => {
    const text = read(e.file);
    const stubbed = stubRegion(text, e);
    const { start, end } = findRegion(stubbed, e);
    const lines = stubbed.split('\n');
    expect(lines[start - 1]).toBe(text.split('\n')[start - 1]);
    expect(lines.slice(start + 1, end).filter((l) => !l.trim().startsWith('//'))).toEqual([
      expect.stringContaining(`throw new Error('exercise ${e.id}: not written yet — see ${chapterPage(e.chapter)}, Exercises');`),
    ]);
    // Only the region changes.
    const { start: s0, end: e0 } = findRegion(text, e);
    expect([...lines.slice(0, start), ...lines.slice(end)]).toEqual([...text.split('\n').slice(0, s0), ...text.split('\n').slice(e0)]);
  });
});

describe('the chapter pages', () => {
  it.each([1, 2, 3, 4, 5, 6])('chapter %i ends with Exercises and How to check your work, naming its exercises', (n) => {
    const page = read(chapterPage(n));
    const block = /<!-- exercises:start -->([\s\S]*)<!-- exercises:end -->/.exec(page)?.[1];
    expect(block, `${chapterPage(n)} has no <!-- exercises:start --> … <!-- exercises:end --> block`).toBeDefined();
    expect(block).toContain('## Exercises');
    expect(block).toContain('## How to check your work');
    expect(block).toContain(`npm run check -- ${n}`);
    expect(block).toContain(`npm run workshop -- --chapter ${n}`);
    // The expected last lines count the chapter's test files: the page follows the list.
    const files = CHAPTER_GROUPS.find((g) => g.id === String(n))!.files.length;
    expect(block).toContain(`Test Files  ${files} passed (${files})`);
    for (const e of EXERCISES.filter((x) => x.chapter === n)) {
      expect(block).toContain(e.id);
      expect(block).toContain(e.file);
    }
  });
});
