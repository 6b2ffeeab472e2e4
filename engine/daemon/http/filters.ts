// The `filters` query parameter of the list and prune endpoints, as the docker CLI sends it:
// `{"name":{"web":true}}`, or the older `{"name":["web"]}` — a JSON object whose values are
// objects of `true` or arrays of strings. Anything else (`[]`, `5`, `{"status":5}`) is the
// client's mistake, a 400 saying so, not a filter that silently matches everything.
import { HttpError } from './respond.js';

/** The values given for each key: `values('name')` → `['web']`. */
export type FilterValues = (key: string) => string[];

export function parseFilters(raw: string | null): FilterValues & { keys: string[] } {
  const values = new Map<string, string[]>();
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new HttpError(400, `invalid filter: not JSON: ${raw.slice(0, 200)}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new HttpError(400, `invalid filter: want an object such as {"name":{"web":true}}, got ${raw.slice(0, 200)}`);
    }
    for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) {
      const list = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.keys(v) : null;
      if (!list || !list.every((x) => typeof x === 'string') || (!Array.isArray(v) && !Object.values(v as object).every((b) => typeof b === 'boolean'))) {
        throw new HttpError(400, `invalid filter '${key}': want {"value":true} or ["value"], got ${JSON.stringify(v).slice(0, 200)}`);
      }
      values.set(key, list as string[]);
    }
  }
  return Object.assign((key: string) => values.get(key) ?? [], { keys: [...values.keys()] });
}
