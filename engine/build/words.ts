// Chapter 5, build: how one logical line is cut up *before* any variable is substituted.
//
//   RUN --network=none ["echo", "hi"]
//   ^^^ ^^^^^^^^^^^^^^ ^^^^^^^^^^^^^^
//   keyword  flags     arguments: a JSON array of strings (exec form), or the text as it is
//
// Each instruction then reads its arguments one of four ways (Docker's "line parsers"):
//   - the whole text as one string (WORKDIR, USER, STOPSIGNAL, MAINTAINER, shell-form RUN…);
//   - words split at spaces and tabs, quotes *not* honoured (FROM, EXPOSE, non-JSON COPY, ADD,
//     VOLUME): `COPY "a b" /x` has three words, and substitution later trips on the `"a`;
//   - words split at spaces *outside* quotes, quotes and escapes kept for later (ENV, LABEL, ARG);
//   - a JSON array of strings; anything else that starts with `[` but is not valid JSON falls
//     back to the text form, while valid JSON holding a non-string is an error.
import type { EscapeChar } from './types.js';
import { problem } from './dockerfile-error.js';
import { isSpace, trimSpace } from './characters.js';

/** Docker's reWhitespace: the separators of the "words at spaces" form (ASCII, no newline). */
const WHITESPACE = /[\t\v\f\r ]+/;

/** The keyword, the `--flags` that follow it, and the rest (trimmed). */
export function splitCommand(line: string, escape: EscapeChar): { keyword: string; flags: string[]; args: string } {
  const trimmed = trimSpace(line);
  const m = WHITESPACE.exec(trimmed);
  if (!m) return { keyword: trimmed, flags: [], args: '' };
  const keyword = trimmed.slice(0, m.index);
  const { flags, rest } = builderFlags(trimmed.slice(m.index + m[0].length), escape);
  return { keyword, flags, args: trimSpace(rest) };
}

/**
 * Takes the leading words that start with `--` (quotes and escapes processed inside them:
 * `--chown="a b"` is `--chown=a b`); a bare `--` ends them. Returns them and the rest.
 */
function builderFlags(text: string, escape: EscapeChar): { flags: string[]; rest: string } {
  const chars = Array.from(text);
  const flags: string[] = [];
  let i = 0;
  for (;;) {
    while (i < chars.length && isSpace(chars[i]!)) i++;
    if (i >= chars.length) return { flags, rest: '' };
    if (chars[i] !== '-' || chars[i + 1] !== '-') return { flags, rest: chars.slice(i).join('') };
    let word = '';
    let quoted = false;
    let quote = '';
    for (; i < chars.length; i++) {
      const ch = chars[i]!;
      if (quote === '' && isSpace(ch)) break;
      if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch;
        quoted = true;
      } else if (quote !== '' && ch === quote) {
        quote = '';
      } else if (ch === escape) {
        // The escape takes the next character as it is; at the very end it is dropped.
        if (i + 1 < chars.length) word += chars[++i];
      } else word += ch;
    }
    if (word === '--') return { flags, rest: chars.slice(i).join('') };
    if (word !== '' || quoted) flags.push(word);
  }
}

/** Words at spaces and tabs, quotes not honoured (FROM, EXPOSE, COPY, ADD, VOLUME). */
export function splitWhitespace(text: string): string[] {
  return text === '' ? [] : text.split(WHITESPACE);
}

/**
 * Words at spaces outside quotes, for ENV, LABEL and ARG. Quotes and escapes stay in the words
 * (substitution processes them later); they only decide where a word ends. Inside single
 * quotes the escape character is an ordinary character; an escape at the very end is dropped.
 */
export function quotedWords(text: string, escape: EscapeChar): string[] {
  const chars = Array.from(text);
  const words: string[] = [];
  let word: string | null = null; // null between words
  let quote = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (word === null) {
      if (isSpace(ch)) continue;
      word = '';
    }
    if (quote === '') {
      if (isSpace(ch)) {
        words.push(word);
        word = null;
        continue;
      }
      if (ch === '"' || ch === "'") quote = ch;
    } else if (ch === quote) {
      quote = '';
    }
    if (ch === escape && quote !== "'") {
      if (i + 1 === chars.length) break;
      word += ch + chars[++i];
      continue;
    }
    word += ch;
  }
  if (word !== null && word !== '') words.push(word);
  return words;
}

export type JsonArray = { json: true; values: string[] } | { json: false };

/**
 * The exec form: `text` is exec form only if it is a JSON array of strings. Invalid JSON, or
 * JSON that is not an array, is not exec form (the caller uses the text); a valid array with a
 * non-string element is Docker's error.
 */
export function jsonArray(text: string): JsonArray {
  const trimmed = trimSpace(text, 'left');
  if (!trimmed.startsWith('[')) return { json: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return { json: false };
  }
  if (!Array.isArray(parsed)) return { json: false };
  if (!parsed.every((v): v is string => typeof v === 'string')) {
    throw problem('DOCKERFILE_PARSE', 'when using JSON array syntax, arrays must be comprised of strings only');
  }
  return { json: true, values: parsed };
}
