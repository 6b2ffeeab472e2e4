// Chapter 5, build: "did you mean …?". Docker ends an unknown instruction or an unknown flag
// with the closest known name when fewer than three single-character edits (Levenshtein
// distance) separate them: `RUNN` → "(did you mean RUN?)", `--chmd` → "(did you mean chmod?)".

/** Edits (insert, delete, substitute; each costs 1) to turn `a` into `b`, by code point. */
export function levenshtein(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      const substitute = previous[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, substitute));
    }
    previous = row;
  }
  return previous[t.length]!;
}

/**
 * The closest option to `value`, or undefined when none is within two edits or when `value` is
 * itself an option (then the problem lies elsewhere). Case-insensitive search answers in the
 * case the user typed: all lower, all upper, or the option's own.
 */
export function closest(value: string, options: readonly string[], caseSensitive: boolean): string | undefined {
  const fold = (s: string) => (caseSensitive ? s : s.toLowerCase());
  let best: string | undefined;
  let bestDistance = 3;
  for (const option of options) {
    if (fold(value) === fold(option)) return undefined;
    const distance = levenshtein(fold(value), fold(option));
    if (distance < bestDistance) {
      best = option;
      bestDistance = distance;
    }
  }
  if (best === undefined || caseSensitive) return best;
  if (value === value.toLowerCase()) return best.toLowerCase();
  if (value === value.toUpperCase()) return best.toUpperCase();
  return best;
}

/** `problem` with Docker's suggestion appended when there is one. */
export function withSuggestion(problem: string, value: string, options: readonly string[], caseSensitive: boolean): string {
  const match = closest(value, options, caseSensitive);
  return match === undefined ? problem : `${problem} (did you mean ${match}?)`;
}
