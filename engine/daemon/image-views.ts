// Images as the Docker Engine API shows them: the ImageSummary of `GET /images/json`, the
// inspect document of `GET /images/{name}/json`, and the list filters (`dangling`, `reference`,
// `label`). Names are stored fully qualified; the API speaks familiar names (`busybox:latest`),
// as dockerd does.
import { familiarName, parseReference } from '../layers/index.js';
import type { HistoryRow, Image } from '../layers/index.js';
import { HttpError } from './http/respond.js';
import { parseFilters } from './http/filters.js';
import { boolValue } from './http/query.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** `docker.io/library/busybox:latest` → `busybox:latest`; leaves what it cannot parse alone. */
export function familiar(name: string): string {
  try {
    return familiarName(parseReference(name, { defaultTag: false }));
  } catch {
    return name;
  }
}

function createdUnix(image: Image): number {
  const t = image.config.created ? Date.parse(image.config.created) : NaN;
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

export function toSummary(image: Image) {
  return {
    Id: image.id,
    ParentId: image.parent ?? '',
    RepoTags: image.names.map(familiar),
    RepoDigests: image.repoDigests.map(familiar),
    Created: createdUnix(image),
    Size: image.size,
    SharedSize: -1,
    VirtualSize: image.size,
    Labels: image.config.config?.Labels ?? null,
    Containers: -1,
  };
}

/** `driver` is the snapshotter's ('overlay' or 'copy'), as `docker info` shows it too. */
export function toInspect(image: Image, driver: string) {
  const c = image.config;
  return {
    Id: image.id,
    RepoTags: image.names.map(familiar),
    RepoDigests: image.repoDigests.map(familiar),
    Parent: image.parent ?? '',
    Comment: c.history?.at(-1)?.comment ?? '',
    Created: c.created ?? ZERO_TIME,
    DockerVersion: typeof c.docker_version === 'string' ? c.docker_version : '',
    Author: c.author ?? '',
    Config: { ...(c.config ?? {}), Labels: c.config?.Labels ?? null },
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    Size: image.size,
    GraphDriver: { Name: driver, Data: {} },
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: ZERO_TIME },
  };
}

/** The rows of `GET /images/{name}/history`, newest first, names familiar. */
export function toHistory(rows: HistoryRow[]) {
  return rows.map((h) => ({
    Id: h.id,
    Created: h.created,
    CreatedBy: h.createdBy,
    Tags: h.tags.length ? h.tags.map(familiar) : null,
    Size: h.size,
    Comment: h.comment,
  }));
}

/** `filters={"dangling":{"true":true},"reference":{"busy*":true}}` → a predicate. */
export function imageFilter(raw: string | null): (image: Image) => boolean {
  if (!raw) return () => true;
  const values = parseFilters(raw);
  for (const key of values.keys) {
    if (!['dangling', 'reference', 'label'].includes(key)) throw new HttpError(400, `invalid filter '${key}'`);
  }
  const dangling = values('dangling');
  const references = values('reference');
  const labels = values('label');
  const keep = (image: Image): boolean => {
    if (dangling.length) {
      const want = boolValue(dangling[0]!, 'filter dangling');
      if ((image.names.length === 0) !== want) return false;
    }
    if (references.length) {
      const names = image.names.map(familiar).flatMap((n) => [n, n.replace(/:[^:/]+$/, '')]);
      if (!references.some((pattern) => names.some((n: string) => globMatch(pattern, n)))) return false;
    }
    if (labels.length) {
      const have = image.config.config?.Labels ?? {};
      for (const l of labels) {
        const [k, v] = l.split('=', 2) as [string, string | undefined];
        if (!(k in have) || (v !== undefined && have[k] !== v)) return false;
      }
    }
    return true;
  };
  return keep;
}

/**
 * With a `reference` filter dockerd lists only the names that matched: `docker images busybox`
 * shows busybox's row, not every other name the same image has.
 */
export function matchingNames(raw: string | null): ((name: string) => boolean) | null {
  if (!raw) return null;
  const patterns = parseFilters(raw)('reference');
  if (patterns.length === 0) return null;
  return (name) => {
    const n = familiar(name);
    const forms = [n, n.replace(/[:@][^:/]+$/, '')];
    return patterns.some((p) => forms.some((f) => globMatch(p, f)));
  };
}

/** Go's path.Match subset Docker uses for reference filters: `*` and `?` within a segment. */
function globMatch(pattern: string, s: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(s);
}
