// Query parameters that are not text (chapter 6): numbers (`?t=10`) and yes-or-no ones
// (`?all=1`, `?force=true`, `?stream=0`). The docker CLI sends `1`/`0` or `true`/`false`,
// and scripts write `yes`, `no`, `True`. dockerd reads every word it does not know as "yes",
// so `?stream=nope` streams. Dockling refuses it instead, with a 400 that names the parameter:
// a typo in an API call should be an error, not a guess.
import { HttpError } from './respond.js';

/** The words read as yes and as no; case does not matter, and an empty value is no. */
const YES = new Set(['1', 't', 'true', 'y', 'yes', 'on']);
const NO = new Set(['', '0', 'f', 'false', 'n', 'no', 'none', 'off']);

/** The yes/no word `raw` (a query value or a filter value) as a boolean; a 400 naming `what` otherwise. */
export function boolValue(raw: string, what: string): boolean {
  const word = raw.trim().toLowerCase();
  if (YES.has(word)) return true;
  if (NO.has(word)) return false;
  throw new HttpError(400, `invalid boolean value for ${what}: ${JSON.stringify(raw.slice(0, 100))} (use 1 or 0, true or false)`);
}

/** Query parameter `name` as a boolean; `fallback` when it is absent. */
export function queryBool(query: URLSearchParams, name: string, fallback = false): boolean {
  const raw = query.get(name);
  return raw === null ? fallback : boolValue(raw, `query parameter ${name}`);
}

/** Query parameter `name` as a whole number (`?t=10`); `fallback` when absent or empty, a 400 naming it when not a number. */
export function queryInt(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d{1,9}$/.test(raw.trim())) throw new HttpError(400, `invalid value for query parameter ${name}: ${JSON.stringify(raw.slice(0, 100))} (want a whole number)`);
  return Number(raw.trim());
}
