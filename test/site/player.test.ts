// The trace player in a real browser (issue 7): every chapter page of the built site that has a
// <TracePlayer>, in headless Chromium (chromium.ts, one browser for the file), served from
// 127.0.0.1. At each cursor it visits, the diagram's data-* attributes must be what the pure
// model in site/lib says at that cursor (diagram-facts.ts) — the page opened at the end, then
// Home, → and ←, events picked from the list, End. The play timer must advance the cursor at
// the chosen speed and stop on space; presentation mode must put its class on <html>, enlarge
// the type and raise the contrast, and be remembered; the same page loaded twice and put at the
// same cursor must draw the same SVG markup and the same pixels, and another cursor other
// pixels (the screenshots are written to a temp dir). No request may leave this machine.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { validateTrace, type TraceEvent } from '../../engine/trace/index.js';
import { chromiumSkipReason, withPage, type PageRecord } from './chromium.js';
import { DIAGRAM_FACTS, drawnFacts, expectedFacts } from './diagram-facts.js';
import { useSiteInChromium } from './site-in-chromium.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHAPTERS = join(ROOT, 'chapters');

/** Every <TracePlayer trace="…"><Diagram /></TracePlayer> of the chapter pages; `nth`: its place on its page. */
const PLAYERS = readdirSync(CHAPTERS)
  .filter((f) => f.endsWith('.md') && f !== 'README.md')
  .sort()
  .flatMap((page) =>
    [...readFileSync(join(CHAPTERS, page), 'utf8').matchAll(/<TracePlayer trace="([^"]+)"><([A-Z]\w*)\b/g)].map((m, nth) => ({ page, nth, trace: m[1]!, diagram: m[2]! })),
  );

const skipReason = chromiumSkipReason();
if (skipReason) console.warn(`player browser tests skipped: ${skipReason}`);

const traceEvents = (id: string): TraceEvent[] => validateTrace(readFileSync(join(ROOT, 'site/traces', `${id}.jsonl`), 'utf8'), { complete: true }).events;
const pageUrl = (page: string) => `/${page.replace(/\.md$/, '.html')}`;
const playerOf = (page: Page, nth: number) => page.locator('.dl-TracePlayer').nth(nth);
const numberAttr = async (l: Locator, name: string) => Number(await l.getAttribute(name));

/** Waits until the player's cursor is `want` (Vue patches the diagram in the same flush). */
async function cursorIs(player: Locator, want: number): Promise<void> {
  const handle = await player.elementHandle();
  await player.page().waitForFunction(([el, n]) => (el as Element).getAttribute('data-cursor') === String(n), [handle, want] as const, { timeout: 5_000 }).catch(async () => {
    throw new Error(`the player's cursor stayed at ${await player.getAttribute('data-cursor')}, expected ${want}`);
  });
}

/** A key pressed with the player focused, as a reader does after clicking it. */
async function key(player: Locator, name: string): Promise<void> {
  await player.focus();
  await player.page().keyboard.press(name);
}

/** Picks event `cursor` in the player's list of events. */
async function pick(player: Locator, cursor: number): Promise<void> {
  await player.locator('select.dl-event-list').selectOption(String(cursor));
  await cursorIs(player, cursor);
}

function expectClean(what: string, record: PageRecord): void {
  expect(record.networkChanged, `${what}: requests dropped by a change of the host's network`).toBe(0);
  expect(record.offHost, `${what} requested another host:\n${record.offHost.join('\n')}`).toEqual([]);
  expect(record.errors, `${what} logged errors:\n${record.errors.join('\n')}`).toEqual([]);
}

/** WCAG's contrast ratio of an element's text colour on the first opaque background behind it. */
function contrastOf(l: Locator): Promise<number> {
  return l.evaluate((el) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = (c: number[]) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const x = v / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    let bg: number[] = [255, 255, 255];
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3]! > 0)) {
        bg = c;
        break;
      }
    }
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
    return (a! + 0.05) / (b! + 0.05);
  });
}

/** The lowest contrast of the diagram's SVG text (its fill) on the player's background, and that text. */
function lowestTextContrast(player: Locator): Promise<{ ratio: number; text: string }> {
  return player.evaluate((el) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = (c: number[]) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const x = v / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const bg = lum(rgb(getComputedStyle(el).backgroundColor));
    let lowest = { ratio: 21, text: '' };
    for (const t of el.querySelectorAll('.dl-player-diagram svg text')) {
      if (!t.textContent?.trim()) continue;
      const [a, b] = [lum(rgb(getComputedStyle(t).fill)), bg].sort((x, y) => y - x);
      const ratio = (a! + 0.05) / (b! + 0.05);
      if (ratio < lowest.ratio) lowest = { ratio, text: `${t.textContent.trim()} (${getComputedStyle(t).fill})` };
    }
    return lowest;
  });
}

const fontPx = (l: Locator) => l.evaluate((el) => parseFloat(getComputedStyle(el).fontSize));

describe.skipIf(skipReason !== undefined)('the trace player in Chromium', () => {
  const site = useSiteInChromium('dockling-player-shots-');

  it('has a player on the chapter pages, each with a recorded trace', () => {
    expect(PLAYERS.length).toBeGreaterThanOrEqual(5);
    for (const p of PLAYERS) expect(traceEvents(p.trace).length, p.trace).toBeGreaterThan(0);
  });

  describe.each(PLAYERS)('$page: <$diagram> replaying $trace', ({ page, nth, trace, diagram }) => {
    const events = traceEvents(trace);
    const facts = DIAGRAM_FACTS[diagram];
    if (!facts) console.warn(`player.test.ts: <${diagram}> has no entry in diagram-facts.ts: stepped, its drawing not checked against its model`);
    /** The drawing at the player's cursor against the model's at that cursor. */
    async function matchesModel(player: Locator, cursor: number): Promise<void> {
      await cursorIs(player, cursor);
      if (!facts) return;
      expect(await drawnFacts(player, facts), `${diagram} at cursor ${cursor} of ${trace}`).toEqual(expectedFacts(facts, events, cursor));
    }

    /** The player's SVG markup and a screenshot of its diagram at `cursor` (animations stopped, nothing focused). */
    async function look(player: Locator, cursor: number, name: string): Promise<{ svg: string; png: Buffer }> {
      await pick(player, cursor);
      // Nothing focused, nothing hovered: the pointer may rest where a click left it.
      await player.page().evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await player.page().mouse.move(0, 0);
      // Scrolled to the same place each time: a diagram a fraction of a pixel higher is antialiased otherwise.
      await player.locator('.dl-player-diagram').first().evaluate((el) => el.scrollIntoView({ block: 'center' }));
      const path = join(site.shots(), `${page.replace(/\.md$/, '')}-${nth}-${diagram}-${name}.png`);
      const png = await player.locator('.dl-player-diagram').first().screenshot({ path, animations: 'disabled' });
      expect(statSync(path).size, `${path} is empty`).toBeGreaterThan(1_000);
      return { svg: await player.locator('.dl-player-diagram').first().evaluate((el) => el.outerHTML), png };
    }
    const middle = Math.round(events.length / 2);
    let first: { svg: string; png: Buffer } | undefined;

    it('draws what the model says at each cursor it is stepped, keyed, jumped or played to; screenshots two', async () => {
      await withPage(site.browser(), site.origin() + pageUrl(page), async ({ page: tab, record }) => {
        const player = playerOf(tab, nth);
        await player.locator('button.dl-forward').waitFor({ timeout: 10_000 });
        expect(await numberAttr(player, 'data-length')).toBe(events.length);
        await matchesModel(player, events.length); // it opens with everything drawn
        if (facts) expect(Object.values(expectedFacts(facts, events, events.length)).some((l) => l.length > 0), `${diagram} draws no fact at the end`).toBe(true);
        const atEnd = await player.locator('svg').first().evaluate((el) => el.outerHTML);

        await key(player, 'Home');
        await matchesModel(player, 0);
        for (let n = 1; n <= 3; n++) {
          await key(player, 'ArrowRight');
          await matchesModel(player, n);
        }
        await key(player, 'ArrowLeft');
        await matchesModel(player, 2);
        // Events picked from the list, across the trace: where each of its spans happens.
        for (const at of [0.25, 0.5, 0.75, 0.9].map((f) => Math.round(events.length * f))) {
          await pick(player, at);
          await matchesModel(player, at);
          expect(await player.locator('.dl-position').textContent()).toBe(`event ${at} of ${events.length}`);
          expect(await player.locator('.dl-event-op').textContent()).toBe(events[at - 1]!.op);
        }
        await key(player, 'End');
        await matchesModel(player, events.length);
        expect(await player.locator('svg').first().evaluate((el) => el.outerHTML)).toBe(atEnd);

        // Play from the start at 4×: 600 ms an event at 1×, so four events take about 600 ms.
        await key(player, 'Home');
        await cursorIs(player, 0);
        await player.locator('.dl-speed select').selectOption('4');
        expect(await player.getAttribute('data-speed')).toBe('4');
        const started = Date.now();
        await player.locator('button.dl-play').click();
        expect(await player.getAttribute('data-playing')).toBe('true');
        await cursorIs(player, 4);
        const took = Date.now() - started;
        expect(took, `4 events at 4× took ${took} ms`).toBeGreaterThanOrEqual(4 * 150 - 50);
        expect(took).toBeLessThan(4_000);
        await key(player, ' ');
        expect(await player.getAttribute('data-playing')).toBe('false');
        const paused = await numberAttr(player, 'data-cursor');
        await tab.waitForTimeout(500);
        expect(await numberAttr(player, 'data-cursor'), 'the cursor moved after the pause').toBe(paused);
        await matchesModel(player, paused);

        first = await look(player, middle, 'middle-1');
        const end = await look(player, events.length, 'end');
        expect(end.svg, `${trace}: the middle and the end draw the same SVG`).not.toBe(first.svg);
        expect(end.png.equals(first.png), `${trace}: the middle and the end look the same`).toBe(false);
        expectClean(page, record);
      });
    });

    it('replays deterministically: loaded again and put at the same cursor, the same SVG and the same pixels', async () => {
      expect(first, 'the first visit made no screenshot').toBeDefined();
      await withPage(site.browser(), site.origin() + pageUrl(page), async ({ page: tab, record }) => {
        const player = playerOf(tab, nth);
        await player.locator('button.dl-forward').waitFor({ timeout: 10_000 });
        const again = await look(player, middle, 'middle-2');
        expect(again.svg, `${trace}: the SVG at cursor ${middle}, loaded twice`).toBe(first!.svg);
        expect(again.png.equals(first!.png), `${trace}: the screenshots at cursor ${middle} differ (${site.shots()})`).toBe(true);
        expectClean(page, record);
      });
    });
  });

  it('presentation mode: a class on <html>, larger type, higher contrast, the player filling the window, remembered after a reload', async () => {
    const { page, nth } = PLAYERS[0]!;
    await withPage(site.browser(), site.origin() + pageUrl(page), async ({ page: tab, record }) => {
      const player = playerOf(tab, nth);
      await player.locator('button.dl-present').waitFor({ timeout: 10_000 });
      const text = player.locator('.dl-position');
      const svgWidth = () => player.locator('.dl-player-diagram svg').first().evaluate((el) => el.getBoundingClientRect().width);
      const before = { size: await fontPx(text), contrast: await contrastOf(text), html: await tab.evaluate(() => document.documentElement.className), svg: await svgWidth() };
      expect(before.html).not.toContain('dl-presentation');
      await player.locator('button.dl-present').click();
      expect(await tab.evaluate(() => document.documentElement.classList.contains('dl-presentation'))).toBe(true);
      expect(await player.locator('button.dl-present').getAttribute('aria-pressed')).toBe('true');
      const after = { size: await fontPx(text), contrast: await contrastOf(text) };
      expect(after.size, 'presentation type').toBeGreaterThan(before.size * 1.2);
      expect(after.contrast, 'presentation contrast').toBeGreaterThan(before.contrast);
      expect(after.contrast).toBeGreaterThanOrEqual(15); // black on white is 21
      // The player fills the window, its diagram scaled up with it.
      const box = await player.boundingBox();
      expect(box, 'the presenting player fills the window').toMatchObject({ x: 0, y: 0, width: 1280, height: 800 });
      expect(await svgWidth(), 'the diagram drawn larger').toBeGreaterThan(before.svg * 1.3);
      await key(player, 'Escape');
      expect(await tab.evaluate(() => document.documentElement.classList.contains('dl-presentation'))).toBe(false);
      await player.locator('button.dl-present').click();

      await tab.reload({ waitUntil: 'networkidle' });
      await player.locator('button.dl-present[aria-pressed="true"]').waitFor({ timeout: 10_000 });
      expect(await tab.evaluate(() => document.documentElement.classList.contains('dl-presentation'))).toBe(true);
      await player.locator('button.dl-present').click();
      expect(await tab.evaluate(() => document.documentElement.classList.contains('dl-presentation'))).toBe(false);
      expect(await tab.evaluate(() => localStorage.getItem('dockling.presentation'))).toBe('off');
      expectClean(page, record);
    });
  });

  it("presentation mode: the registry graph's text is dark on white even when the site is in dark mode", async () => {
    const { page, nth } = PLAYERS.find((p) => p.diagram === 'RegistryGraph')!;
    await withPage(site.browser(), site.origin() + pageUrl(page), async ({ page: tab, record }) => {
      const player = playerOf(tab, nth);
      await player.locator('button.dl-present').waitFor({ timeout: 10_000 });
      await tab.evaluate(() => document.documentElement.classList.add('dark'));
      await player.locator('button.dl-present').click();
      // WCAG's AAA level for text is 7:1; dark mode's own colours (light green, light blue) on
      // the presenting player's white would be under 2.
      const presenting = await lowestTextContrast(player);
      expect(presenting.ratio, `in presentation mode, the faintest text: ${presenting.text}`).toBeGreaterThanOrEqual(7);
      expectClean(page, record);
    });
  });
});
