// The workshop's exercises (issue 8): for each chapter, functions of the engine that a learner
// writes again. Each is marked in its engine file by two comment lines around the function's body,
//
//   export function humanDuration(ms: number): string {
//     // #region exercise-6-human-duration
//     …the reference body…
//     // #endregion exercise-6-human-duration
//   }
//
// `npm run workshop -- --chapter 6 --out DIR` (workshop.ts) copies the project and puts a stub
// between those lines; the tests named here fail on the stub and pass on a right answer. The
// names use VitePress's own region syntax (`[\w*-]+`, so no colon), which means a chapter page
// that shows a bigger region around one of these functions drops the two lines from its excerpt.
// This file only holds data: workshop.ts and the tests read it.

export interface Exercise {
  /** `<chapter>-<name>`; the region is `exercise-<id>`. */
  id: string;
  chapter: number;
  /** The engine file, relative to the repository root. */
  file: string;
  /** The function whose body the region holds. */
  fn: string;
  title: string;
  /** What to write, in a few plain sentences: the stub's comment and the chapter page say it. */
  task: string[];
  /** Test files that fail on the stub and pass on a right answer; all in the chapter's check list. */
  tests: string[];
}

export const EXERCISES: Exercise[] = [
  {
    id: '1-whiteouts',
    chapter: 1,
    file: 'engine/layers/whiteouts.ts',
    fn: 'classifyWhiteout',
    title: 'Read the whiteout names of a layer',
    task: [
      'Say what a tar entry name means. Return null for an ordinary file.',
      '`dir/.wh..wh..opq` → { kind: "opaque", dir: "dir" } (the top directory is "").',
      '`dir/.wh.name` → { kind: "whiteout", target: "dir/name" }.',
      'Any other `.wh..wh.` name, a `.wh.` name with nothing (or only `.` or `..`) after the prefix,',
      'and anything inside a directory whose name starts with `.wh..wh.` → { kind: "meta" }.',
      'Use baseOf, parentOf and join, and the constants at the top of the file.',
    ],
    tests: ['test/layers/whiteouts.test.ts'],
  },
  {
    id: '2-stat-compare',
    chapter: 2,
    file: 'engine/unionfs/changes.ts',
    fn: 'statDifferent',
    title: 'Tell a changed file from an unchanged one (the copy driver\'s diff)',
    task: [
      'Return true when the path changed between the parent\'s tree (a) and the container\'s tree (b).',
      'It changed when mode (type and permissions), uid, gid or rdev differ.',
      'A directory changes only that way: its size and mtime say nothing.',
      'Any other file also changed when its size or its mtime (mtimeNs) differ,',
      'and a symbolic link also when its target (readlinkSync of pa and pb) differs.',
    ],
    tests: ['test/unionfs/changes.test.ts'],
  },
  {
    id: '3-limits',
    chapter: 3,
    file: 'engine/namespaces/cgroup-plan.ts',
    fn: 'resolveLimits',
    title: 'Turn `docker run` limits into cgroup values',
    task: [
      'Fill a ResolvedLimits from the CgroupLimits; leave a field unset when nothing is to be written.',
      'Memory: a positive whole number (use wholeNumber) of at least MIN_MEMORY_BYTES.',
      'Swap: -1 means "max"; otherwise at least the memory; with -m alone, twice the memory;',
      'a swap limit without a memory limit is refused.',
      'cpus: quota = round(cpus × CPU_PERIOD_US), period = CPU_PERIOD_US; a quota under 1000 µs is refused; 0 means unset.',
      'cpuShares: clamp to 2…262144; 0 means unset. pidsLimit: positive → pidsMax; 0 and -1 mean unlimited; other values are refused.',
      'Refuse with invalid(\'CGROUP_BAD_LIMIT\', message, data) — the tests check the code, not the message.',
    ],
    tests: ['test/namespaces/cgroup-plan.test.ts'],
  },
  {
    id: '4-challenges',
    chapter: 4,
    file: 'engine/registry/client/challenge.ts',
    fn: 'parseChallenges',
    title: 'Read a WWW-Authenticate header',
    task: [
      'Return the challenges of the header, in order: a scheme (lowercased) and its parameters.',
      'Several headers (an array) are read as one, joined with ", ".',
      'A parameter is `name=value` (name lowercased); the value is a token or a "quoted string"',
      'in which a backslash escapes the next character, and which may hold commas.',
      'A token that is not followed by `=` starts the next challenge. No header → [].',
      'The TOKEN pattern at the top of the file matches a scheme or a parameter name.',
    ],
    tests: ['test/registry/client-rules.test.ts'],
  },
  {
    id: '5-continuation',
    chapter: 5,
    file: 'engine/build/lines.ts',
    fn: 'continued',
    title: 'Find a Dockerfile line that goes on to the next one',
    task: [
      'When the line ends with the escape character (`\\`, or `` ` `` with `# escape=`` ` ``),',
      'maybe followed by spaces or tabs, return the line without that character (and without those spaces).',
      'Otherwise return null.',
      'Two escape characters at the end are an escaped escape: not a continuation (return null).',
    ],
    tests: ['test/build/dockerfile.test.ts'],
  },
  {
    id: '6-human-duration',
    chapter: 6,
    file: 'engine/cli/format/duration.ts',
    fn: 'humanDuration',
    title: 'Say how long ago, as `docker ps` does ("About an hour")',
    task: [
      'Turn milliseconds into Docker\'s words. Whole seconds (truncated): under 1 → "Less than a second";',
      '1 → "1 second"; under 60 → "N seconds". Whole minutes: 1 → "About a minute"; under 60 → "N minutes".',
      'Then hours rounded to the nearest hour: 1 → "About an hour"; under 48 → "N hours";',
      'under 2 weeks → "N days"; under 2 months (of 30 days) → "N weeks"; under 2 years (of 365 days) → "N months";',
      'else "N years". Days, weeks and months count from the rounded hours, years from the truncated',
      'hours; each N is truncated, not rounded.',
    ],
    tests: ['test/cli/format.test.ts'],
  },
];

/** The region's name in the engine file. */
export function regionName(e: Exercise): string {
  return `exercise-${e.id}`;
}

/** The exercises of one chapter. */
export function exercisesOf(chapter: number): Exercise[] {
  return EXERCISES.filter((e) => e.chapter === chapter);
}

/** The message the stub throws, which the failing test shows the learner. */
export function notWrittenMessage(e: Exercise, page: string): string {
  return `exercise ${e.id}: not written yet — see ${page}, Exercises`;
}

export interface RegionLines {
  /** 0-based line of `// #region exercise-…`. */
  start: number;
  /** 0-based line of `// #endregion exercise-…`. */
  end: number;
  /** The marker's indentation, which the stub keeps. */
  indent: string;
}

/**
 * Where an exercise's region is in a file's text. Throws unless there is exactly one start and
 * one end marker, in that order.
 */
export function findRegion(text: string, e: Exercise): RegionLines {
  const lines = text.split('\n');
  const at = (word: 'region' | 'endregion') =>
    lines.flatMap((l, i) => (l.trim() === `// #${word} ${regionName(e)}` ? [i] : []));
  const starts = at('region');
  const ends = at('endregion');
  if (starts.length !== 1 || ends.length !== 1 || ends[0]! <= starts[0]!) {
    throw new Error(`${e.file}: want one "// #region ${regionName(e)}" and one "// #endregion ${regionName(e)}" after it; found ${starts.length} and ${ends.length}`);
  }
  return { start: starts[0]!, end: ends[0]!, indent: /^\s*/.exec(lines[starts[0]!]!)![0] };
}
