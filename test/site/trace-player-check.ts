// The browser check of the trace players' diagrams (issue 7). A page's <TracePlayer> (theme
// component: a figure.dl-TracePlayer with the diagram in its slot and a toolbar of controls)
// replays a recorded trace; in the real browser this checks that its SVG has drawn shapes, that
// stepping forward from the start changes the drawing, and that jumping back to the end draws
// the very picture the page opened with (a diagram is a function of trace and cursor only).
// A player whose trace has not loaded or that has no SVG is a problem, named.
import type { Locator, Page } from 'playwright-core';

export const PLAYER = '.dl-TracePlayer';
/** The player's controls (TracePlayer.vue): step forward and the scrubber that jumps to an event. */
export const STEP_FORWARD = 'button.dl-forward, button[aria-label="Step forward"]';
export const SCRUBBER = 'input.dl-scrubber';
const SHAPES = 'path, rect, circle, ellipse, line, polyline, polygon, text';

export interface PlayerCheck {
  /** Players on the page that were checked. */
  checked: number;
  /** What was wrong, each naming the player by its trace. */
  problems: string[];
}

const drawing = (svg: Locator) => svg.evaluate((el) => el.outerHTML);
const cursorOf = async (player: Locator) => Number(await player.getAttribute('data-cursor'));

/** Shapes in the SVG with a size (a shape at 0×0 has drawn nothing). */
function drawnShapes(svg: Locator): Promise<number> {
  return svg.evaluate((el, selector) => {
    return [...el.querySelectorAll(selector)].filter((s) => {
      const box = (s as SVGGraphicsElement).getBBox?.();
      return box !== undefined && (box.width > 0 || box.height > 0);
    }).length;
  }, SHAPES);
}

/** Moves the player's scrubber to `cursor`, as a reader dragging it does (an input event). */
async function jump(player: Locator, cursor: number | 'end'): Promise<void> {
  await player.locator(SCRUBBER).evaluate((el, to) => {
    const input = el as HTMLInputElement;
    input.value = to === 'end' ? input.max : String(to);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, cursor);
}

async function checkPlayer(page: Page, player: Locator): Promise<string[]> {
  const name = `player "${await player.getAttribute('data-trace')}"`;
  // The trace is fetched after the page loads: wait for the controls it brings.
  if (!(await player.locator(STEP_FORWARD).first().waitFor({ timeout: 10_000 }).then(() => true, () => false))) {
    const text = (await player.textContent())?.trim().slice(0, 200);
    return [`${name}: no step control (${STEP_FORWARD}) — the player shows: ${text}`];
  }
  const svg = player.locator('svg').first();
  if ((await player.locator('svg').count()) === 0) return [`${name}: no SVG in the player`];
  const problems: string[] = [];
  const final = await drawing(svg);
  if ((await drawnShapes(svg)) === 0) problems.push(`${name}: its SVG has no drawn shapes (${SHAPES})`);

  await jump(player, 0);
  await page.waitForFunction((el) => el?.getAttribute('data-cursor') === '0', await player.elementHandle());
  const start = await drawing(svg);
  const length = Number(await player.locator(SCRUBBER).getAttribute('max'));
  let steps = 0;
  while (steps < length && (await drawing(svg)) === start) {
    await player.locator(STEP_FORWARD).first().click();
    steps++;
    if ((await cursorOf(player)) !== steps) return [...problems, `${name}: step ${steps} moved the cursor to ${await cursorOf(player)}`];
  }
  if ((await drawing(svg)) === start) problems.push(`${name}: stepping through all ${length} events never changed the SVG`);

  await jump(player, 'end');
  const back = await page
    .waitForFunction(([el, want]) => (el as Element).outerHTML === want, [await svg.elementHandle(), final] as const, { timeout: 3_000 })
    .then(() => true, () => false);
  if (!back) problems.push(`${name}: jumping back to the end did not draw the picture the page opened with`);
  return problems;
}

export async function checkTracePlayerDiagrams(page: Page): Promise<PlayerCheck> {
  const players = await page.locator(PLAYER).all();
  const problems: string[] = [];
  for (const player of players) problems.push(...(await checkPlayer(page, player)));
  return { checked: players.length, problems };
}
