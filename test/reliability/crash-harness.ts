// What the crash tests (crash.test.ts, issue 9) stand on: a seeded random source whose seed is
// printed so a failing run can be replayed, a `dockling registry` child process that can be
// SIGKILLed and started again on its data root, and a check of that registry's store (the
// daemon's own store has `dockling system check`; the registry's is checked here by its layout:
// engine/registry/server/layout.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAIN } from '../daemon/harness.js';

/** mulberry32: a tiny seeded PRNG, numbers in [0, 1). DOCKLING_CRASH_SEED replays a run. */
export function seededRandom(): { seed: number; next: () => number } {
  const given = process.env['DOCKLING_CRASH_SEED'];
  const seed = given !== undefined ? Number(given) >>> 0 : randomInt(2 ** 31);
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next };
}

export interface RunningRegistry {
  child: ChildProcess;
  url: string;
  /** host:port, as an image name's first component. */
  host: string;
  dataRoot: string;
  exited: Promise<void>;
  /** SIGTERM, and its exit. */
  stop(): Promise<void>;
}

/**
 * Starts `dockling registry` on 127.0.0.1 (`port` 0: any free port) and waits for its first line.
 * `wrap` runs it somewhere else, e.g. inside another network namespace (test/remote/two-hosts.ts).
 */
export async function startRegistry(dataRoot: string, port = 0, wrap: (argv: string[]) => string[] = (argv) => argv): Promise<RunningRegistry> {
  const [cmd, ...args] = wrap([process.execPath, MAIN, 'registry', '--listen', `127.0.0.1:${port}`, '--data-root', dataRoot]);
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${out}`)), 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`registry exited: ${out}`)));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { child, url, host: new URL(url).host, dataRoot, exited, stop };
}

/** SIGKILL to one process this test started, by its pid; resolves once it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid!, 'SIGKILL');
  await gone;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/**
 * The registry's store, read-only: every blob hashes to its name; every repository's manifest
 * link, tag and blob link names a stored blob, and every manifest's config and layers are stored.
 * Uploads in uploads/ are not checked: no client can see an upload that was never finished.
 */
export async function checkRegistryStore(root: string): Promise<string[]> {
  const problems: string[] = [];
  const blobsDir = join(root, 'blobs', 'sha256');
  const blobs = new Set<string>();
  for (const n of await names(blobsDir)) {
    if (!/^[a-f0-9]{64}$/.test(n)) problems.push(`registry blob file ${n}: not named by a digest (a temp file in sight)`);
    else if ((await sha256File(join(blobsDir, n))) !== n) problems.push(`registry blob ${n}: its bytes hash to something else`);
    else blobs.add(n);
  }
  const need = (what: string, hex: string) => {
    if (!blobs.has(hex)) problems.push(`${what}: blob ${hex} is missing or bad`);
  };
  for (const repo of await repositories(join(root, 'repositories'))) {
    for (const n of await names(join(repo, '_blobs'))) need(`blob link ${repo}/_blobs/${n}`, n);
    for (const n of await names(join(repo, '_manifests'))) {
      if (!/^[a-f0-9]{64}$/.test(n)) continue; // writeFileAtomic's temp names: never read as links
      need(`manifest link ${repo}/${n}`, n);
      if (!blobs.has(n)) continue;
      const m = JSON.parse(await readFile(join(blobsDir, n), 'utf8')) as { config?: { digest: string }; layers?: Array<{ digest: string }> };
      for (const d of [m.config?.digest, ...(m.layers ?? []).map((l) => l.digest)]) if (d) need(`manifest ${repo}/${n}`, d.replace('sha256:', ''));
    }
    for (const t of await names(join(repo, '_tags'))) {
      if (t.includes('.tmp-')) continue;
      const d = (await readFile(join(repo, '_tags', t), 'utf8')).trim().replace('sha256:', '');
      need(`tag ${repo}:${t}`, d);
    }
  }
  return problems;
}

/** Every directory under repositories/ that holds a `_manifests` or `_blobs` folder. */
async function repositories(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of await names(dir)) {
    const p = join(dir, n);
    if (!(await stat(p).then((s) => s.isDirectory(), () => false)) || n.startsWith('_')) continue;
    const inside = await names(p);
    if (inside.includes('_manifests') || inside.includes('_blobs')) out.push(p);
    out.push(...(await repositories(p)));
  }
  return out;
}
