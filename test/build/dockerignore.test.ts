// Chapter 5: `.dockerignore` and the Go globs under it, as tables. Expectations are moby's
// patternmatcher/ignorefile semantics (read from their source); the rows marked "buildah" were
// also checked by building the same context with buildah 1.28 (`COPY . /c/`) and listing the
// layer. Walk-level behaviour (an excluded directory entered for an exception) is in
// context.test.ts, on a real context.
import { describe, expect, it } from 'vitest';
import { compileIgnore, isExcluded, keepBuildFiles, legacyMatches, mustDescend, parseDockerignore, walkMatch } from '../../engine/build/dockerignore.js';
import { globMatch, hasWildcards } from '../../engine/build/path-match.js';

describe('parseDockerignore (ignorefile.ReadAll)', () => {
  it('drops comments and blanks, trims, cleans, and drops a leading /', () => {
    const text = '\uFEFF# a comment\n  # not a comment: # is only checked before trimming\n\n   spaced   \n/rooted\n!/except/\n./a//b/./c/\n! f\nx/../y\n/\n';
    expect(parseDockerignore(text)).toEqual(['# not a comment: # is only checked before trimming', 'spaced', 'rooted', '!except', 'a/b/c', '!f', 'y', '/']);
  });
  it('reads CRLF files', () => {
    expect(parseDockerignore('a\r\n!b\r\n')).toEqual(['a', '!b']);
  });
});

/** [patterns, path, excluded] */
type Row = [string[], string, boolean];

const rows: Record<string, Row[]> = {
  'a plain name matches itself and everything under it': [
    [['foo'], 'foo', true],
    [['foo'], 'foo/bar/baz', true], // buildah
    [['foo'], 'foobar', false],
    [['foo'], 'a/foo', false],
    [['a/b'], 'a/b/c', true],
  ],
  '* and ? stop at a /': [
    [['*.md'], 'README.md', true],
    [['*.md'], 'docs/x.md', false],
    [['*.md'], 'a.md/x', true],
    [['*/*.md'], 'docs/x.md', true],
    [['*/*.md'], 'x.md', false],
    [['?'], 'a', true],
    [['?'], 'ab', false],
    [['a?c'], 'a/c', false],
  ],
  'character classes and escapes': [
    [['[a-c]x'], 'bx', true],
    [['[a-c]x'], 'dx', false],
    [['[^a]x'], 'bx', true],
    [['[^a]x'], 'ax', false],
    [['\\*'], '*', true],
    [['\\*'], 'a', false],
    [['a\\?'], 'a?', true],
    [['a\\?'], 'ab', false],
  ],
  '** matches any number of directories, none included': [
    [['**/*.log'], 'x.log', true], // buildah
    [['**/*.log'], 'a/b/x.log', true], // buildah
    [['**/node_modules'], 'node_modules/p/i.js', true], // buildah
    [['**/node_modules'], 'a/node_modules/q/j.js', true], // buildah
    [['**/node_modules'], 'xnode_modules', false],
    [['**'], 'anything/at/all', true],
    [['dist/**'], 'dist/a/b', true],
    [['dist/**'], 'dist', false], // the directory itself stays; only its contents go
    [['a/**/b'], 'a/b', true],
    [['a/**/b'], 'a/x/y/b', true],
    [['a/**/b'], 'a/xb', false],
    [['**foo'], 'barfoo', true], // a leading ** is a suffix compare in patternmatcher; buildah 1.28 keeps barfoo
    [['**foo'], 'a/foo/x', true],
    [['**/foo/**'], 'x/foo/y', true],
    [['**/foo/**'], 'foo/y', true],
  ],
  'the last matching line wins': [
    [['*.md', '!README.md'], 'README.md', false],
    [['*.md', '!README.md'], 'a.md', true],
    [['!README.md', '*.md'], 'README.md', true],
    [['skip', '!skip/sub/inner'], 'skip/sub/inner/s3', false], // buildah
    [['skip', '!skip/sub/inner'], 'skip/sub/s2', true], // buildah
    [['skip', '!skip/sub/inner'], 'skip', true],
    [['**/*.log', '!other/o.log'], 'other/o.log', false], // buildah
    [['docs', '!docs/keep.md', 'docs/keep.md'], 'docs/keep.md', true],
    [['*', '!keep', 'keep/x'], 'keep/y', false],
    [['*', '!keep', 'keep/x'], 'keep/x', true],
  ],
  'the root is never excluded': [
    [['*'], '.', false],
    [['**'], '', false],
  ],
};

describe('isExcluded (MatchesOrParentMatches)', () => {
  for (const [what, table] of Object.entries(rows)) {
    it(what, () => {
      for (const [patterns, path, excluded] of table) {
        expect(isExcluded(compileIgnore(patterns), path), `${JSON.stringify(patterns)} ${path}`).toBe(excluded);
      }
    });
  }

  it('refuses a lone ! and a malformed glob with DOCKERIGNORE_BAD_PATTERN', () => {
    for (const bad of [['!'], ['['], ['a[b'], ['[]'], ['[a-]'], ['x\\']]) {
      expect(() => compileIgnore(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'DOCKERIGNORE_BAD_PATTERN' }));
    }
  });

  it('compiles literal patterns to string compares and the rest to a readable RegExp', () => {
    const [plain, star, deep, under] = compileIgnore(['a/b', '*.go', '**/x', 'd/**']).patterns;
    expect([plain!.kind, star!.kind, deep!.kind, under!.kind]).toEqual(['exact', 'regexp', 'suffix', 'prefix']);
    expect(star!.re!.source).toBe('^[^/]*\\.go$');
  });
});

describe('the walk, the exceptions and the CLI-only rules', () => {
  it('walkMatch carries a parent directory’s matches down, as the docker CLI’s tar walk does', () => {
    // Only a repeated pattern after an exception tells the two apart: the CLI sends dir/keep.
    const rules = compileIgnore(['dir', '!dir/keep', 'dir']);
    const dir = walkMatch(rules, 'dir', null);
    expect(dir.excluded).toBe(true);
    expect(walkMatch(rules, 'dir/keep', dir.matches).excluded).toBe(false);
    expect(isExcluded(rules, 'dir/keep')).toBe(true);
  });

  it('mustDescend: an exception written under an excluded directory keeps the walk going', () => {
    expect(mustDescend(compileIgnore(['docs', '!docs/keep.md']), 'docs')).toBe(true);
    expect(mustDescend(compileIgnore(['docs', '!docs/keep.md']), 'doc')).toBe(false);
    expect(mustDescend(compileIgnore(['docs']), 'docs')).toBe(false);
    // Only the exception's text is compared: `!**/keep.md` does not reopen docs/.
    expect(mustDescend(compileIgnore(['docs', '!**/keep.md']), 'docs')).toBe(false);
  });

  it('keepBuildFiles adds exceptions for .dockerignore and the Dockerfile when ignored', () => {
    expect(keepBuildFiles(['*'], 'Dockerfile', false)).toEqual(['*', '!.dockerignore', '!Dockerfile']);
    expect(keepBuildFiles(['sub'], 'sub/Dockerfile', false)).toEqual(['sub', '!sub/Dockerfile']);
    expect(keepBuildFiles(['x'], 'Dockerfile', false)).toEqual(['x']);
    expect(keepBuildFiles(['*'], '-', true)).toEqual(['*', '!.dockerignore']);
  });

  it('legacyMatches compares a parent only at the pattern’s depth (the deprecated Matches)', () => {
    expect(legacyMatches(compileIgnore(['**/c']), 'a/b/c/Dockerfile')).toBe(false);
    expect(isExcluded(compileIgnore(['**/c']), 'a/b/c/Dockerfile')).toBe(true);
    expect(legacyMatches(compileIgnore(['a/*']), 'a/b/c/Dockerfile')).toBe(true);
  });
});

describe("Go's filepath.Match", () => {
  const table: [string, string, boolean][] = [
    ['*.txt', 'a.txt', true],
    ['*.txt', 'd/a.txt', false],
    ['d*', 'dir', true],
    ['*/f', 'd/f', true],
    ['[a-c]?', 'b9', true],
    ['[^a-c]', 'd', true],
    ['[^a-c]', '/', true], // a negated class does match a slash in Go
    ['[\\]]', ']', true],
    ['\\*', '*', true],
    ['é?', 'éx', true],
  ];
  it('matches as Go does', () => {
    for (const [p, name, want] of table) expect(globMatch(p, name), `${p} ${name}`).toBe(want);
  });
  it('refuses malformed patterns with GLOB_BAD_PATTERN', () => {
    for (const bad of ['[', '[]', '[]a]', '[-a]', '[a-]', '[^]', 'a\\']) {
      expect(() => globMatch(bad, 'a'), bad).toThrow(expect.objectContaining({ code: 'GLOB_BAD_PATTERN' }));
    }
  });
  it('knows a wildcard from an escaped one', () => {
    expect(hasWildcards('*.txt')).toBe(true);
    expect(hasWildcards('a[b]')).toBe(true);
    expect(hasWildcards('a\\*b')).toBe(false);
    expect(hasWildcards('plain/name')).toBe(false);
  });
});
