// A pull, from the CLI's side (chapter 4): what `dockling pull` does, and what `run` and
// `create` do when the daemon answers 404 for a missing image (create-pulling.ts). One request:
//
//   POST /images/create?fromImage=docker.io%2Flibrary%2Fbusybox&tag=latest[&platform=linux/arm64]
//   X-Registry-Auth: <the credentials kept for docker.io, or e30=>
//
// whose JSON message stream is drawn as it comes (messages.ts). The caller decides where the
// drawing goes: stdout for `pull`, stderr for the pull inside `run` (its stdout belongs to the
// container), nowhere with -q.
import { jsonMessages, type ApiClient } from './client.js';
import { displayMessages, type JSONMessage, type MessageOutput } from './messages.js';
import { imageName, registryAuthHeader, type ImageName } from './registry-auth.js';
import type { VerbContext } from './verb.js';

export interface PullArgs {
  client: ApiClient;
  /** As typed: `busybox`, `localhost:5000/app:v1`, `app@sha256:…`. */
  name: string;
  platform?: string;
  /** Where progress is drawn; nothing is drawn without one (-q). */
  progress?: MessageOutput;
  ctx: Pick<VerbContext, 'stdout' | 'stderr'>;
}

/**
 * Pulls. A refusal before the stream (no such tag, a wrong password) throws the DaemonError; a
 * failure inside it resolves with its message, which the caller prints in its own words.
 */
export async function pullImage(a: PullArgs): Promise<{ error?: string; name: ImageName }> {
  const name = imageName(a.name);
  const res = await a.client.ok('POST', '/images/create', {
    query: { fromImage: name.repository, tag: name.tag, platform: a.platform || undefined },
    headers: { 'X-Registry-Auth': await registryAuthHeader(name.registry) },
  });
  const { error } = await displayMessages(jsonMessages(res) as AsyncIterable<JSONMessage>, a.progress ?? { write: () => true });
  return { name, ...(error !== undefined ? { error } : {}) };
}
