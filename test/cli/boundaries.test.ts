// The CLI is a client: it reaches the engine only over HTTP. Its files may import node
// builtins and each other; the exceptions are listed by file below: the `daemon` and `registry`
// verbs, which run engine code in the CLI's process, `build`, which packs the context itself, and the few files that read image names
// and config.json credentials before a pull or a push, as the docker CLI does (STYLE.md
// habit 4). main.ts must import no verb eagerly.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ROOT } from '../daemon/harness.js';

const CLI = join(ROOT, 'engine/cli');

/** Engine modules the CLI may load, and the only files that may load each. */
const ENGINE_IMPORTS: Record<string, string[]> = {
  'engine/daemon/index.js': ['engine/cli/verbs/daemon.ts'],
  // `build` packs the context tar itself (with .dockerignore), as the docker CLI does — through
  // the build chapter's light client entry.
  'engine/build/client.js': ['engine/cli/verbs/build.ts'],
  'engine/registry/index.js': ['engine/cli/verbs/registry.ts', 'engine/cli/registry-auth.ts', 'engine/cli/verbs/login.ts', 'engine/cli/verbs/logout.ts'],
  'engine/trace/index.js': ['engine/cli/verbs/registry.ts'],
  'engine/layers/index.js': ['engine/cli/registry-auth.ts'],
  'engine/base/index.js': ['engine/cli/registry-auth.ts'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)].map((m) => m[1]!);
}

describe('engine/cli boundaries', () => {
  it('imports only node builtins and engine/cli files (the listed exceptions aside)', () => {
    const bad: string[] = [];
    for (const f of files(CLI)) {
      for (const spec of imports(f)) {
        if (spec.startsWith('node:')) continue;
        if (!spec.startsWith('.')) {
          bad.push(`${relative(ROOT, f)} → ${spec}`);
          continue;
        }
        const target = relative(ROOT, resolve(f, '..', spec));
        if (target.startsWith('engine/cli/')) continue;
        if (ENGINE_IMPORTS[target]?.includes(relative(ROOT, f))) continue;
        bad.push(`${relative(ROOT, f)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('main.ts starts with a shebang and loads verbs lazily', () => {
    const main = readFileSync(join(CLI, 'main.ts'), 'utf8');
    expect(main.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(main).not.toMatch(/from '\.\/verbs\//);
    const table = readFileSync(join(CLI, 'verbs.ts'), 'utf8');
    expect(table).not.toMatch(/^import (?!type).*'\.\/verbs\//m);
  });

  it('each file opens by placing itself (a comment first)', () => {
    for (const f of [...files(CLI), ...files(join(ROOT, 'engine/daemon'))]) {
      const first = readFileSync(f, 'utf8').split('\n').find((l) => !l.startsWith('#!'))!;
      expect(first.startsWith('//'), relative(ROOT, f)).toBe(true);
    }
  });
});
