// Who may do what: htpasswd authentication (a challenge for the anonymous, a refusal for a wrong
// password, a pass for the right one) and read-only mode (writes answered 405, reads served).
// Each behaviour is checked on `dockling registry` and on the CNCF registry configured the same
// way, so "what distribution does" is a test result, not a guess.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry } from '../../engine/registry/server/index.js';
import {
  call, digestOf, htpasswdFile, pushImage, randomBlob, startDistribution, startDockling, OCI_MANIFEST,
  type Credentials, type Peer,
} from './server-harness.js';
import { tempDir } from '../tmp.js';

const learner: Credentials = { username: 'learner', password: 'correct horse battery staple' };
const teacher: Credentials = { username: 'teacher', password: 's3cret' };

describe.each(['dockling', 'distribution'] as const)('htpasswd on %s', (which) => {
  let reg: Peer & { sink?: { events: Array<{ op: string; phase: string; data: Record<string, unknown> }> } };
  beforeAll(async () => {
    const file = await htpasswdFile(await tempDir('dockling-htpasswd-'), [learner, teacher]);
    reg = which === 'dockling' ? await startDockling({ htpasswd: file, realm: 'workshop' }) : await startDistribution({ htpasswd: file });
  });
  afterAll(() => reg?.stop());

  it('an anonymous request gets 401 UNAUTHORIZED with a Basic challenge and the API version header', async () => {
    const a = await call(reg.url, '/v2/');
    expect(a.status).toBe(401);
    expect(a.headers['www-authenticate']).toMatch(/^Basic realm="(workshop|test-realm)"$/);
    expect(a.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(a.codes()).toEqual(['UNAUTHORIZED']);
  });

  it('a wrong password, or an unknown user, is 401 UNAUTHORIZED', async () => {
    for (const auth of [{ ...learner, password: 'wrong' }, { username: 'nobody', password: 'x' }]) {
      const a = await call(reg.url, '/v2/_catalog', { auth });
      expect(a.status).toBe(401);
      expect(a.codes()).toEqual(['UNAUTHORIZED']);
    }
  });

  it('the right password is accepted, for every user in the file, for reads and writes', async () => {
    expect((await call(reg.url, '/v2/', { auth: learner })).status).toBe(200);
    const img = await pushImage(reg.url, 'room/app', 'v1', { auth: teacher });
    const got = await call(reg.url, '/v2/room/app/manifests/v1', { auth: learner, headers: { Accept: OCI_MANIFEST } });
    expect(got.body.equals(img.manifest)).toBe(true);
  });

  // Ours only (distribution's logs are not a trace); registered for dockling, not skipped for the other.
  if (which === 'dockling') {
    it('records refusals and first acceptances in the trace (bcrypt runs once per credential)', async () => {
      for (let i = 0; i < 3; i++) await call(reg.url, '/v2/', { auth: learner });
      const auth = reg.sink!.events.filter((e) => e.op === 'registry.auth' && e.phase === 'end');
      expect(auth.filter((e) => e.data.outcome === 'accepted')).toHaveLength(2); // learner and teacher, once each
      expect(auth.some((e) => e.data.outcome === 'refused' && e.data.reason === 'wrong-password')).toBe(true);
    });
  }
});

describe('htpasswd files', () => {
  it('a line that is not user:bcrypt is refused at start, naming the line', async () => {
    const dir = await tempDir('dockling-htpasswd-');
    const file = join(dir, 'htpasswd');
    await writeFile(file, `# the room\nok:$2y$05$${'a'.repeat(53)}\nold:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n`);
    await expect(startRegistry({ dataRoot: join(dir, 'data'), listen: '127.0.0.1:0', htpasswd: file })).rejects.toMatchObject({
      code: 'HTPASSWD_INVALID', data: { line: 3 },
    });
  });
});

describe.each(['dockling', 'distribution'] as const)('read-only %s', (which) => {
  let reg: Peer;
  let img: Awaited<ReturnType<typeof pushImage>>;
  beforeAll(async () => {
    if (which === 'dockling') {
      // Fill a data root with a writable registry, then serve it read-only.
      const writable = await startDockling();
      img = await pushImage(writable.url, 'room/app', 'v1');
      await writable.stop();
      reg = await startDockling({ dataRoot: (writable as { dataRoot: string }).dataRoot, readOnly: true });
    } else {
      reg = await startDistribution({ readOnly: true });
    }
  });
  afterAll(() => reg?.stop());

  it('refuses every write with 405 (as distribution does), Allow naming the reads', async () => {
    const d = digestOf(randomBlob(10));
    const writes: Array<[string, string]> = [
      ['POST', '/v2/room/app/blobs/uploads/'],
      ['PUT', '/v2/room/app/manifests/v2'],
      ['DELETE', `/v2/room/app/manifests/${d}`],
      ['DELETE', `/v2/room/app/blobs/${d}`],
    ];
    for (const [method, path] of writes) {
      const a = await call(reg.url, path, { method, body: method === 'PUT' ? '{}' : undefined, headers: { 'Content-Type': OCI_MANIFEST } });
      expect(a.status, `${method} ${path}`).toBe(405);
      if (path.includes('/manifests/') || path.includes('/blobs/sha256')) expect(a.headers.allow).toBe('GET, HEAD');
      if (which === 'dockling') expect(a.codes()).toEqual(['UNSUPPORTED']);
    }
  });

  // Ours was filled before it went read-only; the empty peer has nothing to read.
  if (which === 'dockling') {
    it('still serves reads', async () => {
      expect((await call(reg.url, '/v2/room/app/manifests/v1', { headers: { Accept: OCI_MANIFEST } })).body.equals(img.manifest)).toBe(true);
      expect((await call(reg.url, `/v2/room/app/blobs/${digestOf(img.layers[0]!)}`)).body.equals(img.layers[0]!)).toBe(true);
      expect((await call(reg.url, '/v2/room/app/tags/list')).json()).toEqual({ name: 'room/app', tags: ['v1'] });
    });
  }
});
