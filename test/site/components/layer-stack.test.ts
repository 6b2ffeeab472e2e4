// The layer stack drawn from the recorded traces of chapters 1, 2 and 5 (layers-save-load,
// unionfs-cp-commit, build-multi-stage): rendered in Node at several cursors, its columns,
// blocks, union views (wasted bytes, files, merged tree, a path's life, copy-ups) checked
// against the trace's events; whiteouts from a union view the engine itself traces here; the
// live seed from a hand-made GET /state/images answer.
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { computed, createSSRApp, defineComponent, h, provide } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { pack as tarPack } from 'tar-stream';
import { MemorySink, Tracer, validateTrace, type TraceEvent } from '../../../engine/trace/index.js';
import { imageUnionView } from '../../../engine/unionfs/index.js';
import type { Image } from '../../../engine/layers/index.js';
import LayerStack from '../../../site/.vitepress/theme/components/LayerStack.vue';
import { playerKey } from '../../../site/lib/player-context.js';
import type { LiveState } from '../../../site/lib/live-state.js';
import { attrValues, renderDiagram, traceText, withClass } from './render.js';

const eventsOf = (id: string): TraceEvent[] => validateTrace(traceText(id), { complete: true }).events;
/** The cursor just after the first event with this op (and phase). */
const after = (events: TraceEvent[], op: string, phase?: string) => events.findIndex((e) => e.op === op && (!phase || e.phase === phase)) + 1;
const short = (digest: unknown) => String(digest).slice(7, 19);

interface TracedPath { path: string; type: string; layer: number | null; hiddenIn: number[]; removedBy?: number }
/** A union.view span of the trace: its start's cursor, its end's, and its facts. */
function unionViews(events: TraceEvent[]) {
  return events.flatMap((e, i) => {
    if (e.op !== 'union.view' || e.phase !== 'start') return [];
    const own = events.filter((x) => x.span === e.span);
    const end = events.findIndex((x) => x.span === e.span && x.phase === 'end');
    return [{
      start: e, at: end + 1, startAt: i + 1, end: events[end]!.data,
      layers: own.filter((x) => x.op === 'union.layer').map((x) => x.data),
      paths: own.find((x) => x.op === 'union.paths')!.data['paths'] as TracedPath[],
    }];
  });
}
/** The rows of the merged tree drawn: path → [provider, colour, whiteout]. */
function treeRows(html: string): Map<string, { provider: string; colour: string; whiteout: string | null }> {
  const rows = new Map();
  for (const m of html.matchAll(/<li class="layer-stack-path[^"]*"[^>]*>/g)) {
    const tag = m[0];
    const attr = (a: string) => tag.match(new RegExp(`\\s${a}="([^"]*)"`))?.[1] ?? null;
    rows.set(attr('data-path'), { provider: attr('data-provider'), colour: attr('data-colour'), whiteout: attr('data-whiteout') });
  }
  return rows;
}
/** The files listed for the selected layer, per list (added, modified, removed). */
function fileLists(html: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of html.matchAll(/<ul data-files="(\w+)">(.*?)<\/ul>/g)) out[m[1]!] = attrValues(m[2]!, 'data-file');
  return out;
}
/** The colour of each layer block drawn, by its data-layer. */
const blockColours = (html: string) => new Map(attrValues(html, 'data-layer').map((l, i) => [l, attrValues(html, 'data-colour')[i]!]));

describe('LayerStack, chapter 1 (layers-save-load)', () => {
  const TRACE = 'layers-save-load';
  const events = eventsOf(TRACE);
  const render = (cursor?: number, props?: Record<string, unknown>) => renderDiagram({ trace: TRACE, diagram: LayerStack, cursor, props });
  const baseLayer = events.find((e) => e.op === 'layer.stored')!.data;
  const view = unionViews(events)[0]!;

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

  it('once `image layers` has run, says its wasted bytes and efficiency and draws its merged tree', async () => {
    const before = await render(view.at - 1);
    expect(attrValues(before, 'data-efficiency')).toEqual([]);
    expect(withClass(before, 'layer-stack-tree')).toHaveLength(0);
    const html = await render(view.at);
    expect(attrValues(html, 'data-wasted')).toEqual([String(view.end['wastedBytes'])]);
    expect(attrValues(html, 'data-efficiency')).toEqual([String(view.end['efficiency'])]);
    expect(view.end['efficiency']).toBe(1); // one layer hides nothing
    expect(html).toContain('wasted 0 B · efficiency 100%');
    expect(attrValues(html, 'data-tree-paths')).toEqual([String(view.paths.length)]);
    // Every row drawn is a path of the view, in the colour of busybox's one layer.
    const rows = treeRows(html);
    const colour = blockColours(html).get(short(baseLayer['diffID']));
    expect(rows.size).toBeGreaterThan(3);
    for (const [path, row] of rows) {
      expect(view.paths.find((p) => p.path === path)?.layer, path).toBe(0);
      expect(row).toEqual({ provider: '0', colour, whiteout: null });
    }
    // Top-level paths all drawn; a big one-colour directory folded (its rows not drawn).
    const top = view.paths.filter((p) => !p.path.includes('/')).map((p) => p.path);
    expect([...rows.keys()].filter((p) => !p.includes('/')).sort()).toEqual([...top].sort());
    const bin = view.paths.filter((p) => p.path.startsWith('bin/'));
    expect(bin.length).toBeGreaterThan(24);
    expect([...rows.keys()].some((p) => p.startsWith('bin/'))).toBe(false);
  });

  it('lists the files the layer adds, and the life of one of them', async () => {
    const files = view.paths.filter((p) => p.type !== 'directory').map((p) => p.path);
    const html = await render(undefined, { open: String(baseLayer['diffID']), path: files[0] });
    const lists = fileLists(html);
    expect(lists['added']).toEqual(files.slice(0, 40));
    expect(lists['modified']).toEqual([]);
    expect(lists['removed']).toEqual([]);
    expect(html).toContain(`… and ${files.length - 40} more`);
    expect(attrValues(html, 'data-life-of')).toEqual([files[0]]);
    expect(attrValues(html, 'data-life')).toEqual(['added']);
  });
});

describe('LayerStack, chapter 2 (unionfs-cp-commit)', () => {
  const TRACE = 'unionfs-cp-commit';
  const events = eventsOf(TRACE);
  const render = (cursor?: number, props?: Record<string, unknown>) => renderDiagram({ trace: TRACE, diagram: LayerStack, cursor, props });
  const base = short(events.find((e) => e.op === 'snapshot.unpack' && e.phase === 'end')!.data['diffID']);
  const committed = events.find((e) => e.op === 'container.committed')!.data;
  const [ctrView, imageView] = unionViews(events);
  const top = ctrView!.layers.length - 1;
  // What the engine says the read-write layer holds over a lower copy (a copy-up), and alone.
  const copiedUp = ctrView!.paths.filter((p) => p.type !== 'directory' && p.layer === top && p.hiddenIn.length > 0).map((p) => p.path);
  const newFiles = ctrView!.paths.filter((p) => p.type !== 'directory' && p.layer === top && p.hiddenIn.length === 0).map((p) => p.path);
  // What the container's process deleted: a whiteout in the read-write layer over a lower file.
  const removed = ctrView!.paths.filter((p) => p.type !== 'directory' && p.removedBy === top).map((p) => p.path);
  const diff = events.find((e) => e.op === 'snapshot.changes' && e.phase === 'end')!.data;
  const packed = events.filter((e) => e.op === 'layer.packed').at(-1)!.data;
  const diffFact = `diff: ${diff['added']} added, ${diff['changed']} changed, ${diff['deleted']} deleted`;

  it('the scenario has a container view with one copy-up, and a view of the commit', () => {
    expect(ctrView!.start.data['container']).toBe(events.find((e) => e.op === 'container.snapshot')!.data['id']);
    expect(copiedUp).toEqual(['etc/passwd']);
    expect(removed).toEqual(['etc/group']);
    expect(imageView!.start.data['container']).toBeUndefined();
  });

  it('puts the container\'s read-write layer on top of its image\'s layer', async () => {
    const html = await render(after(events, 'container.snapshot'));
    expect(attrValues(html, 'data-container')).toEqual(['ufs-box']);
    expect(attrValues(html, 'data-stack')).toEqual(['busybox:latest', 'container ufs-box']);
    expect(attrValues(html, 'data-layer')).toEqual([base, base, 'rw']);
    expect(withClass(html, 'dl-rw')).toHaveLength(1);
  });

  it('draws the copy-up at the step that shows it, moving up from the layer it hides, and still after', async () => {
    expect(attrValues(await render(ctrView!.at - 1), 'data-copy-up')).toEqual([]);
    const now = await render(ctrView!.at);
    expect(attrValues(now, 'data-copy-up')).toEqual(copiedUp);
    expect(attrValues(now, 'data-from-layer')).toEqual([base]);
    expect(withClass(now, 'layer-stack-copy-up-moving')).toHaveLength(1);
    expect(now).toMatch(/data-copy-up="etc\/passwd"[^>]*style="--from-y:[1-9]\d*(\.\d+)?px;"/); // from below
    const later = await render(ctrView!.at + 1);
    expect(attrValues(later, 'data-copy-up')).toEqual(copiedUp);
    expect(withClass(later, 'layer-stack-copy-up-moving')).toHaveLength(0);
  });

  it('colours the container\'s merged tree by provider: the read-write layer\'s own colour for what it holds', async () => {
    const html = await render(ctrView!.at);
    expect(attrValues(html, 'data-tree-of')).toEqual(['container ufs-box']);
    expect(attrValues(html, 'data-wasted')).toEqual([String(ctrView!.end['wastedBytes'])]);
    // 340 bytes of 2 MB wasted: short of 100%, and said so.
    expect(Number(ctrView!.end['efficiency'])).toBeLessThan(1);
    expect(html).toContain(`efficiency ${(Number(ctrView!.end['efficiency']) * 100).toFixed(2)}%`);
    const rows = treeRows(html);
    const baseColour = blockColours(html).get(base);
    const rwColours = new Set<string>();
    for (const [path, row] of rows) {
      const traced = ctrView!.paths.find((p) => p.path === path)!;
      if (traced.layer === null) {
        // A hole: no layer provides it; it is drawn in the colour of the layer that removed it.
        expect(row.provider, path).toBe('none');
        expect(row.whiteout, path).not.toBeNull();
        expect(traced.removedBy, path).toBe(top);
        continue;
      }
      expect(row.provider, path).toBe(String(traced.layer));
      if (traced.layer === 0) expect(row.colour, path).toBe(baseColour);
      else rwColours.add(row.colour);
    }
    for (const p of removed) expect(rows.get(p)?.whiteout, p).not.toBeNull();
    for (const p of [...copiedUp, ...newFiles]) expect(rows.get(p)?.provider, p).toBe(String(top));
    expect([...rwColours]).toHaveLength(1);
    expect(rwColours.has(baseColour!)).toBe(false);
  });

  it('lists the read-write layer\'s files, and the copied-up file\'s life', async () => {
    const html = await render(ctrView!.at, { open: 'rw', path: copiedUp[0] });
    expect(fileLists(html)).toEqual({ added: newFiles, modified: copiedUp, removed });
    expect(attrValues(html, 'data-life-layer')).toEqual(['0', String(top)]);
    expect(attrValues(html, 'data-life')).toEqual(['added', 'modified']);
  });

  it('after the commit, draws learn/hello:1 on the shared busybox layer, one colour per layer', async () => {
    const html = await render(after(events, 'container.committed'));
    expect(attrValues(html, 'data-stack')).toEqual(['busybox:latest', 'learn/hello:1', 'container ufs-box']);
    expect(attrValues(html, 'data-layer')).toEqual([base, base, short(committed['diffID']), base, 'rw']);
    const shared = withClass(html, 'dl-shared');
    expect(shared).toHaveLength(3); // busybox's layer, in both images and under the container
    for (const tag of shared) expect(tag).toContain(`data-layer="${base}"`);
    const colours = attrValues(html, 'data-colour').slice(0, 5);
    expect(new Set(colours.slice(0, 4)).size).toBe(2); // the base's colour everywhere, the commit's own
    expect(colours[0]).toBe(colours[1]);
    expect(colours[2]).not.toBe(colours[0]);
    expect(colours[4]).toBe('none');
    expect(html).toContain('commit → learn/hello:1');
  });

  it('lists what the trace says a layer holds: the read-write one, then the committed one', async () => {
    const at = after(events, 'container.committed');
    const rw = await render(at, { open: 'rw' });
    expect(rw).toContain('read-write layer of ufs-box');
    const facts = (html: string) => [...html.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    expect(facts(rw)).toEqual([
      'cp into /root: 1 file written',
      'cp out of /etc/passwd: read through the union, nothing written',
      'cp into /etc: 1 file written',
      diffFact,
    ]);
    const layer = await render(at, { open: short(committed['diffID']) });
    expect(layer).toMatch(new RegExp(`layer ${short(committed['diffID'])}, [\\d.]+ (B|KiB) — commit → learn/hello:1`));
    expect(facts(layer)).toContain(`packed: ${packed['files']} files, ${packed['bytes']} B, ${packed['whiteouts']} whiteout${packed['whiteouts'] === 1 ? '' : 's'}`);
    expect(packed['whiteouts']).toBe(1);
    expect(facts(layer)).toContain(diffFact);
    expect(facts(layer).some((f) => f!.startsWith('cp out'))).toBe(false); // a read writes nothing
    expect(withClass(layer, 'dl-selected')).toHaveLength(1);
  });

  it('once the commit is viewed, its column says the old passwd is wasted, and its layer lists the files', async () => {
    const html = await render(imageView!.at, { open: short(committed['diffID']) });
    const stacks = attrValues(html, 'data-stack');
    expect(stacks).toContain('learn/hello:1');
    expect(attrValues(html, 'data-wasted')).toContain(String(imageView!.end['wastedBytes']));
    expect(Number(imageView!.end['wastedBytes'])).toBeGreaterThan(0);
    expect(attrValues(html, 'data-tree-of')).toEqual(['learn/hello:1']);
    expect(fileLists(html)).toEqual({ added: newFiles, modified: copiedUp, removed });
  });

  it('drops the container when it is removed, and learn/hello:1 when it is deleted', async () => {
    expect(attrValues(await render(after(events, 'container.removed')), 'data-container')).toEqual(['none']);
    const end = await render();
    expect(attrValues(end, 'data-stack')).toEqual(['busybox:latest']);
    expect(attrValues(end, 'data-copy-up')).toEqual([]);
    expect(withClass(end, 'layer-stack-tree')).toHaveLength(0);
  });

  it('draws the same markup for the same trace and cursor', async () => {
    for (const cursor of [0, 20, 80, ctrView!.at, events.length]) expect(await render(cursor)).toBe(await render(cursor));
  });
});

describe('LayerStack, chapter 5 (build-multi-stage)', () => {
  const TRACE = 'build-multi-stage';
  const events = eventsOf(TRACE);
  const view = unionViews(events).at(-1)!;

  it('draws learn/shout:1 with the layers its union view names, busybox\'s shared, each labelled by what made it', async () => {
    const html = await renderDiagram({ trace: TRACE, diagram: LayerStack });
    const layers = view.layers.map((l) => short(l['diffID']));
    const stacks = attrValues(html, 'data-stack');
    // busybox named as the FROM step named it, the first stage's result (nameless), the named result.
    const from = events.find((e) => e.op === 'build.step' && e.data['keyword'] === 'FROM')!.data['instruction'] as string;
    const firstStage = events.filter((e) => e.op === 'build.step' && e.phase === 'end').map((e) => e.data['image'])[3];
    expect(stacks).toEqual([`${from.split(' ')[1]}:latest`, `&lt;none&gt; ${short(firstStage)}`, 'learn/shout:1']);
    expect(attrValues(html, 'data-tree-of')).toEqual(['learn/shout:1']);
    expect(html).toContain('COPY --from=build /src/sh');
    const shared = withClass(html, 'dl-shared').map((t) => t.match(/data-layer="([^"]*)"/)![1]);
    expect(shared).toContain(layers[0]);
    expect(attrValues(html, 'data-efficiency')).toEqual([String(view.end['efficiency'])]);
    expect(html).not.toContain('data-stack="&lt;none&gt; ' + short(events.find((e) => e.op === 'image.added')!.data['id']));
  });
});

// ---- whiteouts: a union view the engine traces, of an image whose second layer removes files.
async function tar(entries: Array<{ name: string; body?: string; dir?: boolean }>): Promise<Buffer> {
  const p = tarPack();
  for (const e of entries) p.entry({ name: e.name, type: e.dir ? 'directory' : 'file', mode: e.dir ? 0o755 : 0o644 }, e.body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function whiteoutTrace(): Promise<TraceEvent[]> {
  const blobs: Record<string, Buffer> = {
    'sha256:a1': await tar([{ name: 'etc/', dir: true }, { name: 'etc/motd', body: 'welcome\n' }, { name: 'etc/hosts', body: '127.0.0.1 localhost\n' }, { name: 'var/cache/', dir: true }, { name: 'var/cache/big', body: 'x'.repeat(500) }]),
    'sha256:b2': await tar([{ name: 'etc/', dir: true }, { name: 'etc/.wh.motd' }, { name: 'var/.wh.cache' }, { name: 'etc/hosts', body: '10.0.0.1 db\n' }]),
  };
  const image = {
    id: 'sha256:' + 'e'.repeat(64), config: { history: [{ created_by: 'ADD rootfs /' }, { created_by: 'RUN rm -r /etc/motd /var/cache' }] },
    layers: [{ digest: 'sha256:a1', diffID: 'sha256:' + 'a'.repeat(64) }, { digest: 'sha256:b2', diffID: 'sha256:' + 'b'.repeat(64) }],
  } as unknown as Image;
  const sink = new MemorySink();
  await imageUnionView({ images: { resolve: async () => image }, content: { createReadStream: (d) => Readable.from(blobs[d]!) }, ref: 'learn/slim:1', tracer: new Tracer([sink]) });
  return sink.events;
}

describe('LayerStack, whiteouts (a union view traced by the engine)', async () => {
  const events = await whiteoutTrace();
  const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
  const render = (props?: Record<string, unknown>) => renderDiagram({ trace: 'whiteouts', text, diagram: LayerStack, props });
  const paths = events.find((e) => e.op === 'union.paths')!.data['paths'] as TracedPath[];
  const removed = paths.filter((p) => p.layer === null && p.removedBy !== undefined);

  it('draws each path a whiteout removed as a hole, in the remover\'s colour, the rest by provider', async () => {
    expect(removed.map((p) => p.path).sort()).toEqual(['etc/motd', 'var/cache', 'var/cache/big']);
    const html = await render();
    expect(attrValues(html, 'data-stack')).toEqual(['learn/slim:1']);
    const rows = treeRows(html);
    const colours = attrValues(html, 'data-colour').slice(0, 2); // the two layer blocks
    for (const p of removed) expect(rows.get(p.path), p.path).toEqual({ provider: 'none', colour: 'none', whiteout: String(p.removedBy) });
    expect(attrValues(html, 'data-whiteout').sort()).toEqual(removed.map((p) => String(p.removedBy)).sort());
    expect(html).toMatch(new RegExp(`data-path="etc/motd"[^>]*>.*?border-color:${colours[1]}`));
    for (const p of paths.filter((x) => x.layer !== null)) expect(rows.get(p.path)?.colour, p.path).toBe(colours[p.layer!]);
    const wasted = events.find((e) => e.op === 'union.view' && e.phase === 'end')!.data;
    expect(attrValues(html, 'data-wasted')).toEqual([String(wasted['wastedBytes'])]);
    // Most of the bytes shipped are hidden above: the efficiency the engine computed, as a percentage.
    expect(html).toContain(`efficiency ${(Number(wasted['efficiency']) * 100).toFixed(2).replace(/\.?0+$/, '')}%`);
  });

  it('lists the second layer\'s removed and modified files, and a removed file\'s life', async () => {
    const html = await render({ open: 'sha256:' + 'b'.repeat(64), path: 'etc/motd' });
    expect(fileLists(html)).toEqual({ added: [], modified: ['etc/hosts'], removed: ['etc/motd', 'var/cache/big'] });
    expect(attrValues(html, 'data-life')).toEqual(['added', 'removed']);
    expect(attrValues(html, 'data-life-layer')).toEqual(['0', '1']);
    expect(html).toContain('RUN rm -r /etc/motd /var/cache'); // the layer's label, from union.layer
  });
});

// ---- live mode: the daemon's images as GET /state/images answers, events after them on top.
describe('LayerStack, live seed', () => {
  const events = eventsOf('unionfs-cp-commit');
  const ctrLayer = events.find((e) => e.op === 'union.layer' && e.data['index'] === 0)!.data;
  const state = (cursor: number): LiveState => ({
    cursor,
    containers: [],
    images: [{
      Id: 'sha256:' + 'c'.repeat(64),
      Inspect: { RepoTags: ['busybox:latest'], RepoDigests: [], Created: '2026-01-01T00:00:00Z' },
      History: [{ Id: 'sha256:' + 'c'.repeat(64), Created: 0, CreatedBy: String(ctrLayer['createdBy']), Tags: ['busybox:latest'], Size: Number(ctrLayer['size']), Comment: '' }],
      Layers: [{ digest: String(ctrLayer['digest']), diffID: String(ctrLayer['diffID']), size: Number(ctrLayer['size']), uncompressedSize: Number(ctrLayer['size']), mediaType: 'application/vnd.oci.image.layer.v1.tar' }],
    }],
  });
  async function renderLive(evs: readonly TraceEvent[], seed: LiveState): Promise<string> {
    const Live = defineComponent({
      setup(_, { slots }) {
        provide(playerKey, { events: computed(() => evs), cursor: computed(() => evs.length), state: computed(() => seed) });
        return () => slots.default?.();
      },
    });
    return renderToString(createSSRApp({ render: () => h(Live, null, { default: () => h(LayerStack) }) }));
  }

  it('draws the images of the snapshot, labelled from their history, before any event', async () => {
    const html = await renderLive([], state(0));
    expect(attrValues(html, 'data-stack')).toEqual(['busybox:latest']);
    expect(attrValues(html, 'data-layer')).toEqual([short(ctrLayer['diffID'])]);
    expect(html).toContain(String(ctrLayer['createdBy']).slice(0, 20));
  });

  it('draws the events after the snapshot on top: the container over the seeded image, then the commit', async () => {
    const from = events.findIndex((e) => e.op === 'http.request' && e.phase === 'start');
    const live = events.slice(from, after(events, 'container.committed'));
    const html = await renderLive(live, state(0));
    expect(attrValues(html, 'data-stack')).toEqual(['busybox:latest', 'learn/hello:1', 'container ufs-box']);
    const colours = blockColours(html);
    expect(colours.get(short(ctrLayer['diffID']))).not.toBe(colours.get(short(events.find((e) => e.op === 'container.committed')!.data['diffID'])));
    expect(withClass(html, 'dl-shared').length).toBe(3);
  });

  it('replays only the events after the snapshot\'s cursor: what it already holds is not drawn twice', async () => {
    const added = events.find((e) => e.op === 'image.added')!;
    const seed = state(events.length);
    seed.images!.push({ Id: String(added.data['id']), Inspect: { RepoTags: ['learn/hello:1'] }, History: [], Layers: [] });
    const html = await renderLive(events, seed);
    expect(attrValues(html, 'data-stack')).toEqual(['busybox:latest', 'learn/hello:1']);
  });
});
