// `npm run bench`: chapter 1's layer benchmarks against GNU tools doing the same work (then
// chapter 3's container benchmarks, containers.ts, chapter 4's registry benchmarks,
// registry.ts, and chapter 5's build benchmark, build.ts; DOCKLING_BENCH_ONLY=layers|containers|
// registry|build picks one), both measured in this
// run, alternating, medians of several runs. Each comparison prints one line:
//   bench <name>: <ours> vs <peer> = <ratio>x (target <= <goal>)
// The tree (~250 MB, ~20k files copied from what Debian installed) is kept in
// /tmp/dockling-bench between runs: deleting a big tree on a `discard` mount slows what follows.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, lstatSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './common.js';

const W = process.env.DOCKLING_BENCH_DIR ?? '/tmp/dockling-bench';
const RUNS = Number(process.env.DOCKLING_BENCH_RUNS ?? 5);
const ONE = join(dirname(fileURLToPath(import.meta.url)), 'one-layer.js');
const SOURCES = ['/usr/lib/python3', '/usr/lib/python3.11', '/usr/share/doc', '/usr/lib/google-cloud-sdk/lib/surface', '/usr/share/perl', '/usr/lib/x86_64-linux-gnu/perl', '/usr/share/locale', '/usr/include'];

const sh = (cmd: string) => execFileSync('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }).toString();

function treeSize(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else { files++; bytes += st.size; }
    }
  };
  walk(dir);
  return { bytes, files };
}

/** Copies system directories into the tree until it holds ~250 MB and ~20k files. */
function prepareTree(tree: string, targetBytes: number): void {
  if (existsSync(join(tree, '.complete'))) return;
  sh(`rm -rf ${tree} && mkdir -p ${tree}`);
  let i = 0;
  for (const src of SOURCES) {
    if (!existsSync(src)) continue;
    sh(`cp -a ${src} ${tree}/src${i++}`);
    const { bytes } = treeSize(tree);
    if (bytes >= targetBytes) break;
  }
  sh(`touch ${tree}/.complete`);
}

let seq = 0;
const fresh = () => { const d = join(W, 'x', `r${process.pid}-${seq++}`); mkdirSync(d, { recursive: true }); return d; };

function timeShell(cmd: string): number {
  sh('sync');
  const t0 = performance.now();
  sh(cmd);
  return performance.now() - t0;
}

function ours(args: string[]): { ms: number; maxRssKiB: number; digest: string; diffID: string } {
  sh('sync');
  const r = spawnSync('node', [ONE, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`one-layer ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function line(name: string, oursV: number, peerV: number, unit: string, goal: number): void {
  const ratio = oursV / peerV;
  const fmt = (v: number) => (unit === 's' ? `${(v / 1000).toFixed(2)}s` : `${v.toFixed(0)}${unit}`);
  console.log(`bench ${name}: ${fmt(oursV)} vs ${fmt(peerV)} = ${ratio.toFixed(2)}x (target <= ${goal})`);
}

function main(): void {
  mkdirSync(W, { recursive: true });
  const tree = join(W, 'tree');
  const small = join(W, 'small');
  prepareTree(tree, 250e6);
  const { bytes, files } = treeSize(tree);
  console.log(`tree: ${(bytes / 1e6).toFixed(0)} MB in ${files} files (${tree})`);
  const layer = join(W, 'layer.tar.gz');
  if (!existsSync(layer)) sh(`tar -C ${tree} -cf - . | gzip -6 > ${layer}`);
  // A tenth-size layer, to show that peak memory does not grow with the layer.
  if (!existsSync(join(small, '.complete'))) sh(`rm -rf ${small} && mkdir -p ${small} && cp -a ${tree}/src0 ${small}/ && touch ${small}/.complete`);
  const smallLayer = join(W, 'small.tar.gz');
  if (!existsSync(smallLayer)) sh(`tar -C ${small} -cf - . | gzip -6 > ${smallLayer}`);
  console.log(`layer: ${(statSync(layer).size / 1e6).toFixed(1)} MB gzip; small layer: ${(statSync(smallLayer).size / 1e6).toFixed(1)} MB gzip; ${RUNS} runs each, alternating`);

  // Unpack: digest + gunzip + diffID + extract, in one pass.
  const gnuUnpack: number[] = [];
  const ourUnpack: number[] = [];
  const ourUnpackRss: number[] = [];
  let expect: { digest: string; diffID: string } | null = null;
  for (let r = 0; r < RUNS; r++) {
    const g = fresh();
    gnuUnpack.push(timeShell(`tee >(sha256sum > ${g}.digest) < ${layer} | gzip -dc | tee >(sha256sum > ${g}.diffid) | tar -xf - -C ${g}; wait`));
    const o = ours(['unpack', layer, fresh()]);
    ourUnpack.push(o.ms);
    ourUnpackRss.push(o.maxRssKiB);
    if (!expect) expect = { digest: `sha256:${sh(`cut -d' ' -f1 ${g}.digest`).trim()}`, diffID: `sha256:${sh(`cut -d' ' -f1 ${g}.diffid`).trim()}` };
    if (o.digest !== expect.digest || o.diffID !== expect.diffID) throw new Error(`digests differ from GNU: ${JSON.stringify(o)} vs ${JSON.stringify(expect)}`);
  }
  const smallRss = median([0, 1, 2].map(() => ours(['unpack', smallLayer, fresh()]).maxRssKiB));
  line('layer-unpack', median(ourUnpack), median(gnuUnpack), 's', 1.0);

  // Pack: walk + tar + gzip -6 + both digests.
  const gnuPack: number[] = [];
  const ourPack: number[] = [];
  const ourPackRss: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    gnuPack.push(timeShell(`tar -C ${tree} -cf - . | gzip -6 > ${W}/gnu-out.tar.gz`));
    const o = ours(['pack', tree, `${W}/our-out.tar.gz`]);
    ourPack.push(o.ms);
    ourPackRss.push(o.maxRssKiB);
  }
  const smallPackRss = median([0, 1, 2].map(() => ours(['pack', small, `${W}/our-small.tar.gz`]).maxRssKiB));
  line('layer-pack', median(ourPack), median(gnuPack), 's', 1.2);
  // Our packed layer must be a valid gzip tar with the same files.
  const listed = Number(sh(`tar -tzf ${W}/our-out.tar.gz | wc -l`).trim());
  console.log(`  (our pack lists ${listed} entries; gzip -t: ${spawnSync('gzip', ['-t', `${W}/our-out.tar.gz`]).status === 0 ? 'ok' : 'FAILED'})`);

  // Peak memory must not grow with the layer's size: full layer vs the tenth-size one.
  line('layer-unpack-peak-rss (250MB layer vs small layer)', median(ourUnpackRss) / 1024, smallRss / 1024, 'MiB', 1.5);
  line('layer-pack-peak-rss (250MB tree vs small tree)', median(ourPackRss) / 1024, smallPackRss / 1024, 'MiB', 1.5);
  sh(`rm -rf ${W}/x`);
}

const PARTS = ['layers', 'containers', 'registry', 'build'];
const ONLY = process.env.DOCKLING_BENCH_ONLY ?? ''; // one of PARTS, or empty: all of them
if (ONLY && !PARTS.includes(ONLY)) throw new Error(`DOCKLING_BENCH_ONLY=${ONLY}: want one of ${PARTS.join(', ')}`);
const runs = (part: string) => !ONLY || ONLY === part;
if (runs('layers')) main();
// Chapters 3, 4 and 5 each in their own process: containers (API, CLI, many detached) against
// runc/crun/unshare/podman; registries, pull and push against docker-registry/skopeo/podman;
// builds (cold and cached) against buildah.
for (const part of ['containers', 'registry', 'build']) {
  if (!runs(part)) continue;
  // The registry image's second layer is the tree above, made here when the layers part did not run.
  if (part === 'registry') prepareTree(join(W, 'tree'), 250e6);
  const r = spawnSync('node', [join(dirname(fileURLToPath(import.meta.url)), `${part}.js`)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
