// Chapter 5, build: HEALTHCHECK's arguments. `HEALTHCHECK NONE` turns off a check the base image
// had; `HEALTHCHECK [--interval=…] [--timeout=…] [--start-period=…] [--start-interval=…]
// [--retries=N] CMD <command>` sets one. The command takes either form: exec form gives
// Test ["CMD", argv…], shell form ["CMD-SHELL", "text"] (run by the container's /bin/sh -c).
import type { HealthConfig } from './types.js';
import { problem } from './dockerfile-error.js';
import { goQuote } from './characters.js';
import { parseGoDuration } from './duration.js';

const parseError = (text: string) => problem('DOCKERFILE_PARSE', text);

/** HEALTHCHECK flags that are durations, and their HealthConfig field. */
const DURATIONS = [
  ['interval', 'Interval'],
  ['timeout', 'Timeout'],
  ['start-period', 'StartPeriod'],
  ['start-interval', 'StartInterval'],
] as const;

/** A duration flag in nanoseconds: empty or zero means "the default" (left out); under 1ms is refused. */
function interval(name: string, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  let ns: number;
  try {
    ns = parseGoDuration(value);
  } catch (err) {
    throw parseError((err as Error).message);
  }
  if (ns !== 0 && ns < 1_000_000) throw parseError(`Interval ${goQuote(name)} cannot be less than 1ms`);
  return ns;
}

/** strconv.ParseInt(value, 10, 32) and Docker's check that retries are not negative. */
function retries(value: string): number {
  if (!/^[+-]?[0-9]+$/.test(value)) throw parseError(`strconv.ParseInt: parsing ${goQuote(value)}: invalid syntax`);
  const n = Number(value);
  if (n > 2 ** 31 - 1 || n < -(2 ** 31)) throw parseError(`strconv.ParseInt: parsing ${goQuote(value)}: value out of range`);
  if (n < 0) throw parseError(`--retries cannot be negative (${n})`);
  return n;
}

/**
 * The Healthcheck a `HEALTHCHECK <type> <command…>` line sets. `type` is the first word as
 * written; `command` is what follows it, already in exec form (json) or as one text.
 * `readFlags` is called only for CMD: Docker never reads the flags of `HEALTHCHECK NONE`.
 */
export function healthConfig(args: {
  type: string;
  command: string[];
  json: boolean;
  readFlags: () => Record<string, string | undefined>;
}): HealthConfig {
  const type = args.type.toUpperCase();
  if (type === 'NONE') {
    if (args.command.length > 0) throw parseError('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  const flags = args.readFlags();
  if (type !== 'CMD') throw parseError(`Unknown type ${goQuote(type)} in HEALTHCHECK (try CMD)`);
  if (args.command.length === 0) throw parseError('Missing command after HEALTHCHECK CMD');
  const config: HealthConfig = { Test: [args.json ? 'CMD' : 'CMD-SHELL', ...args.command] };
  for (const [flag, field] of DURATIONS) {
    const ns = interval(flag, flags[flag]);
    if (ns !== 0) config[field] = ns;
  }
  const n = flags.retries === undefined || flags.retries === '' ? 0 : retries(flags.retries);
  if (n !== 0) config.Retries = n;
  return config;
}
