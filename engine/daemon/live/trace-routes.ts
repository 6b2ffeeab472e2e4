// The live listener's trace endpoints (chapter 6, live mode): the stream a browser follows
// with EventSource, and the recent events as one JSON array. The unix socket's
// `GET /dockling/trace` serves the same events as JSON lines to `dockling trace`; a browser's
// EventSource speaks Server-Sent Events instead (WHATWG HTML §9.2):
//
//   retry: 2000                     reconnect after 2 s if the connection drops
//
//   event: hello                    first: the format, and where the stream stands
//   data: {"Format":"dockling-trace","Version":1,"Last":41,"Oldest":1,"Replay":3,"Restarted":false}
//
//   id: 42                          one trace event: `onmessage` gets it, lastEventId = "42"
//   data: {"t":…,"span":"…","op":"image.tag","phase":"start",…}
//
//   event: gap                      events a catch-up asked for but no longer kept
//   data: {"From":1,"To":57}
//
//   : keep-alive                    a comment every 15 s, so a dead connection is noticed
import type { ServerResponse } from 'node:http';
import { TRACE_FORMAT, TRACE_VERSION } from '../../trace/index.js';
import type { Route } from '../http/router.js';
import { HttpError, sendJSON } from '../http/respond.js';
import type { Catchup } from './trace-feed.js';
import type { LiveContext } from './live-listener.js';

const KEEP_ALIVE_MS = 15_000;
/** A follower this far behind (bytes not yet taken by its socket) is cut off rather than buffered for. */
const MAX_BACKLOG = 16 << 20;

/** `?since=41`, or the header EventSource sends when it reconnects; null: only new events. */
function sinceOf(query: URLSearchParams, lastEventId: string | undefined): number | null {
  const raw = lastEventId ?? query.get('since');
  if (raw === null || raw === undefined || raw === '') return null;
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `since must be a trace event id (a whole number), not "${raw}"`);
  return Number(raw);
}

function limitOf(query: URLSearchParams): number | undefined {
  const raw = query.get('limit');
  if (raw === null) return undefined;
  if (!/^[1-9]\d*$/.test(raw)) throw new HttpError(400, `limit must be a positive whole number, not "${raw}"`);
  return Number(raw);
}

/** One SSE message; JSON never holds a raw newline, so `data` is always one line. */
function sseMessage(res: ServerResponse, m: { id?: number; event?: string; data: unknown }): void {
  if (res.writableLength > MAX_BACKLOG) {
    res.destroy();
    return;
  }
  res.write(`${m.event ? `event: ${m.event}\n` : ''}${m.id !== undefined ? `id: ${m.id}\n` : ''}data: ${JSON.stringify(m.data)}\n\n`);
}

export const liveTraceRoutes: Route<LiveContext>[] = [
  {
    method: 'GET',
    pattern: /^\/trace\/stream$/,
    handler: ({ req, res, query, engine: { feed } }) => {
      const header = req.headers['last-event-id'];
      const since = sinceOf(query, Array.isArray(header) ? header[0] : header);
      // Catch-up and subscription in one synchronous run: no event can fall between them.
      const catchup: Catchup = since === null ? { events: [], missed: null, restarted: false } : feed.after(since);
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' });
      res.write('retry: 2000\n\n');
      sseMessage(res, { event: 'hello', data: { Format: TRACE_FORMAT, Version: TRACE_VERSION, Last: feed.lastId, Oldest: feed.oldestId, Replay: catchup.events.length, Restarted: catchup.restarted } });
      if (catchup.missed) sseMessage(res, { event: 'gap', data: { From: catchup.missed.from, To: catchup.missed.to } });
      for (const e of catchup.events) sseMessage(res, { id: e.id, data: e.event });
      const unsubscribe = feed.subscribe((e) => sseMessage(res, { id: e.id, data: e.event }));
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
      keepAlive.unref();
      res.on('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/trace\/recent$/,
    handler: ({ res, query, engine: { feed } }) => {
      const events = feed.recent(limitOf(query));
      res.setHeader('Dockling-Trace-Last-Id', String(feed.lastId));
      sendJSON(res, 200, events.map((e) => e.event));
    },
  },
];
