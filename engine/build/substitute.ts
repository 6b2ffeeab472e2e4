// Chapter 5, build: variable substitution, the small shell lexer dockerd runs over an
// instruction's arguments just before dispatching it (reference: "Environment replacement").
// It is not a shell: no commands run, no globbing, and only these forms exist —
//   $name  ${name}            the value; an unset variable is empty
//   ${name:-word} ${name-word}  word if name is unset or empty (`:`) / only if unset
//   ${name:+word} ${name+word}  word if name is set and non-empty (`:`) / set at all, else empty
//   ${name:?msg}  ${name?msg}   the value, or an error (msg, or Docker's default)
//   ${name#pat} ${name##pat}    without the shortest / longest prefix matching pat
//   ${name%pat} ${name%%pat}    without the shortest / longest suffix matching pat
//   ${name/pat/text} ${name//pat/text}  the first / every match replaced
// and these quoting rules: '…' keeps everything literally; "…" keeps everything but $ (and the
// escape character before ", $ or itself); the escape character outside quotes makes the next
// character literal (\$HOME is "$HOME"); the words inside ${…:-…} follow the same rules.
//
// Scoping — which values a line sees — is the caller's, and Docker's rule is that all of a
// line's arguments are expanded *before* any of them takes effect: in `ENV a=1 b=$a`, b gets
// the a from before the line. So expandPairs takes the variables as they were before the line.
import type { EscapeChar, Keyword, RawArg, RawPair } from './types.js';
import { EngineError } from '../base/index.js';
import { problem } from './dockerfile-error.js';
import { goQuote, isDigit, isLetter, isSpace } from './characters.js';
import { replace, trimPrefix, trimSuffix } from './shell-pattern.js';

/** The variables a line can see: the stage's ENV, then the ARGs in scope (the builder decides). */
export type Vars = ReadonlyMap<string, string>;

/** Variables from a `KEY=value` list (an image config's Env); a later entry wins. */
export function envMap(env: readonly string[]): Map<string, string> {
  return new Map(env.map((e) => {
    const eq = e.indexOf('=');
    return eq < 0 ? [e, ''] : [e.slice(0, eq), e.slice(eq + 1)];
  }));
}

// #region substitution-table
/**
 * How dockerd substitutes each instruction's arguments:
 *   word       each argument separately, one word in → one word out: COPY/ADD sources, dest,
 *              --chown and --chmod (ADD: --checksum too; not COPY --from), ENV and LABEL keys and
 *              values, ARG names and defaults, the VOLUME paths, WORKDIR, USER, STOPSIGNAL;
 *   words      each argument may become several words, split at spaces after expansion
 *              (outside quotes): only EXPOSE (`EXPOSE $PORTS` with PORTS="80 443");
 *   meta-args  FROM's image and --platform, with the ARGs declared before the first FROM only;
 *   none       used as written: RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK go to a shell or an
 *              exec as they are, MAINTAINER is text, ONBUILD stores its trigger unexpanded (the
 *              trigger is substituted by the rule of its own keyword when it runs).
 * Docker's reference lists ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR (and
 * ONBUILD's triggers); dockerd also expands ARG, as `ARG b=$a` shows.
 */
export type SubstitutionRule = 'word' | 'words' | 'meta-args' | 'none';

export const SUBSTITUTION: Readonly<Record<Keyword, SubstitutionRule>> = {
  ADD: 'word', COPY: 'word', ENV: 'word', LABEL: 'word', ARG: 'word',
  VOLUME: 'word', WORKDIR: 'word', USER: 'word', STOPSIGNAL: 'word',
  EXPOSE: 'words',
  FROM: 'meta-args',
  RUN: 'none', CMD: 'none', ENTRYPOINT: 'none', SHELL: 'none', HEALTHCHECK: 'none', MAINTAINER: 'none', ONBUILD: 'none',
};

export const SUBSTITUTED_INSTRUCTIONS: readonly Keyword[] =
  (Object.keys(SUBSTITUTION) as Keyword[]).filter((k) => SUBSTITUTION[k] !== 'none');
// #endregion substitution-table

/** One word: quotes and escapes processed, variables replaced, spaces kept. */
export function expandWord(word: string, vars: Vars, escape: EscapeChar = '\\'): string {
  return lex(word, vars, escape).text;
}

/** One argument into words: like expandWord, then split at spaces that quotes do not protect. */
export function expandWords(word: string, vars: Vars, escape: EscapeChar = '\\'): string[] {
  return lex(word, vars, escape).words;
}

export interface Pair { key: string; value: string }

// #region expand-pairs
/**
 * ENV and LABEL: every key and value of ONE line, expanded against `before` — the variables as
 * they were before the line. `ENV a=1 b=$a` therefore sets b to the old a (empty if none).
 */
export function expandPairs(pairs: readonly RawPair[], before: Vars, escape: EscapeChar = '\\'): Pair[] {
  return pairs.map((p) => ({ key: expandWord(p.key, before, escape), value: expandWord(p.value, before, escape) }));
}
// #endregion expand-pairs

export interface Arg { name: string; default?: string }

/** ARG: names and defaults, by the same rule (`ARG a=1 b=$a` gives b the a from before). */
export function expandArgs(args: readonly RawArg[], before: Vars, escape: EscapeChar = '\\'): Arg[] {
  return args.map((a) => ({
    name: expandWord(a.name, before, escape),
    ...(a.default === undefined ? {} : { default: expandWord(a.default, before, escape) }),
  }));
}

/** The lexer's position in one word, and what it reads with. */
interface Lexer {
  chars: string[];
  pos: number;
  vars: Vars;
  escape: EscapeChar;
}

const peek = (lx: Lexer): string | undefined => lx.chars[lx.pos];
const next = (lx: Lexer): string | undefined => lx.chars[lx.pos++];
const fail = (text: string) => problem('DOCKERFILE_SUBSTITUTION', text);

function lex(word: string, vars: Vars, escape: EscapeChar): { text: string; words: string[] } {
  try {
    return readUntil({ chars: Array.from(word), pos: 0, vars, escape }, undefined, false);
  } catch (err) {
    if (!(err instanceof EngineError) || err.code !== 'DOCKERFILE_SUBSTITUTION') throw err;
    throw fail(`failed to process ${goQuote(word)}: ${err.message}`);
  }
}

/**
 * Collects words for expandWords: text from variables splits at spaces, quoted text and escaped
 * characters never do. (A word that was only `""` disappears, as in Docker.)
 */
function wordCollector() {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  const raw = (s: string) => { current += s; inWord = true; };
  const splitting = (s: string) => {
    for (const ch of s) {
      if (!isSpace(ch)) raw(ch);
      else if (inWord && current !== '') {
        words.push(current);
        current = '';
        inWord = false;
      }
    }
  };
  const done = () => (current === '' ? words : [...words, current]);
  return { raw, splitting, done };
}

/**
 * Reads until `stop` (consumed) or the end. `rawEscapes` keeps escape characters in the text:
 * pattern words (`${v#…}`, `${v/…/…}`) need them to tell `\*` from `*`.
 */
function readUntil(lx: Lexer, stop: string | undefined, rawEscapes: boolean): { text: string; words: string[] } {
  let text = '';
  const words = wordCollector();
  for (let ch = peek(lx); ch !== undefined; ch = peek(lx)) {
    if (ch === stop) {
      next(lx);
      return { text, words: words.done() };
    }
    let piece: string;
    if (ch === '$') {
      piece = dollar(lx);
      words.splitting(piece);
    } else {
      if (ch === "'") piece = singleQuoted(lx);
      else if (ch === '"') piece = doubleQuoted(lx, rawEscapes);
      else if (ch === '<') piece = angle(lx);
      else if (ch === lx.escape) {
        next(lx);
        const escaped = next(lx);
        piece = (rawEscapes ? ch : '') + (escaped ?? '');
        if (escaped === undefined) {
          text += piece;
          if (piece !== '') words.raw(piece);
          break;
        }
      } else {
        next(lx);
        text += ch;
        words.splitting(ch);
        continue;
      }
      words.raw(piece);
    }
    text += piece;
  }
  if (stop !== undefined) throw fail(`unexpected end of statement while looking for matching ${stop}`);
  return { text, words: words.done() };
}

/** `'…'`: everything literal up to the next single quote; a single quote cannot be escaped. */
function singleQuoted(lx: Lexer): string {
  next(lx);
  let text = '';
  for (;;) {
    const ch = next(lx);
    if (ch === undefined) throw fail('unexpected end of statement while looking for matching single-quote');
    if (ch === "'") return text;
    text += ch;
  }
}

/** `"…"`: literal but for `$…`, and the escape character before `"`, `$` or itself. */
function doubleQuoted(lx: Lexer, rawEscapes: boolean): string {
  next(lx);
  let text = '';
  for (;;) {
    const ch = peek(lx);
    if (ch === undefined) throw fail('unexpected end of statement while looking for matching double-quote');
    if (ch === '"') {
      next(lx);
      return text;
    }
    if (ch === '$') {
      text += dollar(lx);
      continue;
    }
    next(lx);
    if (ch === lx.escape) {
      if (rawEscapes) text += ch;
      const after = peek(lx);
      if (after === undefined) continue; // then the loop reports the missing quote
      if (after === '"' || after === '$' || after === lx.escape) {
        text += next(lx);
        continue;
      }
    }
    text += ch;
  }
}

/** `<` is itself; `<<` keeps the spaces after it in the same word (where a heredoc name goes). */
function angle(lx: Lexer): string {
  next(lx);
  if (peek(lx) !== '<') return '<';
  next(lx);
  let text = '<<';
  for (let ch = peek(lx); ch === ' ' || ch === '\t' || ch === '\r'; ch = peek(lx)) text += next(lx);
  return text;
}

/** Special parameters of the shell: read as one-character names, always unset here. */
const SPECIAL = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

/** A variable name: a run of digits, one special character, or letters, digits and `_`. */
function readName(lx: Lexer): string {
  let name = '';
  for (let ch = peek(lx); ch !== undefined; ch = peek(lx)) {
    if (name === '' && isDigit(ch)) {
      while (peek(lx) !== undefined && isDigit(peek(lx)!)) name += next(lx);
      return name;
    }
    if (name === '' && SPECIAL.has(ch)) return next(lx)!;
    if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
    name += next(lx);
  }
  return name;
}

/** `$…` at the lexer's position. */
function dollar(lx: Lexer): string {
  next(lx);
  if (peek(lx) !== '{') {
    const name = readName(lx);
    return name === '' ? '$' : (lx.vars.get(name) ?? '');
  }
  next(lx);
  const first = peek(lx);
  if (first === undefined) throw fail("syntax error: missing '}'");
  if (first === '{' || first === '}' || first === ':') throw fail('syntax error: bad substitution');
  const name = readName(lx);
  const value = lx.vars.get(name);
  let op = next(lx) ?? '\uFFFD'; // Go reads the end of input as U+FFFD here
  if (op === '}') return value ?? '';
  if (op === '/') return replacement(lx, value ?? '');
  const colon = op === ':';
  if (colon) op = next(lx) ?? '\uFFFD';
  const modifier = (colon ? ':' : '') + op;
  if (!colon && !'+-?#%'.includes(op)) throw fail(`unsupported modifier (${modifier}) in substitution`);
  const pattern = op === '#' || op === '%';
  if (colon && pattern) throw fail(`unsupported modifier (${modifier}) in substitution`);
  const word = argument(lx, '}', pattern);
  const unset = value === undefined || (colon && value === '');
  switch (op) {
    case '-': return unset ? word : value!;
    case '+': return unset ? '' : word;
    case '?':
      if (value === undefined) throw fail(`${name}: ${word || 'is not allowed to be unset'}`);
      if (unset) throw fail(`${name}: ${word || 'is not allowed to be empty'}`);
      return value;
    case '#':
    case '%': {
      const greedy = word.startsWith(op);
      const p = greedy ? word.slice(1) : word;
      const trim = op === '#' ? trimPrefix : trimSuffix;
      return patternResult(p, () => trim(p, value ?? '', greedy));
    }
    default: throw fail(`unsupported modifier (${modifier}) in substitution`);
  }
}

/** The word after a modifier, read up to `stop`; running out of input is a missing `stop`. */
function argument(lx: Lexer, stop: '}' | '/', rawEscapes: boolean): string {
  try {
    return readUntil(lx, stop, rawEscapes).text;
  } catch (err) {
    if (peek(lx) !== undefined) throw err;
    throw fail(stop === '}' ? "syntax error: missing '}'" : "syntax error: missing '/' in ${}");
  }
}

/** `${v/pat/text}` and `${v//pat/text}`, after the first `/`. */
function replacement(lx: Lexer, value: string): string {
  const all = peek(lx) === '/';
  if (all) next(lx);
  const pattern = argument(lx, '/', true);
  const text = argument(lx, '}', true);
  return patternResult(pattern, () => replace(value, pattern, text, all));
}

function patternResult(pattern: string, run: () => string): string {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    throw fail(`invalid pattern (${pattern}) in substitution: ${err.message}`);
  }
}
