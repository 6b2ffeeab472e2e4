// `npm run workshop -- --chapter N --out DIR` (issue 8): a learner's copy of the project in which
// chapter N's exercises (exercises.ts) are taken out. Each exercise's region — the body of one
// engine function, between `// #region exercise-<id>` and `// #endregion exercise-<id>` — becomes
// a stub: comments that say what to write and which test checks it, then a `throw`. The function
// keeps its signature, so the copy still builds; `npm run check -- N` in the copy fails until the
// learner has written the bodies, and passes when they are right.
//
// What is copied: the files git tracks (git ls-files), as they are in the working tree — not
// node_modules, not dist. DIR must be outside the checkout and empty (or not exist yet).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHAPTER_GROUPS, findGroup } from './chapter-tests.js';
import { exercisesOf, findRegion, notWrittenMessage, regionName, type Exercise } from './exercises.js';
import { projectRoot } from './check.js';

/** The chapter page of chapter `n` (chapters/2-union-fs.md). */
export function chapterPage(n: number): string {
  const page = CHAPTER_GROUPS.find((g) => g.id === String(n))?.page;
  if (!page) throw new Error(`chapter ${n} has no page`);
  return page;
}

/** `text` cut into lines of at most `width` characters, at spaces. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return line === '' ? lines : [...lines, line];
}

/** A single-quoted TypeScript string literal. */
const quoted = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/**
 * The file's text with the exercise's region replaced by a stub. The marker lines stay, so the
 * region can be found again (by the tests, or to put the reference body back).
 */
export function stubRegion(text: string, e: Exercise): string {
  const { start, end, indent } = findRegion(text, e);
  const lines = text.split('\n');
  const comment = (s: string) => `${indent}// ${s}`.trimEnd();
  const stub = [
    comment(`EXERCISE ${e.id} — ${e.title}.`),
    comment('What to write:'),
    ...e.task.flatMap((t) => wrap(t, 90).map((l, i) => comment(`${i === 0 ? '  - ' : '    '}${l}`))),
    comment(`Checked by ${e.tests.join(', ')}; \`npm run check -- ${e.chapter}\` runs the whole chapter.`),
    `${indent}throw new Error(${quoted(notWrittenMessage(e, chapterPage(e.chapter)))});`,
  ];
  return [...lines.slice(0, start + 1), ...stub, ...lines.slice(end)].join('\n');
}

/** The tracked files of the checkout at `root`, relative. */
function trackedFiles(root: string): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter((f) => f !== '');
}

/** Copies the tracked files; one deleted in the working tree (not yet committed) is left out. */
function copyTracked(root: string, out: string): number {
  let n = 0;
  for (const file of trackedFiles(root)) {
    const from = join(root, file);
    const st = lstatSync(from, { throwIfNoEntry: false });
    if (!st || st.isDirectory()) continue; // gone, or a submodule
    const to = join(out, file);
    mkdirSync(dirname(to), { recursive: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else {
      copyFileSync(from, to);
      chmodSync(to, st.mode & 0o7777);
    }
    n++;
  }
  return n;
}

/** Why `out` cannot hold a workshop copy of `root`, or undefined when it can. */
export function outProblem(root: string, out: string): string | undefined {
  const rel = relative(resolve(root), resolve(out));
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return `${out} is inside the checkout ${root}: choose a folder outside it`;
  if (existsSync(out) && (!lstatSync(out).isDirectory() || readdirSync(out).length > 0)) return `${out} exists and is not an empty folder`;
  return undefined;
}

function workshopNotes(a: { root: string; chapter: number; exercises: Exercise[] }): string {
  const page = chapterPage(a.chapter);
  const items = a.exercises.flatMap((e) => [
    `- **${e.id}** — ${e.title}: the body of \`${e.fn}\` in \`${e.file}\`.`,
    `  Checked by \`${e.tests.join('`, `')}\`.`,
  ]);
  return [
    `# Workshop: chapter ${a.chapter}`,
    '',
    `This is a copy of Dockling in which the exercises of chapter ${a.chapter} are taken out.`,
    `Each one is the body of a function; the function is still there, with comments that say what`,
    `to write, and it throws "not written yet" until you write it. ${page} (section "Exercises")`,
    'says more.',
    '',
    ...items,
    '',
    '## Set up',
    '',
    'Install the dependencies (this also builds the engine):',
    '',
    '```sh',
    'npm install',
    '```',
    '',
    'Or, to reuse those of the checkout this copy was made from:',
    '',
    '```sh',
    `ln -s ${join(a.root, 'node_modules')} node_modules`,
    '```',
    '',
    '## Check your work',
    '',
    '```sh',
    `npm run check -- ${a.chapter}`,
    '```',
    '',
    `It runs every test of chapter ${a.chapter}. Before you write the exercises it fails, and the`,
    'failures show the "not written yet" message. When your code is right it passes. Run it as root,',
    'or the tests that need root are skipped. To run only the tests of one exercise:',
    '',
    '```sh',
    `npx vitest run --config test/vitest.config.ts ${a.exercises.flatMap((e) => e.tests).join(' ')}`,
    '```',
    '',
  ].join('\n');
}

export interface WorkshopResult {
  chapter: number;
  out: string;
  files: number;
  exercises: Exercise[];
}

/** Makes the workshop copy of chapter `chapter` in `out`. Throws on a bad chapter or folder. */
export function makeWorkshop(a: { root: string; chapter: string; out: string }): WorkshopResult {
  const group = findGroup(a.chapter);
  const chapter = Number(group?.id);
  if (!group || !(chapter >= 1 && chapter <= 6)) throw new Error(`no chapter "${a.chapter}": give 1 to 6, or layers, unionfs, namespaces, registry, build, daemon`);
  const exercises = exercisesOf(chapter);
  if (exercises.length === 0) throw new Error(`chapter ${chapter} has no exercises`);
  const out = resolve(a.out);
  const problem = outProblem(a.root, out);
  if (problem) throw new Error(problem);
  mkdirSync(out, { recursive: true });
  const files = copyTracked(a.root, out);
  for (const e of exercises) {
    const file = join(out, e.file);
    writeFileSync(file, stubRegion(readFileSync(file, 'utf8'), e));
  }
  writeFileSync(join(out, 'WORKSHOP.md'), workshopNotes({ root: a.root, chapter, exercises }));
  return { chapter, out, files, exercises };
}

/** `--chapter N --out DIR` (or `--chapter=N`), or a message saying what is missing. */
export function parseWorkshopArgs(args: string[]): { chapter: string; out: string } | string {
  const found: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--(chapter|out)(?:=(.*))?$/.exec(args[i]!);
    if (!m) return `unknown argument ${JSON.stringify(args[i])}`;
    const value = m[2] ?? args[++i];
    if (value === undefined || value === '') return `--${m[1]} needs a value`;
    found[m[1]!] = value;
  }
  if (!found.chapter || !found.out) return 'both --chapter and --out are needed';
  return { chapter: found.chapter, out: found.out };
}

function main(args: string[]): number {
  const parsed = parseWorkshopArgs(args);
  if (typeof parsed === 'string') {
    console.error(`workshop: ${parsed}\nusage: npm run workshop -- --chapter N --out DIR   (N: 1-6 or a chapter name)`);
    return 2;
  }
  try {
    const r = makeWorkshop({ root: projectRoot(), ...parsed });
    console.log(`workshop: copied ${r.files} tracked files to ${r.out}`);
    for (const e of r.exercises) console.log(`workshop: took out ${regionName(e)} — ${e.fn} in ${e.file} (checked by ${e.tests.join(', ')})`);
    console.log(`workshop: wrote ${join(r.out, 'WORKSHOP.md')}`);
    console.log(`next: cd ${r.out} && npm install && npm run check -- ${r.chapter}`);
    return 0;
  } catch (err) {
    console.error(`workshop: ${(err as Error).message}`);
    return 2;
  }
}

// Run as a program (node dist/test/chapters/workshop.js …), not when a test imports this file.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
