// Chapter 5, build: the `--flags` an instruction takes, as a table, and Docker's rules for
// reading them (BuildKit's "BFlags"): `--name=value` for a string, `--name` or `--name=true|false`
// for a boolean, a repeatable flag collects a list; an unknown, repeated or valueless flag is
// refused in Docker's words, with a "did you mean" when a known flag is close.
import type { FlagValue, Keyword } from './types.js';
import { problem } from './dockerfile-error.js';
import { withSuggestion } from './suggest.js';

type FlagType = 'string' | 'bool' | 'list';

/**
 * The flags each instruction accepts. An instruction absent from the table takes none: any
 * `--flag` is refused. ARG and STOPSIGNAL are absent *and* marked `ignored` below: Docker never
 * reads their flags, so it neither refuses nor uses them.
 */
export const FLAGS: Partial<Record<Keyword, Readonly<Record<string, FlagType>>>> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'list', network: 'string', security: 'string', device: 'list' },
  COPY: { chown: 'string', from: 'string', chmod: 'string', link: 'bool', exclude: 'list', parents: 'bool' },
  ADD: {
    chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string',
    unpack: 'bool', exclude: 'list',
  },
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

/** Instructions whose flags Docker silently drops. */
export const IGNORED_FLAGS: ReadonlySet<Keyword> = new Set<Keyword>(['ARG', 'STOPSIGNAL']);

const flagError = (text: string) => problem('DOCKERFILE_FLAG', text);

/** Reads `words` (each starting `--`) against the flags `keyword` accepts. */
export function parseFlags(keyword: Keyword, words: readonly string[]): Record<string, FlagValue> {
  if (IGNORED_FLAGS.has(keyword)) return {};
  const known = FLAGS[keyword] ?? {};
  const values: Record<string, FlagValue> = {};
  for (const word of words) {
    if (word === '--') break;
    if (!word.startsWith('--')) throw flagError(`arg should start with -- : ${word}`);
    const eq = word.indexOf('=');
    const flagName = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? undefined : word.slice(eq + 1);
    const name = flagName.slice(2);
    const type = Object.hasOwn(known, name) ? known[name] : undefined;
    if (type === undefined) throw flagError(withSuggestion(`unknown flag: ${flagName}`, name, Object.keys(known), true));
    if (name in values && type !== 'list') throw flagError(`duplicate flag specified: ${flagName}`);
    values[name] = flagValue(type, flagName, value, values[name]);
  }
  return values;
}

function flagValue(type: FlagType, flagName: string, value: string | undefined, before: FlagValue | undefined): FlagValue {
  switch (type) {
    case 'bool':
      if (value === '') throw flagError(`missing a value on flag: ${flagName}`);
      if (value === undefined || value.toLowerCase() === 'true') return true;
      if (value.toLowerCase() === 'false') return false;
      throw flagError(`expecting boolean value for flag ${flagName}, not: ${value}`);
    case 'string':
      if (value === undefined) throw flagError(`missing a value on flag: ${flagName}`);
      return value;
    case 'list':
      if (value === undefined) throw flagError(`missing a value on flag: ${flagName}`);
      return [...((before as string[] | undefined) ?? []), value];
  }
}
