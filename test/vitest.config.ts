// vitest settings. The config lives in test/ so the top level stays the seven names the
// project promises; package.json points vitest here.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
// The site's diagram components are Vue files; test/site/components renders them in Node.
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  plugins: [vue()],
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**', 'dist/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: real tars, real daemons and real peers are heavy; two files at once is enough.
    maxWorkers: 2,
    setupFiles: ['./test/setup.ts'],
    // The second makes the folder where test/site's files share one build of the site (built-site.ts).
    globalSetup: ['./test/global-setup.ts', './test/site/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
