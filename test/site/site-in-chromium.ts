// One built site served on 127.0.0.1 and one headless Chromium for a whole test file (issue 7):
// the set-up browser.test.ts and player.test.ts share. Call it inside the file's describe; the
// getters answer once its beforeAll has run.
import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { tempDir } from '../tmp.js';
import { builtSite } from './built-site.js';
import { startChromium, type HeadlessChromium } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';

export interface SiteInChromium {
  browser(): Browser;
  /** The static server's origin, `http://127.0.0.1:PORT`. */
  origin(): string;
  /** A temporary directory for the file's screenshots. */
  shots(): string;
}

export function useSiteInChromium(shotsPrefix: string): SiteInChromium {
  let chromium: HeadlessChromium | undefined;
  let server: StaticServer | undefined;
  let shots = '';
  beforeAll(async () => {
    const out = await builtSite();
    shots = await tempDir(shotsPrefix);
    server = await serveStatic(out);
    chromium = await startChromium();
  }, 120_000);
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });
  return { browser: () => chromium!.browser, origin: () => server!.origin, shots: () => shots };
}
