// The build diagram drawn from the recorded two-stage build (site/traces/build-multi-stage.jsonl):
// rendered in Node at several cursors, its rows checked against the trace's build.step spans
// and build.cache events.
import { describe, expect, it } from 'vitest';
import { validateTrace, type TraceEvent } from '../../../engine/trace/index.js';
import BuildDiagram from '../../../site/.vitepress/theme/components/BuildDiagram.vue';
import { initialPlayer, stepForward } from '../../../site/lib/player.js';
import { attrValues, renderDiagram, traceText, withClass } from './render.js';

const TRACE = 'build-multi-stage';
const events: TraceEvent[] = validateTrace(traceText(TRACE), { complete: true }).events;
const render = (cursor?: number) => renderDiagram({ trace: TRACE, diagram: BuildDiagram, cursor });
const steps = events.filter((e) => e.op === 'build.step' && e.phase === 'start');
const instructions = steps.map((e) => e.data['instruction'] as string);

describe('BuildDiagram', () => {
  it('draws both builds, a row per Dockerfile instruction, in order', async () => {
    const html = await render();
    expect(attrValues(html, 'data-build')).toEqual(['1', '2']);
    expect(attrValues(html, 'data-step')).toEqual(steps.map((e) => String(e.data['step'])));
    expect(attrValues(html, 'data-keyword')).toEqual(steps.map((e) => e.data['keyword']));
    expect(instructions.slice(0, 7)).toEqual(instructions.slice(7));
    for (const e of steps) expect(html).toContain(`L${e.data['line']}`);
  });

  it('marks the cold build all misses and the cached one all hits; FROM is not asked', async () => {
    const cache = attrValues(await render(), 'data-cache');
    const cold = ['none', 'miss', 'miss', 'miss', 'none', 'miss', 'miss'];
    expect(cache).toEqual([...cold, ...cold.map((c) => (c === 'miss' ? 'hit' : c))]);
    const hits = events.filter((e) => e.op === 'build.cache').map((e) => e.data['hit']);
    expect(cache.filter((c) => c !== 'none')).toEqual(hits.map((h) => (h ? 'hit' : 'miss')));
  });

  it('shows the layer each step left: its short diffID, or "no layer"', async () => {
    const html = await render();
    const ends = events.filter((e) => e.op === 'build.step' && e.phase === 'end');
    const want = ends.map((e) => (e.data['emptyLayer'] ? 'none' : (e.data['diffID'] as string).slice(7, 19)));
    expect(attrValues(html, 'data-layer')).toEqual(want);
    expect(html).toContain('no layer');
    // A cached step leaves the same layer as the cold one.
    expect(want.slice(0, 7)).toEqual(want.slice(7));
  });

  it('draws a time bar for every finished step, with its milliseconds', async () => {
    const html = await render();
    expect(withClass(html, 'dl-step-bar')).toHaveLength(14);
    const ms = events.filter((e) => e.op === 'build.step' && e.phase === 'end').map((e) => `${e.ms!.toFixed(1)} ms`);
    for (const m of ms) expect(html).toContain(m);
  });

  it('lights the step the cursor is in after N player steps', async () => {
    // Step the player, as the → key does, to the first event of build 1's RUN step.
    const run = events.findIndex((e) => e.op === 'build.step' && e.data['keyword'] === 'RUN');
    let player = initialPlayer(events.length, 0);
    for (let i = 0; i <= run; i++) player = stepForward(player);
    const html = await render(player.cursor);
    const current = withClass(html, 'dl-current');
    expect(current).toHaveLength(1);
    expect(current[0]).toContain('data-step="4"');
    expect(current[0]).toContain('data-keyword="RUN"');
    // Only the steps begun so far are drawn, and the second build has not started.
    expect(attrValues(html, 'data-step')).toEqual(['1', '2', '3', '4']);
    expect(attrValues(html, 'data-build')).toEqual(['1']);
  });

  it('draws nothing but a note before the first event, and all at the end', async () => {
    expect(await render(0)).toContain('no build has started yet');
    expect(withClass(await render(events.length), 'dl-current')).toHaveLength(0);
  });

  it('draws the same markup for the same trace and cursor', async () => {
    for (const cursor of [0, 37, 150, events.length]) expect(await render(cursor)).toBe(await render(cursor));
  });
});
