// Chapter 5, build: how Go classifies characters and quotes strings. Docker's Dockerfile rules
// are written in Go, so "whitespace", "a letter" and a quoted value in an error message mean what
// Go's `unicode` and `strconv` packages say — which is not quite what JavaScript's `\s` or
// JSON.stringify say. The parser and the substitution lexer both read characters through here.

/** Go's unicode.IsSpace: ASCII \t \n \v \f \r and space, U+0085, U+00A0, and Unicode's White_Space. */
export function isSpace(ch: string): boolean {
  switch (ch) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case '\u0085': case '\u00a0':
      return true;
  }
  const c = ch.codePointAt(0) ?? 0;
  if (c < 0x100) return false;
  // JavaScript's \s is White_Space plus U+FEFF, which Go does not count as a space.
  return c !== 0xfeff && /^\s$/u.test(ch);
}

/** Go's unicode.IsLetter (category L). */
export const isLetter = (ch: string): boolean => /^\p{L}$/u.test(ch);

/** Go's unicode.IsDigit (category Nd). */
export const isDigit = (ch: string): boolean => /^\p{Nd}$/u.test(ch);

/** strings.TrimSpace / TrimLeftFunc(unicode.IsSpace), by Go's definition of a space. */
export function trimSpace(s: string, side: 'both' | 'left' = 'both'): string {
  const chars = Array.from(s);
  let start = 0;
  let end = chars.length;
  while (start < end && isSpace(chars[start]!)) start++;
  if (side === 'both') while (end > start && isSpace(chars[end - 1]!)) end--;
  return chars.slice(start, end).join('');
}

/** Go's `%q` (strconv.Quote): how Docker's messages quote a value. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}
