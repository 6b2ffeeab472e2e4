// The conformance suite (conformance.ts) against three registries: `dockling registry`, the same
// behind htpasswd (every request carries credentials, and one without is refused), and the CNCF
// distribution registry 2.8 (Debian's docker-registry) — the reference the suite is checked
// against, so a case that only our registry passes is a case about our registry, not the spec.
import { afterAll, beforeAll, describe } from 'vitest';
import { registerConformance } from './conformance.js';
import { htpasswdFile, startDistribution, startDockling, type Peer } from './server-harness.js';
import { tempDir } from '../tmp.js';

describe('dockling registry', () => {
  let reg: Peer;
  beforeAll(async () => {
    reg = await startDockling();
  });
  afterAll(() => reg?.stop());
  registerConformance({ name: 'dockling', url: () => reg.url });
});

describe('dockling registry --htpasswd', () => {
  const auth = { username: 'learner', password: 'correct horse' };
  let reg: Peer;
  beforeAll(async () => {
    reg = await startDockling({ htpasswd: await htpasswdFile(await tempDir('dockling-htpasswd-'), [auth]) });
  });
  afterAll(() => reg?.stop());
  registerConformance({ name: 'dockling+auth', url: () => reg.url, auth });
});

describe('distribution (docker-registry 2.8)', () => {
  let reg: Peer;
  beforeAll(async () => {
    reg = await startDistribution();
  });
  afterAll(() => reg?.stop());
  registerConformance({
    name: 'distribution',
    url: () => reg.url,
    lacks: {
      referrers: 'distribution 2.8 predates OCI 1.1 and has no referrers API (GET /v2/<name>/referrers/<digest> is 404)',
      tagDelete: 'distribution 2.8 predates OCI 1.1 and refuses DELETE of a tag (400 DIGEST_INVALID: it takes the tag for a malformed digest)',
      singlePostUpload: 'distribution 2.8 ignores ?digest= on POST and opens an upload session (202), a fallback the spec allows',
      chunkOrder: 'distribution 2.8 does not check a PATCH\'s Content-Range against the upload offset',
      rangeErrors: 'distribution 2.8 cuts the connection short instead of answering 416 to a Range outside the blob',
      tagPagination: 'distribution 2.8 lists tags in storage order and ignores n and last (added in distribution 3)',
    },
  });
});
