// Chapter 5, build: the shell patterns of `${v#pattern}`, `${v%pattern}` and `${v/pattern/text}`
// (POSIX "Pattern Matching Notation" without bracket expressions): `?` is one character, `*`
// any run of them, `\` makes the next `*`, `?` or `\` literal. As Docker does, a pattern becomes
// a regular expression; a shortest or longest match is a lazy or greedy `*`, and a match at the
// end (for `%`) is a match at the start of the reversed strings.

import { problem } from './dockerfile-error.js';

/** Regex syntax that stands for itself in a shell pattern. */
const REGEX_SPECIAL = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);

export function patternToRegex(pattern: string, options: { greedy: boolean; anchored: boolean }): RegExp {
  const chars = Array.from(pattern);
  // Go's `.` matches anything but a newline; JavaScript's also stops at \r, U+2028 and U+2029.
  const any = '[^\\n]';
  let out = options.anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') out += options.greedy ? `${any}*` : `${any}*?`;
    else if (ch === '?') out += any;
    else if (ch === '\\') {
      // `\}` and `\/` were only there to get past the `${…}` reader: the escape goes.
      if (chars[i + 1] === '}' || chars[i + 1] === '/') continue;
      const next = chars[++i];
      if (next !== '*' && next !== '?' && next !== '\\') throw problem('DOCKERFILE_SUBSTITUTION', `invalid escape '\\${next ?? ''}'`);
      out += '\\' + next;
    } else out += (REGEX_SPECIAL.has(ch) ? '\\' : '') + ch;
  }
  return new RegExp(out);
}

/** `${v#p}` (shortest) and `${v##p}` (longest): `value` without what `pattern` matches at its start. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternToRegex(pattern, { greedy, anchored: true }).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** `${v%p}` and `${v%%p}`: the same at the end, by reversing pattern (escapes kept whole) and value. */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const chars = Array.from(pattern);
  const reversed: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\' && i + 1 < chars.length) reversed.unshift(chars[i]! + chars[++i]!);
    else reversed.unshift(chars[i]!);
  }
  const backwards = (s: string) => Array.from(s).reverse().join('');
  return backwards(trimPrefix(reversed.join(''), backwards(value), greedy));
}

/**
 * `${v/p/text}` replaces the first match, `${v//p/text}` every match. The first is a plain
 * splice; "every" goes through Go's ReplaceAllString, whose replacement understands `$name`
 * group references (there are no groups here, so they are empty) and `$$` for a `$`.
 */
export function replace(value: string, pattern: string, replacement: string, all: boolean): string {
  const re = patternToRegex(pattern, { greedy: true, anchored: false });
  if (!all) {
    const m = re.exec(value);
    return m ? value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length) : value;
  }
  const expanded = replacement.replace(/\$\$|\$\{\w+\}|\$\w+/g, (ref) => (ref === '$$' ? '$' : ''));
  const global = new RegExp(re.source, 'g');
  return value.replace(global, () => expanded);
}
