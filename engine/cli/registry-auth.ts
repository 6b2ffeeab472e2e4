// What the CLI works out before a pull or a push, as the docker CLI does (chapter 4 from the
// client's chair): the full name of the image (`busybox` is docker.io/library/busybox:latest),
// which registry it lives on, and the credentials `login` kept for that registry in
// $DOCKER_CONFIG/config.json, sent to the daemon — which keeps none — as X-Registry-Auth:
//
//   X-Registry-Auth: base64url({"username":"bob","password":"secret","serveraddress":"localhost:5000"})
//   X-Registry-Auth: e30=          ← base64 of {}: nothing kept for that registry
//
// The name rules are chapter 1's (layers' reference grammar), the file is chapter 4's
// (CredentialStore): this file only puts them together.
import { EngineError } from '../base/index.js';
import { familiarName, fullName, parseReference, repositoryOf } from '../layers/index.js';
import { CredentialStore, credentialKey, dockerConfigPath } from '../registry/index.js';
import { CliError } from './errors.js';

export interface ImageName {
  /** `docker.io/library/busybox:latest`: what docker prints after a pull. */
  full: string;
  /** `busybox:latest`: what docker says in `Unable to find image 'busybox:latest' locally`. */
  familiar: string;
  /** `docker.io/library/busybox`: the fromImage of a pull, the path of a push. */
  repository: string;
  /** The tag, or the digest, as the API's `tag` parameter carries either. */
  tag: string;
  /** The registry's domain: what credentials are kept under. */
  registry: string;
  /** True when the user gave neither tag nor digest (docker says `Using default tag: latest`). */
  defaultTag: boolean;
}

/** A name as typed, normalised; a bad one is docker's `invalid reference format` error. */
export function imageName(name: string): ImageName {
  try {
    const given = parseReference(name, { defaultTag: false });
    const ref = given.tag || given.digest ? given : { ...given, tag: 'latest' };
    return {
      full: fullName(ref), familiar: familiarName(ref), repository: repositoryOf(ref),
      tag: ref.digest ?? ref.tag!, registry: ref.domain, defaultTag: ref !== given,
    };
  } catch (err) {
    if (err instanceof EngineError) throw new CliError(err.message);
    throw err;
  }
}

/** The credential store the docker CLI uses: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function credentialStore(env: NodeJS.ProcessEnv = process.env): CredentialStore {
  return new CredentialStore(dockerConfigPath(env));
}

/** A config.json operation; a broken file (not JSON, a bad `auth`) is a CLI error naming it. */
export async function withConfigFile<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof EngineError) throw new CliError(`Error: ${err.message}`);
    throw err;
  }
}

// #region registry-auth-header
/** The X-Registry-Auth header for a registry, from config.json (`e30=` when nothing is kept). */
export async function registryAuthHeader(registry: string, store: CredentialStore = credentialStore()): Promise<string> {
  const credentials = await withConfigFile(() => store.get(registry));
  const doc = credentials ? { username: credentials.username, password: credentials.password, serveraddress: credentialKey(registry) } : {};
  // base64url *with* its padding, as Go's base64.URLEncoding writes it.
  return Buffer.from(JSON.stringify(doc)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
// #endregion registry-auth-header

/**
 * X-Registry-Config: every credential config.json keeps, keyed by server as it is written there,
 * base64url — what the docker CLI sends with a build, whose FROM lines may pull from any of them.
 */
export async function registryConfigHeader(store: CredentialStore = credentialStore()): Promise<string> {
  const doc: Record<string, { username: string; password: string; serveraddress: string }> = {};
  for (const server of await withConfigFile(() => store.servers())) {
    const c = await withConfigFile(() => store.get(server));
    if (c) doc[server] = { username: c.username, password: c.password, serveraddress: server };
  }
  return Buffer.from(JSON.stringify(doc)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
