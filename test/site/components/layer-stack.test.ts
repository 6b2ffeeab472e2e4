// The layer stack drawn from the recorded traces of chapters 1 and 2 (layers-save-load,
// unionfs-cp-commit): rendered in Node at several cursors, its columns and blocks checked
// against the trace's image, layer and container events.
import { describe, expect, it } from 'vitest';
import { validateTrace, type TraceEvent } from '../../../engine/trace/index.js';
import LayerStack from '../../../site/.vitepress/theme/components/LayerStack.vue';
import { attrValues, renderDiagram, traceText, withClass } from './render.js';

const eventsOf = (id: string): TraceEvent[] => validateTrace(traceText(id), { complete: true }).events;
/** The cursor just after the first event with this op (and phase). */
const after = (events: TraceEvent[], op: string, phase?: string) => events.findIndex((e) => e.op === op && (!phase || e.phase === phase)) + 1;
const short = (digest: unknown) => String(digest).slice(7, 19);

describe('LayerStack, chapter 1 (layers-save-load)', () => {
  const TRACE = 'layers-save-load';
  const events = eventsOf(TRACE);
  const render = (cursor?: number) => renderDiagram({ trace: TRACE, diagram: LayerStack, cursor });
  const baseLayer = events.find((e) => e.op === 'layer.stored')!.data;

  it('draws nothing before the base image is added', async () => {
    const html = await render(after(events, 'image.added') - 1);
    expect(html).toContain('no image yet');
    expect(withClass(html, 'dl-layer')).toHaveLength(0);
  });

  it('draws busybox as one layer, labelled by what made it, with its short diffID and size', async () => {
    const html = await render(after(events, 'image.added'));
    expect(attrValues(html, 'data-stack')).toEqual(['busybox:latest']);
    expect(attrValues(html, 'data-layer')).toEqual([short(baseLayer['diffID'])]);
    expect(html).toContain('dockling base-image');
    expect(html).toContain('2.03 MiB'); // uncompressedSize 2129408
  });

  it('follows the tag, the rmi that deletes the image, and the load that brings the same layer back', async () => {
    expect(attrValues(await render(after(events, 'image.tagged')), 'data-stack')).toEqual(['busybox:latest, learn/busybox:1']);
    const deleted = events.findIndex((e) => e.op === 'blob.deleted' && e.data['digest'] === events.find((x) => x.op === 'image.added')!.data['id']) + 1;
    expect(attrValues(await render(deleted), 'data-images')).toEqual(['0']);
    const end = await render();
    expect(attrValues(end, 'data-stack')).toEqual(['busybox:latest']);
    expect(attrValues(end, 'data-layer')).toEqual([short(baseLayer['diffID'])]);
  });
});

describe('LayerStack, chapter 2 (unionfs-cp-commit)', () => {
  const TRACE = 'unionfs-cp-commit';
  const events = eventsOf(TRACE);
  const render = (cursor?: number) => renderDiagram({ trace: TRACE, diagram: LayerStack, cursor });
  const base = short(events.find((e) => e.op === 'snapshot.unpack' && e.phase === 'end')!.data['diffID']);
  const committed = events.find((e) => e.op === 'container.committed')!.data;

  it('puts the container\'s read-write layer on top of its image\'s layer', async () => {
    const html = await render(after(events, 'container.snapshot'));
    expect(attrValues(html, 'data-container')).toEqual(['ufs-box']);
    expect(attrValues(html, 'data-stack')).toEqual(['busybox:latest', 'container ufs-box']);
    expect(attrValues(html, 'data-layer')).toEqual([base, base, 'rw']);
    expect(withClass(html, 'dl-rw')).toHaveLength(1);
  });

  it('after the commit, draws learn/hello:1 on the shared busybox layer, one colour per layer', async () => {
    const html = await render(after(events, 'container.committed'));
    expect(attrValues(html, 'data-stack')).toEqual(['busybox:latest', 'learn/hello:1', 'container ufs-box']);
    expect(attrValues(html, 'data-layer')).toEqual([base, base, short(committed['diffID']), base, 'rw']);
    const shared = withClass(html, 'dl-shared');
    expect(shared).toHaveLength(3); // busybox's layer, in both images and under the container
    for (const tag of shared) expect(tag).toContain(`data-layer="${base}"`);
    const colours = attrValues(html, 'data-colour');
    expect(new Set(colours.slice(0, 4)).size).toBe(2); // the base's colour everywhere, the commit's own
    expect(colours[0]).toBe(colours[1]);
    expect(colours[2]).not.toBe(colours[0]);
    expect(colours[4]).toBe('none');
    expect(html).toContain('commit → learn/hello:1');
  });

  it('lists what the trace says a layer holds: the read-write one, then the committed one', async () => {
    const at = after(events, 'container.committed');
    const rw = await renderDiagram({ trace: TRACE, diagram: LayerStack, cursor: at, props: { open: 'rw' } });
    expect(rw).toContain('read-write layer of ufs-box');
    const facts = (html: string) => [...html.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    expect(facts(rw)).toEqual([
      'cp into /root: 1 file written',
      'cp out of /etc/passwd: read through the union, nothing written',
      'cp into /etc: 1 file written',
      'diff: 1 added, 3 changed, 0 deleted',
    ]);
    const layer = await renderDiagram({ trace: TRACE, diagram: LayerStack, cursor: at, props: { open: short(committed['diffID']) } });
    expect(layer).toContain(`layer ${short(committed['diffID'])}, 4.0 KiB — commit → learn/hello:1`);
    expect(facts(layer)).toContain('packed: 4 files, 403 B, 0 whiteouts');
    expect(facts(layer)).toContain('diff: 1 added, 3 changed, 0 deleted');
    expect(facts(layer).some((f) => f!.startsWith('cp out'))).toBe(false); // a read writes nothing
    expect(withClass(layer, 'dl-selected')).toHaveLength(1);
  });

  it('drops the container when it is removed, and learn/hello:1 when it is deleted', async () => {
    expect(attrValues(await render(after(events, 'container.removed')), 'data-container')).toEqual(['none']);
    expect(attrValues(await render(), 'data-stack')).toEqual(['busybox:latest']);
  });

  it('draws the same markup for the same trace and cursor', async () => {
    for (const cursor of [0, 20, 80, events.length]) expect(await render(cursor)).toBe(await render(cursor));
  });
});
