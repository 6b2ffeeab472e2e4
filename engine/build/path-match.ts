// Go's filepath.Match, the glob language of COPY/ADD sources and of .dockerignore (chapter 5,
// build). Docker is written in Go, so "a wildcard" in a Dockerfile means exactly what Go's
// path/filepath package says it means:
//
//   *        any run of characters except '/'
//   ?        one character except '/'
//   [a-z0]   one character in the class; [^a-z] one character *not* in it ('/' included)
//   \c       the character c itself (so `\*` is a star)
//
// Go refuses a malformed pattern with ErrBadPattern: a class never closed (`[a`), an empty class
// (`[]`), a range with no end (`[a-]`), a class starting with '-', a trailing backslash. We
// refuse the same, with GLOB_BAD_PATTERN. A pattern is compiled once into a RegExp whose source
// a reader can print: `*.go` → /^[^/]*\.go$/u.
import { invalid } from '../base/index.js';

const badPattern = (pattern: string, why: string) =>
  invalid('GLOB_BAD_PATTERN', `syntax error in pattern ${JSON.stringify(pattern)}: ${why}`, { pattern });

/** A code point as a RegExp escape that is valid anywhere, inside a class or out. */
const esc = (cp: number) => `\\u{${cp.toString(16)}}`;

/** Characters with a meaning in a RegExp, escaped when they stand for themselves. */
export function regExpLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * Reads a character class that starts at `chars[start]` (a '['), the way Go's matchChunk does:
 * an optional '^', then one or more `c` or `lo-hi` ranges (each end may be `\`-escaped), closed
 * by the first ']' after at least one range. Returns the RegExp class and the index after it.
 */
export function readClass(pattern: string, chars: string[], start: number): { source: string; end: number } {
  let i = start + 1;
  let negated = false;
  if (chars[i] === '^') {
    negated = true;
    i++;
  }
  const one = (): number => {
    let c = chars[i];
    if (c === undefined) throw badPattern(pattern, 'character class is not closed');
    if (c === '-' || c === ']') throw badPattern(pattern, `unexpected '${c}' in character class`);
    if (c === '\\') {
      i++;
      c = chars[i];
      if (c === undefined) throw badPattern(pattern, 'character class is not closed');
    }
    i++;
    if (chars[i] === undefined) throw badPattern(pattern, 'character class is not closed');
    return c.codePointAt(0)!;
  };
  let ranges = '';
  let count = 0;
  while (!(chars[i] === ']' && count > 0)) {
    const lo = one();
    let hi = lo;
    if (chars[i] === '-') {
      i++;
      hi = one();
    }
    count++;
    // Go simply never matches a reversed range; a RegExp would refuse to compile it.
    if (lo <= hi) ranges += lo === hi ? esc(lo) : `${esc(lo)}-${esc(hi)}`;
  }
  // `[^]` in a RegExp matches any character: right for a negated class whose ranges were all
  // reversed; `[]` matches none: right for a plain one.
  return { source: `[${negated ? '^' : ''}${ranges}]`, end: i + 1 };
}

// #region glob
/** The RegExp source (unanchored) for a Go glob; throws GLOB_BAD_PATTERN on a malformed one. */
export function globSource(pattern: string): string {
  const chars = Array.from(pattern); // by code point, as Go decodes runes
  let out = '';
  for (let i = 0; i < chars.length; ) {
    const c = chars[i]!;
    if (c === '*') {
      out += '[^/]*';
      i++;
    } else if (c === '?') {
      out += '[^/]';
      i++;
    } else if (c === '[') {
      const cls = readClass(pattern, chars, i);
      out += cls.source;
      i = cls.end;
    } else if (c === '\\') {
      if (i + 1 >= chars.length) throw badPattern(pattern, 'trailing backslash');
      out += regExpLiteral(chars[i + 1]!);
      i += 2;
    } else {
      out += regExpLiteral(c);
      i++;
    }
  }
  return out;
}

/** A Go glob as an anchored RegExp. */
export function compileGlob(pattern: string): RegExp {
  return new RegExp(`^${globSource(pattern)}$`, 'u');
}

/** Go's filepath.Match(pattern, name). */
export function globMatch(pattern: string, name: string): boolean {
  return compileGlob(pattern).test(name);
}
// #endregion glob

/**
 * Whether a COPY source is a wildcard (moby's containsWildcards): it holds `*`, `?` or `[`
 * that no backslash escapes. `a\*b` names a file called `a*b`.
 */
export function hasWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}
