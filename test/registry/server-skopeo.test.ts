// A real client against `dockling registry`: skopeo (containers/image, the library under
// podman and buildah) copies an OCI layout made by chapter 1's stores to the registry and back,
// in OCI and Docker schema 2 form, lists tags, deletes, and logs in with --creds when the
// registry wants a password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ContentStore, ImageStore, type Image, type ImageConfig } from '../../engine/layers/index.js';
import { Tracer } from '../../engine/trace/index.js';
import { call, htpasswdFile, startDockling, DOCKER_MANIFEST, OCI_MANIFEST } from './server-harness.js';
import { tempDir } from '../tmp.js';

// execFile rather than base's run(): skopeo never reads stdin.
const exec = promisify(execFile);
const skopeo = (...args: string[]) => exec('skopeo', args, { env: { ...process.env, HOME: home } });

let home: string;
let dir: string;
let layout: string;
let image: Image;

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, body] of Object.entries(files)) p.entry({ name, mtime: new Date(0) }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  dir = await tempDir('dockling-registry-skopeo-');
  home = join(dir, 'home');
  // The source: an image in chapter 1's content store, which is an OCI image layout.
  const tracer = new Tracer([]);
  const content = new ContentStore({ root: join(dir, 'layout'), tracer });
  await content.init();
  const store = new ImageStore({ content, tracer });
  const base = await store.ingestLayer(Readable.from([gzipSync(await tarOf({ 'etc/os-release': 'ID=dockling\n' }))]));
  const app = await store.ingestLayer(Readable.from([gzipSync(await tarOf({ 'app/hello': 'hello, room\n' }))]));
  const config: ImageConfig = {
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['/app/hello'] },
    rootfs: { type: 'layers', diff_ids: [base.diffID, app.diffID] },
  };
  image = await store.addImage({ config, layers: [base, app], names: ['localhost/room/app:v1'] });
  layout = content.root;
});

describe('skopeo and dockling registry', () => {
  let reg: Awaited<ReturnType<typeof startDockling>>;
  let host: string;
  beforeAll(async () => {
    reg = await startDockling();
    host = new URL(reg.url).host;
  });
  afterAll(() => reg?.stop());

  it('copies an OCI layout to the registry: the manifest arrives byte for byte', async () => {
    await skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${host}/room/app:v1`);
    const inspected = JSON.parse((await skopeo('inspect', '--tls-verify=false', `docker://${host}/room/app:v1`)).stdout);
    expect(inspected.Digest).toBe(image.manifestDigest);
    expect(inspected.Layers).toEqual(image.layers.map((l) => l.digest));
    const m = await call(reg.url, '/v2/room/app/manifests/v1', { headers: { Accept: OCI_MANIFEST } });
    expect(m.headers['docker-content-digest']).toBe(image.manifestDigest);
    const puts = reg.sink.events.filter((e) => e.op === 'registry.blob.put' && e.phase === 'end');
    expect(puts.length).toBeGreaterThanOrEqual(3);
  });

  it('copies it back into a new OCI layout, unchanged', async () => {
    const out = join(dir, 'back');
    await skopeo('copy', '--src-tls-verify=false', `docker://${host}/room/app:v1`, `oci:${out}:v1`);
    const inspected = JSON.parse((await skopeo('inspect', `oci:${out}:v1`)).stdout);
    expect(inspected.Digest).toBe(image.manifestDigest);
    const cfg = JSON.parse((await skopeo('inspect', '--config', `oci:${out}:v1`)).stdout);
    expect(cfg.rootfs.diff_ids).toEqual(image.layers.map((l) => l.diffID));
  });

  it('pushes Docker schema 2 (--format v2s2), which is stored and served as such', async () => {
    await skopeo('copy', '--dest-tls-verify=false', '--format', 'v2s2', `oci:${layout}:v1`, `docker://${host}/room/app:docker`);
    const m = await call(reg.url, '/v2/room/app/manifests/docker', { headers: { Accept: DOCKER_MANIFEST } });
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toBe(DOCKER_MANIFEST);
    const out = join(dir, 'back-docker');
    await skopeo('copy', '--src-tls-verify=false', `docker://${host}/room/app:docker`, `oci:${out}:x`);
  });

  it('copies between repositories of the registry, and lists tags', async () => {
    await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/room/app:v1`, `docker://${host}/room/copy:v1`);
    const tags = JSON.parse((await skopeo('list-tags', '--tls-verify=false', `docker://${host}/room/app`)).stdout);
    expect([...tags.Tags].sort()).toEqual(['docker', 'v1']);
    // skopeo asks to mount the layers it knows are in room/app rather than upload them again.
    const mounted = reg.sink.events.filter((e) => e.op === 'registry.blob.put' && e.phase === 'end' && e.data.mounted === true);
    expect(mounted.map((e) => e.data.from)).toEqual(image.layers.map(() => 'room/app'));
    expect((await call(reg.url, '/v2/room/copy/manifests/v1', { headers: { Accept: OCI_MANIFEST } })).headers['docker-content-digest']).toBe(image.manifestDigest);
  });

  it('deletes an image', async () => {
    await skopeo('delete', '--tls-verify=false', `docker://${host}/room/copy:v1`);
    expect((await call(reg.url, '/v2/room/copy/manifests/v1', { headers: { Accept: OCI_MANIFEST } })).status).toBe(404);
  });
});

describe('skopeo and dockling registry --htpasswd', () => {
  const creds = { username: 'learner', password: 'pa55word' };
  let reg: Awaited<ReturnType<typeof startDockling>>;
  let host: string;
  beforeAll(async () => {
    reg = await startDockling({ htpasswd: await htpasswdFile(await tempDir('dockling-skopeo-auth-'), [creds]) });
    host = new URL(reg.url).host;
  });
  afterAll(() => reg?.stop());

  it('is refused without credentials, and with a wrong password', async () => {
    await expect(skopeo('copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${host}/room/app:v1`)).rejects.toMatchObject({
      stderr: expect.stringMatching(/unauthorized|authentication required/i),
    });
    await expect(skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `${creds.username}:nope`, `oci:${layout}:v1`, `docker://${host}/room/app:v1`)).rejects.toMatchObject({
      stderr: expect.stringMatching(/unauthorized|wrong user name or password/i),
    });
  });

  it('pushes with --dest-creds and pulls with --src-creds', async () => {
    await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `${creds.username}:${creds.password}`, `oci:${layout}:v1`, `docker://${host}/room/app:v1`);
    const out = join(dir, 'back-auth');
    await skopeo('copy', '--src-tls-verify=false', '--src-creds', `${creds.username}:${creds.password}`, `docker://${host}/room/app:v1`, `oci:${out}:v1`);
    expect(JSON.parse((await skopeo('inspect', `oci:${out}:v1`)).stdout).Digest).toBe(image.manifestDigest);
  });
});
