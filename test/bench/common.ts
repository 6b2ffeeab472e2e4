// What the benchmarks share: medians, and whole-process wall time of one command (the way the
// peer scripts time theirs), so that every comparison is measured the same way.
import { spawn, spawnSync } from 'node:child_process';

export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Done { ms: number; code: number; stdout: string; stderr: string }

/**
 * Whole-process wall time of one command. `sync`: flush earlier write-back first (untimed), so
 * that it does not land in this measurement.
 */
export function timed(cmd: string, args: string[], env?: Record<string, string>, opts: { sync?: boolean } = {}): Promise<Done> {
  if (opts.sync) spawnSync('sync');
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ ms: performance.now() - t0, code: code ?? -1, stdout, stderr }));
  });
}

/** timed(), and a non-zero exit is an error naming the command and its stderr. */
export async function must(cmd: string, args: string[], env?: Record<string, string>, opts: { sync?: boolean } = {}): Promise<Done> {
  const r = await timed(cmd, args, env, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}
