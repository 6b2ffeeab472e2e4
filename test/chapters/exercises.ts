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
  /** What to write, one point per item: the stub's comments and the chapter page list them. */
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
      'Say what a tar entry name means for whiteouts. Return null for an ordinary entry.',
      '`dir/.wh..wh..opq` gives { kind: "opaque", dir: "dir" } (the top directory is "").',
      '`dir/.wh.name` gives { kind: "whiteout", target: "dir/name" }.',
      'These give { kind: "meta" }: any other name that starts with `.wh..wh.`; a `.wh.` name with nothing, `.` or `..` after `.wh.`; and anything inside a directory whose name starts with `.wh..wh.`.',
      'Use baseOf, parentOf and join, and the constants at the top of the file.',
    ],
    tests: ['test/layers/whiteouts.test.ts'],
  },
  {
    id: '1-split-domain',
    chapter: 1,
    file: 'engine/layers/reference.ts',
    fn: 'splitDomain',
    title: 'Find the registry in an image name',
    task: [
      'Split a name without tag or digest (`localhost:5000/app`, `busybox`) into { domain, path }.',
      'The part before the first `/` is a registry host when it contains a `.` or a `:`, is `localhost`, or has an uppercase letter. Then check it against DOMAIN, else refuse it with bad(original, …).',
      'Otherwise the domain is DEFAULT_DOMAIN (docker.io) and the path is the whole name. An empty path is refused.',
      'LEGACY_DEFAULT_DOMAIN (index.docker.io) becomes DEFAULT_DOMAIN.',
      'On Docker Hub, a path of one component is an official image: put OFFICIAL_PREFIX (`library/`) before it.',
    ],
    tests: ['test/layers/reference.test.ts'],
  },
  {
    id: '2-stat-compare',
    chapter: 2,
    file: 'engine/unionfs/changes.ts',
    fn: 'statDifferent',
    title: 'Tell a changed file from an unchanged one',
    task: [
      'The copy driver finds what a container changed by comparing its tree with the image\'s tree. Return true when the path changed between the image\'s tree (a) and the container\'s tree (b).',
      'A path changed when its mode (type and permissions), uid, gid or rdev differ.',
      'For a directory, that is all: its size and its mtime say nothing.',
      'Any other file also changed when its size or its mtime (mtimeNs) differ.',
      'A symbolic link also changed when its target differs (readlinkSync of pa and of pb).',
    ],
    tests: ['test/unionfs/changes.test.ts'],
  },
  {
    id: '3-limits',
    chapter: 3,
    file: 'engine/namespaces/cgroup-plan.ts',
    fn: 'resolveLimits',
    title: 'Turn the limits of `docker run` into cgroup values',
    task: [
      'Fill a ResolvedLimits from the CgroupLimits. Leave a field unset when nothing is to be written.',
      'memoryBytes: a positive whole number (use wholeNumber), at least MIN_MEMORY_BYTES.',
      'memorySwapBytes (memory plus swap): -1 gives "max"; any other value must be at least the memory. Not given (or 0) with a memory limit: twice the memory. A swap limit without a memory limit is refused.',
      'cpus: cpuPeriodUs is CPU_PERIOD_US and cpuQuotaUs is Math.round(cpus * CPU_PERIOD_US). A quota under 1000 is refused, and so is a cpus that is not a positive finite number. 0 means unset.',
      'cpuShares: a positive whole number, clamped to 2…262144. 0 means unset.',
      'pidsLimit: a positive whole number gives pidsMax. 0 and -1 mean unlimited (unset). Other values are refused.',
      'Refuse with invalid(\'CGROUP_BAD_LIMIT\', message, data). The tests check the code, not the message.',
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
      'Return the challenges of the header, in order. Each has a scheme (lowercased) and its parameters.',
      'Several headers (an array) are read as one text, joined with ", ". No header gives [].',
      'A parameter is `name=value`; lowercase the name. The value is a token, or a "quoted string" in which a backslash escapes the next character and which may hold commas.',
      'A token that is not followed by `=` starts the next challenge. The TOKEN pattern at the top of the file matches a scheme or a parameter name.',
      'Skip spaces and commas between the parts. Stop when the text is not a challenge.',
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
      'A line goes on to the next when it ends with the escape character (`\\`, or `` ` `` after the directive `# escape=` followed by a backtick). Spaces or tabs may come after it.',
      'Then return the line without the spaces, tabs and escape character at its end. Otherwise return null.',
      'Two escape characters at the end are an escaped escape, not a continuation: return null.',
    ],
    tests: ['test/build/dockerfile.test.ts'],
  },
  {
    id: '6-human-duration',
    chapter: 6,
    file: 'engine/cli/format/duration.ts',
    fn: 'humanDuration',
    title: 'Say how long ago, as `docker ps` does',
    task: [
      'Turn milliseconds into the words Docker prints, like "About an hour".',
      'Whole seconds (cut, not rounded): under 1 gives "Less than a second", 1 gives "1 second", under 60 gives "N seconds".',
      'Whole minutes: 1 gives "About a minute", under 60 gives "N minutes".',
      'Hours, rounded to the nearest hour: 1 gives "About an hour", under 48 gives "N hours".',
      'From the rounded hours: under 2 weeks gives "N days", under 2 months (of 30 days) "N weeks", under 2 years (of 365 days) "N months". Else "N years", counted from the whole hours (cut). Each N is cut, not rounded (Math.trunc).',
    ],
    tests: ['test/cli/format.test.ts'],
  },
  {
    id: '6-request-guard',
    chapter: 6,
    file: 'engine/daemon/live/request-guard.ts',
    fn: 'checkRequest',
    title: 'Guard the read-only live listener',
    task: [
      'Decide from the headers alone whether the live listener answers a request. The comment at the top of the file gives the four rules; check them in that order.',
      'Host: lowercase it; it must be one of policy.hosts, else 403 LIVE_HOST_REFUSED (a missing Host is refused too).',
      'Origin: when there is one, it must be one of policy.origins exactly, else 403 LIVE_ORIGIN_REFUSED.',
      'No Origin, but a fetchSite other than "same-origin" or "none": an embed from another page, 403 LIVE_EMBED_REFUSED.',
      'An OPTIONS with an Origin and a preflightMethod is a CORS preflight: for GET answer { allowed: true, origin, preflight: true }.',
      'Any other method than GET: 405 LIVE_READ_ONLY. A GET: { allowed: true, origin: the Origin or null, preflight: false }.',
      'A refusal is { allowed: false, status, code, message }. The tests check the code and the status.',
    ],
    tests: ['test/daemon/live-settings.test.ts'],
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
