// Registry endpoints (chapter 4 through the Engine API): pull (`POST /images/create?fromImage=`,
// reached through image-archive.ts, which owns that path), push (`POST /images/{name}/push`)
// and login (`POST /auth`). The daemon's RegistryClient does the work; these handlers turn the
// query and the X-Registry-Auth header into its options, and its progress messages into
// Docker's JSON message stream, which the docker CLI draws line by line as they arrive:
//
//   POST /images/create?fromImage=localhost%3A5000%2Fapp&tag=v1      X-Registry-Auth: e30=
//   200  {"status":"Pulling from app","progressDetail":{},"id":"v1"}
//        {"status":"Pulling fs layer","progressDetail":{},"id":"6c3e58e2a5b1"}
//        {"status":"Downloading","progressDetail":{"current":1048576,"total":2155123},…}
//        …
//        {"status":"Status: Downloaded newer image for localhost:5000/app:v1"}
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EngineError } from '../../base/index.js';
import { familiarRepository, parseReference, type Platform } from '../../layers/index.js';
import { PullUnpacker } from '../../unionfs/index.js';
import type { ProgressMessage } from '../../registry/index.js';
import type { Route, RequestContext } from '../http/router.js';
import { HttpError, readBody, sendJSON } from '../http/respond.js';
import { HeldMessageStream } from '../http/json-stream.js';
import { afterWriting } from '../gc-lock.js';
import type { DaemonEngine } from '../engine.js';
import { registryAuth } from '../registry-auth.js';

// #region pull-route
/**
 * `POST /images/create?fromImage=…&tag=…[&platform=…]`. The first message (`Pulling from …`) is
 * held: it is written before the registry has been asked anything, so a pull that fails on its
 * manifest (no such tag, no such repository, wrong password) still answers with an HTTP status,
 * as dockerd does. Once layers are reported, failures travel inside the stream.
 */
export async function pullImage(ctx: RequestContext<DaemonEngine>): Promise<void> {
  const { req, res, query, engine } = ctx;
  const reference = pullReference(query.get('fromImage')!, query.get('tag'));
  const platform = platformOf(query.get('platform'));
  const stream = new HeldMessageStream(res, 1);
  const signal = abortedWhenGone(req, res);
  try {
    await engine.registry.pull({
      reference, store: engine.images, content: engine.content, auth: registryAuth(req.headers['x-registry-auth']), signal,
      onProgress: forwardTo(stream), ...(platform ? { platform } : {}),
      // Unpacked into snapshots as it is pulled, as dockerd extracts: the first run starts at once.
      unpack: (layers) => new PullUnpacker({ layers, content: engine.content, snapshotter: engine.snapshotter, span: ctx.span }),
      span: ctx.span,
    });
  } catch (err) {
    // What the pull stored whole before it failed (its config, finished layers) no image names:
    // swept once no other writer is half done (gc-lock.ts), before the failure is answered.
    const sweep = async () => void (await engine.images.removeUnreferencedBlobs(ctx.span));
    if (!stream.opened) {
      afterWriting(req, () => sweep().catch(() => {}));
      throw err; // the router answers with the error's status
    }
    const fail = () => stream.fail(messageOf(err));
    // Best effort: a sweep that fails leaves the blobs to the next prune; the failure is answered anyway.
    if (!afterWriting(req, async () => { await sweep().then(fail, fail); })) fail();
    return;
  }
  stream.end();
}
// #endregion pull-route

/** `fromImage` and `tag` as the docker CLI sends them: the tag apart, or a digest in the tag's place. */
export function pullReference(fromImage: string, tag: string | null): string {
  if (!tag) return fromImage;
  return /^[a-z0-9]+:[a-f0-9]{32,}$/.test(tag) ? `${fromImage}@${tag}` : `${fromImage}:${tag}`;
}

/** `linux/amd64`, `linux/arm64/v8`, or just `arm64` (Linux is the only OS here). */
export function platformOf(text: string | null): Platform | undefined {
  if (!text) return undefined;
  const parts = text.trim().toLowerCase().split('/');
  const [os, architecture, variant] = parts.length === 1 ? ['linux', parts[0]!] : parts;
  if (parts.length > 3 || !os || !architecture) throw new HttpError(400, `invalid platform ${JSON.stringify(text)}: want os/arch[/variant], e.g. linux/amd64`);
  const aliases: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', i386: '386' };
  return { os, architecture: aliases[architecture] ?? architecture, ...(variant ? { variant } : {}) };
}

/** The client's messages, into the stream; its last one (the failure) is the handler's to write. */
function forwardTo(stream: HeldMessageStream): (m: ProgressMessage) => void {
  return (m) => {
    if (!m.errorDetail) stream.write(m);
  };
}

/** A signal that fires when the client goes away mid-operation (`^C` on docker pull). */
function abortedWhenGone(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('the client went away'));
  });
  req.resume(); // no body is expected; drain whatever came
  return abort.signal;
}

const messageOf = (err: unknown) => String((err as Error)?.message ?? err);

/** `POST /images/{name}/push?tag=…`: the image must be here first (404 in dockerd's words, before any stream). */
async function pushImage({ req, res, params, query, engine, span }: RequestContext<DaemonEngine>): Promise<void> {
  const tag = query.get('tag');
  const reference = tag ? `${params[0]!}:${tag}` : params[0]!;
  const ref = parseReference(reference);
  try {
    await engine.images.resolve(reference);
  } catch (err) {
    if ((err as EngineError).kind !== 'not-found') throw err;
    throw new HttpError(404, `An image does not exist locally with the tag: ${familiarRepository(ref)}`);
  }
  const stream = new HeldMessageStream(res, 0);
  const signal = abortedWhenGone(req, res);
  try {
    await engine.registry.push({ reference, store: engine.images, content: engine.content, auth: registryAuth(req.headers['x-registry-auth']), signal, onProgress: forwardTo(stream), span });
  } catch (err) {
    if (!stream.opened) throw err;
    stream.fail(messageOf(err));
    return;
  }
  stream.end();
}

/**
 * `POST /auth` with `{"username","password","serveraddress"}`: checks the credentials with the
 * registry and keeps nothing (the CLI stores them). A refusal is a 401 whose message the docker
 * CLI prints after `Error response from daemon:`.
 */
async function login({ req, res, engine }: RequestContext<DaemonEngine>): Promise<void> {
  let body: { username?: unknown; password?: unknown; serveraddress?: unknown };
  try {
    body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'the login request body is not JSON: want {"username","password","serveraddress"}');
  }
  // Checked before any registry is asked: a number for the server must not become Docker Hub.
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !['username', 'password', 'serveraddress'].every((k) => body[k as keyof typeof body] === undefined || typeof body[k as keyof typeof body] === 'string')) {
    throw new HttpError(400, 'the login request body is not {"username","password","serveraddress"} of strings');
  }
  if (!body.username) throw new HttpError(400, 'username is required: the login request body is {"username","password","serveraddress"}');
  if (typeof body.serveraddress === 'string' && body.serveraddress !== '' && !serverAddressOk(body.serveraddress)) {
    throw new HttpError(400, `invalid registry address ${JSON.stringify(body.serveraddress.slice(0, 200))}: want host[:port], e.g. localhost:5000`);
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  try {
    const result = await engine.registry.login({ server: text(body.serveraddress) || undefined, username: text(body.username), password: text(body.password) });
    sendJSON(res, 200, { Status: result.status, IdentityToken: result.identityToken ?? '' });
  } catch (err) {
    if (err instanceof EngineError && err.code === 'REGISTRY_UNAUTHORIZED') throw new HttpError(401, err.message);
    throw err;
  }
}

/** `localhost:5000`, `https://registry.example`, `[::1]:5000`: a URL whose host parses, nothing else. */
function serverAddressOk(address: string): boolean {
  try {
    const url = new URL(/^https?:\/\//.test(address) ? address : `https://${address}`);
    return url.hostname !== '' && !/[^a-z0-9.\-[\]:]/i.test(url.hostname) && !url.hostname.split('.').includes('..') && !/^\.|\.\.|\.$/.test(url.hostname) && !url.username && !url.search;
  } catch {
    return false;
  }
}

export const registryRoutes: Route<DaemonEngine>[] = [
  { method: 'POST', pattern: /^\/images\/(.+)\/push$/, handler: pushImage },
  { method: 'POST', pattern: /^\/auth$/, handler: login },
];
