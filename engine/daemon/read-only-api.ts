// The Engine API on unauthenticated loopback TCP (`-H tcp://127.0.0.1:2375 --tls=false`,
// chapter 6): nobody is asked who they are, so nothing here may change anything. The checks
// are the live listener's (live/request-guard.ts), for the same reasons:
//   1. Host    only this listener's loopback spellings: a web page that points its own name at
//              127.0.0.1 (DNS rebinding) arrives with its own name in Host and is refused.
//   2. Origin  a browser names the page that sent a request; the CLI never does. Any Origin is
//              refused, so no web page can read containers' settings (their env may hold secrets).
//   3. Method  GET and HEAD read; anything else (create, start, rm, exec…) is 403, with why.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJSON } from './http/respond.js';
import { loopbackHosts } from './live/live-settings.js';

export interface ReadOnlyRefusal {
  status: 403;
  message: string;
}

// #region read-only-check
/** Null when the request may go on to the router; else why it may not. */
export function checkReadOnly(r: { method: string; host?: string; origin?: string }, port: number): ReadOnlyRefusal | null {
  const hosts = loopbackHosts(port);
  if (!hosts.includes((r.host ?? '').toLowerCase())) {
    return { status: 403, message: `Host "${r.host ?? ''}" is refused: this unauthenticated listener answers only ${hosts.join(', ')}` };
  }
  if (r.origin !== undefined) {
    return { status: 403, message: `requests from web pages (Origin ${r.origin}) are refused: this listener has no authentication` };
  }
  if (r.method !== 'GET' && r.method !== 'HEAD') {
    return {
      status: 403,
      message: `${r.method} refused: this API listener has no authentication (--tls=false), so it is read-only (GET and HEAD). Use the daemon's unix socket, or a tcp:// listener with --tlsverify, to change anything`,
    };
  }
  return null;
}
// #endregion read-only-check

/** Wraps the router: refused requests never reach it (and so never start an http.request span). */
export function readOnly(port: number, router: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const refusal = checkReadOnly({ method: req.method ?? 'GET', host: req.headers.host, origin: req.headers.origin }, port);
    if (refusal) sendJSON(res, refusal.status, { message: refusal.message });
    else router(req, res);
  };
}
