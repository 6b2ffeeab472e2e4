// Writes a tar the daemon streams (save, export) to `-o FILE` or to stdout, as the docker CLI
// does: never to a terminal, and a failed write leaves no partial file behind.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { CliError } from './errors.js';
import type { VerbContext } from './verb.js';

export async function writeArchive(a: { ctx: VerbContext; output?: string; what: string; fetch: () => Promise<IncomingMessage> }): Promise<void> {
  // Checked before the request, so nothing is asked of the daemon for an output that will fail.
  if (!a.output && a.ctx.stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const res = await a.fetch();
  if (!a.output) {
    await pipeline(res, a.ctx.stdout, { end: false });
    return;
  }
  try {
    await pipeline(res, createWriteStream(a.output));
  } catch (err) {
    await rm(a.output, { force: true });
    throw new CliError(`failed to ${a.what} to ${a.output}: ${(err as Error).message}`);
  }
}
