// HTTPS first, then plain HTTP, for insecure registries (chapter 4), as dockerd does it. A
// registry in `insecure-registries` (or on loopback) may speak plain HTTP, or HTTPS with a
// certificate no one signed; the client cannot tell which beforehand, so it asks:
//   1. GET https://HOST/v2/ without verifying the certificate. Any HTTP answer — 200, 401, even
//      404 — means HTTPS works here: use it.
//   2. Only when that fails below HTTP (refused, reset, no TLS: the server answered in plain
//      HTTP), GET http://HOST/v2/. An answer means plain HTTP.
//   3. The scheme that answered is kept per host:port for the client's lifetime. A failure is
//      not kept: the next operation asks again (the registry may be up by then).
// Secure registries are never asked: HTTPS, verified, or nothing. Mirrors keep their URL's
// scheme. (dockerd's endpoint list is the same — https, then http when insecure — but it starts
// from HTTPS again on every pull and push; keeping the answer saves that round trip.)
import { EngineError } from '../../base/index.js';
import type { Span } from '../../trace/index.js';
import type { Endpoint } from './endpoints.js';
import { drain, type HttpTransport } from './http.js';

type Scheme = 'https' | 'http';

/** Failures that say HTTPS is not there at all (not an answer, not a cancellation). */
const NO_HTTPS = new Set(['REGISTRY_UNREACHABLE', 'REGISTRY_TLS_FAILED']);

export class SchemeResolver {
  private readonly known = new Map<string, Scheme>();
  private readonly asking = new Map<string, Promise<Scheme>>();

  constructor(private readonly args: { http: HttpTransport }) {}

  // #region resolve
  /** The endpoint in the scheme it answers in: itself unless an insecure registry answers only in HTTP. */
  async resolve(endpoint: Endpoint, opts: { signal?: AbortSignal; span?: Span } = {}): Promise<Endpoint> {
    if (!endpoint.insecure || endpoint.mirror) return endpoint;
    const host = endpoint.url.host;
    let scheme = this.known.get(host);
    if (!scheme) {
      // Operations starting together share one question.
      let asking = this.asking.get(host);
      if (!asking) {
        asking = this.ask(endpoint, opts).finally(() => this.asking.delete(host));
        this.asking.set(host, asking);
      }
      scheme = await asking;
    }
    return scheme === 'https' ? endpoint : { ...endpoint, url: new URL(`http://${host}`) };
  }
  // #endregion resolve

  private async ask(endpoint: Endpoint, opts: { signal?: AbortSignal; span?: Span }): Promise<Scheme> {
    const host = endpoint.url.host;
    const overTls = await this.answers(new URL(`https://${host}/v2/`), opts.signal);
    if (overTls === true) return this.keep(host, 'https', opts.span);
    if (!NO_HTTPS.has(overTls.code)) throw overTls;
    const plain = await this.answers(new URL(`http://${host}/v2/`), opts.signal);
    if (plain === true) return this.keep(host, 'http', opts.span, overTls);
    if (!NO_HTTPS.has(plain.code)) throw plain;
    throw new EngineError({
      code: 'REGISTRY_UNREACHABLE', kind: 'unavailable',
      message: `registry ${endpoint.registry} did not answer, over HTTPS (${overTls.message}) nor over plain HTTP (${plain.message})`,
      data: { registry: endpoint.registry, https: overTls.code, http: plain.code }, cause: plain,
    });
  }

  /** True when an HTTP answer came back (whatever its status), else why not. */
  private async answers(url: URL, signal?: AbortSignal): Promise<true | EngineError> {
    try {
      await drain(await this.args.http.send({ method: 'GET', url, signal }));
      return true;
    } catch (err) {
      if (err instanceof EngineError) return err;
      throw err;
    }
  }

  private keep(host: string, scheme: Scheme, span?: Span, httpsFailure?: EngineError): Scheme {
    this.known.set(host, scheme);
    span?.event('endpoint.scheme', { host, scheme, verified: false, ...(httpsFailure ? { httpsError: httpsFailure.code } : {}) });
    return scheme;
  }
}
