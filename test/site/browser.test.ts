// The built site in a real browser (issue 7): headless Chromium (Debian's, chromium.ts) opens
// every chapter page from the site as `npm run site:build` makes it (built once per run,
// built-site.ts), served from 127.0.0.1 by static-server.ts. Each page shows its title and the
// sidebar, logs no error, requests nothing from another host, screenshots to a non-empty PNG,
// and its trace players (if any) draw and step; the local search finds each chapter by a word
// only that chapter uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromiumSkipReason, openPage, startChromium, withPage, type HeadlessChromium, type PageRecord } from './chromium.js';
import { useSiteInChromium } from './site-in-chromium.js';
import { checkTracePlayerDiagrams } from './trace-player-check.js';

const CHAPTERS = resolve(import.meta.dirname, '../../chapters');
const PAGES = readdirSync(CHAPTERS).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const skipReason = chromiumSkipReason();
if (skipReason) console.warn(`browser tests skipped: ${skipReason}`);

/** Where a page is served: `/` for index.md, `/<name>.html` for the others. */
function pageUrl(page: string): string {
  return page === 'index.md' ? '/' : `/${page.replace(/\.md$/, '.html')}`;
}

function headingOf(page: string): string {
  const heading = /^# (.+)$/m.exec(readFileSync(join(CHAPTERS, page), 'utf8'))?.[1];
  if (!heading) throw new Error(`chapters/${page} has no "# " heading`);
  return heading.replace(/[`*_]/g, '').trim();
}

/** A page's prose: no code fences, no snippet imports, no HTML tags or link targets. */
function prose(page: string): string {
  return readFileSync(join(CHAPTERS, page), 'utf8')
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/^<<<.*$/gm, '')
    .replace(/<[^>]+>/g, '')
    .replace(/\]\([^)]*\)/g, ']')
    .toLowerCase();
}

/** For each page, its most frequent word of 6+ letters that no other page uses. */
function distinctiveWords(): Map<string, string> {
  const counts = new Map(PAGES.map((p) => [p, new Map<string, number>()]));
  for (const p of PAGES) for (const w of prose(p).match(/\b[a-z]{6,}\b/g) ?? []) counts.get(p)!.set(w, (counts.get(p)!.get(w) ?? 0) + 1);
  const words = new Map<string, string>();
  for (const p of PAGES) {
    const own = [...counts.get(p)!].filter(([w]) => PAGES.every((o) => o === p || !counts.get(o)!.has(w)));
    own.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (own[0]) words.set(p, own[0][0]);
  }
  return words;
}

function expectClean(page: string, record: PageRecord): void {
  expect(record.networkChanged, `${page}: requests dropped by a change of the host's network (tried 3 times)`).toBe(0);
  expect(record.offHost, `${page} requested another host:\n${record.offHost.join('\n')}`).toEqual([]);
  expect(record.errors, `${page} logged errors:\n${record.errors.join('\n')}`).toEqual([]);
}

describe.skipIf(skipReason !== undefined)('the built site in Chromium', () => {
  const site = useSiteInChromium('dockling-site-shots-');

  it.each(PAGES)('%s: renders its title and the sidebar, draws its players, asks nothing of another host', async (page) => {
    await withPage(site.browser(), site.origin() + pageUrl(page), async ({ page: tab, record, status }) => {
      expect(status, `${page} was not served`).toBe(200);

      const heading = headingOf(page);
      const h1 = (await tab.locator('.vp-doc h1').first().textContent())?.replace(/\u200b/g, '').trim();
      expect(h1).toBe(heading);
      expect(await tab.title()).toContain(heading);

      const sidebar = tab.locator('.VPSidebar');
      expect(await sidebar.isVisible(), `${page}: the sidebar is not shown`).toBe(true);
      for (const other of PAGES) {
        const link = sidebar.locator(`a[href="${pageUrl(other).replace(/\.html$/, '')}"], a[href="${pageUrl(other)}"]`);
        expect(await link.count(), `${page}: the sidebar has no link to ${other}`).toBeGreaterThan(0);
        expect(await link.first().textContent()).toContain(headingOf(other));
      }

      const players = await checkTracePlayerDiagrams(tab);
      expect(players.problems, `${page}: ${players.problems.join('\n')}`).toEqual([]);
      if (players.checked > 0) console.log(`${page}: ${players.checked} trace player(s) drawn and stepped`);

      const png = await tab.screenshot({ path: join(site.shots(), page.replace(/\.md$/, '.png')), fullPage: true });
      expect(png.length, `${page}: empty screenshot`).toBeGreaterThan(1_000);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE), `${page}: the screenshot is not a PNG`).toBe(true);
      expect(readFileSync(join(site.shots(), page.replace(/\.md$/, '.png'))).equals(png)).toBe(true);

      expect(record.requests.length, `${page}: no request recorded`).toBeGreaterThan(0);
      expectClean(page, record);
    });
    // The tour page steps five players through one long trace: more clicks than a chapter's one.
  }, 300_000);

  it('finds each chapter with the local search, by a word only that chapter uses', async () => {
    const words = distinctiveWords();
    await withPage(site.browser(), site.origin() + '/', async ({ page: tab, record }) => {
      for (const [page, word] of words) {
        await tab.locator('.VPNavBarSearch button').first().click();
        const input = tab.locator('#localsearch-input');
        await input.fill(word);
        const hit = tab.locator(`.VPLocalSearchBox a.result[href^="${pageUrl(page)}#"]`);
        await hit.first().waitFor({ timeout: 5_000 }).catch(() => {});
        expect(await hit.count(), `searching "${word}" found no result in ${page}`).toBeGreaterThan(0);
        await tab.keyboard.press('Escape');
        await tab.locator('.VPLocalSearchBox').waitFor({ state: 'detached' });
      }
      expect(words.size, 'no page had a word of its own to search for').toBeGreaterThan(0);
      expectClean('the search', record);
    });
  });
});

// The checks above pass by finding nothing; these show they would find something.
describe.skipIf(skipReason !== undefined)('the browser harness', () => {
  let chromium: HeadlessChromium | undefined;

  beforeAll(async () => {
    chromium = await startChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
  });

  it('records a request for another host, names it, and aborts it before it leaves', async () => {
    const { context, page, record } = await openPage(chromium!.browser);
    try {
      const failed = new Promise<string | undefined>((ok) => page.once('requestfailed', (r) => ok(r.failure()?.errorText)));
      await page.setContent('<img src="https://example.com/pixel.png">');
      expect(await failed).toMatch(/^net::ERR_BLOCKED_BY_CLIENT/); // the route aborted it: it never left
      expect(record.offHost).toEqual(['https://example.com/pixel.png']);
    } finally {
      await context.close();
    }
  });

  it('collects console errors and uncaught exceptions', async () => {
    const { context, page, record } = await openPage(chromium!.browser);
    try {
      await page.setContent('<script>console.error("drawn wrong")</script>');
      await page.evaluate(() => setTimeout(() => { throw new Error('thrown late'); }));
      await page.waitForTimeout(100);
      expect(record.errors.map((e) => e.split(' (')[0])).toEqual(['console.error: drawn wrong', 'uncaught: thrown late']);
    } finally {
      await context.close();
    }
  });

  it('names a player whose step control does not change its drawing', async () => {
    const { context, page } = await openPage(chromium!.browser);
    try {
      // A player with TracePlayer.vue's controls whose cursor moves but whose picture never does.
      await page.setContent(`
        <figure class="dl-TracePlayer" data-trace="frozen" data-cursor="3">
          <svg width="100" height="40"><rect width="80" height="20"/></svg>
          <button class="dl-forward" aria-label="Step forward">next</button>
          <input class="dl-scrubber" type="range" min="0" max="3" value="3">
        </figure>
        <script>
          const f = document.querySelector('figure'), s = document.querySelector('input');
          s.addEventListener('input', () => f.dataset.cursor = s.value);
          document.querySelector('button').addEventListener('click', () => { s.value = String(+s.value + 1); f.dataset.cursor = s.value; });
        </script>`);
      const check = await checkTracePlayerDiagrams(page);
      expect(check.checked).toBe(1);
      expect(check.problems).toEqual(['player "frozen": stepping through all 3 events never changed the SVG']);
    } finally {
      await context.close();
    }
  });
});
