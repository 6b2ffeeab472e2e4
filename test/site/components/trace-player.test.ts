// The trace player (issue 7): its pure state, what it shows of the current event, and how a
// page says it cannot replay a trace (an unknown format version, a broken line, an unknown id).
import { describe, expect, it } from 'vitest';
import BuildDiagram from '../../../site/.vitepress/theme/components/BuildDiagram.vue';
import { advance, initialPlayer, jumpTo, play, setSpeed, stepBack, stepForward, tickMs, togglePlay } from '../../../site/lib/player.js';
import { traceEntries, traceUrl } from '../../../site/lib/trace-source.js';
import { renderDiagram, traceText, withClass } from './render.js';

describe('the player state', () => {
  it('moves the cursor within 0..N', () => {
    let s = initialPlayer(3, 0);
    expect(stepBack(s).cursor).toBe(0);
    s = stepForward(stepForward(stepForward(stepForward(s))));
    expect(s.cursor).toBe(3);
    expect(jumpTo(s, -5).cursor).toBe(0);
    expect(jumpTo(s, 2.7).cursor).toBe(2);
    expect(initialPlayer(3, 99).cursor).toBe(3);
  });

  it('plays one event a tick, stops at the end, and starts over from the end', () => {
    let s = play(initialPlayer(2, 0));
    s = advance(s);
    expect([s.cursor, s.playing]).toEqual([1, true]);
    s = advance(s);
    expect([s.cursor, s.playing]).toEqual([2, false]);
    expect(advance(s)).toBe(s);
    expect(play(s).cursor).toBe(0);
    expect(togglePlay(togglePlay(s)).playing).toBe(false);
    expect(tickMs(setSpeed(s, 2))).toBe(tickMs(s) / 2);
  });
});

describe('the traces the site serves', () => {
  it('lists every trace of site/traces/index.json with an asset URL', () => {
    expect(traceEntries.map((t) => t.id)).toContain('build-multi-stage');
    for (const t of traceEntries) expect(traceUrl(t.id)).toMatch(new RegExp(`${t.file}`));
  });
});

describe('<TracePlayer>', () => {
  const TRACE = 'build-multi-stage';

  it('shows the controls, the position and the current event with its facts', async () => {
    const html = await renderDiagram({ trace: TRACE, diagram: BuildDiagram, cursor: 4 });
    for (const label of ['Step back', 'Play', 'Step forward', 'Jump to event']) expect(html).toContain(`aria-label="${label}"`);
    expect(html).toContain('event 4 of 350');
    expect(html).toContain('Build a two-stage Dockerfile, then build it again from the cache');
    const fourth = JSON.parse(traceText(TRACE).split('\n')[3]!); // the first build.step start
    expect(withClass(html, 'dl-event-op')).toHaveLength(1);
    expect(html).toContain(`>${fourth.op}</code>`);
    expect(html).toContain(`keyword: ${fourth.data.keyword}`);
  });

  it('refuses a trace of an unknown version, saying so on the page', async () => {
    const text = traceText(TRACE).replace('{"v":1,', '{"v":2,');
    const html = await renderDiagram({ trace: TRACE, diagram: BuildDiagram, text });
    expect(withClass(html, 'dl-trace-error')).toHaveLength(1);
    expect(html).toContain('role="alert"');
    expect(html).toMatch(/cannot replay the trace &quot;build-multi-stage&quot;: trace line 1: dockling-trace version 2 is not supported; this reader reads version 1/);
    expect(html).not.toContain('<svg');
  });

  it('names the line of a broken event', async () => {
    const lines = traceText(TRACE).split('\n');
    lines[4] = lines[4]!.replace('"phase":"', '"phase":"x');
    const html = await renderDiagram({ trace: TRACE, diagram: BuildDiagram, text: lines.join('\n') });
    expect(html).toContain('trace line 5: &quot;phase&quot;');
  });

});
