// The API diagram drawn from the recorded daemon scenario (site/traces/daemon-api-run.jsonl):
// rendered in Node at several cursors, its rows checked against the trace's http.request spans,
// and the work under each against the spans whose parent chain reaches that request.
import { describe, expect, it } from 'vitest';
import { validateTrace, type TraceEvent } from '../../../engine/trace/index.js';
import ApiCalls from '../../../site/.vitepress/theme/components/ApiCalls.vue';
import { apiCallsAt } from '../../../site/lib/api-model.js';
import { attrValues, renderDiagram, traceText, withClass } from './render.js';

const TRACE = 'daemon-api-run';
const events: TraceEvent[] = validateTrace(traceText(TRACE), { complete: true }).events;
const render = (cursor?: number) => renderDiagram({ trace: TRACE, diagram: ApiCalls, cursor });
const requests = events.filter((e) => e.op === 'http.request' && e.phase === 'start');
const answer = (span: string) => events.find((e) => e.span === span && e.op === 'http.request' && e.phase !== 'start');

/** The request a span is under, found by walking parents through the start events. */
function requestOf(span: string): string | null {
  const starts = new Map(events.filter((e) => e.phase === 'start').map((e) => [e.span, e]));
  for (let s: string | null = span; s !== null; ) {
    const start = starts.get(s);
    if (!start) return null;
    if (start.op === 'http.request') return start.span;
    s = start.parent;
  }
  return null;
}

describe('ApiCalls', () => {
  it('draws a row per request, in order, with its method, its path (ids shortened) and its status', async () => {
    const html = await render();
    expect(attrValues(html, 'data-request')).toEqual(requests.map((_, i) => String(i + 1)));
    expect(attrValues(html, 'data-method')).toEqual(requests.map((e) => e.data['method']));
    expect(attrValues(html, 'data-path')).toEqual(requests.map((e) => String(e.data['path']).replace(/([0-9a-f]{12})[0-9a-f]{52}/, '$1')));
    expect(attrValues(html, 'data-status')).toEqual(requests.map((e) => String(answer(e.span)!.data['status'])));
    // `run` is a create, then an attach and a wait opened before the start.
    const paths = requests.map((e) => `${e.data['method']} ${String(e.data['path']).replace(/[0-9a-f]{64}/, 'ID')}`);
    expect(paths.slice(0, 4)).toEqual(expect.arrayContaining(['POST /containers/create', 'POST /containers/ID/attach', 'POST /containers/ID/wait', 'POST /containers/ID/start']));
    expect(paths.indexOf('POST /containers/ID/start')).toBe(3);
    expect(attrValues(html, 'data-status')).toContain('101');
  });

  it('puts each engine span under the request its parents lead to, grouped by chapter', () => {
    const state = apiCallsAt(events, events.length);
    for (const call of state.calls) {
      const mine = events.filter((e) => e.phase === 'start' && e.op !== 'http.request' && requestOf(e.span) === call.span);
      const chapters = [...new Set(mine.map((e) => e.chapter))];
      expect(call.work.map((w) => w.chapter), call.path).toEqual(chapters);
      for (const w of call.work) expect(w.spans, `${call.path} ${w.chapter}`).toBe(mine.filter((e) => e.chapter === w.chapter).length);
    }
    const create = state.calls.find((c) => c.path === '/containers/create')!;
    expect(create.work.find((w) => w.chapter === 'unionfs')?.ops).toEqual(expect.arrayContaining(['container.create', 'snapshot.prepare']));
    const start = state.calls.find((c) => c.path.endsWith('/start'))!;
    expect(start.work.map((w) => w.chapter)).toContain('namespaces');
  });

  it('shows what the daemon did on its own: the exit, and the --rm removal after it', async () => {
    const state = apiCallsAt(events, events.length);
    const orphans = events.filter((e) => e.phase === 'start' && e.op !== 'http.request' && requestOf(e.span) === null);
    expect(orphans.map((e) => e.op)).toEqual(expect.arrayContaining(['process.exit', 'container.remove']));
    expect(state.background.reduce((n, w) => n + w.spans, 0)).toBe(orphans.length);
    const html = await render();
    const background = html.slice(html.indexOf('dl-api-background'));
    expect(attrValues(background, 'data-chapter')).toEqual(state.background.map((w) => w.chapter));
  });

  it('draws only the requests that have started, an unanswered one as open, and lights the current one', async () => {
    const start = requests.find((e) => String(e.data['path']).endsWith('/start'))!;
    const at = events.indexOf(start) + 1;
    const html = await render(at);
    expect(attrValues(html, 'data-request')).toHaveLength(requests.indexOf(start) + 1);
    expect(attrValues(html, 'data-status').at(-1)).toBe('open');
    const current = withClass(html, 'dl-current');
    expect(current).toHaveLength(1);
    expect(current[0]).toContain(`data-path="${String(start.data['path']).replace(/([0-9a-f]{12})[0-9a-f]{52}/, '$1')}"`);
    expect(attrValues(await render(0), 'data-request')).toEqual([]);
  });

  it('keeps one time scale at every cursor: a bar does not move as the player steps', async () => {
    const bar = (html: string) => /class="dl-api-bar" x="([\d.]+)"/.exec(html)?.[1];
    const early = await render(3);
    const late = await render();
    expect(bar(early)).toBeDefined();
    expect(bar(early)).toBe(bar(late));
  });
});
