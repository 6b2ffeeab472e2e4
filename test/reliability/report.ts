// The reliability report (issue 9): each test under test/reliability/ says what it tried and how
// it went — faults injected and survived, requests sent and answered, hostile inputs tried and
// refused, objects lost — and `npm run test:reliability` (run.ts) prints the table. Outside that
// command (in `npm test`) the tests run the same, and their figures are only asserted, not kept.
import { appendFileSync } from 'node:fs';

export interface ReliabilityLine {
  /** What was tried: "crash during pull", "API fuzz", "seccomp from inside" … */
  area: string;
  faultsInjected?: number;
  faultsSurvived?: number;
  requestsSent?: number;
  requestsAnswered?: number;
  hostileTried?: number;
  hostileRefused?: number;
  /** Blobs, images, snapshots or records missing or corrupted afterwards: must be 0. */
  objectsLost: number;
  /** One short line: what "survived" or "refused" means here. */
  note?: string;
}

/** The file run.ts collects from, when a reliability run is being reported. */
export const REPORT_ENV = 'DOCKLING_RELIABILITY_REPORT';

/** Adds a line to the run's report (one JSON object per line; test files run in parallel). */
export function report(line: ReliabilityLine): void {
  const file = process.env[REPORT_ENV];
  if (file) appendFileSync(file, JSON.stringify(line) + '\n');
}

/** Whether the long versions were asked for (`npm run test:reliability`): more repetitions, more load. */
export const FULL = process.env['DOCKLING_RELIABILITY_FULL'] === '1';
