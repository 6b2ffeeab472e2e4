// Headless Chromium for the site's browser tests (issue 7): Debian's `chromium` package driven by
// playwright-core — never a browser Playwright downloads (CI installs the package, .ci/run). A
// page opened here has every request recorded, and any request to a host other than this one
// is aborted before it leaves and reported: the site must work in a room with no network.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type BrowserServer, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
 * --disable-gpu: no GPU here or in CI. --disable-background-networking: no update checks,
 * field trials or safe-browsing lists — the browser itself must not reach the network either.
 * (--headless is also what playwright passes for `headless: true`.)
 */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (Debian package "chromium"; .ci/run installs it)`;
  return undefined;
}

export interface HeadlessChromium {
  browser: Browser;
  /** The browser's process id: close() kills it by pid when a polite close does not end it. */
  pid: number;
  close(): Promise<void>;
}

/** Processes whose command line names `path` (the browser's crash handlers name its home). */
function processesNaming(path: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(path);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/**
 * Starts the browser as a server and connects to it: unlike a plain launch, the server knows its
 * process, so a browser that does not close can be killed by pid. Its profile is a temp dir
 * playwright makes and removes; its HOME (where Debian's chromium keeps crash reports and dconf
 * its cache) is one of ours, so nothing is left in root's home. The crash handlers detach
 * from the browser (their parent is init): close() waits for them to go, by that home's path.
 */
export async function startChromium(): Promise<HeadlessChromium> {
  const home = await mkdtemp(join(tmpdir(), 'dockling-chromium-home-'));
  const server: BrowserServer = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    // Where playwright listens for the test's connection: loopback, not every address (its default).
    host: '127.0.0.1',
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache') },
  });
  const pid = server.process().pid!;
  const browser = await chromium.connect(server.wsEndpoint());
  return {
    browser,
    pid,
    async close() {
      await browser.close().catch(() => {});
      await Promise.race([server.close(), sleep(5_000)]);
      if (server.process().exitCode === null && server.process().signalCode === null) await server.kill();
      for (let i = 0; i < 50 && processesNaming(home).length > 0; i++) await sleep(100);
      for (const straggler of processesNaming(home)) process.kill(straggler, 'SIGKILL');
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** What a page did while a test looked at it. */
export interface PageRecord {
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Those that were for another host (aborted, and a failure of the test). */
  offHost: string[];
  /** console.error messages and uncaught exceptions. */
  errors: string[];
  /**
   * Requests Chromium dropped because the host's network changed under it (another test making
   * a bridge or a veth): not the site's fault — the caller loads the page again.
   */
  networkChanged: number;
}

export function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

/**
 * A fresh context and page (its own cookies and storage), with every request recorded and any
 * off-host one aborted, console errors and page errors collected.
 */
export async function openPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; record: PageRecord }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const record: PageRecord = { requests: [], offHost: [], errors: [], networkChanged: 0 };
  await context.route('**/*', (route) => (isLocal(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
  const page = await context.newPage();
  page.on('request', (req) => {
    record.requests.push(req.url());
    if (!isLocal(req.url())) record.offHost.push(req.url());
  });
  page.on('websocket', (ws) => {
    record.requests.push(ws.url());
    if (!isLocal(ws.url().replace(/^ws/, 'http'))) record.offHost.push(ws.url());
  });
  page.on('requestfailed', (req) => {
    if (req.failure()?.errorText === 'net::ERR_NETWORK_CHANGED') record.networkChanged++;
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().includes('net::ERR_NETWORK_CHANGED')) record.errors.push(`console.error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => record.errors.push(`uncaught: ${err.message}`));
  return { context, page, record };
}

/** A fresh page on `url` (see openPage), its record, and the document's HTTP status. */
export interface Visit {
  page: Page;
  record: PageRecord;
  status: number | undefined;
}

/**
 * Opens `url` in a fresh page and runs `check` on it; the page is closed after. When a request
 * was dropped because the host's network changed (PageRecord.networkChanged: the tests run
 * beside others that make bridges and veths), the whole visit is made again, up to 3 times —
 * so `check` should fail on record.networkChanged, as browser.test.ts's expectClean does.
 */
export async function withPage(browser: Browser, url: string, check: (visit: Visit) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { context, page, record } = await openPage(browser);
    try {
      const response = await page.goto(url, { waitUntil: 'networkidle' });
      await check({ page, record, status: response?.status() });
      return;
    } catch (err) {
      if (record.networkChanged === 0 || attempt === 3) throw err;
    } finally {
      await context.close();
    }
  }
}
