// The two registries the command-line registry tests (ours and the docker CLI's) push to and
// pull from, both on 127.0.0.1: dockling registry, open, on a port known before the daemon
// starts (the daemon names it with --insecure-registry and --registry-mirror); the CNCF
// distribution registry behind htpasswd (bob / secret). Plus a DOCKER_CONFIG of the suite's own.
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { freePort, htpasswdFile, startDistribution, startDockling, type Peer } from '../registry/server-harness.js';
import { tempDir } from '../tmp.js';

export const MANIFEST_TYPES = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

export interface RegistryPeers {
  /** The open registry's host:port. */
  H: string;
  open: Peer;
  locked: Peer;
  /** The locked registry's host:port (known once started). */
  L: string;
  dockerConfig: string;
}

/** Started before the file's tests (when `enabled`), stopped after them. */
export async function useRegistryPeers(a: { enabled: boolean; prefix: string }): Promise<RegistryPeers> {
  const peers = { H: `127.0.0.1:${await freePort()}`, L: '', dockerConfig: '' } as RegistryPeers;
  beforeAll(async () => {
    if (!a.enabled) return;
    peers.open = await startDockling({ listen: peers.H });
    const dir = await tempDir(a.prefix);
    peers.locked = await startDistribution({ htpasswd: await htpasswdFile(dir, [{ username: 'bob', password: 'secret' }]) });
    peers.L = new URL(peers.locked.url).host;
    peers.dockerConfig = join(dir, 'docker-config');
  });
  afterAll(async () => {
    await peers.open?.stop();
    await peers.locked?.stop();
  });
  return peers;
}
