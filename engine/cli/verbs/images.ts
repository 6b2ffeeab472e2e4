// `dockling images`: the image list as Docker prints it — one row per repository:tag, IDs cut
// to 12 hex digits, CREATED as "4 weeks ago", SIZE in decimal units (`4.28MB`), and the same
// `--format` fields as Docker (.ID .Repository .Tag .Digest .CreatedSince .CreatedAt .Size).
import type { Verb, VerbContext } from '../verb.js';
import { formatFlag, shortId } from '../verb.js';
import { formatRows } from '../format/formatter.js';
import { humanSizeWithPrecision } from '../format/size.js';
import { createdSince, goTimeString } from '../format/duration.js';
import { CliError } from '../errors.js';

interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created?: number;
  Size?: number;
  Containers?: number;
}

const DEFAULT_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const DIGEST_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const HEADERS = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'VIRTUAL SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** `busybox:latest` → [busybox, latest]; `localhost:5000/x` has no tag; `x@sha256:…` a digest. */
function splitName(name: string): { repo: string; tag?: string; digest?: string } {
  const at = name.indexOf('@');
  if (at >= 0) return { repo: name.slice(0, at), digest: name.slice(at + 1) };
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name };
}

/** One row per tag, then one per digest-only repository, or a single `<none>` row (Docker's rules). */
export function imageRows(images: ImageSummary[], opts: { truncate: boolean; now?: number }) {
  const rows = [];
  for (const img of images) {
    const tagsByRepo = new Map<string, string[]>();
    const digestsByRepo = new Map<string, string[]>();
    for (const t of img.RepoTags ?? []) {
      const { repo, tag } = splitName(t);
      if (repo === '<none>') continue;
      tagsByRepo.set(repo, [...(tagsByRepo.get(repo) ?? []), tag ?? '<none>']);
    }
    for (const d of img.RepoDigests ?? []) {
      const { repo, digest } = splitName(d);
      if (repo === '<none>' || !digest) continue;
      digestsByRepo.set(repo, [...(digestsByRepo.get(repo) ?? []), digest]);
    }
    const pairs: Array<{ repo: string; tag: string; digest: string }> = [];
    for (const [repo, tags] of tagsByRepo) {
      const digest = digestsByRepo.get(repo)?.[0] ?? '<none>';
      digestsByRepo.delete(repo);
      for (const tag of tags) pairs.push({ repo, tag, digest });
    }
    for (const [repo, digests] of digestsByRepo) for (const digest of digests) pairs.push({ repo, tag: '<none>', digest });
    if (pairs.length === 0) pairs.push({ repo: '<none>', tag: '<none>', digest: '<none>' });
    for (const p of pairs) rows.push(imageRow(img, p, opts));
  }
  return rows;
}

function imageRow(img: ImageSummary, p: { repo: string; tag: string; digest: string }, opts: { truncate: boolean; now?: number }) {
  const created = img.Created ?? 0;
  const size = img.Size ?? 0;
  return {
    ID: opts.truncate ? shortId(img.Id ?? '') : img.Id ?? '',
    Repository: p.repo,
    Tag: p.tag,
    Digest: p.digest,
    CreatedSince: createdSince(created, opts.now),
    CreatedAt: goTimeString(created),
    Size: humanSizeWithPrecision(size, 3),
    Containers: img.Containers === undefined || img.Containers < 0 ? 'N/A' : String(img.Containers),
    VirtualSize: humanSizeWithPrecision(size, 3),
    SharedSize: 'N/A',
    UniqueSize: 'N/A',
  };
}

/** `--filter dangling=true` (repeatable) → the API's `{"dangling":{"true":true}}`. */
export function filtersJSON(filters: string[], extra: Record<string, string[]> = {}): string | undefined {
  const out: Record<string, Record<string, boolean>> = {};
  const add = (k: string, v: string) => ((out[k] ??= {})[v] = true);
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new CliError(`bad format of filter (expected name=value)`);
    add(f.slice(0, eq).trim().toLowerCase(), f.slice(eq + 1));
  }
  for (const [k, vs] of Object.entries(extra)) for (const v of vs) add(k, v);
  return Object.keys(out).length ? JSON.stringify(out) : undefined;
}

export const verb: Verb = {
  usage: 'images [OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  args: { max: 1 },
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all images (default hides intermediate images)' },
    { name: 'digests', type: 'bool', description: 'Show digests' },
    { name: 'filter', short: 'f', type: 'strings', value: 'filter', description: 'Filter output based on conditions provided' },
    formatFlag,
    { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx: VerbContext) {
    const filters = filtersJSON(ctx.flags.filter as string[], ctx.args[0] ? { reference: [ctx.args[0]] } : {});
    const images = await ctx.client().json<ImageSummary[]>('GET', '/images/json', {
      query: { all: ctx.flags.all === true, filters },
    });
    const rows = imageRows(images ?? [], { truncate: ctx.flags['no-trunc'] !== true });
    let format = (ctx.flags.format as string | undefined) ?? 'table';
    if (ctx.flags.quiet) format = '{{.ID}}';
    ctx.stdout.write(formatRows({ format, defaultTable: ctx.flags.digests ? DIGEST_TABLE : DEFAULT_TABLE, headers: HEADERS }, rows));
  },
};
