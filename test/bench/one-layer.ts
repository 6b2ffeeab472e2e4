// One layer operation in its own process, so the benchmark can read its peak memory:
//   node dist/test/bench/one-layer.js unpack LAYER.tar.gz TARGET
//   node dist/test/bench/one-layer.js pack TREE OUT.tar.gz
// Prints one JSON line: {ms, maxRssKiB, digest, diffID, size}.
import { createReadStream, createWriteStream } from 'node:fs';
import { packLayer, unpackLayer } from '../../engine/layers/index.js';

async function main(): Promise<void> {
  const [verb, from, to] = process.argv.slice(2);
  if (!verb || !from || !to) throw new Error('usage: one-layer.js unpack|pack FROM TO');
  const t0 = performance.now();
  let result: { digest: string; diffID: string; size: number };
  if (verb === 'unpack') {
    result = await unpackLayer({ source: createReadStream(from, { highWaterMark: 1 << 20 }), target: to });
  } else {
    const out = createWriteStream(to);
    result = await packLayer({ root: from, out, compression: 'gzip', level: 6 });
    await new Promise<void>((resolve, reject) => out.close((err) => (err ? reject(err) : resolve())));
  }
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS, digest: result.digest, diffID: result.diffID, size: result.size }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
