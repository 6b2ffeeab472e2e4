// The scoped resolver of `docker cp` (chapter 2): container paths with hostile symlinks resolve
// inside the root, never outside it. Plain directories, no mounts, no root needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRoot } from '../../engine/unionfs/scoped-path.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dkl-scoped-'));
  mkdirSync(join(root, 'etc/deep/er'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
  symlinkSync('/', join(root, 'escape'));
  symlinkSync('../../../../../..', join(root, 'etc/deep/climb'));
  symlinkSync('../../passwd', join(root, 'etc/deep/er/pw'));
  symlinkSync('/etc', join(root, 'abs'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  symlinkSync('/no/such/dir', join(root, 'dangling'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('resolveInRoot', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/etc/passwd', '/etc/passwd', false],
    ['/escape/etc/passwd', '/etc/passwd', false],
    ['/escape', '/escape', false],
    ['/escape', '/', true],
    ['/etc/deep/climb/etc/passwd', '/etc/passwd', false],
    ['/../../../etc/passwd', '/etc/passwd', false],
    ['/etc/deep/er/pw', '/etc/passwd', true],
    ['/abs/passwd', '/etc/passwd', false],
    ['/escape/escape/abs/../etc/./passwd', '/etc/passwd', false],
    ['/dangling/x', '/no/such/dir/x', false],
  ];
  for (const [path, inside, followLast] of cases) {
    it(`${path}${followLast ? ' (follow last)' : ''} → ${inside}`, () => {
      const r = resolveInRoot(root, path, { followLast });
      expect(r.inside).toBe(inside);
      expect(r.host === root || r.host.startsWith(`${root}/`)).toBe(true);
    });
  }

  it('refuses a symlink loop with CP_TOO_MANY_LINKS', () => {
    expect(() => resolveInRoot(root, '/loop1/x')).toThrow(expect.objectContaining({ code: 'CP_TOO_MANY_LINKS' }));
  });

  it('refuses a NUL byte with CP_BAD_PATH', () => {
    expect(() => resolveInRoot(root, '/etc/\0')).toThrow(expect.objectContaining({ code: 'CP_BAD_PATH' }));
  });
});
