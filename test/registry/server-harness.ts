// What the tests of `dockling registry` share, all on 127.0.0.1: a plain HTTP call (node:http,
// so a test controls every header and can cut a body short), the two registries under test —
// ours, started in this process on a temp data root, and the CNCF distribution registry
// (Debian's docker-registry) started as a child with a config of its own — and small OCI
// content made by hand. Every server and child started here is stopped by its stop().
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request, createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startRegistry, type RegistryOptions } from '../../engine/registry/server/index.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';

export const DISTRIBUTION_BIN = '/usr/bin/docker-registry';

export interface Credentials { username: string; password: string }

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
  /** The spec's error codes in the body, [] when there are none. */
  codes(): string[];
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  auth?: Credentials;
}

/** One HTTP request to `base` + `path` (or to an absolute Location a registry handed out). */
export function call(base: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  // A path is sent exactly as written (`%2e%2e` stays, where URL would resolve it to `..`).
  const origin = new URL(path.startsWith('/') ? base : path);
  const target = { protocol: origin.protocol, hostname: origin.hostname, port: origin.port, path: path.startsWith('/') ? path : origin.pathname + origin.search };
  const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
  const headers: Record<string, string> = { Connection: 'close', ...opts.headers };
  // `Content-Length: ''` asks for no length at all: the body goes with chunked transfer encoding.
  if (headers['Content-Length'] === '') delete headers['Content-Length'];
  else if (body && headers['Content-Length'] === undefined) headers['Content-Length'] = String(body.length);
  if (opts.auth) headers.Authorization = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: buf,
          json: <T>() => JSON.parse(buf.toString('utf8')) as T,
          codes: () => {
            try {
              return (JSON.parse(buf.toString('utf8')) as { errors?: Array<{ code: string }> }).errors?.map((e) => e.code) ?? [];
            } catch {
              return [];
            }
          },
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const digestOf = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A port free right now (the kernel picks it; we close and hand it on). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export async function htpasswdFile(dir: string, users: Credentials[]): Promise<string> {
  const path = join(dir, 'htpasswd');
  // cost 4: fast enough for tests; the format is the same as htpasswd -B's.
  await writeFile(path, users.map((u) => `${u.username}:${bcrypt.hashSync(u.password, 4)}\n`).join(''));
  return path;
}

export interface Peer { url: string; dir: string; stop(): Promise<void> }

// #region start-dockling
/** `dockling registry` in this process, on a fresh temp data root (unless given) and a free port. */
export async function startDockling(opts: Partial<RegistryOptions> = {}): Promise<Peer & { sink: MemorySink; dataRoot: string }> {
  const dir = await tempDir('dockling-registry-');
  const sink = new MemorySink();
  const dataRoot = opts.dataRoot ?? join(dir, 'data');
  const reg = await startRegistry({ listen: '127.0.0.1:0', ...opts, dataRoot, tracer: new Tracer([sink]) });
  return { url: reg.url, dir, dataRoot, sink, stop: () => reg.close() };
}
// #endregion start-dockling

/** The CNCF distribution registry as a child process, with its own config in a temp dir. */
export async function startDistribution(opts: { readOnly?: boolean; htpasswd?: string; proxy?: { url: string } & Partial<Credentials> } = {}): Promise<Peer> {
  const dir = await tempDir('dockling-distribution-');
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:', '  level: warn',
    'storage:', `  filesystem:`, `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:', '    enabled: true',
    '  maintenance:', '    uploadpurging:', '      enabled: false',
    ...(opts.readOnly ? ['    readonly:', '      enabled: true'] : []),
    'http:', `  addr: 127.0.0.1:${port}`, `  secret: ${randomBytes(8).toString('hex')}`,
    ...(opts.htpasswd ? ['auth:', '  htpasswd:', '    realm: test-realm', `    path: ${opts.htpasswd}`] : []),
    ...(opts.proxy ? ['proxy:', `  remoteurl: ${opts.proxy.url}`, ...(opts.proxy.username ? [`  username: ${opts.proxy.username}`, `  password: ${opts.proxy.password}`] : [])] : []),
  ];
  const config = join(dir, 'config.yml');
  await writeFile(config, lines.join('\n') + '\n');
  const child = spawn(DISTRIBUTION_BIN, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 15_000; ;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited early:\n${output}`);
    const status = await call(url, '/v2/').then((a) => a.status, () => 0);
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not come up:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, dir, stop };
}

// --- content made by hand -------------------------------------------------------------------

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
/** OCI 1.1's empty descriptor: the config of an artifact that has none. */
export const EMPTY_JSON = { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf('{}'), size: 2 };

export function randomBlob(size = 1024): Buffer {
  return randomBytes(size);
}

export function imageConfig(): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: new Date(0).toISOString(),
    rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBytes(8).toString('hex'),
  }));
}

export const descriptor = (mediaType: string, data: Buffer) => ({ mediaType, digest: digestOf(data), size: data.length });

/** A manifest document (bytes) for a config and layers. */
export function manifestOf(opts: { config: Buffer; layers: Buffer[]; mediaType?: string; subject?: { mediaType: string; digest: string; size: number }; artifactType?: string }): Buffer {
  const docker = opts.mediaType === DOCKER_MANIFEST;
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: opts.mediaType ?? OCI_MANIFEST,
    ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
    config: descriptor(docker ? 'application/vnd.docker.container.image.v1+json' : OCI_CONFIG, opts.config),
    layers: opts.layers.map((l) => descriptor(docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : OCI_LAYER, l)),
    ...(opts.subject ? { subject: opts.subject } : {}),
  };
  return Buffer.from(JSON.stringify(doc));
}

/** Pushes a blob monolithically (POST, then PUT ?digest=, the two-request form every registry has). */
export async function pushBlob(base: string, repo: string, data: Buffer, auth?: Credentials): Promise<string> {
  const start = await call(base, `/v2/${repo}/blobs/uploads/`, { method: 'POST', auth });
  if (start.status !== 202) throw new Error(`POST upload: ${start.status} ${start.body}`);
  const loc = new URL(start.headers.location!, base);
  loc.searchParams.set('digest', digestOf(data));
  const put = await call(base, loc.toString(), { method: 'PUT', body: data, auth, headers: { 'Content-Type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`PUT upload: ${put.status} ${put.body}`);
  return digestOf(data);
}

export async function pushManifest(base: string, repo: string, ref: string, body: Buffer, mediaType = OCI_MANIFEST, auth?: Credentials): Promise<Answer> {
  return call(base, `/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, auth, headers: { 'Content-Type': mediaType } });
}

/** An image (config + layers) pushed and tagged; returns its manifest's bytes and digest. */
export async function pushImage(base: string, repo: string, tag: string, opts: { layers?: Buffer[]; mediaType?: string; auth?: Credentials } = {}) {
  const config = imageConfig();
  const layers = opts.layers ?? [randomBlob(2048)];
  for (const b of [config, ...layers]) await pushBlob(base, repo, b, opts.auth);
  const manifest = manifestOf({ config, layers, mediaType: opts.mediaType });
  const put = await pushManifest(base, repo, tag, manifest, opts.mediaType ?? OCI_MANIFEST, opts.auth);
  if (put.status !== 201) throw new Error(`PUT manifest: ${put.status} ${put.body}`);
  return { manifest, digest: digestOf(manifest), config, layers };
}
