// What `dockling registry` checks and keeps about manifests beyond the conformance suite:
// the Content-Type is the media type (and the body may not contradict it), Accept is honoured,
// the 4 MiB limit, foreign layers, and the referrers index following deletes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call, descriptor, digestOf, imageConfig, manifestOf, pushBlob, pushImage, pushManifest, randomBlob, startDockling,
  DOCKER_MANIFEST, EMPTY_JSON, OCI_INDEX, OCI_MANIFEST, type Peer,
} from './server-harness.js';

let reg: Peer;
beforeAll(async () => {
  reg = await startDockling();
});
afterAll(() => reg?.stop());

/** Hostile or mistaken manifest pushes, named after the code each must produce. */
const MANIFEST_INVALID: Array<[string, () => Promise<{ body: Buffer; contentType: string }>]> = [
  ['a body whose mediaType contradicts Content-Type', async () => {
    const config = imageConfig();
    await pushBlob(reg.url, 'room/app', config);
    return { body: manifestOf({ config, layers: [] }), contentType: DOCKER_MANIFEST };
  }],
  ['no media type anywhere', async () => ({ body: Buffer.from(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] })), contentType: 'application/json' })],
  ['an unknown media type', async () => ({ body: Buffer.from('{"schemaVersion":2}'), contentType: 'application/vnd.example.thing+json' })],
  ['a JSON array', async () => ({ body: Buffer.from('[]'), contentType: OCI_MANIFEST })],
  ['a descriptor without a digest', async () => ({
    body: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', size: 1 }, layers: [] })), contentType: OCI_MANIFEST,
  })],
  // Issue 9: a descriptor whose size is not its blob's (it was accepted, and a puller then failed or hung).
  ...([['smaller', -1], ['larger', 1 << 20]] as const).map(([how, delta]): [string, () => Promise<{ body: Buffer; contentType: string }>] => [`a layer size ${how} than its blob`, async () => {
    const config = imageConfig();
    const layer = randomBlob(512);
    for (const b of [config, layer]) await pushBlob(reg.url, 'room/app', b);
    const doc = JSON.parse(manifestOf({ config, layers: [layer] }).toString());
    doc.layers[0].size += delta;
    return { body: Buffer.from(JSON.stringify(doc)), contentType: OCI_MANIFEST };
  }]),
  ['schema 1 by Content-Type', async () => ({ body: Buffer.from('{"schemaVersion":1}'), contentType: 'application/vnd.docker.distribution.manifest.v1+json' })],
];

describe('manifest checks', () => {
  it.each(MANIFEST_INVALID)('MANIFEST_INVALID: %s', async (_, make) => {
    const { body, contentType } = await make();
    const a = await pushManifest(reg.url, 'room/app', 'bad', body, contentType);
    expect(a.status).toBe(400);
    expect(a.codes()).toEqual(['MANIFEST_INVALID']);
  });

  it('says why schema 1 is refused', async () => {
    const a = await pushManifest(reg.url, 'room/app', 'old', Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    expect(a.json<{ errors: Array<{ message: string; detail: { reason: string } }> }>().errors[0]).toMatchObject({
      message: expect.stringContaining('schema 1 is not supported'), detail: { reason: 'schema1' },
    });
  });

  it('a manifest over 4 MiB is 413 SIZE_INVALID', async () => {
    const a = await pushManifest(reg.url, 'room/app', 'huge', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    expect(a.status).toBe(413);
    expect(a.codes()).toEqual(['SIZE_INVALID']);
  });

  it('foreign layers (with urls) need not be pushed', async () => {
    const config = imageConfig();
    await pushBlob(reg.url, 'room/windows', config);
    const body = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: DOCKER_MANIFEST,
      config: descriptor('application/vnd.docker.container.image.v1+json', config),
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: digestOf('far away'), size: 8, urls: ['https://example.com/layer'] }],
    }));
    expect((await pushManifest(reg.url, 'room/windows', 'v1', body, DOCKER_MANIFEST)).status).toBe(201);
  });

  it('GET honours Accept: a manifest of a type the client does not list is 404 MANIFEST_UNKNOWN', async () => {
    await pushImage(reg.url, 'room/app', 'oci');
    const a = await call(reg.url, '/v2/room/app/manifests/oci', { headers: { Accept: DOCKER_MANIFEST } });
    expect(a.status).toBe(404);
    expect(a.codes()).toEqual(['MANIFEST_UNKNOWN']);
    expect((await call(reg.url, '/v2/room/app/manifests/oci', { headers: { Accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST}` } })).status).toBe(200);
    expect((await call(reg.url, '/v2/room/app/manifests/oci', { headers: { Accept: '*/*' } })).status).toBe(200);
  });
});

describe('referrers follow deletes', () => {
  it('deleting an artifact takes it out of its subject\'s referrers; deleting the subject leaves the artifact', async () => {
    const subject = await pushImage(reg.url, 'room/signed', 'v1');
    await pushBlob(reg.url, 'room/signed', Buffer.from('{}'));
    const layer = randomBlob(32);
    await pushBlob(reg.url, 'room/signed', layer);
    const sig = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example.sig', config: EMPTY_JSON,
      layers: [descriptor('application/octet-stream', layer)], subject: descriptor(OCI_MANIFEST, subject.manifest),
    }));
    expect((await pushManifest(reg.url, 'room/signed', digestOf(sig), sig)).status).toBe(201);
    const list = async () => (await call(reg.url, `/v2/room/signed/referrers/${subject.digest}`)).json<{ manifests: Array<{ digest: string }> }>().manifests.map((m) => m.digest);
    expect(await list()).toEqual([digestOf(sig)]);
    // The subject goes: its referrers stay listed (the spec lets a subject be pushed after its referrers).
    await call(reg.url, `/v2/room/signed/manifests/${subject.digest}`, { method: 'DELETE' });
    expect(await list()).toEqual([digestOf(sig)]);
    await call(reg.url, `/v2/room/signed/manifests/${digestOf(sig)}`, { method: 'DELETE' });
    expect(await list()).toEqual([]);
    expect((await call(reg.url, `/v2/room/signed/referrers/${subject.digest}`)).headers['content-type']).toBe(OCI_INDEX);
  });
});
