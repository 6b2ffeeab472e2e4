// Where a reference's registry answers, and in which protocol (chapter 4). A reference names a
// registry by domain (`docker.io`, `localhost:5000`); the client needs a base URL. Docker's rules:
//   - `docker.io` is Docker Hub, whose API lives at registry-1.docker.io;
//   - HTTPS always, its certificate verified (certs.ts: the system's roots and certs.d) — except
//     for registries the daemon is told are insecure (`insecure-registries`) and the loopback ones
//     (localhost, 127.0.0.0/8, ::1): for those HTTPS is tried without verifying the certificate,
//     and plain HTTP only if HTTPS gets no answer at all (scheme-resolver.ts);
//   - for Hub names only, `registry-mirrors` are tried first, in order, then Hub itself; a mirror
//     is spoken to in its URL's scheme, never another.
import { invalid } from '../../base/index.js';

export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API = 'registry-1.docker.io';

export interface Endpoint {
  /**
   * Base URL, no path: `https://registry-1.docker.io`, `https://localhost:5000` — and
   * `http://localhost:5000` once an insecure registry is found to answer only in plain HTTP.
   */
  url: URL;
  /** The registry as references name it (`docker.io`, `localhost:5000`): what credentials are kept under. */
  registry: string;
  /** True for a `registry-mirrors` entry standing in for Docker Hub. */
  mirror: boolean;
  /**
   * An insecure registry (listed, or loopback): its certificate is not verified, and — unless it
   * is a mirror, which keeps its URL's scheme — plain HTTP is used when HTTPS gets no answer.
   */
  insecure: boolean;
}

/** host and port of `host:port`, `[v6]:port`, `host`. */
function splitHostPort(hostPort: string): { host: string; port?: string } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort) ?? /^([^:]+)(?::(\d+))?$/.exec(hostPort);
  if (!m) return { host: hostPort };
  return { host: m[1]!.toLowerCase(), ...(m[2] ? { port: m[2] } : {}) };
}

function ipv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function inCIDR(host: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const ip = ipv4(host);
  const base = ipv4(net ?? '');
  const len = Number(bits);
  if (ip === undefined || base === undefined || !Number.isInteger(len) || len < 0 || len > 32) return false;
  const size = 2 ** (32 - len);
  return Math.floor(ip / size) === Math.floor(base / size);
}

// #region insecure
/** Whether a registry is insecure (loopback, or listed): not verified, and HTTP allowed after HTTPS. */
export function isInsecure(registry: string, insecureRegistries: string[] = []): boolean {
  const { host } = splitHostPort(registry);
  if (host === 'localhost' || host === '::1' || inCIDR(host, '127.0.0.0/8')) return true;
  return insecureRegistries.some((entry) => {
    const e = entry.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '').toLowerCase();
    if (e.includes('/') && !e.includes(':')) return inCIDR(host, e);
    return e === registry.toLowerCase() || (!splitHostPort(e).port && splitHostPort(e).host === host);
  });
}
// #endregion insecure

/** The one endpoint of a registry (no mirrors): what push and login use. HTTPS until a try says otherwise. */
export function endpointOf(registry: string, insecureRegistries: string[] = []): Endpoint {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
  return { url: new URL(`https://${host}`), registry, mirror: false, insecure: isInsecure(registry, insecureRegistries) };
}

/** Where to pull from, in the order to try: Hub names get the mirrors first. */
export function pullEndpoints(registry: string, opts: { insecureRegistries?: string[]; mirrors?: string[] }): Endpoint[] {
  const direct = endpointOf(registry, opts.insecureRegistries);
  if (registry !== DOCKER_HUB) return [direct];
  return [...(opts.mirrors ?? []).map((m) => mirrorEndpoint(m, opts.insecureRegistries)), direct];
}

function mirrorEndpoint(mirror: string, insecureRegistries?: string[]): Endpoint {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch (err) {
    throw invalid('INVALID_MIRROR', `registry mirror ${JSON.stringify(mirror)} is not a URL (want http(s)://host[:port])`, { mirror }, err);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('INVALID_MIRROR', `registry mirror ${JSON.stringify(mirror)} must be http or https`, { mirror });
  }
  return { url: new URL(url.origin), registry: url.host, mirror: true, insecure: isInsecure(url.host, insecureRegistries) };
}
