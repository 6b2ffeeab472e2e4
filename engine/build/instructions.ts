// Chapter 5, build: one logical line → one typed Instruction. A table gives each keyword its
// reader; each reader checks what Docker checks, in Docker's order and words (BuildKit's
// line parsers, then its instruction checks), and keeps the arguments as written: variables
// are substituted later, by the builder, against the environment of that moment.
import type {
  EscapeChar, FlagValue, Instruction, Keyword, RawArg, RawPair, HealthcheckInstruction,
} from './types.js';
import { problem } from './dockerfile-error.js';
import { parseFlags } from './flags.js';
import { healthConfig } from './healthcheck.js';
import { goQuote, isSpace, trimSpace } from './characters.js';
import { withSuggestion } from './suggest.js';
import { jsonArray, quotedWords, splitCommand, splitWhitespace } from './words.js';

/** What a reader gets: the line cut into keyword, flags and arguments, and where it stands. */
interface Line {
  /** The logical line as read (ONBUILD stores part of it verbatim). */
  text: string;
  keyword: Keyword;
  flagWords: string[];
  args: string;
  escape: EscapeChar;
  common: { line: number; endLine: number; original: string; json: boolean };
}

const parseError = (text: string) => problem('DOCKERFILE_PARSE', text);
const atLeastOne = (k: Keyword) => parseError(`${k} requires at least one argument`);
const exactlyOne = (k: Keyword) => parseError(`${k} requires exactly one argument`);

/** RUN, CMD, ENTRYPOINT, SHELL: a JSON array of strings, else the text as one argument. */
function commandLine(args: string): { json: boolean; command: string[] } {
  if (args === '') return { json: false, command: [] };
  const parsed = jsonArray(args);
  return parsed.json ? { json: true, command: parsed.values } : { json: false, command: [args] };
}

/** COPY, ADD, VOLUME: a JSON array of strings, else the words at spaces. */
function argumentList(args: string): { json: boolean; list: string[] } {
  const parsed = jsonArray(args);
  return parsed.json ? { json: true, list: parsed.values } : { json: false, list: splitWhitespace(args) };
}

/**
 * ENV and LABEL: `k=v k2="v 2"` (each word must have `=`), or the legacy `k the rest` — chosen
 * by whether the first word has an `=`. Values keep their quotes for substitution to process.
 */
function pairs(keyword: 'ENV' | 'LABEL', args: string, escape: EscapeChar): { pairs: RawPair[]; legacy: boolean } {
  const words = quotedWords(args, escape);
  if (words.length === 0) return { pairs: [], legacy: false };
  if (!words[0]!.includes('=')) {
    const m = /[\t\v\f\r ]+/.exec(args);
    if (!m) throw parseError(`${keyword} must have two arguments`);
    return { pairs: [{ key: args.slice(0, m.index), value: args.slice(m.index + m[0].length) }], legacy: true };
  }
  const found = words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) throw parseError(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    return { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
  return { pairs: found, legacy: false };
}

function checkedPairs(l: Line, keyword: 'ENV' | 'LABEL') {
  const read = pairs(keyword, l.args, l.escape);
  const flags = parseFlags(keyword, l.flagWords) as Record<string, never>;
  if (read.pairs.length === 0) throw atLeastOne(keyword);
  if (read.pairs.some((p) => p.key === '')) throw parseError(`${keyword} names can not be blank`);
  return { ...l.common, flags, ...read };
}

/** WORKDIR, USER, MAINTAINER, STOPSIGNAL: the whole rest of the line is the one argument. */
function single(l: Line): string {
  if (l.args === '') throw exactlyOne(l.keyword);
  if (l.keyword !== 'STOPSIGNAL') parseFlags(l.keyword, l.flagWords);
  return l.args;
}

const VALID_STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

type Reader = (l: Line) => Instruction;
const flagsOf = <T>(l: Line) => parseFlags(l.keyword, l.flagWords) as T;

const READERS: Record<Keyword, Reader> = {
  FROM(l) {
    const args = splitWhitespace(l.args);
    let stage: string | undefined;
    if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
      stage = args[2]!.toLowerCase();
      if (!VALID_STAGE_NAME.test(stage)) {
        throw parseError(`invalid name for build stage: ${goQuote(args[2]!)}, name can't start with a number or contain symbols`);
      }
    } else if (args.length !== 1) throw parseError('FROM requires either one or three arguments');
    const flags = flagsOf<{ platform?: string }>(l);
    return { keyword: 'FROM', ...l.common, flags, image: args[0]!, ...(stage === undefined ? {} : { stage }) };
  },
  RUN(l) {
    const { json, command } = commandLine(l.args);
    const flags = flagsOf<{ network?: string; security?: string }>(l);
    if (flags.network !== undefined && !['default', 'none', 'host'].includes(flags.network)) {
      throw parseError(`invalid network mode ${goQuote(flags.network)}`);
    }
    if (flags.security !== undefined && !['sandbox', 'insecure'].includes(flags.security)) {
      throw parseError(`security ${goQuote(flags.security)} is not valid`);
    }
    return { keyword: 'RUN', ...l.common, json, flags, command };
  },
  CMD: (l) => ({ keyword: 'CMD', ...l.common, ...commandLine(l.args), flags: flagsOf(l) }),
  ENTRYPOINT: (l) => ({ keyword: 'ENTRYPOINT', ...l.common, ...commandLine(l.args), flags: flagsOf(l) }),
  SHELL(l) {
    const { json, command } = commandLine(l.args);
    const flags = flagsOf<Record<string, never>>(l);
    if (command.length === 0) throw atLeastOne('SHELL');
    if (!json) throw parseError('SHELL requires the arguments to be in JSON form');
    return { keyword: 'SHELL', ...l.common, json, flags, shell: command };
  },
  ENV: (l) => ({ keyword: 'ENV', ...checkedPairs(l, 'ENV') }),
  LABEL: (l) => ({ keyword: 'LABEL', ...checkedPairs(l, 'LABEL') }),
  ARG(l) {
    const words = quotedWords(l.args, l.escape);
    if (words.length === 0) throw atLeastOne('ARG');
    const args = words.map((word): RawArg => {
      const eq = word.indexOf('=');
      if (eq < 0) return { name: word };
      if (eq === 0) throw parseError('ARG names can not be blank');
      return { name: word.slice(0, eq), default: word.slice(eq + 1) };
    });
    return { keyword: 'ARG', ...l.common, flags: {}, args };
  },
  EXPOSE(l) {
    const ports = splitWhitespace(l.args);
    if (ports.length === 0) throw atLeastOne('EXPOSE');
    // Docker sorts the words as written (Go's byte order), before any substitution.
    ports.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
    return { keyword: 'EXPOSE', ...l.common, flags: flagsOf(l), ports };
  },
  VOLUME(l) {
    const { json, list } = argumentList(l.args);
    if (list.length === 0) throw atLeastOne('VOLUME');
    const flags = flagsOf<Record<string, never>>(l);
    const paths = list.map((p) => trimSpace(p));
    if (paths.some((p) => p === '')) throw parseError('VOLUME specified can not be an empty string');
    return { keyword: 'VOLUME', ...l.common, json, flags, paths };
  },
  WORKDIR: (l) => ({ keyword: 'WORKDIR', ...l.common, path: single(l), flags: {} }),
  USER: (l) => ({ keyword: 'USER', ...l.common, user: single(l), flags: {} }),
  STOPSIGNAL: (l) => ({ keyword: 'STOPSIGNAL', ...l.common, signal: single(l), flags: {} }),
  MAINTAINER: (l) => ({ keyword: 'MAINTAINER', ...l.common, maintainer: single(l), flags: {} }),
  COPY: (l) => ({ keyword: 'COPY', ...copyArguments(l) }),
  ADD: (l) => ({ keyword: 'ADD', ...copyArguments(l) }),
  HEALTHCHECK: healthcheck,
  ONBUILD: onbuild,
};

function copyArguments(l: Line) {
  const { json, list } = argumentList(l.args);
  if (list.length < 2) {
    throw parseError(`${l.keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const flags = parseFlags(l.keyword, l.flagWords) as Record<string, FlagValue>;
  return { ...l.common, json, flags, sources: list.slice(0, -1), dest: list[list.length - 1]! };
}

function healthcheck(l: Line): HealthcheckInstruction {
  // The type is the first word (cut at the first space); the command follows it.
  const chars = Array.from(l.args);
  const cut = chars.findIndex((ch) => isSpace(ch));
  const type = cut < 0 ? l.args : chars.slice(0, cut).join('');
  const { json, command } = commandLine(cut < 0 ? '' : trimSpace(l.args.slice(type.length), 'left'));
  if (type === '') throw atLeastOne('HEALTHCHECK');
  let flags: Record<string, string> = {};
  const config = healthConfig({
    type,
    command,
    json,
    readFlags: () => (flags = parseFlags('HEALTHCHECK', l.flagWords) as Record<string, string>),
  });
  return { keyword: 'HEALTHCHECK', ...l.common, json, flags, healthcheck: config };
}

function onbuild(l: Line): Instruction {
  if (l.args === '') throw atLeastOne('ONBUILD');
  parseFlags('ONBUILD', l.flagWords);
  const inner = splitCommand(l.args, l.escape).keyword.toUpperCase();
  if (inner === 'ONBUILD') throw parseError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (inner === 'MAINTAINER' || inner === 'FROM') throw parseError(`${inner} isn't allowed as an ONBUILD trigger`);
  // What the image stores: the line as written, without `ONBUILD ` (Go's \s is ASCII).
  const expression = l.text.replace(/^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i, '');
  const trigger = parseInstruction(l.args, { ...l.common, original: trimSpace(expression) }, l.escape);
  return { keyword: 'ONBUILD', ...l.common, flags: {}, expression, trigger };
}

const KEYWORDS = Object.keys(READERS) as Keyword[];

/**
 * Reads one instruction from a logical line's text. `at` is where it stands in the file and the
 * text Docker prints for it; errors are thrown unplaced (the caller adds the line).
 */
export function parseInstruction(text: string, at: { line: number; endLine: number; original: string }, escape: EscapeChar): Instruction {
  const { keyword: written, flags: flagWords, args } = splitCommand(text, escape);
  const keyword = written.toUpperCase() as Keyword;
  if (!Object.hasOwn(READERS, keyword)) {
    throw problem('DOCKERFILE_UNKNOWN_INSTRUCTION', withSuggestion(`unknown instruction: ${written}`, written, KEYWORDS, false));
  }
  return READERS[keyword]({ text, keyword, flagWords, args, escape, common: { ...at, json: false } });
}
