// Who may read the live listener (chapter 6, live mode), decided from a request's headers alone
// before any route runs. A pure function, so each refusal is a row in a table test. In order:
//   1. Host   a page on evil.example can point its own name at 127.0.0.1 (DNS rebinding); its
//             requests then arrive here with `Host: evil.example:PORT`. Only the three loopback
//             spellings of this listener's own address are answered.
//   2. Origin a page's fetch or EventSource names its origin: only the site's (--trace-origin)
//             may read; any other gets 403 and no CORS header, so its browser hides even that.
//   3. Embeds a cross-site request with no Origin at all is a <script>/<img>/<iframe> embed
//             (Sec-Fetch-Site says so): the site never reads that way, so it is refused too.
//   4. Method GET reads; an OPTIONS that is a CORS preflight for a GET from an allowed origin is
//             answered; anything else is 405: nothing here changes anything.
// No cookies are set or read, and Access-Control-Allow-Credentials is never sent.

export interface GuardPolicy {
  /** The `Host` values accepted: loopbackHosts(port). */
  hosts: string[];
  /** Exact origins allowed to read (CORS). */
  origins: string[];
}

/** The headers that matter, as node:http gives them (lower-case names). */
export interface RequestFacts {
  method: string;
  host?: string;
  origin?: string;
  /** `Sec-Fetch-Site`: cross-site, same-site, same-origin or none (a typed URL), sent by browsers. */
  fetchSite?: string;
  /** `Access-Control-Request-Method`, on a CORS preflight. */
  preflightMethod?: string;
}

export type Verdict =
  | { allowed: true; /** The origin to reflect in Access-Control-Allow-Origin, if any. */ origin: string | null; preflight: boolean }
  | { allowed: false; status: 403 | 405; code: string; message: string };

export function checkRequest(r: RequestFacts, policy: GuardPolicy): Verdict {
  // #region exercise-6-request-guard
  const refuse = (status: 403 | 405, code: string, message: string): Verdict => ({ allowed: false, status, code, message });
  const host = (r.host ?? '').toLowerCase();
  if (!policy.hosts.includes(host)) {
    return refuse(403, 'LIVE_HOST_REFUSED', `Host "${r.host ?? ''}" is refused: this listener answers only ${policy.hosts.join(', ')} (another name pointing at this machine is how DNS rebinding reaches loopback)`);
  }
  if (r.origin !== undefined && !policy.origins.includes(r.origin)) {
    return refuse(403, 'LIVE_ORIGIN_REFUSED', `origin ${r.origin} may not read this daemon's trace: allowed are ${policy.origins.join(', ')} (dockling daemon --trace-origin)`);
  }
  if (r.origin === undefined && r.fetchSite !== undefined && r.fetchSite !== 'same-origin' && r.fetchSite !== 'none') {
    return refuse(403, 'LIVE_EMBED_REFUSED', `a ${r.fetchSite} request without an Origin (a page embedding this URL) is refused: the site reads it with fetch or EventSource`);
  }
  const preflight = r.method === 'OPTIONS' && r.origin !== undefined && r.preflightMethod !== undefined;
  if (preflight && r.preflightMethod === 'GET') return { allowed: true, origin: r.origin!, preflight: true };
  if (r.method !== 'GET') {
    const what = preflight ? `a preflight for ${r.preflightMethod}` : r.method;
    return refuse(405, 'LIVE_READ_ONLY', `this listener is read-only, GET only (${what} refused); the Engine API, which changes things, is on the daemon's unix socket`);
  }
  return { allowed: true, origin: r.origin ?? null, preflight: false };
  // #endregion exercise-6-request-guard
}

/** The CORS answer for an allowed origin: that origin exactly, never `*`, never credentials. */
export function corsHeaders(origin: string, opts: { preflight: boolean }): Record<string, string> {
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': origin,
    Vary: 'Origin',
    // The id of the newest trace event, beside a /trace/recent answer: where the stream goes on.
    'Access-Control-Expose-Headers': 'Dockling-Trace-Last-Id',
  };
  if (opts.preflight) {
    Object.assign(headers, {
      'Access-Control-Allow-Methods': 'GET',
      // EventSource sends it when it reconnects, to resume after the last event it saw.
      'Access-Control-Allow-Headers': 'Last-Event-ID',
      'Access-Control-Max-Age': '600',
    });
  }
  return headers;
}
