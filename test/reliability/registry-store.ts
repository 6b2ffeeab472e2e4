// What "the registry's store is consistent" means after a load (issue 9), read straight from
// `dockling registry`'s data root (layout in engine/registry/server/types.ts): every blob hashes
// to its name, every manifest revision's bytes are a blob whose config and layers are blobs the
// repository links, every tag names a revision, and no upload is left half done. Returns what is
// wrong, one line each: [] when all is well.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Repository directories: those holding `_manifests`, at any depth. */
async function repositories(dir: string, name = ''): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  const here = entries.some((e) => e.name === '_manifests') ? [name] : [];
  const below = await Promise.all(entries.filter((e) => e.isDirectory() && !e.name.startsWith('_')).map((e) => repositories(join(dir, e.name), name ? `${name}/${e.name}` : e.name)));
  return [...here, ...below.flat()];
}

export async function registryStoreProblems(dataRoot: string): Promise<{ problems: string[]; blobs: number; manifests: number }> {
  const problems: string[] = [];
  const blobsDir = join(dataRoot, 'blobs', 'sha256');
  const blobs = existsSync(blobsDir) ? await readdir(blobsDir) : [];
  for (const hex of blobs) {
    if ((await stat(join(blobsDir, hex))).isFile() && (await sha256Of(join(blobsDir, hex))) !== hex) problems.push(`blob ${hex} does not hash to its name`);
  }
  let manifests = 0;
  for (const repo of await repositories(join(dataRoot, 'repositories'))) {
    const repoDir = join(dataRoot, 'repositories', ...repo.split('/'));
    const linked = new Set(existsSync(join(repoDir, '_blobs')) ? await readdir(join(repoDir, '_blobs')) : []);
    for (const hex of await readdir(join(repoDir, '_manifests'))) {
      manifests++;
      if (!blobs.includes(hex)) {
        problems.push(`${repo}: manifest ${hex} has no blob`);
        continue;
      }
      const doc = JSON.parse(await readFile(join(blobsDir, hex), 'utf8')) as { config?: { digest: string }; layers?: Array<{ digest: string }>; manifests?: Array<{ digest: string }> };
      const named = [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])].map((d) => d.digest.slice('sha256:'.length));
      for (const b of named) {
        if (!blobs.includes(b)) problems.push(`${repo}: manifest ${hex} names blob ${b}, which is missing`);
        else if (!linked.has(b)) problems.push(`${repo}: manifest ${hex} names blob ${b}, which the repository does not link`);
      }
    }
    const tagsDir = join(repoDir, '_tags');
    for (const tag of existsSync(tagsDir) ? await readdir(tagsDir) : []) {
      const digest = (await readFile(join(tagsDir, tag), 'utf8')).trim().replace(/^sha256:/, '');
      if (!existsSync(join(repoDir, '_manifests', digest))) problems.push(`${repo}:${tag} names ${digest}, no such manifest`);
    }
  }
  const uploads = join(dataRoot, 'uploads');
  for (const u of existsSync(uploads) ? await readdir(uploads) : []) problems.push(`upload ${u} left behind`);
  return { problems, blobs: blobs.length, manifests };
}
