// Chapter 5, build: HEALTHCHECK's `--interval=30s` and friends are Go durations (time.ParseDuration):
// a sign, then one or more decimal numbers each with a unit — "300ms", "1.5h", "2h45m", "-1s";
// "0" alone needs no unit. The image config keeps them as integer nanoseconds.

import { invalid as invalidArgument } from '../base/index.js';
import { goQuote } from './characters.js';

const bad = (message: string) => invalidArgument('DOCKERFILE_DURATION', message, {});

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX = (1n << 63n) - 1n;

/** Nanoseconds in `text`, or DOCKERFILE_DURATION with Go's message (`time: invalid duration "x"`). */
export function parseGoDuration(text: string): number {
  const quoted = goQuote(text);
  const invalid = () => bad(`time: invalid duration ${quoted}`);
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [whole = '', fraction] = [m[1], m[2]];
    if (whole === '' && (fraction === undefined || fraction === '')) throw invalid();
    s = s.slice(m[0].length);
    const unitText = /^[^0-9.]*/.exec(s)![0];
    if (unitText === '') throw bad(`time: missing unit in duration ${quoted}`);
    const unit = UNITS[unitText];
    if (unit === undefined) throw bad(`time: unknown unit ${goQuote(unitText)} in duration ${quoted}`);
    s = s.slice(unitText.length);
    let part = BigInt(whole || '0') * unit;
    if (fraction) part += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    total += part;
    if (total > MAX) throw invalid();
  }
  return Number(negative ? -total : total);
}
