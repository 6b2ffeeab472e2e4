// `docker import`: plain and gzip rootfs tars, --change lines, a tag.
import { beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ContentStore } from '../../engine/layers/content-store.js';
import { ImageStore } from '../../engine/layers/image-store.js';
import { applyChange, importImage, splitWords } from '../../engine/layers/import.js';
import { hostPlatform } from '../../engine/layers/manifest.js';
import { sha256 } from '../../engine/layers/digest.js';
import { Tracer } from '../../engine/trace/index.js';
import { tempDir } from '../tmp.js';

async function rootfs(): Promise<Buffer> {
  const p = pack();
  p.entry({ name: 'bin/', type: 'directory', mtime: new Date(0) });
  p.entry({ name: 'bin/hello', mode: 0o755, mtime: new Date(0) }, '#!/bin/sh\necho hi\n');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c);
  return Buffer.concat(chunks);
}

/** A tar of one file named `name`, as written. */
async function tarWith(name: string): Promise<Buffer> {
  const p = pack();
  p.entry({ name, mtime: new Date(0) }, 'x');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c);
  return Buffer.concat(chunks);
}

let store: ImageStore;
beforeEach(async () => {
  const tracer = new Tracer([]);
  const content = new ContentStore({ root: join(await tempDir('dockling-import-'), 'content'), tracer });
  await content.init();
  store = new ImageStore({ content, tracer });
});

describe('importImage', () => {
  it('makes a one-layer image from a plain tar, Docker\'s defaults', async () => {
    const tar = await rootfs();
    const before = Date.now();
    const image = await importImage({ store, input: Readable.from([tar]) });
    expect(image.names).toEqual([]);
    expect(image.layers).toHaveLength(1);
    expect(image.layers[0]!.diffID).toBe(sha256(tar));
    expect(image.config.architecture).toBe(hostPlatform().architecture);
    expect(image.config.os).toBe('linux');
    expect(Date.parse(image.config.created!)).toBeGreaterThanOrEqual(before - 1000);
    expect(image.config.history).toEqual([{ created: image.config.created, comment: 'Imported from -' }]);
    expect((await store.history(image.id))[0]).toMatchObject({ createdBy: '', comment: 'Imported from -', size: tar.length });
  });

  it('takes gzip, a message, a tag and --change lines', async () => {
    const tar = await rootfs();
    const image = await importImage({
      store, input: Readable.from([gzipSync(tar)]), ref: 'imported:v1', message: 'my rootfs',
      changes: ['CMD ["/bin/hello"]', 'ENTRYPOINT /bin/sh', 'ENV A=1 B="two words"', 'ENV C three four', 'EXPOSE 80 53/udp',
        'LABEL org.x=y "k 2"=v', 'USER nobody', 'VOLUME ["/data"]', 'VOLUME /a /b', 'WORKDIR /srv', 'STOPSIGNAL SIGTERM'],
    });
    expect(image.names).toEqual(['docker.io/library/imported:v1']);
    expect(image.layers[0]!.diffID).toBe(sha256(tar));
    expect(image.layers[0]!.digest).toBe(sha256(gzipSync(tar)));
    expect(image.config.history![0]!.comment).toBe('my rootfs');
    expect(image.config.config).toEqual({
      Cmd: ['/bin/hello'], Entrypoint: ['/bin/sh', '-c', '/bin/sh'], Env: ['A=1', 'B=two words', 'C=three four'],
      ExposedPorts: { '80/tcp': {}, '53/udp': {} }, Labels: { 'org.x': 'y', 'k 2': 'v' }, User: 'nobody',
      Volumes: { '/data': {}, '/a': {}, '/b': {} }, WorkingDir: '/srv', StopSignal: 'SIGTERM',
    });
    expect((await store.resolve('imported:v1')).id).toBe(image.id);
  });

  it('refuses instructions import does not take, before storing anything', async () => {
    await expect(importImage({ store, input: Readable.from([await rootfs()]), changes: ['RUN echo'] })).rejects.toMatchObject({ code: 'INVALID_CHANGE' });
    expect(await store.list()).toEqual([]);
    expect(() => applyChange({}, 'EXPOSE eighty')).toThrow(expect.objectContaining({ code: 'INVALID_CHANGE' }));
    expect(() => applyChange({}, 'CMD')).toThrow(expect.objectContaining({ code: 'INVALID_CHANGE' }));
  });

  it('refuses what is not a sound tar, storing nothing (issue 9: random bytes became an image)', async () => {
    const bad: Array<[string, Buffer]> = [
      ['LAYER_NOT_TAR', Buffer.alloc(8192, 7)],
      ['LAYER_PATH_TRAVERSAL', await tarWith('../../etc/pwned')],
      ['LAYER_PATH_TOO_LONG', await tarWith(`${'d/'.repeat(3000)}f`)],
    ];
    for (const [code, input] of bad) await expect(importImage({ store, input: Readable.from([input]) }), code).rejects.toMatchObject({ code });
    expect(await store.list()).toEqual([]);
  });

  it('splits words the shell way', () => {
    expect(splitWords(`a="b c" d\\ e 'f g'`)).toEqual(['a=b c', 'd e', 'f g']);
    expect(applyChange({}, 'cmd echo hi').Cmd).toEqual(['/bin/sh', '-c', 'echo hi']);
  });
});
