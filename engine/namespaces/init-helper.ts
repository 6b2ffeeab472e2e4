// Where the static init helper is, chapter 3. dockling-init.c is compiled at install time
// (`cc -static`, package.json "build") next to this module's compiled JS, so it is found from
// import.meta.url: dist/engine/namespaces/dockling-init. It must be static because it runs after
// pivot_root, when the host's shared libraries are no longer visible.
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../base/index.js';

export const INIT_HELPER_NAME = 'dockling-init';

/**
 * The helper's path next to this module (dist/engine/namespaces/ when built). When this module
 * runs from source (engine/namespaces/, as under vitest), the built one in dist/ is used.
 */
export function initHelperPath(): string {
  const here = fileURLToPath(new URL(`./${INIT_HELPER_NAME}`, import.meta.url));
  if (here.includes('/dist/engine/')) return here;
  return fileURLToPath(new URL(`../../dist/engine/namespaces/${INIT_HELPER_NAME}`, import.meta.url));
}

/** The helper's path, or INIT_HELPER_MISSING saying how to build it. */
export function findInitHelper(path: string = initHelperPath()): string {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch (cause) {
    throw new EngineError({
      code: 'INIT_HELPER_MISSING', kind: 'failed-precondition',
      message: `${path} is missing: it is built by \`npm run build\` with \`cc -static\` from engine/namespaces/dockling-init.c; install a C compiler and the static C library (Debian: apt-get install gcc libc6-dev) and build again`,
      data: { path, packages: ['gcc', 'libc6-dev'] },
      cause,
    });
  }
}
