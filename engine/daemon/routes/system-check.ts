// Dockling's own endpoint: `GET /dockling/system/check` (issue 9) answers what system-check.ts
// found — the counts and one entry per problem. Docker has no such endpoint, hence /dockling/.
// Always 200 when the check ran: problems are the answer, not a failure of the request.
import type { Route } from '../http/router.js';
import { sendJSON } from '../http/respond.js';
import type { DaemonEngine } from '../engine.js';
import { systemCheck } from '../system-check.js';

export const systemCheckRoutes: Route<DaemonEngine>[] = [
  {
    method: 'GET',
    pattern: /^\/dockling\/system\/check$/,
    handler: async ({ res, engine }) => {
      const report = await systemCheck(engine);
      sendJSON(res, 200, {
        Counts: report.counts,
        Problems: report.problems.map((p) => ({ Object: p.object, Problem: p.problem })),
      });
    },
  },
];
