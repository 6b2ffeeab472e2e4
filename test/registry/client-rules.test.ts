// The registry client's rules as tables: which endpoint a registry gets (Docker Hub's API host,
// HTTPS first, insecure when loopback or listed, mirrors for Hub names only), how a
// WWW-Authenticate challenge reads, the config.json keys, and the progress texts.
import { describe, expect, it } from 'vitest';
import {
  credentialKey, credentialsFromRegistryAuth, endpointOf, humanSize, isInsecure, parseChallenges, progressBar, pullEndpoints, registryOfServer,
} from '../../engine/registry/index.js';

describe('endpoints', () => {
  // Every registry starts on HTTPS; an insecure one (loopback, or listed) is not verified and may
  // fall back to plain HTTP (scheme-resolver.ts), a secure one never does.
  const cases: Array<[string, string[], string, boolean]> = [
    ['docker.io', [], 'https://registry-1.docker.io', false],
    ['registry.example.com', [], 'https://registry.example.com', false],
    ['registry.example.com:5000', [], 'https://registry.example.com:5000', false],
    ['localhost:5000', [], 'https://localhost:5000', true],
    ['127.0.0.1:5000', [], 'https://127.0.0.1:5000', true],
    ['127.5.6.7', [], 'https://127.5.6.7', true],
    ['[::1]:5000', [], 'https://[::1]:5000', true],
    ['registry.lan:5000', ['registry.lan:5000'], 'https://registry.lan:5000', true],
    ['registry.lan:5001', ['registry.lan:5000'], 'https://registry.lan:5001', false],
    ['registry.lan:5001', ['registry.lan'], 'https://registry.lan:5001', true],
    ['10.1.2.3:5000', ['10.0.0.0/8'], 'https://10.1.2.3:5000', true],
    ['11.1.2.3:5000', ['10.0.0.0/8'], 'https://11.1.2.3:5000', false],
  ];
  it.each(cases)('%s with insecure %j → %s (insecure: %s)', (registry, insecure, url, expected) => {
    const endpoint = endpointOf(registry, insecure);
    expect(endpoint.url.origin).toBe(url);
    expect(endpoint.insecure).toBe(expected);
    expect(isInsecure(registry, insecure)).toBe(expected);
  });

  it('tries the mirrors first for Docker Hub names only, each in its own scheme', () => {
    const opts = { mirrors: ['https://mirror.example', 'http://127.0.0.1:5555/'] };
    expect(pullEndpoints('docker.io', opts).map((e) => [e.url.origin, e.mirror, e.insecure])).toEqual([
      ['https://mirror.example', true, false], ['http://127.0.0.1:5555', true, true], ['https://registry-1.docker.io', false, false],
    ]);
    expect(pullEndpoints('docker.io', { ...opts, insecureRegistries: ['mirror.example'] })[0]).toMatchObject({ insecure: true });
    expect(pullEndpoints('quay.io', opts).map((e) => e.url.origin)).toEqual(['https://quay.io']);
    expect(() => pullEndpoints('docker.io', { mirrors: ['ftp://x'] })).toThrow(expect.objectContaining({ code: 'INVALID_MIRROR' }));
  });
});

describe('WWW-Authenticate challenges', () => {
  it('reads Docker Hub\'s Bearer challenge', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
  });

  it('reads Basic, several challenges in one header, tokens, escapes and commas in quotes', () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    expect(parseChallenges('Basic realm="a, b", Bearer realm="https://x/token",error=insufficient_scope,scope="repository:a:pull,push"')).toEqual([
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'bearer', params: { realm: 'https://x/token', error: 'insufficient_scope', scope: 'repository:a:pull,push' } },
    ]);
    expect(parseChallenges('Bearer realm="say \\"hi\\""')).toEqual([{ scheme: 'bearer', params: { realm: 'say "hi"' } }]);
    expect(parseChallenges(['Basic realm=r', 'Bearer realm=t'])).toEqual([{ scheme: 'basic', params: { realm: 'r' } }, { scheme: 'bearer', params: { realm: 't' } }]);
    expect(parseChallenges(undefined)).toEqual([]);
  });
});

describe('config.json keys', () => {
  const cases: Array<[string, string, string]> = [
    ['https://index.docker.io/v1/', 'https://index.docker.io/v1/', 'docker.io'],
    ['docker.io', 'https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'https://index.docker.io/v1/', 'docker.io'],
    ['localhost:5000', 'localhost:5000', 'localhost:5000'],
    ['http://localhost:5000/v2/', 'localhost:5000', 'localhost:5000'],
    ['https://Registry.Example.com', 'registry.example.com', 'registry.example.com'],
  ];
  it.each(cases)('%s is kept under %s (registry %s)', (server, key, registry) => {
    expect(credentialKey(server)).toBe(key);
    expect(registryOfServer(server)).toBe(registry);
  });
});

describe('X-Registry-Auth', () => {
  it('decodes what the docker CLI sends, logged in or not', () => {
    const header = Buffer.from(JSON.stringify({ username: 'bob', password: 's3cr?t>', serveraddress: 'https://index.docker.io/v1/' })).toString('base64url');
    expect(credentialsFromRegistryAuth(header)).toEqual({ username: 'bob', password: 's3cr?t>' });
    expect(credentialsFromRegistryAuth(Buffer.from(JSON.stringify({ username: 'bob', password: 's3cr?t>' })).toString('base64'))).toEqual({ username: 'bob', password: 's3cr?t>' });
    expect(credentialsFromRegistryAuth('e30=')).toBeUndefined();
    expect(credentialsFromRegistryAuth('not json at all')).toBeUndefined();
    expect(credentialsFromRegistryAuth(undefined)).toBeUndefined();
  });
});

describe('progress texts', () => {
  it('sizes and bars as the docker CLI shows them', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1048576)).toBe('1.049MB');
    expect(humanSize(2155123)).toBe('2.155MB');
    expect(humanSize(3 * 1000 ** 3)).toBe('3GB');
    expect(progressBar(1048576, 2155123)).toBe(`[${'='.repeat(24)}>${' '.repeat(25)}]  1.049MB/2.155MB`);
    expect(progressBar(10, 10)).toBe(`[${'='.repeat(50)}]      10B/10B`);
  });
});
