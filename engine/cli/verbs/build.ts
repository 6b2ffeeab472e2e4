// `dockling build [OPTIONS] PATH`: the classic builder's client side (chapter 5). As the docker
// CLI does, it packs the context directory into a tar itself — leaving out what .dockerignore
// names, keeping the Dockerfile — streams it to `POST /build` while counting the bytes, and
// draws the JSON messages that come back. The tar is sent while it is made — the request goes
// out first, naming the Dockerfile, and the packer writes into its body at the pace the daemon
// reads: a context of any size takes no more memory than a few chunks.
//
//   $ dockling build -t myapp:1 .
//   Sending build context to Docker daemon  3.072kB
//   Step 1/3 : FROM busybox
//    ---> a2d7a1433fda
//   …
//   Successfully tagged myapp:1
//
// A failed RUN ends the stream with its exit status, which becomes this command's.
import { PassThrough, Transform } from 'node:stream';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { jsonMessages } from '../client.js';
import { displayMessages, type JSONMessage } from '../messages.js';
import { humanSize } from '../format/size.js';
import { contextDockerfileName, packContext } from '../../build/client.js';
import { registryConfigHeader } from '../registry-auth.js';

/** `--build-arg K=V` → {K: V}; a bare `K` takes K from this environment (null when unset: the daemon then ignores it). */
function keyValues(list: string[], fromEnv: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else if (eq < 0 && item) out[item] = fromEnv ? (process.env[item] ?? null) : '';
    else throw new CliError(`invalid argument "${item}": want KEY=VALUE`);
  }
  return out;
}

export const verb: Verb = {
  usage: 'build [OPTIONS] PATH',
  description: 'Build an image from a Dockerfile',
  args: { exact: 1 },
  flags: [
    { name: 'tag', short: 't', type: 'strings', value: 'list', description: 'Name and optionally a tag in the "name:tag" format' },
    { name: 'file', short: 'f', type: 'string', value: 'string', description: 'Name of the Dockerfile (Default is "PATH/Dockerfile")' },
    { name: 'build-arg', type: 'strings', value: 'list', description: 'Set build-time variables' },
    { name: 'label', type: 'strings', value: 'list', description: 'Set metadata for an image' },
    { name: 'no-cache', type: 'bool', description: 'Do not use cache when building the image' },
    { name: 'target', type: 'string', value: 'string', description: 'Set the target build stage to build.' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the build output and print image ID on success' },
    { name: 'force-rm', type: 'bool', description: 'Always remove intermediate containers' },
    { name: 'network', type: 'string', value: 'string', description: 'Set the networking mode for the RUN instructions during build (default "default")' },
    { name: 'platform', type: 'string', value: 'string', description: 'Set platform if server is multi-platform capable' },
  ],
  async run(ctx) {
    const f = ctx.flags;
    const quiet = f.quiet === true;
    // 1. the context, packed as it is sent; the bytes counted on their way to the daemon
    const body = new PassThrough();
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sent += chunk.length;
        cb(null, chunk);
      },
    });
    counter.pipe(body);
    const where = { dir: ctx.args[0]!, ...(f.file ? { dockerfile: f.file as string } : {}), cwd: process.cwd() };
    let named: ReturnType<typeof contextDockerfileName>;
    try {
      named = contextDockerfileName(where);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    // 2. the request, its body the tar as it is packed (step 3 reads the answer)
    const request = ctx.client().ok('POST', '/build', {
      query: {
        dockerfile: named.dockerfile,
        t: (f.tag as string[] | undefined) ?? [],
        q: quiet,
        nocache: f['no-cache'] === true,
        forcerm: f['force-rm'] === true,
        target: f.target as string | undefined,
        networkmode: f.network as string | undefined,
        platform: f.platform as string | undefined,
        buildargs: JSON.stringify(keyValues((f['build-arg'] as string[] | undefined) ?? [], true)),
        labels: JSON.stringify(keyValues((f.label as string[] | undefined) ?? [], false)),
        version: '1',
      },
      body,
      headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked', 'X-Registry-Config': await registryConfigHeader() },
    });
    // A daemon that refuses at once (a bad flag) stops the packing: its error is the one to show.
    const refused = request.then(() => new Promise<never>(() => {}));
    refused.catch(() => {});
    const packing = packContext({ ...where, ...(named.addedName ? { addedName: named.addedName } : {}), out: counter }).then(
      (packed) => {
        counter.end();
        return packed;
      },
      (err: unknown) => {
        counter.destroy(err as Error);
        throw new CliError(`${(err as Error).message}`);
      },
    );
    packing.catch(() => {});
    await Promise.race([packing, refused, new Promise<never>((_r, reject) => counter.once('error', reject))]).catch((err: unknown) => {
      body.destroy();
      throw err instanceof CliError ? err : new CliError(String((err as Error).message));
    });
    if (!quiet) ctx.stdout.write(`Sending build context to Docker daemon  ${humanSize(sent)}\n`);
    // 3. the build, its messages drawn as they come
    const res = await request;
    let failure: { message: string; code?: number } | undefined;
    let id: string | undefined;
    async function* watched(): AsyncGenerator<JSONMessage> {
      for await (const m of jsonMessages(res) as AsyncIterable<JSONMessage>) {
        if (m.errorDetail) failure = { message: m.errorDetail.message ?? 'unknown error', ...(m.errorDetail.code ? { code: m.errorDetail.code } : {}) };
        if (typeof m.aux?.ID === 'string') id = m.aux.ID;
        yield m;
      }
    }
    // -q: nothing but the image ID at the end (the aux message carries it).
    await displayMessages(watched(), quiet ? { write: () => true } : ctx.stdout);
    if (quiet && id && !failure) ctx.stdout.write(`${id}\n`);
    if (failure) {
      ctx.stderr.write(`${failure.message}\n`);
      return failure.code && failure.code > 0 ? failure.code : 1;
    }
    return 0;
  },
};
