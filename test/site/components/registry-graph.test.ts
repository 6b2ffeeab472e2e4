// The registry graph drawn from the recorded push, push again, push to a second repository
// (mounted) and pull (site/traces/registry-push-pull.jsonl, the registry's own events merged in): rendered in Node
// at several cursors, its manifests, blobs, edges and per-blob marks checked against the
// client's blob.push/blob.pull spans and the registry's registry.* answers.
import { describe, expect, it } from 'vitest';
import { validateTrace, type TraceEvent } from '../../../engine/trace/index.js';
import RegistryGraph from '../../../site/.vitepress/theme/components/RegistryGraph.vue';
import { attrValues, renderDiagram, traceText } from './render.js';

const TRACE = 'registry-push-pull';
const events: TraceEvent[] = validateTrace(traceText(TRACE), { complete: true }).events;
const render = (cursor?: number) => renderDiagram({ trace: TRACE, diagram: RegistryGraph, cursor });
const diagram = (html: string) => html.slice(html.indexOf('<figure class="dl-RegistryGraph"'), html.indexOf('</svg>') + 6);
const is = (op: string, phase: TraceEvent['phase']) => (e: TraceEvent) => e.op === op && e.phase === phase;
const at = (e: TraceEvent) => events.indexOf(e) + 1;

const manifestDigest = events.find(is('manifest.push', 'event'))!.data['digest'] as string;
const pushes = events.filter(is('image.push', 'start'));
const pull = events.find(is('image.pull', 'start'))!;
/** The blob.push/blob.pull spans of one image.push/image.pull, start and end paired. */
const blobSpans = (parent: TraceEvent, op: string) =>
  events.filter((e) => e.op === op && e.phase === 'start' && e.parent === parent.span).map((start) => ({ start, end: events.find((e) => e.span === start.span && e.phase === 'end')! }));
const kindOf = (digest: string) => events.find((e) => e.op === 'blob.pull' && e.data['digest'] === digest)!.data['kind'];
/** The mark the diagram should give a blob.push or blob.pull end, read from its facts (`mounted`: the source repository). */
const markOf = (op: string, end: TraceEvent) => (end.data['skipped'] ? 'skipped' : end.data['mounted'] ? 'mounted' : op === 'blob.push' ? 'pushed' : 'pulled');
const repositories = [...new Set(pushes.map((p) => String(p.data['reference']).replace(/^[^/]+\//, '').replace(/:[^:]*$/, '')))];

describe('RegistryGraph', () => {
  it('draws nothing before the first push', async () => {
    const html = diagram(await render(0));
    expect(attrValues(html, 'data-digest')).toEqual([]);
    expect(attrValues(html, 'data-edge')).toEqual([]);
  });

  it('ends with one manifest named by the three tags of two repositories, pointing to a config and a layer, both shared', async () => {
    const html = diagram(await render());
    const tags = events.filter(is('manifest.push', 'event')).map((e) => String(e.data['reference']).replace(/^[^/]+\//, ''));
    expect(html).toMatch(new RegExp(`class="manifest[a-z ]*" data-digest="${manifestDigest}" data-tags="${tags.join(' ')}"`));
    const blobs = [...html.matchAll(/class="blob [^"]*" data-digest="([^"]+)" data-kind="([a-z]+)" data-shared="([a-z]+)"/g)].map((m) => [m[1], m[2], m[3]]);
    const pushed = blobSpans(pushes[0]!, 'blob.push').map((s) => s.start.data['digest'] as string);
    expect(blobs.map((b) => b[0]).sort()).toEqual([...pushed].sort());
    for (const [digest, kind, shared] of blobs) {
      expect(kind).toBe(kindOf(digest!));
      expect(shared).toBe('true');
    }
    expect(attrValues(html, 'data-edge').sort()).toEqual(pushed.map((d) => `${manifestDigest}&gt;${d}`).sort());
    expect(tags).toHaveLength(3);
    expect(repositories).toEqual(['learn/busybox', 'learn/copy']);
    expect(html.match(/shared: 3 tags, 2 repos/g)).toHaveLength(2);
    expect(html).toContain('>learn/busybox:1,2 · learn/copy:1</text>'); // the tags, by repository
    // Each blob stored once, linked from both repositories.
    expect(attrValues(html, 'data-repositories')).toEqual([repositories.join(' '), repositories.join(' ')]);
  });

  it('marks each push and the pull blob by blob, as their blob.push / blob.pull spans ended', async () => {
    const transfers = [...pushes.map((p) => ({ parent: p, op: 'blob.push' })), { parent: pull, op: 'blob.pull' }];
    const html = diagram(await render());
    expect(attrValues(html, 'data-direction')).toEqual(['push', 'push', 'push', 'pull']);
    const marks = attrValues(html, 'data-mark');
    const want = transfers.flatMap((t) => blobSpans(t.parent, t.op).map((s) => markOf(t.op, s.end)));
    expect(marks).toEqual(want);
    expect(want).toEqual(['pushed', 'pushed', 'skipped', 'skipped', 'mounted', 'mounted', 'pulled', 'pulled']);
    expect(html).toContain('already there');
  });

  it('fills the marks one blob at a time as the cursor moves', async () => {
    for (const t of [...pushes.map((p) => ({ parent: p, op: 'blob.push' })), { parent: pull, op: 'blob.pull' }]) {
      for (const { start, end } of blobSpans(t.parent, t.op)) {
        const digest = start.data['digest'] as string;
        const cell = (html: string) => [...html.matchAll(new RegExp(`data-digest="${digest}" data-mark="([a-z]+)"`, 'g'))].map((m) => m[1]).at(-1);
        expect(cell(diagram(await render(at(start))))).toMatch(/^(checking|receiving)$/);
        // Once the registry has answered and before the client's span ends, it is on its way.
        const between = events.slice(at(start), at(end) - 1).filter((e) => e.op.startsWith('registry.blob.')).at(-1);
        if (between && t.op === 'blob.push') expect(cell(diagram(await render(at(between))))).toMatch(/^(checking|sending|mounting|skipped)$/);
        expect(cell(diagram(await render(at(end))))).toBe(markOf(t.op, end));
      }
    }
    // The first push's first blob is done and the manifest not yet sent: one blob, no edge.
    const firstEnd = blobSpans(pushes[0]!, 'blob.push')[0]!.end;
    const early = diagram(await render(at(firstEnd)));
    expect(attrValues(early, 'data-kind')).toHaveLength(1);
    expect(attrValues(early, 'data-edge')).toEqual([]);
    expect(attrValues(early, 'data-tags')).toEqual([]);
  });

  it('shows the registry side: an unknown blob (HEAD answered BLOB_UNKNOWN) turns the push to sending', async () => {
    const unknown = events.find((e) => e.op === 'registry.blob.head' && e.error?.code === 'BLOB_UNKNOWN')!;
    const digest = String(events.find((e) => e.span === unknown.span && e.phase === 'start')!.data['digest']);
    const html = diagram(await render(at(unknown)));
    expect(html).toMatch(new RegExp(`data-digest="${digest}" data-kind="[a-z]+" data-shared="false" data-local="true" data-registry="false"`));
    expect(html).toMatch(new RegExp(`data-digest="${digest}" data-mark="sending"`));
    expect(html).toContain(`registry: registry.blob.head error ${digest.slice(7, 19)} → BLOB_UNKNOWN`);
    const put = events.find((e) => e.op === 'registry.blob.put' && e.phase === 'end')!;
    expect(diagram(await render(at(put)))).toMatch(/data-registry="true"/);
  });

  it('after rmi the client no longer holds the blobs; the pull brings them back', async () => {
    const lastDelete = events.filter(is('blob.deleted', 'event')).at(-1)!;
    const emptied = diagram(await render(at(lastDelete)));
    expect(attrValues(emptied, 'data-local')).toEqual(['false', 'false']);
    expect(attrValues(emptied, 'data-registry')).toEqual(['true', 'true']);
    expect(attrValues(diagram(await render()), 'data-local')).toEqual(['true', 'true']);
  });

  it('marks the blobs the registry mounted from the first repository into the second, no byte sent', async () => {
    const third = blobSpans(pushes[2]!, 'blob.push');
    for (const { start, end } of third) {
      const digest = String(start.data['digest']);
      const mount = events.find((e) => e.op === 'registry.blob.put' && e.phase === 'start' && e.data['digest'] === digest && e.data['via'] === 'mount')!;
      expect(diagram(await render(at(mount)))).toMatch(new RegExp(`data-digest="${digest}" data-mark="mounting"`));
      const html = diagram(await render(at(end)));
      expect(html).toMatch(new RegExp(`data-digest="${digest}" data-mark="mounted" data-from="learn/busybox"`));
      // The HEAD in learn/copy said unknown, yet the blob was in the registry all along (learn/busybox).
      expect(html).toMatch(new RegExp(`data-digest="${digest}" data-kind="[a-z]+" data-shared="[a-z]+" data-local="true" data-registry="true"`));
    }
    expect(diagram(await render(at(third[0]!.end)))).toContain('→ mounted from learn/busybox');
    // No registry.blob.put of the mount carried bytes: its start says so.
    expect(events.filter((e) => e.op === 'registry.blob.put' && e.phase === 'start' && e.data['via'] === 'mount')).toHaveLength(2);
  });

  it('is the same markup at the same cursor, every time', async () => {
    for (const cursor of [0, 20, 53, 100, events.length]) expect(await render(cursor)).toBe(await render(cursor));
  });
});
