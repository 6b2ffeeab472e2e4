// The site as `npm run site:build` makes it (issue 7): built for real, once per run into a temp
// directory (~10 s, built-site.ts), then read. Every chapter page is built and reachable from the sidebar, its
// code excerpts are there, the local search index exists, and nothing in the output would make a
// browser reach another host — the site must work with no network.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { builtSite } from './built-site.js';
import { cssOffHost, htmlOffHost, jsOffHost, type OffHostRef } from './off-host.js';
import { snippetImports } from './snippets.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHAPTERS = join(ROOT, 'chapters');

/** chapters/*.md that are pages (README.md describes the folder on GitHub). */
const PAGES = readdirSync(CHAPTERS).filter((f) => f.endsWith('.md') && f !== 'README.md');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

let out = '';

beforeAll(async () => {
  out = await builtSite(); // once per run, shared with browser.test.ts
}, 120_000);

describe('the built site', () => {
  it('has every chapter page, under its heading, linked from the sidebar', () => {
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    for (const page of PAGES) {
      const html = join(out, page.replace(/\.md$/, '.html'));
      expect(existsSync(html), `${page} was not built`).toBe(true);
      const heading = /^# (.+)$/m.exec(readFileSync(join(CHAPTERS, page), 'utf8'))?.[1];
      expect(heading, `chapters/${page} has no "# " heading`).toBeDefined();
      expect(readFileSync(html, 'utf8')).toMatch(new RegExp(`<h1[^>]*>${escape(escapeHtml(heading!))}`));
      if (page !== 'index.md') expect(index.includes(`href="${pageUrl(page)}"`), `the sidebar has no link to ${page}`).toBe(true);
    }
  });

  it('shows each imported region as a code block', () => {
    for (const page of PAGES) {
      const imports = snippetImports({ page: join(CHAPTERS, page), text: readFileSync(join(CHAPTERS, page), 'utf8'), srcDir: CHAPTERS });
      const html = readFileSync(join(out, page.replace(/\.md$/, '.html')), 'utf8');
      expect(html).not.toContain('Code snippet path not found');
      const blocks = html.match(/<div class="language-[\w-]+[ "]/g) ?? [];
      expect(blocks.length, `${page}: ${imports.length} imports`).toBeGreaterThanOrEqual(imports.length);
      // The region, not the whole file: VitePress leaves the markers out of what it shows.
      expect(html).not.toMatch(/\/\/ #(end)?region /);
    }
  });

  it('has the local search index, with every page in it', () => {
    const chunks = join(out, 'assets/chunks');
    const indexFile = readdirSync(chunks).find((f) => f.startsWith('@localSearchIndex') && f.endsWith('.js'));
    expect(indexFile, 'no @localSearchIndex chunk: is search.provider "local"?').toBeDefined();
    const searchIndex = readFileSync(join(chunks, indexFile!), 'utf8');
    for (const page of PAGES) expect(searchIndex.includes(`"${pageUrl(page)}#`), `${page} is not in the search index`).toBe(true);
  });

  it('refers to nothing off this host (links a reader clicks aside)', () => {
    const found: string[] = [];
    const note = (file: string, refs: OffHostRef[]) => refs.forEach((r) => found.push(`${relative(out, file)}: ${r.via} ${r.url}`));
    for (const file of files(out)) {
      if (file.endsWith('.html')) note(file, htmlOffHost(readFileSync(file, 'utf8')));
      else if (file.endsWith('.css')) note(file, cssOffHost(readFileSync(file, 'utf8')));
      else if (file.endsWith('.js')) note(file, jsOffHost(readFileSync(file, 'utf8')));
    }
    expect(found, found.join('\n')).toEqual([]);
    // The one dormant fetch in the theme (DORMANT_URLS, iconify) wakes only with a social link.
    for (const file of files(out).filter((f) => f.endsWith('.html'))) expect(readFileSync(file, 'utf8')).not.toContain('VPSocialLink');
  });
});

describe('the off-host scanner', () => {
  it.each([
    ['<img src="https://example.com/a.png">', '<img src> https://example.com/a.png'],
    ['<link rel="preconnect" href="//fonts.example.com">', '<link href> //fonts.example.com'],
    ['<script src="http://cdn.example.com/x.js"></script>', '<script src> http://cdn.example.com/x.js'],
    ['<img srcset="/a.png 1x, https://example.com/b.png 2x">', '<img srcset> https://example.com/b.png'],
    ['<div style="background: url(\'https://example.com/bg.png\')"></div>', 'url() https://example.com/bg.png'],
    ['<style>@import "https://fonts.example.com/css";</style>', '@import https://fonts.example.com/css'],
    ['<script>import("https://cdn.example.com/d3.js")</script>', 'js https://cdn.example.com/d3.js'],
    ['<script>fetch("http://localhost.evil.example/x")</script>', 'js http://localhost.evil.example/x'],
  ])('finds %s', (html, expected) => {
    expect(htmlOffHost(html).map((r) => `${r.via} ${r.url}`)).toEqual([expected]);
  });

  it.each([
    '<a href="https://example.com/docs">a link to read</a>',
    '<link rel="stylesheet" href="/assets/style.css"><img src="./a.png"><script src="/assets/app.js"></script>',
    '<svg xmlns="http://www.w3.org/2000/svg"><use href="#icon"/></svg>',
    '<p>https://example.com as text</p>',
    // this machine: the reader's own daemon (live mode) and the dev server
    '<script>new EventSource("http://127.0.0.1:7357/trace/stream"); fetch("http://localhost:5173/")</script><img src="http://[::1]:8080/a.png">',
  ])('lets %s pass', (html) => {
    expect(htmlOffHost(html)).toEqual([]);
  });

  it('reads stylesheets without their comments, and scripts without license banners or page links', () => {
    expect(cssOffHost('/* https://example.com */ a { background: url(/x.png) }')).toEqual([]);
    expect(cssOffHost('@font-face { src: url(https://fonts.example.com/f.woff2) }')).toEqual([{ via: 'url()', url: 'https://fonts.example.com/f.woff2' }]);
    expect(jsOffHost('/*! lib | MIT | https://example.com/LICENSE */ const a = "<a href=\\"https://example.com\\">x</a>";')).toEqual([]);
    expect(jsOffHost('const ns = "http://www.w3.org/2000/svg"; fetch("https://api.example.com/x")')).toEqual([{ via: 'js', url: 'https://api.example.com/x' }]);
    expect(jsOffHost('const u = "//cdn.example.com/x.js"')).toEqual([{ via: 'js', url: '//cdn.example.com/x.js' }]);
  });
});

/** Where VitePress serves a page: `/` for index.md, `/<name>.html` for the others. */
function pageUrl(page: string): string {
  return page === 'index.md' ? '/' : `/${page.replace(/\.md$/, '.html')}`;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
