// The CLI is a client: it reaches the engine only over HTTP. Its files may import node
// builtins and each other; the one exception is the `daemon` verb, which loads
// engine/daemon/index.js lazily (STYLE.md habit 4). main.ts must import no verb eagerly.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ROOT } from '../daemon/harness.js';

const CLI = join(ROOT, 'engine/cli');

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
  it('imports only node builtins and engine/cli files (daemon verb excepted)', () => {
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
        if (relative(ROOT, f) === 'engine/cli/verbs/daemon.ts' && target === 'engine/daemon/index.js') continue;
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
