// TLS between the registry client and registries, as dockerd speaks it (chapter 4), with real
// certificates made by openssl and real servers:
//   - a secure registry — `dockling registry` over TLS on this machine's own non-loopback
//     address: trusted through certs.d, refused without it, never tried in plain HTTP;
//   - certs.d itself: a client certificate shown to a registry that demands one, half pairs refused;
//   - insecure (loopback) registries: HTTPS first and unverified (a self-signed certificate
//     works), plain HTTP only when HTTPS gets no answer, the answer kept and a failure not;
//   - a blob redirected to a CDN: judged by the CDN's own host, not by the insecure registry;
//   - `dockling registry --tls-cert/--tls-key` as a teacher runs it.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RegistryClient, type RegistryClientOptions } from '../../engine/registry/index.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';
import { makeImage, newStore } from './client-harness.js';
import { startDockling } from './server-harness.js';
import { makeCa, makeLeaf, makeSelfSigned, type CertFiles } from './tls-harness.js';

const MAIN = join(resolve(fileURLToPath(new URL('../..', import.meta.url))), 'dist/engine/cli/main.js');
const exec = promisify(execFile);
/**
 * How a registry on this machine is *secure* by Docker's rules without any other address: only
 * localhost, ::1, 127.0.0.0/8 and the listed ranges are insecure, but 0.0.0.0 — "this host" —
 * is none of those, and a connection to it reaches a server listening on 127.0.0.1. So the
 * servers below listen on loopback and the clients call them 0.0.0.0:PORT.
 */
const SECURE = '0.0.0.0';
const MiB = 1024 * 1024;

let dir: string;
let ca: CertFiles;
/** Signed by `ca`, for 127.0.0.1 and 0.0.0.0. */
let serverCert: CertFiles;
let selfSigned: CertFiles;
let clientCert: CertFiles;
let n = 0;

// Everything a test starts is stopped after it, last started first.
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

beforeAll(async () => {
  dir = await tempDir('dockling-tls-');
  ca = await makeCa(dir);
  serverCert = await makeLeaf(dir, { name: 'registry', ca, ips: ['127.0.0.1', SECURE], usage: 'serverAuth' });
  selfSigned = await makeSelfSigned(dir, { name: 'self-signed', ips: ['127.0.0.1'] });
  clientCert = await makeLeaf(dir, { name: 'client', ca, usage: 'clientAuth' });
});

/** A registry client with its own trace; `schemes()` lists what the scheme resolver decided. */
function newClient(opts: Partial<RegistryClientOptions> = {}) {
  const sink = new MemorySink();
  const client = new RegistryClient({ tracer: new Tracer([sink]), ...opts });
  cleanup.push(() => client.close());
  return { client, schemes: () => sink.events.filter((e) => e.op === 'endpoint.scheme').map((e) => e.data) };
}

async function registry(opts: Parameters<typeof startDockling>[0] = {}) {
  const reg = await startDockling(opts);
  cleanup.push(() => reg.stop());
  return { ...reg, host: new URL(reg.url).host };
}

/** `dockling registry` over TLS with the CA-signed certificate, on loopback, named SECURE:PORT. */
async function secureRegistry() {
  const reg = await registry({ tls: serverCert });
  return { ...reg, host: `${SECURE}:${new URL(reg.url).port}` };
}

/** A certs.d with `files` (name → source path) in `<certs.d>/<host>/`. */
async function certsDir(host: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, `certs.d-${n++}`);
  await mkdir(join(root, host), { recursive: true });
  for (const [name, from] of Object.entries(files)) await copyFile(from, join(root, host, name));
  return root;
}

/** An image of one layer bigger than 1 MiB (random bytes: gzip cannot shrink them), in a fresh store. */
async function bigImage(name: string) {
  const src = await newStore(dir, `store${n++}`);
  const image = await makeImage(src.store, { name, layers: [{ 'big.bin': randomBytes(MiB + MiB / 2) }] });
  return { ...src, image };
}

describe(`a secure registry (this host as ${SECURE}), verified`, () => {
  it('without its CA: a certificate error naming the host, and no try in plain HTTP', async () => {
    const reg = await secureRegistry();
    const src = await bigImage(`${reg.host}/room/app:v1`);
    const { client, schemes } = newClient();
    await expect(client.push({ reference: `${reg.host}/room/app:v1`, store: src.store, content: src.content })).rejects.toMatchObject({
      code: 'REGISTRY_CERTIFICATE_INVALID', message: expect.stringContaining(`the TLS certificate of ${reg.host} failed verification`),
    });
    expect(schemes()).toEqual([]); // a secure registry is never asked about schemes
    // With a certs.d that has nothing for this host, the message says where its CA would go.
    const empty = join(dir, `certs.d-${n++}`);
    await expect(newClient({ certsDir: empty }).client.pull({ reference: `${reg.host}/room/app:v1`, ...(await newStore(dir, `store${n++}`)) })).rejects.toMatchObject({
      code: 'REGISTRY_CERTIFICATE_INVALID', message: expect.stringContaining(`${join(empty, reg.host)}/ca.crt`),
    });
  });

  it('trusted through certs.d: a push and a pull over TLS, a layer over 1 MiB back byte for byte (read + write, not sendfile)', async () => {
    const reg = await secureRegistry();
    expect(reg.url).toBe(`https://127.0.0.1:${reg.host.split(':')[1]}`);
    const ref = `${reg.host}/room/big:v1`;
    const src = await bigImage(ref);
    const trusting = await certsDir(reg.host, { 'ca.crt': ca.cert });
    await newClient({ certsDir: trusting }).client.push({ reference: ref, store: src.store, content: src.content });
    const dst = await newStore(dir, `store${n++}`);
    const pulled = await newClient({ certsDir: trusting }).client.pull({ reference: ref, store: dst.store, content: dst.content });
    expect(pulled.id).toBe(src.image.id);
    const layer = src.image.layers[0]!;
    expect(layer.size).toBeGreaterThan(MiB);
    expect((await dst.content.readBytes(layer.digest)).equals(await src.content.readBytes(layer.digest))).toBe(true);
    // The registry sent it through TLS, so by read + write: sendfile cannot encrypt.
    const sent = reg.sink.events.filter((e) => e.op === 'registry.blob.get' && e.phase === 'end' && e.data.size === layer.size);
    expect(sent.map((e) => e.data.via)).toEqual(['read']);
  });

  it('a client certificate from certs.d is shown to a registry that demands one (mutual TLS)', async () => {
    const seen: string[] = [];
    const server = createHttpsServer({ cert: await readFile(serverCert.cert), key: await readFile(serverCert.key), ca: await readFile(ca.cert), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      seen.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
      res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0', 'Content-Type': 'application/json' }).end('{}');
    });
    const host = await listen(server, SECURE);
    const login = { server: host, username: 'any', password: 'any' };
    const caOnly = await certsDir(host, { 'ca.crt': ca.cert });
    await expect(newClient({ certsDir: caOnly }).client.login(login)).rejects.toMatchObject({
      code: 'REGISTRY_TLS_FAILED', message: expect.stringContaining(`${host} refused the TLS handshake: alert certificate required (if it wants a client certificate, put one in ${join(caOnly, host)}/client.cert`),
    });
    const withClient = await certsDir(host, { 'ca.crt': ca.cert, 'client.cert': clientCert.cert, 'client.key': clientCert.key });
    expect(await newClient({ certsDir: withClient }).client.login(login)).toEqual({ status: 'Login Succeeded' });
    expect(seen).toEqual(['client']);
  });

  it('a client certificate without its key, or a key without its certificate, is refused naming the file', async () => {
    const reg = await secureRegistry();
    const store = await newStore(dir, `store${n++}`);
    const noKey = await certsDir(reg.host, { 'ca.crt': ca.cert, 'client.cert': clientCert.cert });
    await expect(newClient({ certsDir: noKey }).client.pull({ reference: `${reg.host}/room/app:v1`, ...store })).rejects.toMatchObject({
      code: 'CERTS_DIR_INVALID', message: expect.stringMatching(/client certificate client\.cert has no key client\.key/),
    });
    const noCert = await certsDir(reg.host, { 'ca.crt': ca.cert, 'client.key': clientCert.key });
    await expect(newClient({ certsDir: noCert }).client.pull({ reference: `${reg.host}/room/app:v1`, ...store })).rejects.toMatchObject({
      code: 'CERTS_DIR_INVALID', message: expect.stringMatching(/key client\.key has no client certificate client\.cert/),
    });
  });

  it('a blob redirected to a CDN is verified as the CDN, though the registry itself is insecure', async () => {
    const reg = await registry();
    // The CDN: HTTPS on the secure address, serving the registry's blobs.
    const cdn = createHttpsServer({ cert: await readFile(serverCert.cert), key: await readFile(serverCert.key) }, (req, res) => forward(req, res, reg.url));
    const cdnHost = await listen(cdn, SECURE);
    // The registry's front, on loopback in plain HTTP: blob downloads are sent to the CDN.
    const front = createHttpServer((req, res) => {
      if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')) res.writeHead(307, { Location: `https://${cdnHost}${req.url}` }).end();
      else forward(req, res, reg.url);
    });
    const frontHost = await listen(front, '127.0.0.1');
    const ref = `${frontHost}/room/cdn:v1`;
    const src = await bigImage(ref);
    await newClient().client.push({ reference: ref, store: src.store, content: src.content });
    const { client: untrusting, schemes } = newClient();
    await expect(untrusting.pull({ reference: ref, ...(await newStore(dir, `store${n++}`)) })).rejects.toMatchObject({
      code: 'REGISTRY_CERTIFICATE_INVALID', message: expect.stringContaining(`the TLS certificate of ${cdnHost} failed verification`),
    });
    expect(schemes()).toMatchObject([{ host: frontHost, scheme: 'http' }]); // the registry: insecure, plain HTTP
    const dst = await newStore(dir, `store${n++}`);
    const pulled = await newClient({ certsDir: await certsDir(cdnHost, { 'ca.crt': ca.cert }) }).client.pull({ reference: ref, store: dst.store, content: dst.content });
    expect(pulled.id).toBe(src.image.id);
  });
});

describe('an insecure (loopback) registry over TLS: HTTPS first, not verified', () => {
  it('a self-signed certificate no one trusts serves a push and a pull, over HTTPS, decided once', async () => {
    const reg = await registry({ tls: selfSigned });
    const ref = `${reg.host}/room/self:v1`;
    const src = await bigImage(ref);
    const { client, schemes } = newClient();
    await client.push({ reference: ref, store: src.store, content: src.content });
    const dst = await newStore(dir, `store${n++}`);
    expect((await client.pull({ reference: ref, store: dst.store, content: dst.content })).id).toBe(src.image.id);
    expect(schemes()).toEqual([{ host: reg.host, scheme: 'https', verified: false }]);
  });

  it('a mirror on loopback is insecure too: https://127.0.0.1 with a self-signed certificate serves Docker Hub names', async () => {
    const reg = await registry({ tls: selfSigned });
    const src = await bigImage(`${reg.host}/library/mirrored:latest`);
    await newClient().client.push({ reference: `${reg.host}/library/mirrored:latest`, store: src.store, content: src.content });
    const dst = await newStore(dir, `store${n++}`);
    const { client, schemes } = newClient({ mirrors: [reg.url] });
    expect(await client.pull({ reference: 'mirrored', store: dst.store, content: dst.content })).toMatchObject({ id: src.image.id, name: 'docker.io/library/mirrored:latest' });
    expect(schemes()).toEqual([]); // a mirror keeps its URL's scheme: nothing to decide
  });
});

describe('an insecure (loopback) registry in plain HTTP: HTTPS tried first, then HTTP, and remembered', () => {
  it('falls back to HTTP when HTTPS gets no answer, and the next operation goes straight to HTTP', async () => {
    const reg = await registry();
    const sniffer = await sniffingProxy(new URL(reg.url).port);
    const ref = `${sniffer.host}/room/plain:v1`;
    const src = await bigImage(ref);
    const { client, schemes } = newClient();
    await client.push({ reference: ref, store: src.store, content: src.content });
    expect(sniffer.seen[0]).toBe('tls'); // the first connection offered TLS…
    expect(sniffer.seen.slice(1)).not.toContain('tls'); // …and every later one spoke plain HTTP
    expect(schemes()).toEqual([{ host: sniffer.host, scheme: 'http', verified: false, httpsError: 'REGISTRY_TLS_FAILED' }]);
    client.close(); // no kept-alive connection left: the pull must open new ones
    const before = sniffer.seen.length;
    const dst = await newStore(dir, `store${n++}`);
    expect((await client.pull({ reference: ref, store: dst.store, content: dst.content })).id).toBe(src.image.id);
    expect(sniffer.seen.length).toBeGreaterThan(before);
    expect(sniffer.seen.slice(before)).not.toContain('tls');
    expect(schemes()).toHaveLength(1);
  });

  it('a registry that answers neither way is not remembered: once it is up, HTTPS is tried again', async () => {
    const reg = await registry();
    const sniffer = await sniffingProxy('1'); // nothing listens on port 1: every connection is cut
    const ref = `${sniffer.host}/room/later:v1`;
    const src = await bigImage(ref);
    const { client, schemes } = newClient();
    await expect(client.push({ reference: ref, store: src.store, content: src.content })).rejects.toMatchObject({
      code: 'REGISTRY_UNREACHABLE', message: expect.stringMatching(/did not answer, over HTTPS .* nor over plain HTTP/),
    });
    expect(sniffer.seen).toEqual(['tls', 'plain']);
    sniffer.retarget(new URL(reg.url).port);
    await client.push({ reference: ref, store: src.store, content: src.content });
    expect(sniffer.seen.slice(2, 4)).toEqual(['tls', 'plain']);
    expect(schemes()).toEqual([{ host: sniffer.host, scheme: 'http', verified: false, httpsError: 'REGISTRY_TLS_FAILED' }]);
  });
});

describe('dockling registry --tls-cert --tls-key (the CLI)', () => {
  it('serves HTTPS: the listening line says https, the CA verifies it, SIGTERM stops it', async () => {
    const child = spawn(process.execPath, [MAIN, 'registry', '--listen', '127.0.0.1:0', '--data-root', join(dir, `cli-data-${n++}`), '--tls-cert', serverCert.cert, '--tls-key', serverCert.key], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const url = await listeningUrl(child, exited);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await httpsStatus(`${url}/v2/`, await readFile(ca.cert))).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('takes both flags or neither, and refuses files that are missing or not a pair', async () => {
    const data = ['--listen', '127.0.0.1:0', '--data-root', join(dir, `cli-data-${n++}`)];
    await expect(exec(process.execPath, [MAIN, 'registry', ...data, '--tls-cert', serverCert.cert])).rejects.toMatchObject({
      code: 1, stderr: expect.stringContaining('--tls-cert needs --tls-key as well'),
    });
    await expect(exec(process.execPath, [MAIN, 'registry', ...data, '--tls-key', serverCert.key])).rejects.toMatchObject({
      code: 1, stderr: expect.stringContaining('--tls-key needs --tls-cert as well'),
    });
    await expect(exec(process.execPath, [MAIN, 'registry', ...data, '--tls-cert', join(dir, 'nothing.pem'), '--tls-key', serverCert.key])).rejects.toMatchObject({
      code: 1, stderr: expect.stringContaining(`cannot read the TLS certificate ${join(dir, 'nothing.pem')}`),
    });
    await expect(exec(process.execPath, [MAIN, 'registry', ...data, '--tls-cert', selfSigned.cert, '--tls-key', serverCert.key])).rejects.toMatchObject({
      code: 1, stderr: expect.stringContaining('do not make a pair'),
    });
    const { stdout } = await exec(process.execPath, [MAIN, 'registry', '--help']);
    expect(stdout).toContain('--tls-cert');
    expect(stdout).toContain('--tls-key');
  });
});

// --- servers of the tests' own --------------------------------------------------------------

/** Listens on `host`, port 0; returns `host:port`; the server is closed after the test. */
/** `server` on loopback; called `host`:PORT (SECURE or 127.0.0.1). */
async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => {
    server.closeAllConnections();
    server.close(r);
  }));
  return `${host}:${(server.address() as AddressInfo).port}`;
}

/** Passes a request on to `base` (a plain HTTP registry) and its answer back. */
function forward(req: IncomingMessage, res: ServerResponse, base: string): void {
  const target = new URL(req.url ?? '/', base);
  const up = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
}

/**
 * A TCP relay to 127.0.0.1:`port` that notes how each connection opens: `tls` (a TLS record,
 * 0x16: a ClientHello) or `plain` (an HTTP request line). Only the server would otherwise know.
 */
async function sniffingProxy(port: string) {
  const seen: Array<'tls' | 'plain'> = [];
  const sockets = new Set<Socket>();
  let target = Number(port);
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createNetServer((client) => {
    track(client);
    client.once('data', (first: Buffer) => {
      seen.push(first[0] === 0x16 ? 'tls' : 'plain');
      const upstream = connect(target, '127.0.0.1');
      track(upstream);
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => {
    for (const s of sockets) s.destroy();
    server.close(r);
  }));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen, retarget: (p: string) => (target = Number(p)) };
}

/** The URL in `dockling registry`'s listening line. */
function listeningUrl(child: ChildProcess, exited: Promise<unknown>): Promise<string> {
  let out = '';
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d));
    void exited.then(() => fail(new Error(`dockling registry exited:\n${out}`)));
  });
}

function httpsStatus(url: string, ca: Buffer): Promise<number> {
  return new Promise((ok, fail) => {
    const req = httpsRequest(url, { ca, agent: false }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}
