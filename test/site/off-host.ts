// What in a built site would make a browser reach off the machine: the site must work in a room
// with no network (DESIGN.md, "Offline first"). Pure functions over the text of the built HTML,
// CSS and JS; build.test.ts runs them on every file of a real build. A link a reader clicks
// (`<a href="https://…">`) is allowed: nothing is fetched until they click it.
//
// This reads the output statically; the browser tests (later) watch the real requests.

/** An address a browser would resolve against another host: `http://`, `https://` or `//host`. */
const OFF_HOST = /^\s*(?:https?:)?\/\//i;

/**
 * This machine's own names (as chromium.ts's isLocal): not another host. The player's live
 * mode reads the reader's daemon on http://127.0.0.1:7357, and a page may name its dev server.
 */
const LOOPBACK = /^\s*(?:https?:)?\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?:[:/]|$)/i;
const offHost = (url: string) => OFF_HOST.test(url) && !LOOPBACK.test(url);

/**
 * URLs that appear in the JS of VitePress's default theme and Vue without ever being requested.
 * Each new one must be read and added here with its reason, or the test fails naming it.
 */
export const DORMANT_URLS: { prefix: string; why: string }[] = [
  { prefix: 'http://www.w3.org/', why: 'XML namespace names (SVG, xlink, MathML): identifiers, never requested' },
  { prefix: 'http://a.com', why: "VitePress's placeholder base for new URL(link, base) when it normalises links: parsed, never requested" },
  { prefix: 'https://vuejs.org/error-reference/', why: "text of Vue's error messages" },
  {
    prefix: 'https://api.iconify.design/',
    why: "VitePress's fallback icon for a social link it has no bundled icon for: requested only when a page shows a social link, and build.test.ts checks that none does",
  },
];

export interface OffHostRef {
  /** What refers to it: `<img src>`, `url()`, `js`, … */
  via: string;
  url: string;
}

/** Off-host references in a stylesheet: `url(…)` and `@import`, comments left out. */
export function cssOffHost(css: string): OffHostRef[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const refs: OffHostRef[] = [];
  for (const m of text.matchAll(/url\(\s*(['"]?)([^'")]*)\1\s*\)/gi)) {
    if (offHost(m[2]!)) refs.push({ via: 'url()', url: m[2]!.trim() });
  }
  for (const m of text.matchAll(/@import\s+(['"])([^'"]*)\1/gi)) {
    if (offHost(m[2]!)) refs.push({ via: '@import', url: m[2]! });
  }
  return refs;
}

/**
 * Off-host URLs in a script that are not known to be dormant. License banners (`/*! … *\/`) and
 * links inside page HTML carried as strings (`<a href=\"https://…\">`, a page's text) are skipped.
 */
export function jsOffHost(js: string): OffHostRef[] {
  const text = js.replace(/\/\*![\s\S]*?\*\//g, '').replace(/<a\s[^>]*>/gi, '');
  const refs: OffHostRef[] = [];
  for (const m of text.matchAll(/https?:\/\/[^\s"'`\\)<>]*/gi)) {
    if (offHost(m[0]) && !DORMANT_URLS.some((d) => m[0].startsWith(d.prefix))) refs.push({ via: 'js', url: m[0] });
  }
  // Protocol-relative addresses in strings: "//fonts.example.com/…"
  for (const m of text.matchAll(/["'`](\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)+\/[^"'`\s]*)/gi)) refs.push({ via: 'js', url: m[1]! });
  return refs;
}

/** Attributes that make a browser fetch (or navigate a frame) by themselves. */
const FETCHING_ATTRIBUTES = ['src', 'href', 'srcset', 'poster', 'data', 'action', 'formaction', 'xlink:href', 'background', 'manifest'];

/**
 * Off-host references in an HTML page: attributes that fetch (on any element but `<a>`), inline
 * styles and `<style>` blocks, and inline `<script>` blocks.
 */
export function htmlOffHost(html: string): OffHostRef[] {
  const refs: OffHostRef[] = [];
  for (const m of html.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/gi)) refs.push(...cssOffHost(m[1]!));
  for (const m of html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/gi)) refs.push(...jsOffHost(m[1]!));
  const markup = html.replace(/<(style|script)([^>]*)>[\s\S]*?<\/\1>/gi, '<$1$2>');
  for (const tag of markup.matchAll(/<([a-z][\w:-]*)(\s[^>]*)?>/gi)) {
    const name = tag[1]!.toLowerCase();
    for (const attr of (tag[2] ?? '').matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g)) {
      const key = attr[1]!.toLowerCase();
      const value = attr[2] ?? attr[3] ?? attr[4] ?? '';
      if (key === 'style') refs.push(...cssOffHost(value));
      if (!FETCHING_ATTRIBUTES.includes(key) || (name === 'a' && key === 'href')) continue;
      const urls = key === 'srcset' ? value.split(',').map((c) => c.trim().split(/\s+/)[0] ?? '') : [value];
      for (const url of urls) if (offHost(url)) refs.push({ via: `<${name} ${key}>`, url: url.trim() });
    }
  }
  return refs;
}
