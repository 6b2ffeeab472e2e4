// `npm run test:reliability` (issue 9): every test under test/reliability/ in its long form
// (DOCKLING_RELIABILITY_FULL=1: more kills, more requests, more containers), then one table of
// what was tried and how it went, from the lines each test reported (report.ts). It exits with
// vitest's status, and 1 as well when any object was lost.
//
//   npm run test:reliability            (as root: the engine mounts, makes namespaces and cgroups)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPORT_ENV, type ReliabilityLine } from './report.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const dir = mkdtempSync(join(tmpdir(), 'dockling-reliability-'));
const file = join(dir, 'report.jsonl');
const vitest = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/vitest.config.ts', 'test/reliability'], {
  cwd: ROOT, stdio: 'inherit', env: { ...process.env, [REPORT_ENV]: file, DOCKLING_RELIABILITY_FULL: '1' },
});
const lines: ReliabilityLine[] = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReliabilityLine) : [];
rmSync(dir, { recursive: true, force: true });

const cols = [
  ['area', (l: ReliabilityLine) => l.area],
  ['faults injected/survived', (l: ReliabilityLine) => (l.faultsInjected === undefined ? '' : `${l.faultsInjected}/${l.faultsSurvived ?? 0}`)],
  ['requests sent/answered', (l: ReliabilityLine) => (l.requestsSent === undefined ? '' : `${l.requestsSent}/${l.requestsAnswered ?? 0}`)],
  ['hostile tried/refused', (l: ReliabilityLine) => (l.hostileTried === undefined ? '' : `${l.hostileTried}/${l.hostileRefused ?? 0}`)],
  ['objects lost', (l: ReliabilityLine) => String(l.objectsLost)],
  ['note', (l: ReliabilityLine) => l.note ?? ''],
] as const;
const sum = (k: keyof ReliabilityLine) => lines.reduce((n, l) => n + (typeof l[k] === 'number' ? (l[k] as number) : 0), 0);
const total: ReliabilityLine = {
  area: 'total', faultsInjected: sum('faultsInjected'), faultsSurvived: sum('faultsSurvived'), requestsSent: sum('requestsSent'),
  requestsAnswered: sum('requestsAnswered'), hostileTried: sum('hostileTried'), hostileRefused: sum('hostileRefused'), objectsLost: sum('objectsLost'),
};
const rows = [...lines, total].map((l) => cols.map(([, f]) => f(l)));
const widths = cols.map(([h], i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd();
console.log(`\n${line(cols.map(([h]) => h))}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
for (const r of rows) console.log(line(r));
if (lines.length === 0) console.log('(no test reported anything)');
process.exitCode = vitest.status !== 0 || total.objectsLost > 0 ? 1 : 0;
