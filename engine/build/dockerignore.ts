// `.dockerignore`, chapter 5 (build): which files of the build context never reach the daemon.
// The rules are those of moby's patternmatcher and ignorefile packages, which the docker CLI
// runs when it makes the context tar:
//
//   - a line starting with `#` is a comment (checked *before* trimming: `  # x` is a pattern);
//     blank lines are skipped; each pattern is trimmed and cleaned like Go's filepath.Clean
//     (`./a//b/` → `a/b`), and a leading `/` is dropped: `/a` and `a` are the same pattern;
//   - `!pattern` is an exception: it takes back what an earlier line excluded. The *last*
//     matching line decides, so order matters: `*.md` then `!README.md` keeps README.md;
//   - a pattern matching a directory excludes everything under it (`node_modules` excludes
//     `node_modules/a/b.js`), and an exception below an excluded directory still works
//     (`docs` then `!docs/keep.md`): the walk must enter `docs` to find keep.md;
//   - `**` matches any number of directories, zero included: `**/*.log`, `a/**/b`, `dist/**`;
//     the rest is Go's filepath.Match (path-match.ts).
//
// Worked example, the lines `skip`, `!skip/x/keep`, `**/*.log`, `!app.log`:
//   skip/a → excluded (its parent `skip` matches)     skip/x/keep → kept (the exception)
//   src/b.log → excluded                               app.log → kept (the last line wins)
import { posix } from 'node:path';
import { invalid } from '../base/index.js';
import { cleanPath } from './clean-path.js';
import { readClass, regExpLiteral, globSource } from './path-match.js';

/** How a pattern is tested, chosen as patternmatcher chooses it (only literals: a string compare). */
type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

export interface IgnorePattern {
  /** The cleaned pattern, without its `!`. */
  readonly text: string;
  /** An exception (`!`): a match keeps the path instead of excluding it. */
  readonly exclusion: boolean;
  /** The pattern's path segments (the deprecated matcher compares parents at this depth). */
  readonly depth: number;
  readonly kind: MatchKind;
  readonly re?: RegExp;
}

export interface IgnoreRules {
  readonly patterns: readonly IgnorePattern[];
  /** Whether any pattern is an exception: without one, an excluded directory is never entered. */
  readonly hasExclusions: boolean;
}

// #region read-dockerignore
/** The patterns of a `.dockerignore` file's text, in order (ignorefile.ReadAll). */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const exception = pattern.startsWith('!');
    if (exception) pattern = pattern.slice(1).trim();
    if (pattern !== '') {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(exception ? `!${pattern}` : pattern);
  }
  return out;
}
// #endregion read-dockerignore

/** Compiles one cleaned pattern the way patternmatcher does; see the region below. */
function classify(text: string): { kind: MatchKind; re?: RegExp } {
  const chars = Array.from(text);
  let kind: MatchKind = 'exact';
  let re = '';
  for (let i = 0, step = 0; i < chars.length; step++) {
    const c = chars[i]!;
    if (c === '*' && chars[i + 1] === '*') {
      i += 2;
      if (chars[i] === '/') i++; // `**/` is read as `**`
      if (i < chars.length) {
        re += '(?:.*/)?'; // any number of directories, none included
        kind = 'regexp';
      } else if (kind === 'exact') kind = 'prefix'; // `dir/**`: everything under dir/
      else {
        re += '.*';
        kind = 'regexp';
      }
      if (step === 0) kind = 'suffix'; // a leading `**`: compared by suffix until a wildcard follows
    } else if (c === '*' || c === '?') {
      re += c === '*' ? '[^/]*' : '[^/]';
      kind = 'regexp';
      i++;
    } else if (c === '[') {
      const cls = readClass(text, chars, i);
      re += cls.source;
      kind = 'regexp';
      i = cls.end;
    } else if (c === '\\' && i + 1 < chars.length) {
      re += regExpLiteral(chars[i + 1]!);
      kind = 'regexp';
      i += 2;
    } else {
      re += regExpLiteral(c);
      i++;
    }
  }
  return kind === 'regexp' ? { kind, re: new RegExp(`^${re}$`, 'u') } : { kind };
}

// #region compile
/** The rules for a list of patterns (patternmatcher.New): each trimmed, cleaned and checked. */
export function compileIgnore(lines: readonly string[]): IgnoreRules {
  const patterns: IgnorePattern[] = [];
  for (const line of lines) {
    let p = line.trim();
    if (p === '') continue;
    p = cleanPath(p);
    const exclusion = p.startsWith('!');
    if (exclusion) {
      if (p.length === 1) throw invalid('DOCKERIGNORE_BAD_PATTERN', 'illegal exclusion pattern: "!"', { pattern: line });
      p = p.slice(1);
    }
    try {
      globSource(p); // a malformed glob is refused here, not half-way through a walk
    } catch (err) {
      throw invalid('DOCKERIGNORE_BAD_PATTERN', `.dockerignore pattern ${JSON.stringify(line)}: ${(err as Error).message}`, { pattern: line }, err);
    }
    patterns.push({ text: p, exclusion, depth: p.split('/').length, ...classify(p) });
  }
  return { patterns, hasExclusions: patterns.some((p) => p.exclusion) };
}
// #endregion compile

/** Whether one pattern matches one path (no parents considered). */
export function patternMatches(p: IgnorePattern, path: string): boolean {
  switch (p.kind) {
    case 'exact':
      return path === p.text;
    case 'prefix':
      return path.startsWith(p.text.slice(0, -2));
    case 'suffix': {
      const suffix = p.text.slice(2);
      // `**/foo` also matches `foo` itself, at the top.
      return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
    }
    case 'regexp':
      return p.re!.test(path);
  }
}

/** The parent directories of a slash path, shortest first: `a/b/c` → `a`, `a/b`. */
function parentsOf(path: string): string[] {
  const dirs = path.split('/').slice(0, -1);
  return dirs.map((_, i) => dirs.slice(0, i + 1).join('/'));
}

// #region excluded
/**
 * Whether `path` (relative to the context, slash-separated) is excluded: patterns are tried in
 * order, each against the path and then each of its parents, and the last one that matches
 * decides (patternmatcher's MatchesOrParentMatches). The context root itself is never excluded.
 */
export function isExcluded(rules: IgnoreRules, path: string): boolean {
  const file = cleanPath(path);
  if (file === '.') return false;
  const parents = parentsOf(file);
  let matched = false;
  for (const p of rules.patterns) {
    // An exclusion can only undo a match, an inclusion only make one: skip the rest.
    if (p.exclusion !== matched) continue;
    if (patternMatches(p, file) || parents.some((d) => patternMatches(p, d))) matched = !p.exclusion;
  }
  return matched;
}
// #endregion excluded

/** What a walk remembers of a directory: for each pattern, whether it matched the directory. */
export type ParentMatches = readonly boolean[];

/**
 * The docker CLI's walk test (patternmatcher's MatchesUsingParentResults): like isExcluded, but
 * a pattern that matched the parent directory counts as matched without being tried again, and
 * only the path itself is tried otherwise. Pass `null` for a path whose parent was not walked.
 * The result differs from isExcluded only for odd orders of repeated patterns; the CLI's tar is
 * made this way, so packContext uses it.
 */
export function walkMatch(rules: IgnoreRules, path: string, parent: ParentMatches | null): { excluded: boolean; matches: ParentMatches } {
  const matches: boolean[] = [];
  let excluded = false;
  rules.patterns.forEach((p, i) => {
    let match = parent?.[i] ?? false;
    if (!match) {
      if (p.exclusion !== excluded) return void matches.push(false);
      match = patternMatches(p, path) || (parent === null && parentsOf(path).some((d) => patternMatches(p, d)));
    }
    matches.push(match);
    if (match) excluded = !p.exclusion;
  });
  return { excluded, matches };
}

/**
 * Whether an excluded directory must still be walked: some exception names a path inside it
 * (`!dir/keep`, `!dir/sub/*`). Only the exception's text is compared, as the CLI does, so
 * `dir` then `!**\/keep` does not bring back `dir/keep`.
 */
export function mustDescend(rules: IgnoreRules, dir: string): boolean {
  if (!rules.hasExclusions) return false;
  return rules.patterns.some((p) => p.exclusion && `${p.text}/`.startsWith(`${dir}/`));
}

/**
 * patternmatcher's deprecated Matches, kept because the CLI still uses it for one decision
 * (keepBuildFiles): a parent is compared only at the pattern's own depth, so `**\/b` does not
 * see `a/b/c`'s parent `a/b`.
 */
export function legacyMatches(rules: IgnoreRules, path: string): boolean {
  const file = cleanPath(path);
  if (file === '.') return false;
  const parentDirs = posix.dirname(file).split('/');
  let matched = false;
  for (const p of rules.patterns) {
    if (p.exclusion !== matched) continue;
    let match = patternMatches(p, file);
    if (!match && posix.dirname(file) !== '.' && p.depth <= parentDirs.length) {
      match = patternMatches(p, parentDirs.slice(0, p.depth).join('/'));
    }
    if (match) matched = !p.exclusion;
  }
  return matched;
}

// #region keep-build-files
/**
 * The CLI always sends `.dockerignore` and the Dockerfile, even when the file excludes them: it
 * adds `!.dockerignore` and `!<dockerfile>` to the patterns (TrimBuildFilesFromExcludes). The
 * daemon reads the Dockerfile, then deletes both from its copy of the context if `.dockerignore`
 * excludes them (context.ts, removeIgnoredBuildFiles), so `COPY . /` never copies them.
 */
export function keepBuildFiles(patterns: readonly string[], dockerfile: string, dockerfileFromStdin: boolean): string[] {
  const out = [...patterns];
  if (legacyMatches(compileIgnore(out), '.dockerignore')) out.push('!.dockerignore');
  if (!dockerfileFromStdin && legacyMatches(compileIgnore(out), dockerfile)) out.push(`!${dockerfile}`);
  return out;
}
// #endregion keep-build-files
