// The rules of the remote API as plain data, without root or a network: which -H the daemon
// accepts and how it guards each (listen-plan.ts), what the read-only listener lets through
// (read-only-api.ts), daemon.json's listen keys, and which daemon the CLI picks (connection.ts).
import { describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { planListeners, type TlsSettings } from '../../engine/daemon/listen-plan.js';
import { checkReadOnly } from '../../engine/daemon/read-only-api.js';
import { mergeListenConfig, readDaemonConfig } from '../../engine/daemon/daemon-config.js';
import { resolveConnection } from '../../engine/cli/connection.js';
import { parseGlobalFlags } from '../../engine/cli/global-flags.js';
import { parseDockerEndpoint } from '../../engine/cli/verbs/context.js';
import { transportFor } from '../../engine/cli/transport.js';
import { tempDir } from '../tmp.js';

const verify: TlsSettings = { tlsverify: true, tlscacert: 'ca.pem', tlscert: 'server-cert.pem', tlskey: 'server-key.pem' };
const codeOf = (f: () => unknown) => {
  try {
    f();
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  }
};

describe('planListeners', () => {
  it('unix sockets, TCP with mutual TLS (Docker default port 2376), and loopback read-only with --tls=false (2375)', () => {
    expect(planListeners(['unix:///run/d.sock', 'tcp://0.0.0.0'], verify)).toEqual([
      { kind: 'unix', host: 'unix:///run/d.sock', path: '/run/d.sock' },
      { kind: 'tcp', host: 'tcp://0.0.0.0', address: '0.0.0.0', port: 2376, access: 'mutual-tls' },
    ]);
    expect(planListeners(['tcp://127.0.0.1', 'tcp://[::1]:2380', 'tcp://localhost:2381'], { tls: false })).toEqual([
      { kind: 'tcp', host: 'tcp://127.0.0.1', address: '127.0.0.1', port: 2375, access: 'read-only' },
      { kind: 'tcp', host: 'tcp://[::1]:2380', address: '::1', port: 2380, access: 'read-only' },
      { kind: 'tcp', host: 'tcp://localhost:2381', address: '127.0.0.1', port: 2381, access: 'read-only' },
    ]);
  });

  it.each([
    ['TCP_WITHOUT_TLS', 'tcp://10.0.0.5:2375', { tls: false }],
    ['TCP_WITHOUT_TLS', 'tcp://0.0.0.0:2375', { tls: false }],
    ['TCP_WITHOUT_TLS', 'tcp://127.0.0.1:2375', {}],
    ['TLS_WITHOUT_VERIFY', 'tcp://0.0.0.0:2376', { tls: true, tlscacert: 'ca.pem', tlscert: 'c.pem', tlskey: 'k.pem' }],
    ['TLS_FILE_MISSING', 'tcp://0.0.0.0:2376', { tlsverify: true, tlscert: 'c.pem', tlskey: 'k.pem' }],
    ['HOST_INVALID', 'tcp://daemon.example:2376', verify],
    ['HOST_INVALID', 'tcp://0.0.0.0:2376/path', verify],
    ['HOST_INVALID', 'unix://relative.sock', {}],
    ['HOST_INVALID', 'fd://', {}],
  ] as Array<[string, string, TlsSettings]>)('%s for %s', (code, host, tls) => {
    expect(codeOf(() => planListeners([host], tls))).toBe(code);
  });
});

describe('checkReadOnly', () => {
  it.each([
    [{ method: 'GET', host: '127.0.0.1:2375' }, null],
    [{ method: 'HEAD', host: 'localhost:2375' }, null],
    [{ method: 'POST', host: '127.0.0.1:2375' }, /POST refused: .*read-only/],
    [{ method: 'DELETE', host: '127.0.0.1:2375' }, /DELETE refused/],
    [{ method: 'GET', host: 'evil.example:2375' }, /Host "evil.example:2375" is refused/],
    [{ method: 'GET', host: '127.0.0.1:2375', origin: 'http://evil.example' }, /web pages/],
  ])('%o', (request, expected) => {
    const verdict = checkReadOnly(request, 2375);
    if (expected === null) expect(verdict).toBeNull();
    else {
      expect(verdict?.status).toBe(403);
      expect(verdict?.message).toMatch(expected);
    }
  });
});

describe("daemon.json's listen keys", () => {
  it('reads hosts and the tls keys with their types; a flag and the file together is a conflict', async () => {
    const path = join(await tempDir('dkl-cfg-'), 'daemon.json');
    await writeFile(path, JSON.stringify({ hosts: ['tcp://0.0.0.0:2376'], tlsverify: true, tlscacert: '/etc/dockling/ca.pem', tlscert: '/c.pem', tlskey: '/k.pem' }));
    const file = await readDaemonConfig(path, { required: true });
    expect(file).toEqual({ hosts: ['tcp://0.0.0.0:2376'], tlsverify: true, tlscacert: '/etc/dockling/ca.pem', tlscert: '/c.pem', tlskey: '/k.pem' });
    expect(mergeListenConfig({ hosts: [] }, file, path)).toMatchObject({ hosts: ['tcp://0.0.0.0:2376'], tlsverify: true });
    expect(codeOf(() => mergeListenConfig({ hosts: ['unix:///x.sock'] }, file, path))).toBe('DAEMON_CONFIG_CONFLICT');
    expect(codeOf(() => mergeListenConfig({ hosts: [], tlsverify: true }, file, path))).toBe('DAEMON_CONFIG_CONFLICT');
    await writeFile(path, JSON.stringify({ tlsverify: 'yes' }));
    await expect(readDaemonConfig(path, { required: true })).rejects.toMatchObject({ code: 'DAEMON_CONFIG_INVALID', message: expect.stringContaining('"tlsverify" must be true or false') });
  });
});

describe('which daemon the CLI talks to', () => {
  it('global flags stop at the verb; --tls* take Docker spellings', () => {
    expect(parseGlobalFlags(['-H', 'tcp://h:2376', '--tlsverify', '--tlscacert=/ca.pem', 'ps', '-a'])).toEqual({
      flags: { host: 'tcp://h:2376', tlsverify: true, tlscacert: '/ca.pem' }, rest: ['ps', '-a'],
    });
    expect(parseGlobalFlags(['--tls=false', 'version']).flags).toEqual({ tls: false });
    expect(() => parseGlobalFlags(['--tlsverify=maybe', 'ps'])).toThrow('invalid argument "maybe"');
    expect(() => parseGlobalFlags(['--nope', 'ps'])).toThrow('unknown flag: --nope');
  });

  it('-H over DOCKLING_HOST over --context over DOCKLING_CONTEXT over the current context', async () => {
    const config = await tempDir('dkl-ctx-');
    await mkdir(join(config, 'contexts', 'lab'), { recursive: true });
    await writeFile(join(config, 'contexts', 'lab', 'meta.json'), JSON.stringify({ Name: 'lab', Description: '', Host: 'tcp://10.0.0.5:2376', SkipTLSVerify: false }));
    await writeFile(join(config, 'contexts', 'lab', 'ca.pem'), 'x');
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'lab' }));
    const env = { DOCKLING_CONFIG: config, HOME: config };
    expect(resolveConnection({}, env)).toMatchObject({ host: 'tcp://10.0.0.5:2376', context: 'lab', tls: { tls: true, verify: true, certPath: join(config, 'contexts', 'lab') } });
    expect(resolveConnection({}, { ...env, DOCKLING_HOST: 'unix:///a.sock' })).toMatchObject({ host: 'unix:///a.sock', context: 'default' });
    expect(resolveConnection({ host: 'unix:///b.sock' }, { ...env, DOCKLING_HOST: 'unix:///a.sock' }).host).toBe('unix:///b.sock');
    expect(resolveConnection({}, { ...env, DOCKLING_CONTEXT: 'default' }).host).toBe('unix:///run/dockling.sock');
    expect(resolveConnection({ context: 'lab' }, { ...env, DOCKLING_HOST: 'unix:///a.sock', DOCKLING_CONTEXT: 'default' }).host).toBe('tcp://10.0.0.5:2376');
    expect(() => resolveConnection({ context: 'gone' }, env)).toThrow('context "gone" does not exist');
    expect(() => resolveConnection({ context: 'lab', host: 'unix:///b.sock' }, env)).toThrow('conflicting options');
    // DOCKLING_TLS_VERIFY set to anything is --tlsverify; the files default to DOCKLING_CERT_PATH.
    expect(resolveConnection({ host: 'tcp://h:2376' }, { ...env, DOCKLING_TLS_VERIFY: '1', DOCKLING_CERT_PATH: '/certs' }).tls).toMatchObject({ tls: true, verify: true, certPath: '/certs' });
  });

  it('transports: unix socket, plain tcp, and --tlsverify needs the CA before it dials', () => {
    expect(transportFor('unix:///run/d.sock').options).toEqual({ socketPath: '/run/d.sock' });
    expect(transportFor('tcp://127.0.0.1').options).toEqual({ host: '127.0.0.1', port: 2375 });
    expect(() => transportFor('tcp://10.0.0.5:2376', { tls: true, verify: true, certPath: '/nonexistent-dkl' })).toThrow('--tlsverify needs the CA');
    expect(() => transportFor('http://x')).toThrow('invalid host http://x');
  });

  it("context create's --docker: Docker's key=value list", () => {
    expect(parseDockerEndpoint('host=tcp://h:2376,ca=/ca.pem,cert=/c.pem,key=/k.pem')).toEqual({ host: 'tcp://h:2376', ca: '/ca.pem', cert: '/c.pem', key: '/k.pem', skipTlsVerify: false });
    expect(() => parseDockerEndpoint('host=tcp://h:2376,colour=blue')).toThrow('unrecognized config key: colour');
    expect(() => parseDockerEndpoint('host=tcp://h:2376,cert=/c.pem')).toThrow('cert and key go together');
    expect(() => parseDockerEndpoint('ca=/ca.pem')).toThrow('host=… is required');
  });
});
