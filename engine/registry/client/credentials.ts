// Where `login` keeps credentials: Docker's `config.json` (chapter 4), so that `docker` and
// `dockling` share a login. The file is the Docker CLI's:
//
//   {"auths": {"https://index.docker.io/v1/": {"auth": "Ym9iOnNlY3JldA=="},
//              "localhost:5000":              {"auth": "…"}}}
//
// `auth` is base64("user:password") — encoded, not encrypted, which is why the file is
// written 0600. Docker Hub is kept under its historical v1 URL; every other registry under
// host[:port]. Other keys of the file (credsStore, proxies, …) are kept as they were.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeyedMutex, invalid } from '../../base/index.js';
import type { Credentials } from './types.js';

/** The key Docker Hub's credentials live under, and the server `docker login` talks to by default. */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';
const HUB_HOSTS = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];

/**
 * The config.json key for a server given any way people write it: `localhost:5000`,
 * `https://localhost:5000/v2/`, `docker.io` or Hub's v1 URL.
 */
export function credentialKey(server: string): string {
  const host = server.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return HUB_HOSTS.includes(host) ? DOCKER_HUB_SERVER : host;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. The caller passes the environment. */
export function dockerConfigPath(env: Record<string, string | undefined>): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(env.HOME || homedir(), '.docker', 'config.json');
}

/**
 * The credentials in an `X-Registry-Auth` header: base64url JSON the docker CLI sends with
 * pull and push, `{"username","password","serveraddress"}`, or `e30=` (`{}`) when logged out.
 * Undefined when it holds no user name (or is not that JSON): the pull then goes anonymous or
 * with the daemon's own credential store.
 */
export function credentialsFromRegistryAuth(header: string | undefined): Credentials | undefined {
  if (!header) return undefined;
  try {
    // Node's base64 decoder takes both alphabets (the CLI sends the URL-safe one).
    const doc = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { username?: unknown; password?: unknown };
    if (typeof doc.username === 'string' && doc.username && typeof doc.password === 'string') return { username: doc.username, password: doc.password };
  } catch {
    // not base64 JSON: treated as no credentials, like an empty header
  }
  return undefined;
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  [other: string]: unknown;
}

export class CredentialStore {
  private readonly lock = new KeyedMutex();

  constructor(readonly path: string) {}

  /** The credentials kept for a server, if any. */
  async get(server: string): Promise<Credentials | undefined> {
    const key = credentialKey(server);
    const auths = (await this.read()).auths ?? {};
    const entry = Object.entries(auths).find(([k]) => credentialKey(k) === key)?.[1];
    if (!entry) return undefined;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw invalid('INVALID_DOCKER_CONFIG', `${this.path}: the auth for ${key} is not base64("user:password")`, { path: this.path, server: key });
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    return undefined;
  }

  /** Every server with credentials kept, as config.json names it (a build sends them all). */
  async servers(): Promise<string[]> {
    return Object.keys((await this.read()).auths ?? {});
  }

  async set(server: string, username: string, password: string): Promise<void> {
    const key = credentialKey(server);
    await this.change((auths) => {
      for (const k of Object.keys(auths)) if (credentialKey(k) === key) delete auths[k];
      auths[key] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
    });
  }

  /** Forgets a server's credentials; says whether there were any. */
  async remove(server: string): Promise<boolean> {
    const key = credentialKey(server);
    let removed = false;
    await this.change((auths) => {
      for (const k of Object.keys(auths)) {
        if (credentialKey(k) === key) {
          delete auths[k];
          removed = true;
        }
      }
    });
    return removed;
  }

  private async read(): Promise<ConfigFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    try {
      const doc = JSON.parse(text) as ConfigFile;
      if (doc && typeof doc === 'object' && !Array.isArray(doc)) return doc;
    } catch (err) {
      throw invalid('INVALID_DOCKER_CONFIG', `${this.path} is not valid JSON: ${(err as Error).message}`, { path: this.path }, err);
    }
    throw invalid('INVALID_DOCKER_CONFIG', `${this.path} must hold a JSON object`, { path: this.path });
  }

  /** Read-modify-write of the file, one change at a time, replaced atomically and private (0600). */
  private async change(fn: (auths: NonNullable<ConfigFile['auths']>) => void): Promise<void> {
    await this.lock.run('config', async () => {
      const doc = await this.read();
      const auths = { ...(doc.auths ?? {}) };
      fn(auths);
      await writePrivate(this.path, JSON.stringify({ ...doc, auths }, null, '\t') + '\n');
    });
  }
}

async function writePrivate(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path).catch(async (err) => {
    await rm(tmp, { force: true });
    throw err;
  });
}
