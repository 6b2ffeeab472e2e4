// The daemon's side of chapter 4's settings, as tables: --insecure-registry and
// --registry-mirror checked as dockerd checks them, daemon.json's registry keys (and what it
// refuses), X-Registry-Auth as clients encode it, and the pull route's reference and platform
// rules. Then `dockling daemon` itself: refusing bad settings before it starts, and reading a
// config file it is given.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../../engine/base/index.js';
import { checkRegistrySettings, registryConfigView } from '../../engine/daemon/registry-settings.js';
import { mergeDaemonConfig, readDaemonConfig } from '../../engine/daemon/daemon-config.js';
import { registryAuth } from '../../engine/daemon/registry-auth.js';
import { platformOf, pullReference } from '../../engine/daemon/routes/registry.js';
import { MAIN, api, startDaemon, type RunningDaemon } from './harness.js';
import { tempDir } from '../tmp.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as EngineError).code;
  }
  return 'no error';
}

async function asyncCodeOf(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'no error', (err) => (err as EngineError).code);
}

describe('checkRegistrySettings', () => {
  it.each([
    [{ insecureRegistries: ['workshop:5000', '10.0.0.0/8', 'workshop:5000'] }, { insecureRegistries: ['workshop:5000', '10.0.0.0/8'], mirrors: [] }],
    [{ mirrors: ['https://mirror.example', 'http://127.0.0.1:5000/'] }, { insecureRegistries: [], mirrors: ['https://mirror.example/', 'http://127.0.0.1:5000/'] }],
    [{}, { insecureRegistries: [], mirrors: [] }],
  ])('%j is kept as %j', (given, want) => {
    expect(checkRegistrySettings(given)).toEqual(want);
  });

  it.each([
    ['INVALID_INSECURE_REGISTRY', { insecureRegistries: ['http://workshop:5000'] }],
    ['INVALID_INSECURE_REGISTRY', { insecureRegistries: [''] }],
    ['INVALID_INSECURE_REGISTRY', { insecureRegistries: ['10.0.0.0/40'] }],
    ['INVALID_INSECURE_REGISTRY', { insecureRegistries: ['300.0.0.0/8'] }],
    ['INVALID_MIRROR', { mirrors: ['mirror.example'] }],
    ['INVALID_MIRROR', { mirrors: ['ftp://mirror.example'] }],
    ['INVALID_MIRROR', { mirrors: ['https://mirror.example/v2/'] }],
    ['INVALID_MIRROR', { mirrors: ['https://user@mirror.example'] }],
  ])('%s for %j', (code, given) => {
    expect(codeOf(() => checkRegistrySettings(given))).toBe(code);
  });

  it("the view: CIDRs (loopback's always), host entries as insecure index configs, Hub with the mirrors", () => {
    expect(registryConfigView({ insecureRegistries: ['w:5000', '10.0.0.0/8'], mirrors: ['https://m.example/'] })).toEqual({
      InsecureRegistryCIDRs: ['10.0.0.0/8', '::1/128', '127.0.0.0/8'],
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: ['https://m.example/'], Secure: true, Official: true },
        'w:5000': { Name: 'w:5000', Mirrors: [], Secure: false, Official: false },
      },
      Mirrors: ['https://m.example/'],
    });
  });
});

describe('daemon.json', () => {
  it('reads the registry keys; a missing file is nothing unless it was named', async () => {
    const dir = await tempDir('dkl-cfg-');
    const path = join(dir, 'daemon.json');
    await writeFile(path, JSON.stringify({ 'insecure-registries': ['w:5000'], 'registry-mirrors': ['https://m.example'] }));
    expect(await readDaemonConfig(path, { required: true })).toEqual({ insecureRegistries: ['w:5000'], registryMirrors: ['https://m.example'] });
    expect(await readDaemonConfig(join(dir, 'none.json'), { required: false })).toEqual({});
    expect(await asyncCodeOf(readDaemonConfig(join(dir, 'none.json'), { required: true }))).toBe('DAEMON_CONFIG_UNREADABLE');
  });

  it.each([
    ['DAEMON_CONFIG_INVALID', '{"insecure-registries": ['],
    ['DAEMON_CONFIG_INVALID', '["w:5000"]'],
    ['DAEMON_CONFIG_INVALID', '{"insecure-registries": "w:5000"}'],
    ['DAEMON_CONFIG_INVALID', '{"live-restore": true}'],
    ['DAEMON_CONFIG_INVALID', '{"data-root": 7}'],
    ['DAEMON_CONFIG_INVALID', '{"log-level": "verbose"}'],
    ['DAEMON_CONFIG_INVALID', '{"default-address-pools": [{"base": "10.10.0.0/16", "size": 26}]}'],
    ['DAEMON_CONFIG_INVALID', '{"default-address-pools": [{"base": "10.10.0.0/16"}, {"base": "10.11.0.0/16"}]}'],
  ])('%s for %s', async (code, text) => {
    const path = join(await tempDir('dkl-cfg-'), 'daemon.json');
    await writeFile(path, text);
    expect(await asyncCodeOf(readDaemonConfig(path, { required: true }))).toBe(code);
  });

  it('a setting in both the flags and the file is refused; otherwise each fills in', () => {
    const flags = { insecureRegistries: ['a:1'], registryMirrors: [] };
    expect(codeOf(() => mergeDaemonConfig(flags, { insecureRegistries: ['b:2'] }, 'daemon.json'))).toBe('DAEMON_CONFIG_CONFLICT');
    expect(mergeDaemonConfig(flags, { registryMirrors: ['https://m.example'] }, 'daemon.json')).toEqual({ insecureRegistries: ['a:1'], registryMirrors: ['https://m.example'] });
  });
});

describe('X-Registry-Auth', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const url = (s: string) => Buffer.from(s).toString('base64url');
  // A password whose JSON encodes to + and / in standard base64: the alphabets differ there.
  const tricky = { username: 'bob', password: 's>?~~>?' };
  it.each([
    ['e30= (the CLI, logged out)', 'e30=', undefined],
    ['unpadded {}', 'e30', undefined],
    ['base64url, padded', b64(JSON.stringify(tricky)).replace(/\+/g, '-').replace(/\//g, '_'), tricky],
    ['base64url, unpadded', url(JSON.stringify(tricky)), tricky],
    ['standard base64', b64(JSON.stringify(tricky)), tricky],
    ['config.json-style auth', url(JSON.stringify({ auth: b64('bob:se:cret') })), { username: 'bob', password: 'se:cret' }],
    ['a user with no password field', url(JSON.stringify({ username: 'bob' })), undefined],
    ['not JSON', url('{{{'), undefined],
    ['no header', undefined, undefined],
  ])('%s', (_what, header, want) => {
    expect(registryAuth(header)).toEqual(want);
  });
});

describe('pull parameters', () => {
  it.each([
    ['docker.io/library/busybox', 'latest', 'docker.io/library/busybox:latest'],
    ['docker.io/library/busybox', null, 'docker.io/library/busybox'],
    ['localhost:5000/app', `sha256:${'a'.repeat(64)}`, `localhost:5000/app@sha256:${'a'.repeat(64)}`],
  ])('fromImage=%s tag=%s is %s', (fromImage, tag, want) => {
    expect(pullReference(fromImage, tag)).toBe(want);
  });

  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['arm64', { os: 'linux', architecture: 'arm64' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    [null, undefined],
  ])('platform=%s', (text, want) => {
    expect(platformOf(text)).toEqual(want);
  });
});

describe('dockling daemon and its registry settings', () => {
  let d: RunningDaemon | undefined;
  afterEach(async () => {
    await d?.stop();
    d = undefined;
  });

  /** `dockling daemon` expected to refuse to start: its exit code and stderr (killed after 20 s if it starts). */
  async function refused(args: string[]): Promise<{ code: number; stderr: string }> {
    const dir = await tempDir('dkl-refuse-');
    const child = spawn(process.execPath, [MAIN, 'daemon', '--data-root', join(dir, 'root'), '-H', `unix://${join(dir, 'd.sock')}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
    clearTimeout(timer);
    return { code, stderr };
  }

  it('refuses a bad mirror, a bad insecure entry, and a flag repeated in the config file, before it starts', async () => {
    const bad = await refused(['--registry-mirror', 'mirror.example']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^dockling daemon: invalid mirror: "mirror\.example" is not a URL/);
    const scheme = await refused(['--insecure-registry', 'http://w:5000']);
    expect(scheme.stderr).toContain("insecure registry http://w:5000 should not contain '://'");
    const dir = await tempDir('dkl-cfg-');
    const path = join(dir, 'daemon.json');
    await writeFile(path, JSON.stringify({ 'insecure-registries': ['b:2'] }));
    const both = await refused(['--insecure-registry', 'a:1', '--config-file', path]);
    expect(both.stderr).toContain('the following directives are specified both as a flag and in the configuration file');
    const missing = await refused(['--config-file', join(dir, 'nope.json')]);
    expect(missing.stderr).toContain(`unable to read the configuration file ${join(dir, 'nope.json')}`);
  });

  it('takes its registry settings from --config-file', async () => {
    const dir = await tempDir('dkl-cfg-');
    const path = join(dir, 'daemon.json');
    await writeFile(path, JSON.stringify({ 'insecure-registries': ['workshop:5000'], 'registry-mirrors': ['https://mirror.example'] }));
    d = await startDaemon({ args: ['--config-file', path] });
    const info = (await api(d.sock, 'GET', '/v1.50/info')).json();
    expect(info.RegistryConfig.Mirrors).toEqual(['https://mirror.example/']);
    expect(info.RegistryConfig.IndexConfigs['workshop:5000']).toEqual({ Name: 'workshop:5000', Mirrors: [], Secure: false, Official: false });
  });
});
