// What `dockling daemon --trace-listen ADDR:PORT --trace-origin ORIGIN…` asks for (chapter 6,
// live mode): where the read-only listener the site follows binds, and which web pages may read
// it. Both are checked before the daemon touches anything, so a bad flag is a clear refusal,
// never a daemon half up. The rule behind the address check: the listener has no
// authentication, and anything unauthenticated on TCP is read-only and bound to loopback.
import { invalid } from '../../base/index.js';

/** A loopback address to bind: `127.0.0.1` or `::1`, and a port (0: the kernel picks one). */
export interface LoopbackAddress {
  host: '127.0.0.1' | '::1';
  port: number;
}

/**
 * The site's own origins when no --trace-origin is given: VitePress's dev server (5173) and
 * its preview of the built site (4173), under both names a browser may use for this machine.
 */
export const DEFAULT_TRACE_ORIGINS = ['http://localhost:5173', 'http://127.0.0.1:5173', 'http://localhost:4173', 'http://127.0.0.1:4173'];

/** The three names the listener answers to, as a `Host` header spells them: the rest is rebinding. */
const LOOPBACK_NAMES = new Map<string, LoopbackAddress['host']>([['127.0.0.1', '127.0.0.1'], ['localhost', '127.0.0.1'], ['::1', '::1']]);

const notLoopback = (spec: string) =>
  invalid(
    'TRACE_LISTEN_NOT_LOOPBACK',
    `--trace-listen ${spec}: the trace listener has no authentication, and anything unauthenticated on TCP is read-only and bound to loopback: use 127.0.0.1:PORT, localhost:PORT or [::1]:PORT`,
    { spec },
  );

/** `127.0.0.1:7357`, `localhost:7357`, `[::1]:7357` → where to bind; anything else is refused. */
export function parseTraceListen(spec: string): LoopbackAddress {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(.*))?$/.exec(spec.trim());
  const name = (m?.[1] ?? m?.[2] ?? '').toLowerCase();
  const host = LOOPBACK_NAMES.get(name);
  // An IPv6 address is written in brackets, as in a URL: [::1]:7357.
  if (!m || !host || (m[1] !== undefined) !== (host === '::1')) throw notLoopback(spec);
  const port = m[3] !== undefined && /^\d{1,5}$/.test(m[3]) ? Number(m[3]) : NaN;
  if (!(port <= 65535)) throw invalid('TRACE_LISTEN_INVALID', `--trace-listen ${spec}: expected ADDRESS:PORT with a port from 0 to 65535, e.g. 127.0.0.1:7357`, { spec });
  return { host, port };
}

/** The `Host` headers a request to this listener may carry once it is bound to `port`. */
export function loopbackHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/**
 * `--trace-origin` values → the exact origins whose pages may read the listener (CORS); none
 * given → DEFAULT_TRACE_ORIGINS. An origin is scheme://host[:port], nothing else: a wildcard
 * would hand the daemon's trace to every page the reader visits, so `*` is refused.
 */
export function parseTraceOrigins(given: string[]): string[] {
  if (given.length === 0) return [...DEFAULT_TRACE_ORIGINS];
  return [...new Set(given.map(parseOrigin))];
}

function parseOrigin(text: string): string {
  const refuse = (why: string) => invalid('TRACE_ORIGIN_INVALID', `--trace-origin ${text}: ${why}`, { origin: text });
  if (text.trim() === '*') throw refuse(`a wildcard would let any web page read the daemon's trace: name the site's origin, e.g. http://localhost:5173`);
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw refuse('expected an origin such as http://localhost:5173');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`an origin is http:// or https://, not ${url.protocol}`);
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) throw refuse(`an origin is scheme://host[:port] with nothing after it (${url.origin})`);
  return url.origin;
}
