// Dockling's own endpoint: `GET /dockling/trace` answers the recent trace events as JSON lines;
// with `follow=1` it then keeps the connection open and sends each new event as it happens,
// which is what the site's live view and `dockling trace` read.
import type { Route } from '../http/router.js';
import type { DaemonEngine } from '../engine.js';
import { queryBool } from '../http/query.js';

export const traceRoutes: Route<DaemonEngine>[] = [
  {
    method: 'GET',
    pattern: /^\/dockling\/trace$/,
    handler: ({ req, res, query, engine }) => {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      for (const e of engine.traceStream.history()) res.write(JSON.stringify(e) + '\n');
      const follow = queryBool(query, 'follow');
      if (!follow) {
        res.end();
        return;
      }
      res.flushHeaders();
      const unsubscribe = engine.traceStream.subscribe((e) => res.write(JSON.stringify(e) + '\n'));
      req.on('close', unsubscribe);
      res.on('close', unsubscribe);
    },
  },
];
