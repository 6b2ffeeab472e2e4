// The Docker Engine API versions Dockling speaks. The client pings first, reads `Api-Version`,
// and then prefixes every path with `/v<min(its own, ours)>`; we take any version between the
// two bounds below, and refuse the rest with dockerd's own sentences (chapter 6).

export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';

/** Compares dotted versions numerically: `1.9` < `1.24`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Splits `/v1.50/images/json` into the version and the rest; unprefixed paths have none. */
export function splitVersion(path: string): { version: string | null; path: string } {
  const m = /^\/v([0-9][0-9.]*)(\/.*)?$/.exec(path);
  if (!m) return { version: null, path };
  return { version: m[1]!, path: m[2] ?? '/' };
}

/** The error dockerd gives for a version outside its range, or null when the version is fine. */
export function versionProblem(version: string): string | null {
  if (compareVersions(version, API_VERSION) > 0) {
    return `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`;
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    return `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  }
  return null;
}
