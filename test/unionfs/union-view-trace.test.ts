// What imageUnionView (engine/unionfs/union-view.ts, region "image") writes to the trace: the
// facts the site's layer stack draws from a trace alone. Two layers made as tars in memory, a
// read-write layer on top naming its container; no disk, no daemon.
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import { imageUnionView } from '../../engine/unionfs/index.js';
import type { Image } from '../../engine/layers/index.js';

type Entry = { name: string; body?: string; type?: 'directory' | 'file' };

/** A tar of `entries`, as a Buffer (tar-stream writes it as it is read). */
async function tar(entries: Entry[]): Promise<Buffer> {
  const p = tarPack();
  for (const e of entries) p.entry({ name: e.name, type: e.type ?? 'file', mode: e.type === 'directory' ? 0o755 : 0o644 }, e.body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('imageUnionView traces', () => {
  it('each layer with its diffID and what made it, and the container whose read-write layer sits on top', async () => {
    const blobs: Record<string, Buffer> = {
      'sha256:aa': await tar([{ name: 'etc/', type: 'directory' }, { name: 'etc/motd', body: 'hi\n' }]),
      'sha256:bb': await tar([{ name: 'etc/', type: 'directory' }, { name: 'etc/.wh.motd' }, { name: 'app', body: 'x' }]),
    };
    const image = {
      id: 'sha256:1d',
      config: { history: [{ created_by: 'base' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'RUN rm /etc/motd' }] },
      layers: [{ digest: 'sha256:aa', diffID: 'sha256:da' }, { digest: 'sha256:bb', diffID: 'sha256:db' }],
    } as unknown as Image;
    const sink = new MemorySink();
    await imageUnionView({
      images: { resolve: async () => image },
      content: { createReadStream: (d) => Readable.from(blobs[d]!) },
      ref: 'demo', tracer: new Tracer([sink]),
      extra: { label: 'box (read-write)', tar: Readable.from(await tar([{ name: 'app', body: 'y' }])), container: 'c0ffee' },
    });
    const start = sink.events.find((e) => e.op === 'union.view' && e.phase === 'start')!;
    expect(start.data).toEqual({ image: 'demo', container: 'c0ffee' });
    const layers = sink.events.filter((e) => e.op === 'union.layer').map((e) => e.data);
    expect(layers.map((l) => [l['index'], l['digest'], l['diffID'], l['label'], l['createdBy']])).toEqual([
      [0, 'sha256:aa', 'sha256:da', null, 'base'],
      [1, 'sha256:bb', 'sha256:db', null, 'RUN rm /etc/motd'],
      [2, null, null, 'box (read-write)', ''],
    ]);
    // The read-write layer's copy of `app` replaces layer 1's: what the site draws as a copy-up.
    const paths = sink.events.find((e) => e.op === 'union.paths')!.data['paths'] as Array<{ path: string; layer: number | null; hiddenIn: number[]; removedBy?: number }>;
    expect(paths.find((p) => p.path === 'app')).toMatchObject({ layer: 2, hiddenIn: [1] });
    expect(paths.find((p) => p.path === 'etc/motd')).toMatchObject({ layer: null, hiddenIn: [0], removedBy: 1 });
  });

  it('names no container for an image alone', async () => {
    const sink = new MemorySink();
    const image = { id: 'sha256:1d', config: {}, layers: [{ digest: 'sha256:aa', diffID: 'sha256:da' }] } as unknown as Image;
    const blob = await tar([{ name: 'a', body: 'a' }]);
    await imageUnionView({ images: { resolve: async () => image }, content: { createReadStream: () => Readable.from(blob) }, ref: 'demo', tracer: new Tracer([sink]) });
    expect(sink.events.find((e) => e.op === 'union.view' && e.phase === 'start')!.data).toEqual({ image: 'demo' });
    expect(sink.events.find((e) => e.op === 'union.layer')!.data).toMatchObject({ diffID: 'sha256:da', createdBy: '' });
  });
});
