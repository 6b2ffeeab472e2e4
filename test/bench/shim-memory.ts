// What one container's supervisor costs: starts N dockling-shims (default 1000) each holding a
// `sleep`, reads every shim's PSS from /proc/<pid>/smaps_rollup (proportional set size: shared
// pages — the static binary's text — divided among the processes sharing them), prints the mean
// against the 200 KiB per-container target, then kills every container by pid and cleans up.
//   node dist/test/bench/shim-memory.js [N]
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, startShim, waitExit, type ShimStart } from '../../engine/namespaces/shim.js'; // index.js once it exports the shim

const TARGET_KIB = 200;

function pssKiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000);
  const root = await mkdtemp(join(tmpdir(), 'dockling-bench-shim-'));
  const shims: (ShimStart & { stateDir: string })[] = [];
  try {
    for (let i = 0; i < count; i += 20) {
      const batch = Array.from({ length: Math.min(20, count - i) }, (_, j) => join(root, `c${i + j}`));
      shims.push(...(await Promise.all(batch.map(async (stateDir) =>
        ({ stateDir, ...(await startShim({ stateDir, argv: ['sleep', '600'], env: { PATH: '/usr/bin:/bin' } })) })))));
    }
    const running = shims.filter((s) => isAlive(s.shimPid, s.shimStart)).length;
    const pss = shims.map((s) => pssKiB(s.shimPid));
    const mean = pss.reduce((a, b) => a + b, 0) / pss.length;
    process.stdout.write(`bench supervisor-pss-per-container: ${mean.toFixed(1)} KiB vs ${TARGET_KIB} KiB = ${(mean / TARGET_KIB).toFixed(2)}x (target <= 1.0) [${running} of ${count} running]\n`);
  } finally {
    for (const s of shims) if (isAlive(s.pid, s.pidStart)) process.kill(s.pid, 'SIGKILL');
    await Promise.all(shims.map((s) => waitExit({ stateDir: s.stateDir, shimPid: s.shimPid, shimStart: s.shimStart, pollMs: 200 })));
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
