// The base image both builders start from when a chapter 5 test (or the build benchmark) says
// `FROM busybox`: one root filesystem tar, made here from the host's static busybox, that the
// reference builder (buildah-store.ts importBase) and Dockling (`dockling import`, i.e.
// POST /images/create?fromSrc=-) each import with the same config — so any difference in what
// they build comes from the builders, never from their bases.
//
// The tree is the one test/bench/registry.ts and peer-bench/01-rootfs.sh make (busybox's applets
// as symlinks from `busybox --install -s`), plus a `nobody` account so that `USER nobody` and
// `--chown=nobody` resolve. Its config is Docker Hub busybox's: PATH in Env (without it buildah
// writes a default PATH into every image it builds and Docker's classic builder does not) and
// `CMD ["sh"]`.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp.js';

/** The name buildah's storage holds the base under; buildah resolves `FROM busybox` to it. */
export const BASE_NAME = 'localhost/busybox:latest';

/** The base's config: Env and Cmd as Docker Hub's busybox has them. */
export const BASE_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
export const BASE_CMD = ['sh'];
/** The same config as `docker import --change` lines: what Dockling's import is given. */
export const BASE_CHANGES = [...BASE_ENV.map((e) => `ENV ${e}`), `CMD ${JSON.stringify(BASE_CMD)}`];

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? '/bin/busybox';
const DIRS = ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'var', 'run', 'home'];
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

function run(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.error?.message || '').trim()}`);
}

/**
 * Writes the rootfs under `dir/rootfs` and packs it into `dir/rootfs.tar` (names relative, no
 * "./" entry, numeric root owner, every mtime the busybox binary's: the same bytes each time).
 * Needs root (`chroot` for `busybox --install -s`).
 */
export function makeBaseRootfs(dir: string): { rootfs: string; tar: string } {
  const rootfs = join(dir, 'rootfs');
  const tar = join(dir, 'rootfs.tar');
  for (const d of DIRS) mkdirSync(join(rootfs, d), { recursive: true, mode: 0o755 });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  chmodSync(join(rootfs, 'root'), 0o700);
  copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  run(['chroot', rootfs, '/bin/busybox', '--install', '-s']);
  writeFileSync(join(rootfs, 'etc/passwd'), PASSWD, { mode: 0o644 });
  writeFileSync(join(rootfs, 'etc/group'), GROUP, { mode: 0o644 });
  const mtime = Math.floor(statSync(BUSYBOX).mtimeMs / 1000);
  run(['tar', '--numeric-owner', '--owner=0', '--group=0', '--sort=name', `--mtime=@${mtime}`, '-C', rootfs, '-cf', tar, ...readdirSync(rootfs).sort()]);
  return { rootfs, tar };
}

let made: Promise<string> | undefined;

/**
 * The base rootfs tar, made once per test file (or benchmark process) in a temp dir that
 * test/tmp.ts removes after the file (the benchmark calls removeTempDirs itself).
 */
export function baseRootfsTar(): Promise<string> {
  made ??= tempDir('dkl-busybox-base-').then((dir) => makeBaseRootfs(dir).tar);
  return made;
}
