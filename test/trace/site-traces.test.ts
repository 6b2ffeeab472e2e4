// The traces committed in site/traces/ (recorded by `npm run traces`, test/traces/record.ts):
// each reads with today's validator as a complete trace, index.json lists exactly them, and each
// scenario's trace holds the spans its chapter's diagram draws. A change of the format or of the
// engine's events that would break what the site replays fails here, without re-recording
// (which needs root and a real daemon, so `npm test` does not run it).
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SUPPORTED_TRACE_VERSIONS, TRACE_FORMAT, TRACE_VERSION, validateTrace, type TraceEvent } from '../../engine/trace/index.js';
import type { TraceIndex, TraceIndexEntry } from '../traces/trace-index.js';

const DIR = resolve(import.meta.dirname, '../../site/traces');
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as TraceIndex;
const read = (entry: TraceIndexEntry) => validateTrace(readFileSync(join(DIR, entry.file), 'utf8'), { complete: true });

/** The spans of a trace that ended well, by op, each with the facts of its own `event`s. */
function spans(events: TraceEvent[], op: string): Array<{ start: TraceEvent; end: TraceEvent; facts: TraceEvent[] }> {
  return events
    .filter((e) => e.op === op && e.phase === 'start')
    .map((start) => ({
      start,
      end: events.find((e) => e.span === start.span && (e.phase === 'end' || e.phase === 'error'))!,
      facts: events.filter((e) => e.span === start.span && e.phase === 'event'),
    }))
    .filter((s) => s.end.phase === 'end');
}
const facts = (events: TraceEvent[], op: string) => events.filter((e) => e.op === op && e.phase === 'event');

describe('site/traces/index.json', () => {
  it('names the format and a version this reader reads', () => {
    expect(index.format).toBe(TRACE_FORMAT);
    expect(SUPPORTED_TRACE_VERSIONS).toContain(index.version);
  });

  it('lists every trace file of the folder once, with its true size and event count', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.jsonl')).sort();
    expect(index.traces.map((t) => t.file).sort()).toEqual(files);
    expect(new Set(index.traces.map((t) => t.id)).size).toBe(index.traces.length);
    for (const t of index.traces) {
      expect(t.file).toBe(`${t.id}.jsonl`);
      expect(t.bytes, t.file).toBe(statSync(join(DIR, t.file)).size);
      expect(t.events, t.file).toBe(read(t).events.length);
      expect(t.commands.length, t.id).toBeGreaterThan(0);
      expect(t.transcript, t.id).toContain(`$ ${t.commands[0]}`);
    }
  });

  it('has a trace for every chapter the site draws', () => {
    expect(new Set(index.traces.map((t) => t.chapter))).toEqual(new Set(['layers', 'unionfs', 'namespaces', 'registry', 'build', 'daemon']));
  });
});

describe('each committed trace', () => {
  for (const t of index.traces) {
    it(`${t.file} is a complete trace of version ${TRACE_VERSION}, every event carrying it`, () => {
      const { version, events } = read(t);
      expect(version).toBe(TRACE_VERSION);
      expect(events.every((e) => e.v === TRACE_VERSION)).toBe(true);
      expect(events.some((e) => e.chapter === t.chapter), 'events of its own chapter').toBe(true);
    });
  }
});

/** What each scenario's diagram draws, checked on its trace (the scenarios are in test/traces/scenarios.ts). */
const NEEDS: Record<string, (events: TraceEvent[], entry: TraceIndexEntry) => void> = {
  'layers-save-load': (events) => {
    // The layer stack: a layer ingested when the base image is made and again when it is loaded,
    // each stored under its digest with its diffID and sizes.
    const ingests = spans(events, 'layer.ingest');
    expect(ingests.length).toBeGreaterThanOrEqual(2);
    for (const s of ingests) expect(s.facts.find((f) => f.op === 'layer.stored')?.data).toMatchObject({ digest: expect.stringMatching(/^sha256:/), diffID: expect.stringMatching(/^sha256:/), size: expect.any(Number) });
    for (const op of ['image.base', 'image.tag', 'image.save', 'image.remove', 'image.load']) expect(spans(events, op).length, op).toBeGreaterThan(0);
    expect(spans(events, 'blob.delete').length).toBeGreaterThan(0);
  },
  'unionfs-cp-commit': (events) => {
    // The container's read-write layer over the image's: created, a lower file deleted by its
    // process (a whiteout), written twice, its changes (one added, one deleted, the copied-up
    // lower file among the changed), committed as a layer with the whiteout in it, removed.
    expect(spans(events, 'container.create')).toHaveLength(1);
    expect(spans(events, 'container.cp.in')).toHaveLength(2);
    expect(spans(events, 'overlay.mount').length).toBeGreaterThan(0);
    expect(spans(events, 'snapshot.changes')[0]?.end.data).toMatchObject({ added: 1, deleted: 1 });
    expect(facts(events, 'layer.packed').some((e) => e.data['whiteouts'] === 1)).toBe(true);
    const committed = facts(events, 'container.committed')[0]?.data;
    expect(committed).toMatchObject({ image: expect.stringMatching(/^sha256:/), diffID: expect.stringMatching(/^sha256:/) });
    expect(spans(events, 'container.remove')).toHaveLength(1);
  },
  'namespaces-run-limits': (events) => {
    // Two containers started, each process with its host pid and its exit; the limits written
    // to the cgroup files (memory 64 MiB and 50 pids for the first, v1 or v2 names).
    expect(spans(events, 'container.start')).toHaveLength(2);
    const started = spans(events, 'process.start');
    expect(started).toHaveLength(2);
    for (const s of started) expect(s.end.data['pid']).toEqual(expect.any(Number));
    const exits = spans(events, 'process.exit').map((s) => s.end.data);
    expect(exits).toEqual(expect.arrayContaining([expect.objectContaining({ code: 0 }), expect.objectContaining({ signal: 9 })]));
    const limits = facts(events, 'cgroup.set').map((e) => `${String(e.data['file']).split('/').pop()}=${String(e.data['value'])}`);
    expect(limits).toEqual(expect.arrayContaining([expect.stringMatching(/^memory\.(limit_in_bytes|max)=67108864$/), 'pids.max=50']));
    expect(facts(events, 'net.netns').some((e) => typeof e.data['inode'] === 'number')).toBe(true);
    expect(spans(events, 'container.signal').length).toBeGreaterThan(0);
    expect(spans(events, 'container.remove')).toHaveLength(2);
    // The detached container's pid 1 (both pids, namespaces, mounts), a background exec with its
    // pids (not pid 1), a pause and an unpause (the freezer), usage read at the exec, the pause
    // and the exit.
    const init = facts(events, 'container.init')[0]?.data;
    expect(init).toMatchObject({ containerPid: 1, pid: expect.any(Number), namespaces: { pid: { SharedWithHost: false }, net: { SharedWithHost: false } }, mounts: expect.arrayContaining([expect.objectContaining({ target: '/' })]) });
    const execs = facts(events, 'exec.process');
    expect(execs.length).toBeGreaterThan(0);
    for (const e of execs) expect(e.data['containerPid']).not.toBe(1);
    expect(spans(events, 'container.pause')).toHaveLength(1);
    expect(spans(events, 'container.unpause')).toHaveLength(1);
    expect(spans(events, 'cgroup.usage').length).toBeGreaterThanOrEqual(3);
  },
  'registry-push-pull': (events) => {
    // Client side: two pushes of the same blobs, the second skipping every one; a push to a
    // second repository that mounts every one from the first; a pull that downloads each blob.
    // Server side: the uploads and the mounts, the HEADs that let the second push skip, the GETs
    // of the pull.
    const pushes = spans(events, 'image.push');
    expect(pushes).toHaveLength(3);
    const blobPushes = (push: { start: TraceEvent }, fact: string) => spans(events, 'blob.push').filter((b) => b.start.parent === push.start.span).map((b) => b.end.data[fact]);
    expect(blobPushes(pushes[0]!, 'skipped')).toEqual([false, false]);
    expect(blobPushes(pushes[1]!, 'skipped')).toEqual([true, true]);
    expect(blobPushes(pushes[2]!, 'mounted')).toEqual(['learn/busybox', 'learn/busybox']);
    const pulled = spans(events, 'blob.pull').map((b) => b.end.data['skipped']);
    expect(pulled).toEqual([false, false]);
    expect(spans(events, 'image.pull')).toHaveLength(1);
    const puts = spans(events, 'registry.blob.put');
    expect(puts.map((p) => p.end.data['mounted'])).toEqual([false, false, true, true]);
    expect(spans(events, 'registry.blob.head')).toHaveLength(2); // those that failed (not yet there) are not counted
    expect(spans(events, 'registry.blob.get')).toHaveLength(2);
    expect(spans(events, 'registry.manifest.put')).toHaveLength(3);
  },
  'build-multi-stage': (events, entry) => {
    // Two builds of one Dockerfile: a build.step per instruction in each; the first build
    // misses the cache at every step that asks it, the second hits it at every one, making the
    // same image at every step.
    const instructions = entry.files['Dockerfile']!.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    const runs = spans(events, 'build.run');
    expect(runs).toHaveLength(2);
    const steps = runs.map((run) => spans(events, 'build.step').filter((s) => s.start.parent === run.start.span));
    const images: string[][] = [];
    for (const [i, ofRun] of steps.entries()) {
      expect(ofRun.map((s) => s.start.data['instruction'])).toEqual(instructions);
      const cache = ofRun.filter((s) => s.start.data['keyword'] !== 'FROM').map((s) => s.facts.find((f) => f.op === 'build.cache')?.data['hit']);
      expect(cache).toEqual(instructions.filter((l) => !l.startsWith('FROM')).map(() => i === 1));
      images.push(ofRun.map((s) => String(s.end.data['image'])));
    }
    expect(images[1]).toEqual(images[0]);
  },
  'daemon-api-run': (events) => {
    // The requests of `run --rm`: a create with the read-write layer made under it, an attach
    // (upgraded: 101) and a wait opened before the start, the start with the namespaces work
    // under it; the exit and the removal done by the daemon with no request above them.
    const requests = spans(events, 'http.request');
    const named = (re: RegExp) => requests.filter((r) => re.test(`${String(r.start.data['method'])} ${String(r.start.data['path'])}`));
    const [create] = named(/^POST \/containers\/create$/);
    const [attach] = named(/^POST \/containers\/[0-9a-f]{64}\/attach$/);
    const [wait] = named(/^POST \/containers\/[0-9a-f]{64}\/wait$/);
    const [start] = named(/^POST \/containers\/[0-9a-f]{64}\/start$/);
    expect(create?.end.data['status']).toBe(201);
    expect(attach?.end.data['status']).toBe(101);
    expect(start?.end.data['status']).toBe(204);
    expect(wait?.end.data['status']).toBe(200);
    expect(attach!.start.t).toBeLessThan(start!.start.t);
    expect(wait!.start.t).toBeLessThan(start!.start.t);
    const under = (r: { start: TraceEvent }, op: string) => spans(events, op).some((s) => s.start.parent === r.start.span);
    expect(under(create!, 'container.create')).toBe(true);
    expect(spans(events, 'snapshot.prepare').some((s) => spans(events, 'container.create').some((c) => c.start.span === s.start.parent))).toBe(true);
    expect(under(start!, 'container.start')).toBe(true);
    expect(spans(events, 'process.exit')[0]?.start.parent).toBeNull();
    expect(spans(events, 'container.remove')[0]?.start.parent).toBeNull();
    expect(named(/^GET \/containers\/json$/)).toHaveLength(1);
    expect(named(/^GET \/images\/json$/)).toHaveLength(1);
  },
};

describe('each scenario shows what its diagram draws', () => {
  it('every committed scenario has its checks here', () => {
    expect(index.traces.map((t) => t.id).sort()).toEqual(Object.keys(NEEDS).sort());
  });
  for (const t of index.traces) {
    const need = NEEDS[t.id];
    if (need) it(t.id, () => need(read(t).events, t));
  }
});
