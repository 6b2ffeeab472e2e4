// `run` and `create` with an image that is not here yet (chapter 4 meets chapter 3). Like the
// docker CLI, they try the create first, and only when the daemon answers
//
//   404 {"message": "No such image: busybox:latest"}
//
// say `Unable to find image 'busybox:latest' locally` on stderr, pull (its progress on stderr
// too: stdout belongs to the container's output) and create again. `--pull always` pulls first,
// `--pull never` never does. The pull code is loaded only when a pull happens: most runs
// find their image, and should not pay for the name and credential rules on every start.
import { CliError, DaemonError } from './errors.js';
import type { ApiClient } from './client.js';
import type { VerbContext } from './verb.js';

export type PullPolicy = 'missing' | 'always' | 'never';

/** `--pull` as typed, checked (docker's wording and exit code 125 for a bad one). */
export function pullPolicy(value: unknown): PullPolicy {
  const v = value === undefined ? 'missing' : String(value);
  if (v === 'missing' || v === 'always' || v === 'never') return v;
  throw new CliError(`invalid pull option: '${v}': must be one of "always", "missing" or "never"`, 125);
}

/** A pull that failed inside its stream: the message as the registry client put it. */
export class PullFailed extends Error {}

// #region create-pulling
/** `create()` (the POST /containers/create), pulling the image `name` as `policy` says. */
export async function createPulling<T>(a: {
  client: ApiClient; ctx: Pick<VerbContext, 'stdout' | 'stderr'>; name: string; policy: PullPolicy; quiet: boolean; create: () => Promise<T>;
}): Promise<T> {
  const pull = async () => {
    const { pullImage } = await import('./pull-image.js');
    const { error } = await pullImage({ client: a.client, name: a.name, ctx: a.ctx, ...(a.quiet ? {} : { progress: a.ctx.stderr }) });
    if (error !== undefined) throw new PullFailed(error);
  };
  if (a.policy === 'always') await pull();
  try {
    return await a.create();
  } catch (err) {
    const missing = err instanceof DaemonError && err.status === 404 && err.daemonMessage.startsWith('No such image');
    if (!missing || a.policy !== 'missing') throw err;
    const { imageName } = await import('./registry-auth.js');
    a.ctx.stderr.write(`Unable to find image '${imageName(a.name).familiar}' locally\n`);
    await pull();
    return a.create();
  }
}
// #endregion create-pulling
