// The site's configuration (issue 7): VitePress presents the pages of chapters/ — the one place
// the tutorial's text lives — with a sidebar in chapter order and a search index built into the
// site. Nothing is loaded from elsewhere (no web font, no CDN script, no hosted search): the site
// must work in a workshop room with no network, and test/site/build.test.ts checks it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type DefaultTheme } from 'vitepress';

/** Where the pages are: the repository's chapters/ folder, not a copy under site/. */
const CHAPTERS = fileURLToPath(new URL('../../chapters/', import.meta.url));

/**
 * The sidebar, read from chapters/: `index.md` (the overview and the tour) first, then each
 * `<n>-<name>.md` in chapter order, titled by its first `# ` heading. A new chapter page
 * appears in the sidebar without an edit here.
 */
function chapterSidebar(): DefaultTheme.SidebarItem[] {
  const numbered = readdirSync(CHAPTERS)
    .map((file) => ({ file, n: /^(\d+)-.+\.md$/.exec(file)?.[1] }))
    .filter((c): c is { file: string; n: string } => c.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n));
  const item = (file: string, prefix: string): DefaultTheme.SidebarItem => ({
    text: prefix + headingOf(file),
    link: '/' + file.replace(/(index)?\.md$/, ''),
  });
  // The teacher's guide (chapters/teaching.md) closes the list: it is for the workshop, not a chapter.
  const guide = existsSync(CHAPTERS + 'teaching.md') ? [item('teaching.md', '')] : [];
  // 'Your tour' (chapters/tour.md) replays the trace `npm run tour` leaves in the built site.
  const tour = existsSync(CHAPTERS + 'tour.md') ? [item('tour.md', '')] : [];
  return [item('index.md', '0. '), ...tour, ...numbered.map((c) => item(c.file, `${c.n}. `)), ...guide];
}

function headingOf(file: string): string {
  const heading = /^# (.+)$/m.exec(readFileSync(CHAPTERS + file, 'utf8'));
  if (!heading) throw new Error(`chapters/${file} has no "# " heading to name it in the sidebar`);
  return heading[1]!.trim();
}

export default defineConfig({
  title: 'Dockling',
  description: 'A container engine in TypeScript, read chapter by chapter to learn how containers work.',
  // Relative to site/: the pages are chapters/*.md. Code in them is imported from ../engine by region.
  srcDir: '../chapters',
  // chapters/README.md describes the folder on GitHub; it is not a page of the site.
  srcExclude: ['README.md'],
  themeConfig: {
    sidebar: chapterSidebar(),
    // Built into the site (MiniSearch over the pages), so it works offline — unlike Algolia.
    search: { provider: 'local' },
    outline: [2, 3],
  },
});
