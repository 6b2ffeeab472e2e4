// Docker's reference normalisation, as a table: what is typed, the full name, the familiar name.
import { describe, expect, it } from 'vitest';
import { familiarName, fullName, parseReference, repositoryOf } from '../../engine/layers/reference.js';

const D = 'sha256:' + 'ab'.repeat(32);

const valid: Array<[string, string, string]> = [
  ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
  ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['index.docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['user/repo:tag', 'docker.io/user/repo:tag', 'user/repo:tag'],
  ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
  ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
  ['localhost:5000/x', 'localhost:5000/x:latest', 'localhost:5000/x:latest'],
  ['localhost:5000/a/b:t', 'localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
  [`host.example:5000/a/b@${D}`, `host.example:5000/a/b@${D}`, `host.example:5000/a/b@${D}`],
  [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`, `busybox:1@${D}`],
  ['my-registry.io/a__b/c.d-e', 'my-registry.io/a__b/c.d-e:latest', 'my-registry.io/a__b/c.d-e:latest'],
  ['Registry.Example/x', 'Registry.Example/x:latest', 'Registry.Example/x:latest'],
  ['ubuntu:Tag_1.0-rc', 'docker.io/library/ubuntu:Tag_1.0-rc', 'ubuntu:Tag_1.0-rc'],
];

const refused = [
  '', 'Busybox', 'docker.io/Library/busybox', 'user/Repo', 'busybox:', 'busybox:-tag', 'busybox:.x',
  `busybox:${'a'.repeat(129)}`, 'busybox@sha256:abc', 'busybox@md5:' + 'a'.repeat(32), 'a//b', '/busybox', 'busybox/',
  'bad_-name', 'a..b/c', 'busy box', 'x:5000:tag/y', `${'a'.repeat(256)}`,
];

describe('parseReference', () => {
  it.each(valid)('%s', (input, full, familiar) => {
    const ref = parseReference(input);
    expect(fullName(ref)).toBe(full);
    expect(familiarName(ref)).toBe(familiar);
  });

  it.each(refused)('refuses %j', (input) => {
    expect(() => parseReference(input)).toThrow(expect.objectContaining({ code: 'INVALID_REFERENCE' }));
  });

  it('names the value in the error', () => {
    expect(() => parseReference('Busybox')).toThrow(/Busybox.*lowercase|lowercase.*Busybox/);
  });

  it('leaves the tag off when asked', () => {
    expect(parseReference('busybox', { defaultTag: false })).toEqual({ domain: 'docker.io', path: 'library/busybox' });
    expect(parseReference(`busybox@${D}`)).toEqual({ domain: 'docker.io', path: 'library/busybox', digest: D });
  });

  it('gives the repository', () => {
    expect(repositoryOf(parseReference('busybox:1'))).toBe('docker.io/library/busybox');
    expect(repositoryOf(parseReference('localhost:5000/a/b:t'))).toBe('localhost:5000/a/b');
  });
});
