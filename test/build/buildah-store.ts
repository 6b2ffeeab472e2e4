// A private buildah (Debian's 1.28), the reference builder of chapter 5's tests and benchmark:
// its image storage (--root), run state (--runroot), containers.conf, storage.conf, runtime
// state and TMPDIR all live under one directory, so nothing lands in the host's storage, and
// remove() takes it all away — buildah's containers and images first, then every mount under
// the directory, then the directory.
//
// What buildah needs on this machine (peer-baselines.md, "What failed"):
//   - root here lacks CAP_SYS_RESOURCE, so a container may not get an rlimit above our hard
//     limits (podman 4.3 asks for nofile=1048576: "setrlimit RLIMIT_NOFILE: Operation not
//     permitted"). buildah 1.28 itself asks only for nproc=32768, below this host's hard limit,
//     and runs without help; containers.conf still pins nofile and nproc to the hard limits
//     (nproc at most 32768: higher values were refused), so a host with lower ones works too.
//   - buildah's default runtime, crun 1.8, refuses a cgroup v1 "hybrid" host whose cgroup2 mount
//     offers a controller ("cgroups in hybrid mode not supported"). runc does not mind, and runs
//     as fast here (cold builds 1.4–1.9 s with either), so RUN goes through runc with its state
//     under our directory (--runtime-flag root=…) and the host's cgroup layout is left alone.
//     Without runc, --isolation chroot (no runtime at all).
//   - the default network ("private") has netavark make a podman0 bridge and firewall rules on
//     the host for every RUN; `network: 'none'` keeps the host's network untouched (the tests:
//     results do not depend on it), 'default' is buildah as people run it (the benchmark: our
//     RUN steps get a bridge too).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BASE_CMD, BASE_ENV, BASE_NAME } from './busybox-base.js';

/** buildah exited non-zero: the command, its status and what it said. Tests check `code`. */
export class BuildahFailed extends Error {
  readonly code = 'BUILDAH_FAILED';
  constructor(readonly data: { argv: string[]; exitCode: number | null; stdout: string; stderr: string }) {
    super(`buildah ${data.argv.join(' ')} exited ${data.exitCode ?? 'on a signal'}: ${data.stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
}

export interface BuildahOutput { stdout: string; stderr: string }

/** Container hard limits a process of ours may set: `ulimit -H`, nproc capped at 32768. */
function hardLimits(): { nofile: string; nproc: string } {
  const r = spawnSync('sh', ['-c', 'ulimit -Hn; ulimit -Hu'], { encoding: 'utf8' });
  const [nofile = '1024', nprocRaw = '32768'] = r.stdout.trim().split('\n');
  const nproc = nprocRaw === 'unlimited' || Number(nprocRaw) > 32768 ? '32768' : nprocRaw;
  return { nofile: nofile === 'unlimited' ? '1048576' : nofile, nproc };
}

/** True when runc is on PATH: RUN steps use OCI isolation through it, else chroot isolation. */
export function haveRunc(): boolean {
  return spawnSync('runc', ['--version']).status === 0;
}

/** Mount points at or under `dir`, deepest first (mountinfo field 5, octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  const decode = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => decode(l.split(' ')[4] ?? ''))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export class BuildahStore {
  private constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
    /** --root, --runroot, --storage-driver: before every buildah verb. */
    private readonly storageArgs: string[],
    /** How RUN steps run: isolation, runtime, network. */
    private readonly runArgs: string[],
  ) {}

  /** Writes the configuration into `dir` (made if missing); nothing else happens until a command runs. */
  static create(a: { dir: string; network: 'none' | 'default' }): BuildahStore {
    const { dir } = a;
    const [storage, runroot, tmp, runtimeRoot] = ['storage', 'run', 'tmp', 'runc'].map((d) => join(dir, d)) as [string, string, string, string];
    for (const d of [storage, runroot, tmp, runtimeRoot]) mkdirSync(d, { recursive: true });
    const { nofile, nproc } = hardLimits();
    writeFileSync(join(dir, 'containers.conf'), [
      '[containers]', `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      '[engine]', 'cgroup_manager = "cgroupfs"', '',
    ].join('\n'));
    writeFileSync(join(dir, 'storage.conf'), ['[storage]', 'driver = "overlay"', `graphroot = "${storage}"`, `runroot = "${runroot}"`, ''].join('\n'));
    // Settings from the caller's environment would change what buildah does: ours only.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(BUILDAH_|CONTAINERS_|REGISTRY_AUTH_FILE$|TMPDIR$)/.test(k)));
    Object.assign(env, { CONTAINERS_CONF: join(dir, 'containers.conf'), CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'), TMPDIR: tmp });
    const isolation = haveRunc() ? ['--isolation', 'oci', '--runtime', 'runc', '--runtime-flag', `root=${runtimeRoot}`] : ['--isolation', 'chroot'];
    const network = a.network === 'none' ? ['--network', 'none'] : [];
    return new BuildahStore(dir, env, ['--root', storage, '--runroot', runroot, '--storage-driver', 'overlay'], [...isolation, ...network]);
  }

  /** The whole argv of one buildah verb against this storage (for callers that time it). */
  argv(args: string[]): string[] {
    return [...this.storageArgs, ...args];
  }

  /**
   * `buildah build` as the tests and the benchmark run it: cache layers (--layers), Docker's
   * config and history (--format docker), no pulls, no io.buildah.version label; `args` go
   * before the context directory, which comes last. The whole argv, for callers that time it.
   */
  buildArgv(args: string[], context: string): string[] {
    return this.argv(['build', '--layers', '--format', 'docker', '--pull=never', '--identity-label=false', ...this.runArgs, ...args, context]);
  }

  /** Runs one buildah verb; a non-zero exit (or `timeoutMs` passing: SIGKILL) is BuildahFailed. */
  run(args: string[], opts: { timeoutMs?: number } = {}): Promise<BuildahOutput> {
    return this.exec(this.argv(args), opts.timeoutMs);
  }

  /** Runs `buildah build` (buildArgv) to the end. */
  build(args: string[], context: string, opts: { timeoutMs?: number } = {}): Promise<BuildahOutput> {
    return this.exec(this.buildArgv(args, context), opts.timeoutMs);
  }

  private exec(argv: string[], timeoutMs = 300_000): Promise<BuildahOutput> {
    return new Promise((resolve, reject) => {
      const child = spawn('buildah', argv, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new BuildahFailed({ argv, exitCode: code, stdout, stderr }))));
    });
  }

  /** Imports the base rootfs tar as `name` (a working container from scratch, the tar added, committed). */
  async importBase(tar: string, name = BASE_NAME): Promise<void> {
    const box = 'dockling-base';
    await this.run(['from', '--name', box, 'scratch']);
    await this.run(['add', box, tar, '/']); // a local tar is extracted at /
    await this.run(['config', ...BASE_ENV.flatMap((e) => ['--env', e]), '--cmd', JSON.stringify(BASE_CMD), box]);
    await this.run(['commit', '--rm', '-q', '--format', 'docker', '--identity-label=false', box, name]);
  }

  /** Containers and images removed, everything mounted under the directory unmounted, the directory gone. */
  async remove(): Promise<void> {
    if (!existsSync(this.dir)) return;
    await this.run(['rm', '--all']).catch(() => {});
    await this.run(['rmi', '--all', '--force']).catch(() => {});
    // The overlay driver bind-mounts its own home, and a killed build can leave a layer mounted.
    for (const m of mountsUnder(this.dir)) {
      if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
    }
    const left = mountsUnder(this.dir);
    if (left.length) throw new Error(`buildah storage ${this.dir}: still mounted after umount: ${left.join(', ')}`);
    await rm(this.dir, { recursive: true, force: true });
  }
}
