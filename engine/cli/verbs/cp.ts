// `dockling cp`: files between a container and this machine (chapter 2). The daemon's side is
// Docker's archive API — a tar of one container path out (with its stat in the
// X-Docker-Container-Path-Stat header), a tar into a container directory in. This side decides
// where things land, Docker's way, and lets the host's GNU tar read and write the local files:
//   cp x:/etc/passwd f        f is a file (or, if f is a directory, f/passwd)
//   cp x:/etc d               d/etc when d exists, else d itself becomes the copy
//   cp x:/etc/. d             the contents of /etc into d
//   cp f x:/tmp/              /tmp/f;  cp f x:/tmp/g → /tmp/g
import { spawn } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Verb, VerbContext } from '../verb.js';
import { CliError, DaemonError } from '../errors.js';

interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

const GO_MODE_DIR = 2 ** 31;

/** `ctr:/path` → [ctr, /path]; a local path (`./a:b` or `/a:b`) has no container part. */
export function splitCopyArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  return i > 0 ? { container: arg.slice(0, i), path: arg.slice(i + 1) } : { path: arg };
}

/** GNU tar's `--transform` renaming the top name `from` (and what is under it) to `to`, not symlink targets. */
function rename(from: string, to: string): string[] {
  const re = from.replace(/[\\.[\]*^$,]/g, '\\$&');
  const rep = to.replace(/[\\&,]/g, '\\$&');
  return [`--transform=s,^${re}\\(/\\|$\\),${rep}\\1,S`];
}

/**
 * The host's tar, fed from `io.stdin` when given. `stop()` ends it: when the daemon's side of a
 * copy fails halfway (the daemon died, say), tar would otherwise wait for ever — for input that
 * never comes, or for room in a pipe nobody reads — and keep this command from exiting.
 */
function runTar(args: string[], io: { stdin?: Readable }): { stdout: Readable; done: Promise<void>; stop: () => void } {
  const child = spawn('tar', args, { stdio: [io.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const stop = () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  if (io.stdin) {
    child.stdin!.on('error', () => {});
    io.stdin.on('error', stop).on('aborted', stop);
    io.stdin.pipe(child.stdin!);
  }
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new CliError(`tar: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new CliError(`tar ${args[0]} failed (${code}): ${err.trim()}`))));
  });
  return { stdout: child.stdout!, done, stop };
}

const localStat = (p: string) => lstatSync(p, { throwIfNoEntry: false });
const contentsOf = (p: string) => p === '.' || p.endsWith('/.');

// #region copy-out
async function copyOut(ctx: VerbContext, container: string, src: string, dest: string): Promise<void> {
  const res = await ctx.client().ok('GET', `/containers/${encodeURIComponent(container)}/archive`, { query: { path: src } });
  if (dest === '-') return void (await pipeline(res, ctx.stdout, { end: false }));
  const header = res.headers['x-docker-container-path-stat'];
  const stat = JSON.parse(Buffer.from(String(header ?? ''), 'base64').toString('utf8') || '{}') as PathStat;
  const srcIsDir = (stat.mode & GO_MODE_DIR) !== 0;
  const there = localStat(dest);
  let dir = dest;
  let extra: string[] = [];
  if (there?.isDirectory()) {
    // into the directory, under the source's own name (or its contents for `/.`)
  } else if (there && srcIsDir) {
    res.resume();
    throw new CliError(`cannot copy a directory to a file: ${dest}`);
  } else if (!there && dest.endsWith('/')) {
    res.resume();
    throw new CliError(`destination directory ${dest} does not exist`);
  } else {
    dir = dirname(dest);
    if (!localStat(dir)?.isDirectory()) {
      res.resume();
      throw new CliError(`destination directory ${dir} does not exist`);
    }
    extra = rename(stat.name === '/' ? '.' : stat.name, basename(dest));
  }
  const tar = runTar(['-x', '-f', '-', '-C', dir, ...extra], { stdin: res });
  tar.stdout.resume();
  // A daemon gone mid-stream: the answer stops without an end, and tar is stopped with it.
  const cut = new Promise<never>((_, reject) => res.once('aborted', () => reject(new CliError('the daemon closed the connection before the archive ended'))));
  await Promise.race([tar.done, cut]);
}
// #endregion copy-out

async function statIn(ctx: VerbContext, container: string, path: string): Promise<PathStat | null> {
  const res = await ctx.client().request('HEAD', `/containers/${encodeURIComponent(container)}/archive`, { query: { path } });
  res.resume();
  if (res.statusCode === 404) {
    // A missing container is an error; a missing path is where the copy will be created.
    await ctx.client().ok('GET', `/containers/${encodeURIComponent(container)}/json`).then((r) => r.resume());
    return null;
  }
  if ((res.statusCode ?? 500) >= 400) throw new DaemonError(res.statusCode ?? 500, `cannot stat ${path} in ${container}`);
  return JSON.parse(Buffer.from(String(res.headers['x-docker-container-path-stat'] ?? ''), 'base64').toString('utf8')) as PathStat;
}

// #region copy-in
async function copyIn(ctx: VerbContext, src: string, container: string, dest: string): Promise<void> {
  const put = async (path: string, body: Readable) => {
    const res = await ctx.client().ok('PUT', `/containers/${encodeURIComponent(container)}/archive`, {
      query: { path, noOverwriteDirNonDir: true },
      body,
      headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' },
    });
    res.resume();
  };
  if (src === '-') return put(dest, ctx.stdin);
  const st = localStat(src);
  if (!st) throw new CliError(`lstat ${src}: no such file or directory`);
  const target = await statIn(ctx, container, dest);
  const targetIsDir = target !== null && (target.mode & GO_MODE_DIR) !== 0;
  if (target && !targetIsDir && st.isDirectory()) throw new CliError(`cannot copy a directory to a file: ${dest}`);
  if (!target && dest.endsWith('/')) throw new CliError(`Error response from daemon: Could not find the file ${dest} in container ${container}`);
  // What goes in the tar: the source under its own name, or its contents (`/.`).
  const [cwd, top] = contentsOf(src) ? [src, '.'] : [dirname(src), basename(src)];
  const into = targetIsDir ? dest : dirname(dest);
  const extra = targetIsDir ? [] : rename(top, basename(dest));
  const tar = runTar(['-c', '-f', '-', '-C', cwd, ...extra, top], {});
  await Promise.all([put(into, tar.stdout), tar.done]).catch((err: unknown) => {
    tar.stop();
    throw err;
  });
}
// #endregion copy-in

export const verb: Verb = {
  usage: 'cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdockling cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  description: "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
  args: { exact: 2 },
  flags: [
    { name: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output during copy' },
  ],
  async run(ctx) {
    const [a, b] = ctx.args.map(splitCopyArg) as [{ container?: string; path: string }, { container?: string; path: string }];
    if (a.container && b.container) throw new CliError('copying between containers is not supported');
    if (!a.container && !b.container) throw new CliError('must specify at least one container source');
    if (a.container) {
      if (!a.path) throw new CliError('filepath can not be empty');
      return copyOut(ctx, a.container, a.path.startsWith('/') ? a.path : `/${a.path}`, b.path);
    }
    if (!b.path) throw new CliError('filepath can not be empty');
    return copyIn(ctx, a.path, b.container!, b.path.startsWith('/') ? b.path : `/${b.path}`);
  },
};
