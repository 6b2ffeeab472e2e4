// "Follow my daemon" in a real browser (issue 7, live mode): chapter 3's page from the built
// site (built-site.ts) in headless Chromium, a real `dockling daemon --trace-listen` on
// loopback that allows the static server's origin, and the reader's commands run through the
// CLI. The container-state diagram must show each state as the command that makes it returns
// (create, start, stop, rm), and a `run --rm` go through created → running → exited → removed;
// the daemon's /state snapshot must arrive (its images, then the container made); paused while
// following, the cursor must stay put as the next command's events arrive, until "Jump to latest";
// an address where nothing listens is answered with the command that starts the daemon;
// no request may leave localhost (the daemon is on 127.0.0.1: allowed). Everything started is
// stopped and the host left as found (no container, mount, cgroup, bridge or shim).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { api, dockling, startDaemon, type RunningDaemon } from '../daemon/harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/runtime-leftovers.js';
import { freePort } from '../registry/server-harness.js';
import { builtSite } from './built-site.js';
import { chromiumSkipReason, startChromium, withPage, type HeadlessChromium } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';

const skipReason = chromiumSkipReason() ?? (process.getuid?.() !== 0 ? 'needs root (the daemon runs containers)' : !existsSync('/bin/busybox') ? 'needs /bin/busybox (Debian busybox-static)' : undefined);
if (skipReason) console.warn(`live browser test skipped: ${skipReason}`);

const PLAYER = '.dl-TracePlayer[data-trace="namespaces-run-limits"]';

/** Each container's states as the page drew them, in order, recorded in the page as they change. */
async function recordStates(page: Page): Promise<void> {
  await page.evaluate((selector) => {
    const seen: Record<string, string[]> = {};
    (window as unknown as { drawnStates: typeof seen }).drawnStates = seen;
    const player = document.querySelector(selector)!;
    const note = () => {
      for (const t of player.querySelectorAll('.containers text[data-container]')) {
        const id = t.getAttribute('data-container')!;
        const state = t.getAttribute('data-state')!;
        if (!id || !state) continue;
        const list = (seen[id] ??= []);
        if (list.at(-1) !== state) list.push(state);
      }
    };
    new MutationObserver(note).observe(player, { subtree: true, childList: true, attributes: true, characterData: true });
    note();
  }, PLAYER);
}

const drawnStates = (page: Page) => page.evaluate(() => (window as unknown as { drawnStates: Record<string, string[]> }).drawnStates);

/** Waits until the diagram shows container `id` in `state` (its label in the container row). */
async function shows(page: Page, id: string, state: string): Promise<void> {
  const label = page.locator(`${PLAYER} .containers text[data-container="${id}"][data-state="${state}"]`);
  await label.waitFor({ timeout: 10_000 }).catch(async () => {
    throw new Error(`the diagram never showed ${id.slice(0, 12)} ${state}; it shows: ${await page.locator(`${PLAYER} .containers`).textContent()}; status: ${await page.locator(`${PLAYER} .dl-live-status`).textContent()}`);
  });
}

describe.skipIf(skipReason !== undefined)('following a live daemon in Chromium', () => {
  const net = bridgeArgs(100);
  const parentsBefore = cgroupParents();
  let chromium: HeadlessChromium | undefined;
  let server: StaticServer | undefined;
  let d: RunningDaemon | undefined;
  let livePort = 0;
  const made: string[] = [];

  beforeAll(async () => {
    server = await serveStatic(await builtSite());
    livePort = await freePort();
    d = await startDaemon({ args: [...net.args, '--trace-listen', `127.0.0.1:${livePort}`, '--trace-origin', server.origin] });
    expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
    chromium = await startChromium();
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
    if (d) {
      const all = (await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string }>;
      for (const c of all) await api(d.sock, 'DELETE', `/v1.50/containers/${c.Id}?force=1`);
      const found = leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: [...new Set([...made, ...all.map((c) => c.Id)])] });
      await d.stop();
      expect(found).toEqual(NOTHING);
    }
    removeCgroupParents(parentsBefore);
  });

  it("chapter 3's diagram follows create, start, stop, rm and a run --rm as they happen, with the daemon's state, and stays put when paused", async () => {
    let attempt = 0;
    await withPage(chromium!.browser, `${server!.origin}/3-namespaces.html`, async ({ page, record, status }) => {
      expect(status).toBe(200);
      const player = page.locator(PLAYER);
      await player.locator('.dl-follow-button').waitFor();
      // Nothing listening there: the status line says how to start the daemon.
      const nowhere = await freePort();
      await player.locator('.dl-follow-address').fill(`http://127.0.0.1:${nowhere}`);
      await player.locator('.dl-follow-button').click();
      const unreachable = player.locator('.dl-live-status[data-status="unreachable"]');
      await unreachable.waitFor({ timeout: 10_000 });
      expect(await unreachable.textContent()).toContain(`cannot reach the daemon at http://127.0.0.1:${nowhere}: start it with \`sudo dockling daemon --trace-listen 127.0.0.1:${nowhere}\``);
      await player.locator('.dl-back-to-recording').click();

      await player.locator('.dl-follow-address').fill(`http://127.0.0.1:${livePort}`);
      await player.locator('.dl-follow-button').click();
      await player.locator('.dl-live-status[data-status="following"]').waitFor({ timeout: 10_000 }).catch(async () => {
        throw new Error(`the player did not follow the daemon; its status line says: ${await player.locator('.dl-live-status').textContent()}`);
      });
      expect(await player.getAttribute('data-mode')).toBe('live');
      expect(await page.evaluate(() => localStorage.getItem('dockling.follow.address'))).toBe(`http://127.0.0.1:${livePort}`);
      // The daemon's state, read on connecting: the base image made before the page connected.
      const snapshot = player.locator('.dl-live-state');
      await snapshot.waitFor({ timeout: 10_000 });
      expect(await snapshot.getAttribute('data-state-error'), (await snapshot.textContent()) ?? '').toBe('false');
      expect(Number(await snapshot.getAttribute('data-images'))).toBeGreaterThanOrEqual(1);
      await recordStates(page);

      // One command at a time: each state is drawn once the command that makes it returns.
      const name = `live-follow-${++attempt}`;
      const created = await dockling(d!.host, ['create', '--name', name, '--network', 'none', 'busybox', 'sleep', '60']);
      expect(created.code, created.stderr).toBe(0);
      const id = created.stdout.trim();
      made.push(id);
      await shows(page, id, 'created');
      // Read again after the create's events: the snapshot has the container, read at or after them.
      await player.locator('.dl-live-state[data-containers="1"]').waitFor({ timeout: 10_000 });
      expect(Number(await snapshot.getAttribute('data-state-cursor'))).toBeGreaterThan(0);
      expect((await dockling(d!.host, ['start', name])).code).toBe(0);
      await shows(page, id, 'running');
      expect(await player.locator('.process.init').count(), 'the init process, with its host pid').toBe(1);
      expect((await dockling(d!.host, ['stop', '-t', '1', name])).code).toBe(0);
      await shows(page, id, 'exited');
      expect((await dockling(d!.host, ['rm', name])).code).toBe(0);
      await shows(page, id, 'removed');
      expect((await drawnStates(page))[id]).toEqual(['created', 'running', 'exited', 'removed']);

      // The chapter's own command, the container's states recorded as the page drew them.
      const before = Object.keys(await drawnStates(page));
      const ran = await dockling(d!.host, ['run', '--rm', '--network', 'none', 'busybox', 'echo', 'hi']);
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stdout).toBe('hi\n');
      await page.waitForFunction((known) => {
        const seen = (window as unknown as { drawnStates: Record<string, string[]> }).drawnStates;
        return Object.entries(seen).some(([k, v]) => !known.includes(k) && v.includes('removed'));
      }, before, { timeout: 10_000 });
      const runs = Object.entries(await drawnStates(page)).filter(([k]) => !before.includes(k));
      expect(runs).toHaveLength(1);
      made.push(runs[0]![0]);
      // `run --rm` is create, start, wait and remove: each state drawn in turn, none skipped.
      expect(runs[0]![1]).toEqual(['created', 'running', 'exited', 'removed']);

      const events = Number(await player.getAttribute('data-cursor'));
      expect(await player.locator('.dl-live-status').textContent()).toMatch(new RegExp(`^following ${events} events from the daemon at http://127\\.0\\.0\\.1:${livePort}`));

      // Paused while following: the next command's events arrive, the cursor stays where it was
      // put (a step back too), the diagram with it; "Jump to latest" follows the end again.
      await player.locator('button.dl-play[aria-label="Pause"]').click();
      expect(await player.getAttribute('data-following')).toBe('false');
      await player.focus();
      await page.keyboard.press('ArrowLeft');
      const pausedAt = events - 1;
      expect(Number(await player.getAttribute('data-cursor'))).toBe(pausedAt);
      const later = await dockling(d!.host, ['create', '--name', `${name}-later`, '--network', 'none', 'busybox', 'true']);
      expect(later.code, later.stderr).toBe(0);
      const laterId = later.stdout.trim();
      made.push(laterId);
      await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel as string)!.getAttribute('data-length')) > (n as number), [PLAYER, events] as const, { timeout: 10_000 });
      await page.waitForTimeout(300);
      expect(Number(await player.getAttribute('data-cursor')), 'the cursor moved while paused').toBe(pausedAt);
      expect(await page.locator(`${PLAYER} .containers text[data-container="${laterId}"]`).count(), 'a container made after the pause is drawn').toBe(0);
      expect(await player.locator('.dl-position').textContent()).toMatch(new RegExp(`^event ${pausedAt} of \\d+$`));
      await player.locator('button.dl-latest').click();
      expect(await player.getAttribute('data-following')).toBe('true');
      await shows(page, laterId, 'created');
      expect(await player.getAttribute('data-cursor')).toBe(await player.getAttribute('data-length'));
      expect((await dockling(d!.host, ['rm', laterId])).code).toBe(0);
      await shows(page, laterId, 'removed');

      // Back to the recording: the replay's controls and the recorded trace again.
      await player.locator('.dl-back-to-recording').click();
      await player.locator('button.dl-forward').waitFor();
      expect(await player.getAttribute('data-mode')).toBe('replay');

      expect(record.requests).toContain(`http://127.0.0.1:${livePort}/trace/stream`);
      expect(record.requests).toContain(`http://127.0.0.1:${livePort}/state/images`);
      expect(record.requests).toContain(`http://127.0.0.1:${livePort}/state/containers`);
      expect(record.offHost, `requests for another host:\n${record.offHost.join('\n')}`).toEqual([]);
      // Chromium itself logs the refused connection to the address where nothing listened.
      const errors = record.errors.filter((e) => !e.includes(`net::ERR_CONNECTION_REFUSED (http://127.0.0.1:${nowhere}/trace/stream)`));
      expect(errors, `errors:\n${errors.join('\n')}`).toEqual([]);
    });
  });
});
