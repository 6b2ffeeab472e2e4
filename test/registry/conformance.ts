// A conformance suite for the OCI distribution spec, written from the spec's four categories
// (the same split as the spec's own conformance tests): pull, push, content discovery, content
// management. It takes a registry (a base URL known once the file's beforeAll has started it)
// and registers describe/it blocks, so one suite checks `dockling registry` and the CNCF
// distribution registry alike (STYLE habit 13: one suite, several implementations).
//
// A registry may lack a feature newer than it (distribution 2.8 predates OCI 1.1's referrers
// API and tag deletion): the target says so, with a reason, and those cases are skipped with
// the reason printed — never counted as passing.
//
// Over 300 lines on purpose: it is one list of cases in the spec's order, read top to bottom.
import { describe, expect, it, beforeAll } from 'vitest';
import {
  call, digestOf, randomBlob, imageConfig, manifestOf, pushBlob, pushManifest, pushImage, descriptor,
  OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST, EMPTY_JSON, type Answer, type CallOptions, type Credentials,
} from './server-harness.js';

/** Parts of the spec a registry may predate; a target that lacks one names it with a reason. */
export type Feature =
  | 'referrers'         // OCI 1.1: GET /v2/<name>/referrers/<digest>, OCI-Subject
  | 'tagDelete'         // OCI 1.1: DELETE /v2/<name>/manifests/<tag>
  | 'singlePostUpload'  // POST …/uploads/?digest= with the blob answered 201 (the spec allows 202 instead)
  | 'chunkOrder'        // a PATCH whose Content-Range does not start at the offset is 416
  | 'tagPagination'     // tags/list in lexical order, paged by n and last
  | 'rangeErrors';      // a blob GET whose Range lies outside the blob is 416

export interface ConformanceTarget {
  name: string;
  url(): string;
  auth?: Credentials;
  /** Features this registry does not have, each with the reason its cases are skipped. */
  lacks?: Partial<Record<Feature, string>>;
}

export function registerConformance(target: ConformanceTarget): void {
  const auth = target.auth;
  const req = (path: string, opts: CallOptions = {}): Promise<Answer> => call(target.url(), path, { auth, ...opts });
  const printed = new Set<Feature>();
  /** True when the target lacks `f` (its cases are then skipped, with the reason printed once). */
  const lacks = (f: Feature): boolean => {
    const reason = target.lacks?.[f];
    if (reason && !printed.has(f)) {
      printed.add(f);
      console.log(`[conformance ${target.name}] skipping the ${f} cases: ${reason}`);
    }
    return reason !== undefined;
  };
  const ns = `conformance/${Math.random().toString(36).slice(2, 8)}`;
  const repo = `${ns}/app`;
  const other = `${ns}/other`;
  const blobPush = (r: string, data: Buffer) => pushBlob(target.url(), r, data, auth);
  const manifestPush = (r: string, ref: string, body: Buffer, mt = OCI_MANIFEST) => pushManifest(target.url(), r, ref, body, mt, auth);

  describe(`${target.name}: the version check`, () => {
    it('GET /v2/ answers 200 with Docker-Distribution-API-Version: registry/2.0', async () => {
      const a = await req('/v2/');
      expect(a.status).toBe(200);
      expect(a.headers['docker-distribution-api-version']).toBe('registry/2.0');
    });
    // Only for a target behind a password (not a skip elsewhere: the case does not apply).
    if (auth) {
      it('refuses a request without credentials: 401 UNAUTHORIZED with a Basic challenge', async () => {
        const a = await call(target.url(), `/v2/${repo}/tags/list`);
        expect(a.status).toBe(401);
        expect(a.headers['www-authenticate']).toMatch(/^Basic realm="[^"]+"/);
        expect(a.codes()).toEqual(['UNAUTHORIZED']);
      });
    }
  });

  describe(`${target.name}: push`, () => {
    it('monolithic upload in two requests: POST → 202 + Location, PUT ?digest= → 201 + Location + Docker-Content-Digest', async () => {
      const data = randomBlob(3000);
      const post = await req(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      expect(post.status).toBe(202);
      expect(post.headers.location).toBeTruthy();
      expect(post.headers['docker-upload-uuid']).toBeTruthy();
      const loc = new URL(post.headers.location!, target.url());
      loc.searchParams.set('digest', digestOf(data));
      const put = await req(loc.toString(), { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
      expect(put.status).toBe(201);
      expect(put.headers['docker-content-digest']).toBe(digestOf(data));
      expect(new URL(put.headers.location!, target.url()).pathname).toBe(`/v2/${repo}/blobs/${digestOf(data)}`);
      expect((await req(`/v2/${repo}/blobs/${digestOf(data)}`)).body.equals(data)).toBe(true);
    });

    it.skipIf(lacks('singlePostUpload'))('monolithic upload in one request: POST ?digest= with the blob → 201', async () => {
      const data = randomBlob(1500);
      const post = await req(`/v2/${repo}/blobs/uploads/?digest=${digestOf(data)}`, { method: 'POST', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
      expect(post.status).toBe(201);
      expect(post.headers['docker-content-digest']).toBe(digestOf(data));
      expect((await req(`/v2/${repo}/blobs/${digestOf(data)}`, { method: 'HEAD' })).status).toBe(200);
    });

    it('chunked upload: PATCH with Content-Range in order, GET status, PUT to close', async () => {
      const data = randomBlob(5000);
      const post = await req(`/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'Content-Length': '0' } });
      expect(post.status).toBe(202);
      let loc = post.headers.location!;
      const first = await req(loc, { method: 'PATCH', body: data.subarray(0, 2000), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-1999' } });
      expect(first.status).toBe(202);
      expect(first.headers.range).toBe('0-1999');
      loc = first.headers.location!;
      const status = await req(loc);
      expect(status.status).toBe(204);
      expect(status.headers.range).toBe('0-1999');
      const second = await req(loc, { method: 'PATCH', body: data.subarray(2000), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '2000-4999' } });
      expect(second.status).toBe(202);
      expect(second.headers.range).toBe('0-4999');
      const close = new URL(second.headers.location!, target.url());
      close.searchParams.set('digest', digestOf(data));
      const put = await req(close.toString(), { method: 'PUT', headers: { 'Content-Length': '0' } });
      expect(put.status).toBe(201);
      const got = await req(`/v2/${repo}/blobs/${digestOf(data)}`);
      expect(got.body.equals(data)).toBe(true);
    });

    it('streamed upload: PATCH without Content-Range (chunked transfer encoding), then PUT', async () => {
      const data = randomBlob(70_000);
      const post = await req(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      const patch = await req(post.headers.location!, { method: 'PATCH', body: data, headers: { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked', 'Content-Length': '' } });
      expect(patch.status).toBe(202);
      expect(patch.headers.range).toBe(`0-${data.length - 1}`);
      const close = new URL(patch.headers.location!, target.url());
      close.searchParams.set('digest', digestOf(data));
      expect((await req(close.toString(), { method: 'PUT' })).status).toBe(201);
      expect((await req(`/v2/${repo}/blobs/${digestOf(data)}`)).body.equals(data)).toBe(true);
    });

    it.skipIf(lacks('chunkOrder'))('a chunk out of order is refused with 416', async () => {
      const post = await req(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      const first = await req(post.headers.location!, { method: 'PATCH', body: randomBlob(100), headers: { 'Content-Range': '0-99' } });
      expect(first.status).toBe(202);
      const skip = await req(first.headers.location!, { method: 'PATCH', body: randomBlob(100), headers: { 'Content-Range': '200-299' } });
      expect(skip.status).toBe(416);
    });

    it('a wrong digest on close is 400 DIGEST_INVALID and nothing becomes visible', async () => {
      const data = randomBlob(800);
      const wrong = digestOf(randomBlob(8));
      const post = await req(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      const loc = new URL(post.headers.location!, target.url());
      loc.searchParams.set('digest', wrong);
      const put = await req(loc.toString(), { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
      expect(put.status).toBe(400);
      expect(put.codes()).toContain('DIGEST_INVALID');
      expect((await req(`/v2/${repo}/blobs/${wrong}`, { method: 'HEAD' })).status).toBe(404);
      expect((await req(`/v2/${repo}/blobs/${digestOf(data)}`, { method: 'HEAD' })).status).toBe(404);
    });

    it('DELETE cancels an upload: its status is then 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const post = await req(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      const patch = await req(post.headers.location!, { method: 'PATCH', body: randomBlob(10), headers: { 'Content-Range': '0-9' } });
      const del = await req(patch.headers.location!, { method: 'DELETE' });
      expect(del.status).toBe(204);
      const status = await req(patch.headers.location!);
      expect(status.status).toBe(404);
      expect(status.codes()).toEqual(['BLOB_UPLOAD_UNKNOWN']);
    });

    it('cross-repository mount: 201 when the source has the blob, 202 (an upload) when it does not', async () => {
      const data = randomBlob(700);
      await blobPush(repo, data);
      expect((await req(`/v2/${other}/blobs/${digestOf(data)}`, { method: 'HEAD' })).status).toBe(404);
      const mount = await req(`/v2/${other}/blobs/uploads/?mount=${digestOf(data)}&from=${repo}`, { method: 'POST' });
      expect(mount.status).toBe(201);
      expect(mount.headers['docker-content-digest']).toBe(digestOf(data));
      expect((await req(`/v2/${other}/blobs/${digestOf(data)}`)).body.equals(data)).toBe(true);
      const missing = digestOf(randomBlob(5));
      const fallback = await req(`/v2/${other}/blobs/uploads/?mount=${missing}&from=${repo}`, { method: 'POST' });
      expect(fallback.status).toBe(202);
      expect(fallback.headers.location).toMatch(/\/blobs\/uploads\//);
    });

    it('manifest PUT by tag and by digest: 201 with Location and Docker-Content-Digest', async () => {
      const { manifest, digest } = await pushImage(target.url(), repo, 'v1', { auth });
      const byDigest = await manifestPush(repo, digest, manifest);
      expect(byDigest.status).toBe(201);
      expect(byDigest.headers['docker-content-digest']).toBe(digest);
      expect(new URL(byDigest.headers.location!, target.url()).pathname).toBe(`/v2/${repo}/manifests/${digest}`);
    });

    it('a manifest pushed to a digest that is not its own is 400 DIGEST_INVALID', async () => {
      const config = imageConfig();
      await blobPush(repo, config);
      const manifest = manifestOf({ config, layers: [] });
      const a = await manifestPush(repo, digestOf('something else'), manifest);
      expect(a.status).toBe(400);
      expect(a.codes()).toContain('DIGEST_INVALID');
    });

    it('a manifest referencing a blob the repository lacks is 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const config = imageConfig();
      await blobPush(repo, config);
      const a = await manifestPush(repo, 'missing-layer', manifestOf({ config, layers: [randomBlob(64)] }));
      expect(a.status).toBe(400);
      expect(a.codes()).toEqual(['MANIFEST_BLOB_UNKNOWN']);
      expect((await req(`/v2/${repo}/manifests/missing-layer`)).status).toBe(404);
    });

    it('a body that is not a manifest is 400 MANIFEST_INVALID', async () => {
      const a = await manifestPush(repo, 'garbage', Buffer.from('{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": 7'));
      expect(a.status).toBe(400);
      expect(a.codes()).toContain('MANIFEST_INVALID');
    });

    it('schema 1 manifests are refused', async () => {
      const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: repo, tag: 'old', architecture: 'amd64', fsLayers: [], history: [] }));
      const a = await manifestPush(repo, 'old', schema1, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(a.status).toBeLessThan(500);
      expect((await req(`/v2/${repo}/manifests/old`)).status).toBe(404);
    });

    it('Docker schema 2 manifests and manifest lists are accepted', async () => {
      const img = await pushImage(target.url(), repo, 'docker-v2', { mediaType: DOCKER_MANIFEST, auth });
      const list = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: DOCKER_LIST,
        manifests: [{ ...descriptor(DOCKER_MANIFEST, img.manifest), platform: { architecture: 'amd64', os: 'linux' } }],
      }));
      const a = await manifestPush(repo, 'docker-list', list, DOCKER_LIST);
      expect(a.status).toBe(201);
      const got = await req(`/v2/${repo}/manifests/docker-list`, { headers: { Accept: DOCKER_LIST } });
      expect(got.headers['content-type']).toBe(DOCKER_LIST);
      expect(got.body.equals(list)).toBe(true);
    });

    it('OCI image indexes are accepted', async () => {
      const img = await pushImage(target.url(), repo, 'oci-child', { auth });
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: OCI_INDEX,
        manifests: [{ ...descriptor(OCI_MANIFEST, img.manifest), platform: { architecture: 'amd64', os: 'linux' } }],
      }));
      expect((await manifestPush(repo, 'oci-index', index, OCI_INDEX)).status).toBe(201);
    });

    it('an index listing a manifest the repository lacks is 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: digestOf(randomBlob(10)), size: 10, platform: { architecture: 'amd64', os: 'linux' } }],
      }));
      const a = await manifestPush(repo, 'broken-index', index, OCI_INDEX);
      expect(a.status).toBe(400);
      expect(a.codes()).toEqual(['MANIFEST_BLOB_UNKNOWN']);
    });
  });

  describe(`${target.name}: pull`, () => {
    let img: Awaited<ReturnType<typeof pushImage>>;
    beforeAll(async () => {
      img = await pushImage(target.url(), repo, 'pull-me', { layers: [randomBlob(10_000), randomBlob(333)], auth });
    });

    it('GET a manifest by tag: the exact bytes, with Content-Type and Docker-Content-Digest', async () => {
      const a = await req(`/v2/${repo}/manifests/pull-me`, { headers: { Accept: OCI_MANIFEST } });
      expect(a.status).toBe(200);
      expect(a.body.equals(img.manifest)).toBe(true);
      expect(a.headers['content-type']).toBe(OCI_MANIFEST);
      expect(a.headers['docker-content-digest']).toBe(img.digest);
    });

    it('HEAD a manifest: its digest and length, no body', async () => {
      const a = await req(`/v2/${repo}/manifests/pull-me`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } });
      expect(a.status).toBe(200);
      expect(a.headers['docker-content-digest']).toBe(img.digest);
      expect(Number(a.headers['content-length'])).toBe(img.manifest.length);
      expect(a.body.length).toBe(0);
    });

    it('GET a manifest by digest', async () => {
      const a = await req(`/v2/${repo}/manifests/${img.digest}`, { headers: { Accept: OCI_MANIFEST } });
      expect(a.status).toBe(200);
      expect(digestOf(a.body)).toBe(img.digest);
    });

    it('an unknown tag or digest is 404 MANIFEST_UNKNOWN', async () => {
      for (const ref of ['no-such-tag', digestOf('nothing')]) {
        const a = await req(`/v2/${repo}/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
        expect(a.status).toBe(404);
        expect(a.codes()).toEqual(['MANIFEST_UNKNOWN']);
      }
    });

    it('GET and HEAD a blob', async () => {
      const layer = img.layers[0]!;
      const get = await req(`/v2/${repo}/blobs/${digestOf(layer)}`);
      expect(get.status).toBe(200);
      expect(get.body.equals(layer)).toBe(true);
      const head = await req(`/v2/${repo}/blobs/${digestOf(layer)}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(Number(head.headers['content-length'])).toBe(layer.length);
      expect(head.headers['docker-content-digest']).toBe(digestOf(layer));
    });

    it('GET a blob with Range: 206 and exactly those bytes', async () => {
      const layer = img.layers[0]!;
      const a = await req(`/v2/${repo}/blobs/${digestOf(layer)}`, { headers: { Range: 'bytes=100-1099' } });
      expect(a.status).toBe(206);
      expect(a.headers['content-range']).toBe(`bytes 100-1099/${layer.length}`);
      expect(a.body.equals(layer.subarray(100, 1100))).toBe(true);
    });

    it.skipIf(lacks('rangeErrors'))('a Range outside the blob is 416', async () => {
      const layer = img.layers[1]!;
      const a = await req(`/v2/${repo}/blobs/${digestOf(layer)}`, { headers: { Range: `bytes=${layer.length + 10}-${layer.length + 20}` } });
      expect(a.status).toBe(416);
    });

    it('an unknown blob is 404 BLOB_UNKNOWN', async () => {
      const a = await req(`/v2/${repo}/blobs/${digestOf('no such blob')}`);
      expect(a.status).toBe(404);
      expect(a.codes()).toEqual(['BLOB_UNKNOWN']);
    });

    it('a blob pushed to one repository is not served by another', async () => {
      const a = await req(`/v2/${ns}/elsewhere/blobs/${digestOf(img.layers[1]!)}`, { method: 'HEAD' });
      expect(a.status).toBe(404);
    });
  });

  describe(`${target.name}: content discovery`, () => {
    const tagged = `${ns}/tagged`;
    const tags = ['a', 'b', 'c', 'd', 'e'];
    beforeAll(async () => {
      const img = await pushImage(target.url(), tagged, tags[0]!, { auth });
      for (const t of tags.slice(1)) await manifestPush(tagged, t, img.manifest);
    });

    it.skipIf(lacks('tagPagination'))('tags/list: every tag, in lexical order', async () => {
      const a = await req(`/v2/${tagged}/tags/list`);
      expect(a.status).toBe(200);
      expect(a.json()).toEqual({ name: tagged, tags });
    });

    it.skipIf(lacks('tagPagination'))('tags/list pages with n and last, and a Link header to the next page', async () => {
      const first = await req(`/v2/${tagged}/tags/list?n=2`);
      expect(first.json<{ tags: string[] }>().tags).toEqual(['a', 'b']);
      expect(first.headers.link).toMatch(/<[^>]*last=b[^>]*>; rel="next"/);
      const second = await req(`/v2/${tagged}/tags/list?n=2&last=b`);
      expect(second.json<{ tags: string[] }>().tags).toEqual(['c', 'd']);
      const rest = await req(`/v2/${tagged}/tags/list?n=10&last=d`);
      expect(rest.json<{ tags: string[] }>().tags).toEqual(['e']);
      expect(rest.headers.link).toBeUndefined();
    });

    it('tags/list: every tag (in any order)', async () => {
      const a = await req(`/v2/${tagged}/tags/list`);
      expect(a.status).toBe(200);
      const body = a.json<{ name: string; tags: string[] }>();
      expect(body.name).toBe(tagged);
      expect([...body.tags].sort()).toEqual(tags);
    });

    it('tags/list of an unknown repository is 404 NAME_UNKNOWN', async () => {
      const a = await req(`/v2/${ns}/never-pushed/tags/list`);
      expect(a.status).toBe(404);
      expect(a.codes()).toEqual(['NAME_UNKNOWN']);
    });

    it('_catalog lists repositories, paged with n and last', async () => {
      const all = (await req('/v2/_catalog')).json<{ repositories: string[] }>().repositories;
      expect(all).toContain(tagged);
      expect([...all].sort()).toEqual(all);
      const page = await req('/v2/_catalog?n=1');
      expect(page.json<{ repositories: string[] }>().repositories).toEqual([all[0]]);
      if (all.length > 1) expect(page.headers.link).toMatch(/rel="next"/);
    });

    describe('referrers (OCI 1.1)', () => {
      it.skipIf(lacks('referrers'))('a manifest with a subject is listed by GET /referrers/<digest>, filtered by artifactType', async () => {
        const subject = await pushImage(target.url(), tagged, 'signed', { auth });
        await blobPush(tagged, Buffer.from('{}'));
        const sigLayer = Buffer.from('signature');
        const sbomLayer = Buffer.from('sbom');
        await blobPush(tagged, sigLayer);
        await blobPush(tagged, sbomLayer);
        const subjectDesc = descriptor(OCI_MANIFEST, subject.manifest);
        const artifact = (type: string, layer: Buffer) => Buffer.from(JSON.stringify({
          schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: type, config: EMPTY_JSON,
          layers: [descriptor('application/octet-stream', layer)], subject: subjectDesc, annotations: { 'org.example.kind': type },
        }));
        const sig = artifact('application/vnd.example.signature', sigLayer);
        const sbom = artifact('application/vnd.example.sbom', sbomLayer);
        const put = await manifestPush(tagged, digestOf(sig), sig);
        expect(put.status).toBe(201);
        expect(put.headers['oci-subject']).toBe(subject.digest);
        expect((await manifestPush(tagged, digestOf(sbom), sbom)).status).toBe(201);

        const all = await req(`/v2/${tagged}/referrers/${subject.digest}`);
        expect(all.status).toBe(200);
        expect(all.headers['content-type']).toBe(OCI_INDEX);
        const list = all.json<{ manifests: Array<{ digest: string; artifactType: string; size: number; annotations?: Record<string, string> }> }>().manifests;
        expect(list.map((m) => m.digest).sort()).toEqual([digestOf(sig), digestOf(sbom)].sort());
        const sigEntry = list.find((m) => m.digest === digestOf(sig))!;
        expect(sigEntry).toMatchObject({ artifactType: 'application/vnd.example.signature', size: sig.length, annotations: { 'org.example.kind': 'application/vnd.example.signature' } });

        const filtered = await req(`/v2/${tagged}/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`);
        expect(filtered.headers['oci-filters-applied']).toBe('artifactType');
        expect(filtered.json<{ manifests: Array<{ digest: string }> }>().manifests.map((m) => m.digest)).toEqual([digestOf(sbom)]);
      });

      it.skipIf(lacks('referrers'))('a subject nothing refers to has an empty list (200, never 404)', async () => {
        const a = await req(`/v2/${tagged}/referrers/${digestOf('lonely')}`);
        expect(a.status).toBe(200);
        expect(a.json()).toMatchObject({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
      });
    });
  });

  describe(`${target.name}: content management`, () => {
    const managed = `${ns}/managed`;

    it('DELETE a manifest by digest: 202, then it and its tags are gone', async () => {
      const img = await pushImage(target.url(), managed, 'doomed', { auth });
      const del = await req(`/v2/${managed}/manifests/${img.digest}`, { method: 'DELETE' });
      expect(del.status).toBe(202);
      expect((await req(`/v2/${managed}/manifests/${img.digest}`, { headers: { Accept: OCI_MANIFEST } })).status).toBe(404);
      expect((await req(`/v2/${managed}/manifests/doomed`, { headers: { Accept: OCI_MANIFEST } })).status).toBe(404);
    });

    it('DELETE an unknown manifest is 404 MANIFEST_UNKNOWN', async () => {
      await pushImage(target.url(), managed, 'keep', { auth });
      const a = await req(`/v2/${managed}/manifests/${digestOf('never')}`, { method: 'DELETE' });
      expect(a.status).toBe(404);
      expect(a.codes()).toEqual(['MANIFEST_UNKNOWN']);
    });

    it.skipIf(lacks('tagDelete'))('DELETE a tag (OCI 1.1): 202, the tag is gone, the manifest stays', async () => {
      const img = await pushImage(target.url(), managed, 'untag-me', { auth });
      const del = await req(`/v2/${managed}/manifests/untag-me`, { method: 'DELETE' });
      expect(del.status).toBe(202);
      expect((await req(`/v2/${managed}/manifests/untag-me`, { headers: { Accept: OCI_MANIFEST } })).status).toBe(404);
      expect((await req(`/v2/${managed}/manifests/${img.digest}`, { headers: { Accept: OCI_MANIFEST } })).status).toBe(200);
    });

    it('DELETE a blob: 202, then 404 BLOB_UNKNOWN', async () => {
      const data = randomBlob(99);
      await blobPush(managed, data);
      const del = await req(`/v2/${managed}/blobs/${digestOf(data)}`, { method: 'DELETE' });
      expect(del.status).toBe(202);
      const a = await req(`/v2/${managed}/blobs/${digestOf(data)}`);
      expect(a.status).toBe(404);
      expect(a.codes()).toEqual(['BLOB_UNKNOWN']);
    });
  });
}
