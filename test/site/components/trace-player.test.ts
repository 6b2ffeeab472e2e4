// The trace player (issue 7): its pure state, what it shows of the current event, and how a
// page says it cannot replay a trace (an unknown format version, a broken line, an unknown id).
import { describe, expect, it } from 'vitest';
import BuildDiagram from '../../../site/.vitepress/theme/components/BuildDiagram.vue';
import {
  advance, eventsArrived, initialPlayer, isRunning, jumpTo, jumpToLatest, onPlayerKey, pause, play, setSpeed, startLive, stepBack, stepForward, tickMs, togglePlay,
} from '../../../site/lib/player.js';
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

describe('the player state, following a daemon', () => {
  /** Live mode after `n` events, following. */
  const liveAfter = (n: number) => eventsArrived(startLive(setSpeed(initialPlayer(10, 10), 2)), n);

  it('starts empty and following, at the reader\'s speed, and keeps the cursor at the newest event', () => {
    const s = startLive(setSpeed(initialPlayer(10, 4), 2));
    expect(s).toEqual({ length: 0, cursor: 0, playing: false, speed: 2, live: true, following: true });
    expect(isRunning(s)).toBe(true);
    expect(eventsArrived(eventsArrived(s, 3), 7)).toMatchObject({ length: 7, cursor: 7, following: true });
  });

  it('keeps the cursor where the reader put it while events arrive: pause, a step back, the scrubber, a picked event', () => {
    for (const moved of [pause(liveAfter(5)), togglePlay(liveAfter(5)), stepBack(liveAfter(5)), jumpTo(liveAfter(5), 2), stepForward(jumpTo(liveAfter(5), 1))]) {
      const cursor = moved.cursor;
      expect(moved.following).toBe(false);
      const later = eventsArrived(eventsArrived(moved, 9), 14);
      expect([later.length, later.cursor, isRunning(later)]).toEqual([14, cursor, false]);
    }
    expect(pause(liveAfter(5)).cursor).toBe(5);
    expect(stepBack(liveAfter(5)).cursor).toBe(4);
  });

  it('follows the end again with "jump to latest" or End, and when playing catches up', () => {
    const paused = eventsArrived(jumpTo(liveAfter(5), 1), 8);
    expect(jumpToLatest(paused)).toMatchObject({ cursor: 8, following: true, playing: false });
    expect(onPlayerKey(paused, 'End')).toMatchObject({ cursor: 8, following: true });
    expect(eventsArrived(jumpToLatest(paused), 12).cursor).toBe(12);
    // Play from the picked event: one a tick, then following at the newest.
    let s = togglePlay(paused);
    expect([s.playing, s.following]).toEqual([true, false]);
    s = eventsArrived(s, 9); // an event arrives while playing: the cursor plays on, not jumping
    expect(s.cursor).toBe(1);
    for (let i = 0; i < 7; i++) s = advance(s);
    expect([s.cursor, s.playing, s.following]).toEqual([8, true, false]);
    s = advance(s);
    expect([s.cursor, s.playing, s.following]).toEqual([9, false, true]);
    expect(eventsArrived(s, 10).cursor).toBe(10);
    // Play at the newest event follows (a replay would start over).
    expect(play(pause(liveAfter(3)))).toMatchObject({ cursor: 3, following: true });
  });

  it('answers space, ←, →, Home and End, and leaves other keys alone', () => {
    const s = initialPlayer(5, 3);
    expect(onPlayerKey(s, ' ')!.playing).toBe(true);
    expect(onPlayerKey(s, 'ArrowLeft')!.cursor).toBe(2);
    expect(onPlayerKey(s, 'ArrowRight')!.cursor).toBe(4);
    expect(onPlayerKey(s, 'Home')!.cursor).toBe(0);
    expect(onPlayerKey(initialPlayer(5, 0), 'End')).toMatchObject({ cursor: 5, following: false });
    expect(onPlayerKey(s, 'a')).toBeNull();
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
    for (const label of ['Step back', 'Play', 'Step forward', 'Jump to event', 'Go to event']) expect(html).toContain(`aria-label="${label}"`);
    // The event list: one entry per event, and "before the first".
    const list = html.slice(html.indexOf('class="dl-event-list"'), html.indexOf('</select>', html.indexOf('class="dl-event-list"')));
    const options = [...list.matchAll(/<option value="(\d+)"[^>]*>([^<]*)<\/option>/g)].map((m) => [Number(m[1]), m[2]]);
    const count = traceText(TRACE).trim().split('\n').length;
    expect(options).toHaveLength(count + 1);
    expect(options[4]).toEqual([4, `4 · ${JSON.parse(traceText(TRACE).split('\n')[3]!).op} start`]);
    expect(html).toContain(`event 4 of ${count}`);
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
