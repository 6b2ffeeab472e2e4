// One repository on one registry, seen through the distribution API's URLs (chapter 4;
// distribution-spec spec.md, "Endpoints"):
//
//   GET/HEAD /v2/<name>/manifests/<tag or digest>      PUT  /v2/<name>/manifests/<tag>
//   GET/HEAD /v2/<name>/blobs/<digest>                 POST /v2/<name>/blobs/uploads/[?mount=&from=]
//   PATCH <upload location> (a chunk)                   PUT  <upload location>?digest=<digest>
//
// Every call goes through `request`, which adds the Authorization the Authenticator gives for
// this repository's scope and, when a 401 says the token expired or was too narrow, learns the
// new challenge and tries once more. Pull and push are written on top of these calls.
import { Readable } from 'node:stream';
import { EngineError } from '../../base/index.js';
import type { Digest } from '../../layers/index.js';
import type { Span } from '../../trace/index.js';
import { unauthorized, type Authenticator } from './auth.js';
import type { Endpoint } from './endpoints.js';
import { drain, header, readBody, type HttpResponse, type HttpTransport, type Method } from './http.js';
import { registryError } from './registry-errors.js';

export type Access = 'pull' | 'pull,push';

export interface RemoteRequest {
  method: Method;
  /** A path under the endpoint (`/v2/…`) or a full URL (an upload location). */
  target: string | URL;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Repositories besides ours the request needs to read (a mount's source). */
  alsoPullFrom?: string;
}

export class RemoteRepository {
  constructor(
    private readonly args: {
      http: HttpTransport;
      auth: Authenticator;
      endpoint: Endpoint;
      /** Repository path: `library/busybox`. */
      name: string;
      access: Access;
      signal?: AbortSignal;
      span?: Span;
    },
  ) {}

  get name(): string {
    return this.args.name;
  }

  get endpoint(): Endpoint {
    return this.args.endpoint;
  }

  private scopes(alsoPullFrom?: string): string[] {
    const own = `repository:${this.args.name}:${this.args.access}`;
    return alsoPullFrom ? [own, `repository:${alsoPullFrom}:pull`] : [own];
  }

  // #region request
  /** Sends with authorization; on a 401, learns the challenge again and retries once if it can. */
  async request(req: RemoteRequest): Promise<HttpResponse> {
    const url = typeof req.target === 'string' ? new URL(req.target, this.args.endpoint.url) : req.target;
    const scopes = this.scopes(req.alsoPullFrom);
    const { auth, signal, span } = this.args;
    const send = async () => {
      const authorization = url.origin === this.args.endpoint.url.origin ? await auth.authorization(scopes, { signal, span }) : undefined;
      return this.args.http.send({
        method: req.method, url, signal, body: req.body,
        headers: { ...(req.headers ?? {}), ...(authorization ? { Authorization: authorization } : {}) },
      });
    };
    let res = await send();
    // A stream body is gone once sent: only a bodiless or Buffer request can be sent again.
    const canRetry = !(req.body instanceof Readable);
    if (res.status === 401 && canRetry) {
      await drain(res);
      auth.forget(scopes);
      auth.learn(res);
      res = await send();
    }
    if (res.status === 401) {
      await drain(res);
      throw unauthorized(this.args.endpoint, auth.hasCredentials);
    }
    return res;
  }
  // #endregion request

  /** GET a manifest or index by tag or digest: its bytes, media type and the registry's digest header. */
  async getManifest(tagOrDigest: string, accept: string[]): Promise<{ bytes: Buffer; mediaType: string; headerDigest?: string }> {
    const res = await this.request({ method: 'GET', target: `/v2/${this.name}/manifests/${tagOrDigest}`, headers: { Accept: accept.join(', ') } });
    if (res.status !== 200) throw await registryError(res, `manifest for ${this.describe(tagOrDigest)}`);
    const bytes = await readBody(res);
    const mediaType = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
    const headerDigest = header(res, 'docker-content-digest');
    return { bytes, mediaType, ...(headerDigest ? { headerDigest } : {}) };
  }

  async putManifest(tag: string, bytes: Buffer, mediaType: string): Promise<string | undefined> {
    const res = await this.request({
      method: 'PUT', target: `/v2/${this.name}/manifests/${tag}`, body: bytes,
      headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
    });
    if (res.status !== 201 && res.status !== 200) throw await registryError(res, `push manifest ${this.describe(tag)}`);
    await drain(res);
    return header(res, 'docker-content-digest');
  }

  /** HEAD a blob: does this repository have it? */
  async hasBlob(digest: Digest): Promise<boolean> {
    const res = await this.request({ method: 'HEAD', target: `/v2/${this.name}/blobs/${digest}` });
    await drain(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await registryError(res, `check blob ${digest} in ${this.describe()}`);
  }

  /** GET a blob, from byte `from` on (a Range request) when resuming; the caller reads the body. */
  async getBlob(digest: Digest, from = 0): Promise<HttpResponse> {
    const headers: Record<string, string> = from > 0 ? { Range: `bytes=${from}-` } : {};
    const res = await this.request({ method: 'GET', target: `/v2/${this.name}/blobs/${digest}`, headers });
    if (res.status !== 200 && res.status !== 206) throw await registryError(res, `download blob ${digest} from ${this.describe()}`);
    return res;
  }

  /**
   * POST an upload; with `mountFrom`, ask for the blob to be mounted from that repository. The
   * registry answers 201 when it mounted, or 202 with an upload location when it did not.
   */
  async startUpload(opts: { mount?: { digest: Digest; from: string } } = {}): Promise<{ mounted: true } | { mounted: false; location: URL }> {
    const query = opts.mount ? `?mount=${encodeURIComponent(opts.mount.digest)}&from=${encodeURIComponent(opts.mount.from)}` : '';
    const res = await this.request({
      method: 'POST', target: `/v2/${this.name}/blobs/uploads/${query}`, headers: { 'Content-Length': '0' },
      ...(opts.mount ? { alsoPullFrom: opts.mount.from } : {}),
    });
    if (res.status === 201 && opts.mount) {
      await drain(res);
      return { mounted: true };
    }
    if (res.status !== 202) throw await registryError(res, `start upload to ${this.describe()}`);
    await drain(res);
    return { mounted: false, location: this.location(res) };
  }

  /** PATCH one chunk (bytes start..start+length-1) to an upload; returns where to send the next. */
  async patchChunk(location: URL, chunk: Readable, start: number, length: number): Promise<URL> {
    const res = await this.request({
      method: 'PATCH', target: location, body: chunk,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(length), 'Content-Range': `${start}-${start + length - 1}` },
    });
    if (res.status !== 202) throw await registryError(res, `upload chunk ${start}-${start + length - 1} to ${this.describe()}`);
    await drain(res);
    return this.location(res);
  }

  /** PUT ends an upload, with the last (or only) bytes as body; the registry checks the digest. */
  async finishUpload(location: URL, digest: Digest, body: Readable | Buffer, length: number): Promise<void> {
    const target = new URL(location);
    target.searchParams.set('digest', digest);
    const res = await this.request({
      method: 'PUT', target, body,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(length) },
    });
    if (res.status !== 201) throw await registryError(res, `finish upload of ${digest} to ${this.describe()}`);
    await drain(res);
  }

  private location(res: HttpResponse): URL {
    const loc = header(res, 'location');
    if (!loc) throw new EngineError({ code: 'REGISTRY_ERROR', kind: 'internal', message: `${this.describe()}: upload answer has no Location`, data: { url: res.url.href } });
    return new URL(loc, res.url);
  }

  /** `localhost:5000/app:v1`, as messages name the repository. */
  describe(tagOrDigest?: string): string {
    const at = tagOrDigest ? (tagOrDigest.startsWith('sha256:') ? `@${tagOrDigest}` : `:${tagOrDigest}`) : '';
    return `${this.args.endpoint.registry}/${this.name}${at}`;
  }
}
