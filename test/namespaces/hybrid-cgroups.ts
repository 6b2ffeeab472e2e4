// crun on a hybrid cgroup machine (peer-baselines.md, "What failed"): crun refuses while the
// cgroup2 mount beside the v1 hierarchies holds a controller — here hugetlb ("cgroups in hybrid
// mode not supported, drop all controllers from cgroupv2"). The fix is to bind hugetlb to a v1
// hierarchy of its own (mount -t cgroup -o hugetlb), which takes it out of cgroup2.
//
// When: once for the whole test run, in test/global-setup.ts, and only when a file of the run
// runs crun and crun really refuses this machine; put back at the end of the run. Not around
// each crun test: the other worker runs runc at the same moment (isolation.test.ts,
// runtime-runc.test.ts), and runc puts its containers into every mounted v1 hierarchy, so a
// hierarchy mounted and unmounted mid-run could be in use when it is taken down (rmdir EBUSY,
// or a hierarchy that outlives its mount and keeps hugetlb from cgroup2 until it is emptied).
// For the whole run the layout never changes while a test runs. (The engine itself does not
// mind either way: detectCgroups lists hugetlb when it is on v1, but a container's cgroup uses
// memory, cpu, cpuacct, pids and freezer only — cgroup-v1.ts V1_CONTROLLERS.)
//
// Two runs at once (two checkouts, or a second `vitest run` beside the first) share the host: the
// state of the move is kept in /run (gone with the mount at reboot) with the list of runs that
// hold it, under a lock file; the first run moves, the last one puts it back. A run killed
// before its teardown is found dead by the next run, which puts hugetlb back then.
//
// The tests call crunSkipReason() / withHugetlbMovedToV1(): they never move anything themselves.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';
const UNIFIED = `${CGROUP_ROOT}/unified`;
/** Where the v1 hugetlb hierarchy is mounted: where crun (and runc) look for it. */
export const HUGETLB_V1 = `${CGROUP_ROOT}/hugetlb`;
const STATE_DIR = '/run/dockling-test-cgroups';
const STATE_FILE = `${STATE_DIR}/hugetlb.json`;
const LOCK_FILE = `${STATE_DIR}/hugetlb.lock`;
export const CRUN_BINARIES = ['/usr/bin/crun', '/usr/sbin/crun'];
/** crun's words when it refuses a hybrid machine. */
export const HYBRID_REFUSAL = 'cgroups in hybrid mode not supported';

/** What test/global-setup.ts did about crun, given to the test files (vitest provide/inject). */
export type CrunCgroups =
  | { state: 'as-is'; why: string } // nothing to move: crun runs on this machine as it is, or no file of the run runs crun
  | { state: 'moved' } // hugetlb is on a v1 hierarchy for the whole run
  | { state: 'impossible'; reason: string }; // crun refuses this machine and hugetlb cannot be moved

declare module 'vitest' {
  export interface ProvidedContext {
    crunCgroups: CrunCgroups;
  }
}

// ── for the tests ─────────────────────────────────────────────────────────────────────────

/**
 * Why crun cannot run in this run (printed, and the test reported skipped), or undefined: then
 * crun must work, and a crun that fails fails the test.
 */
export async function crunSkipReason(): Promise<string | undefined> {
  const { inject } = await import('vitest');
  const status = inject('crunCgroups');
  if (status === undefined) {
    // Without test/global-setup.ts nothing was moved: crun runs only if it has nothing to refuse.
    return (readUnified('cgroup.controllers') ?? []).length > 0 ? `cgroup2 at ${UNIFIED} holds controllers and test/global-setup.ts (which moves hugetlb) did not run` : undefined;
  }
  return status.state === 'impossible' ? status.reason : undefined;
}

/** Runs `fn` (a crun run) unless crun cannot run in this run: then prints why and returns 'skipped'. */
export async function withHugetlbMovedToV1<T>(fn: () => Promise<T>, what = 'crun'): Promise<T | 'skipped'> {
  const reason = await crunSkipReason();
  if (reason !== undefined) {
    console.warn(`skipping ${what}: ${reason}`);
    return 'skipped';
  }
  return fn();
}

// ── the decision, pure ───────────────────────────────────────────────────────────────────

export interface HybridLayout {
  /** /sys/fs/cgroup is itself a cgroup2 mount (no hybrid at all). */
  pureV2: boolean;
  /** /sys/fs/cgroup/unified/cgroup.controllers, or null without that mount. */
  unifiedControllers: string[] | null;
  /** /sys/fs/cgroup/unified/cgroup.subtree_control: the controllers cgroup2's groups use. */
  unifiedSubtreeControl: string[];
  /** What /sys/fs/cgroup/hugetlb is now. */
  target: { kind: 'absent' } | { kind: 'empty-dir' } | { kind: 'other'; what: string };
}

export type HugetlbDecision = { kind: 'as-is'; why: string } | { kind: 'move'; makeDir: boolean } | { kind: 'impossible'; reason: string };

/** Whether the layout can make crun refuse at all (then crun is asked: probeCrun). */
export function crunMayRefuse(l: HybridLayout): boolean {
  return !l.pureV2 && (l.unifiedControllers ?? []).length > 0;
}

/**
 * What to do, given the layout and whether crun refused it: nothing; move hugetlb (making the
 * mount point or using the empty one there); or nothing possible, and why.
 */
export function decideHugetlb(l: HybridLayout, crunRefused: boolean): HugetlbDecision {
  if (!crunMayRefuse(l)) return { kind: 'as-is', why: l.pureV2 ? 'cgroup v2 only' : 'cgroup2 holds no controller' };
  if (!crunRefused) return { kind: 'as-is', why: 'crun accepts this machine as it is' };
  const others = (l.unifiedControllers ?? []).filter((c) => c !== 'hugetlb');
  if (others.length > 0) return { kind: 'impossible', reason: `crun refuses this hybrid machine: cgroup2 holds ${others.join(' ')}, which the tests do not move (only hugetlb)` };
  if (l.unifiedSubtreeControl.includes('hugetlb')) {
    return { kind: 'impossible', reason: `crun refuses this hybrid machine, and hugetlb cannot be moved to cgroup v1: cgroup2's groups use it (${UNIFIED}/cgroup.subtree_control lists it)` };
  }
  if (l.target.kind === 'other') return { kind: 'impossible', reason: `crun refuses this hybrid machine, and hugetlb cannot be moved to cgroup v1: ${HUGETLB_V1} is already ${l.target.what}; not touching it` };
  return { kind: 'move', makeDir: l.target.kind === 'absent' };
}

/** The per-mount options of a v1 hierarchy (field 6 of a mountinfo line), for hugetlb to look like its neighbours. */
export function v1MountOptions(mountinfo: string, root = CGROUP_ROOT): string {
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    const f = (pre ?? '').split(' ');
    if (post?.startsWith('cgroup ') && f[4]?.startsWith(`${root}/`)) return f[5] ?? 'rw';
  }
  return 'rw,nosuid,nodev,noexec,relatime';
}

/** `hugetlb 14 1 1` in /proc/cgroups: the hierarchy id (0: cgroup2) and its number of groups, dying ones included. */
export function hugetlbInProcCgroups(text: string): { hierarchy: number; groups: number } | undefined {
  const line = text.split('\n').find((l) => l.split('\t')[0] === 'hugetlb');
  if (!line) return undefined;
  const [, hierarchy, groups] = line.split('\t').map(Number);
  return { hierarchy: hierarchy!, groups: groups! };
}

// ── the machine ──────────────────────────────────────────────────────────────────────────

function readUnified(file: string): string[] | null {
  try {
    return readFileSync(`${UNIFIED}/${file}`, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return null;
  }
}

function mountedAt(path: string): string | undefined {
  return readFileSync('/proc/self/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === path);
}

export function hybridLayout(): HybridLayout {
  let target: HybridLayout['target'] = { kind: 'absent' };
  if (existsSync(HUGETLB_V1)) {
    const mount = mountedAt(HUGETLB_V1);
    if (mount) target = { kind: 'other', what: `a mount point (${mount})` };
    else if (!lstatSync(HUGETLB_V1).isDirectory()) target = { kind: 'other', what: 'there and not a directory' };
    else if (readdirSync(HUGETLB_V1).length > 0) target = { kind: 'other', what: 'a directory with files in it' };
    else target = { kind: 'empty-dir' };
  }
  return {
    pureV2: existsSync(`${CGROUP_ROOT}/cgroup.controllers`),
    unifiedControllers: readUnified('cgroup.controllers'),
    unifiedSubtreeControl: readUnified('cgroup.subtree_control') ?? [],
    target,
  };
}

/**
 * Asks crun itself: `crun run` of a bundle with an empty rootfs. On a machine it refuses it stops
 * at the cgroup check, before anything is made; elsewhere it fails to find the program.
 */
export function probeCrun(crun: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockling-crun-probe-'));
  try {
    mkdirSync(join(dir, 'rootfs'));
    const spec = spawnSync(crun, ['spec'], { cwd: dir });
    if (spec.status !== 0) return `crun spec: ${spec.stderr.toString().trim()}`;
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { process: { args: string[]; terminal: boolean }; linux: { cgroupsPath?: string } };
    config.process.args = ['/dockling-probe-nothing-here'];
    config.process.terminal = false;
    config.linux.cgroupsPath = `/dockling-crun-probe-${process.pid}`;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const r = spawnSync(crun, ['--root', join(dir, 'state'), 'run', '--bundle', dir, `dockling-crun-probe-${process.pid}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return `${r.stderr?.toString() ?? ''}${r.stdout?.toString() ?? ''}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function waitUntil(ok: () => boolean, ms: number): boolean {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    sleepSync(50);
  }
  return true;
}

/** A process as `pid:starttime`, so that a reused pid is not taken for a run that is gone. */
function processId(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}
const alive = (id: string) => processId(Number(id.split(':')[0])) === id;

/** The move's state, kept while any run holds it. */
interface MoveState {
  /** We made the mount point (else an empty directory was there and stays). */
  madeDir: boolean;
  /** The mount options used, to mount the same hierarchy again while putting it back. */
  options: string;
  /** The cgroup lines of /proc/self/mounts before the move: what putting back must give again. */
  mountsBefore: string[];
  /** The runs (processId) that use the move; the last one out puts hugetlb back. */
  holders: string[];
}

/** The lines of /proc/self/mounts under /sys/fs/cgroup (the tmpfs itself included). */
const cgroupMounts = () => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => (l.split(' ')[1] ?? '').startsWith(CGROUP_ROOT));

function readState(): MoveState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as MoveState;
  } catch {
    return undefined;
  }
}

function writeState(s: MoveState | undefined): void {
  if (s) writeFileSync(STATE_FILE, JSON.stringify(s, null, 2));
  else rmSync(STATE_FILE, { force: true });
}

/** One run at a time in the state file and the mounts: an exclusive lock file naming its holder. */
function withLock<T>(fn: () => T): T {
  mkdirSync(STATE_DIR, { recursive: true });
  const me = processId(process.pid)!;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, 'wx');
      writeSync(fd, me);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = '';
      try {
        owner = readFileSync(LOCK_FILE, 'utf8');
      } catch {
        continue; // just released
      }
      if (owner !== '' && !alive(owner)) {
        // its run died holding it (read again: another run may have just replaced it)
        let now = '';
        try {
          now = readFileSync(LOCK_FILE, 'utf8');
        } catch {
          // gone already
        }
        if (now === owner) rmSync(LOCK_FILE, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${LOCK_FILE} held by ${owner || 'a starting run'} for 120 s`);
      sleepSync(50);
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(LOCK_FILE);
  }
}

/** The hold of one run on the move: release() puts hugetlb back if this run is the last holder. */
export interface HugetlbHold {
  status: CrunCgroups;
  release(): void;
}

/**
 * For test/global-setup.ts: makes crun runnable for this run if it is not (and can be), and says
 * what was done. `wanted`: a file of this run runs crun.
 */
export function holdHugetlbForCrun(wanted: boolean): HugetlbHold {
  const none = (status: CrunCgroups): HugetlbHold => ({ status, release: () => {} });
  if (process.getuid?.() !== 0) return none({ state: 'as-is', why: 'not root (the crun tests need root and skip)' });
  return withLock(() => {
    let state = readState();
    if (state) {
      state.holders = state.holders.filter(alive);
      if (state.holders.length === 0) {
        // A run died before its teardown: put hugetlb back now (this run moves it again if it must).
        console.warn(`hugetlb was left on cgroup v1 by a run that is gone; putting it back`);
        try {
          putBack(state);
        } catch (err) {
          writeState(state);
          throw err;
        }
        writeState(undefined);
        state = undefined;
      }
    }
    const crun = CRUN_BINARIES.find((p) => existsSync(p));
    if (!wanted) return none({ state: 'as-is', why: 'no file of this run runs crun' });
    if (!crun) return none({ state: 'as-is', why: 'crun is not installed' });
    const me = processId(process.pid)!;
    if (state) {
      // Another run moved it and is still running: share its move.
      if (!mountedAt(HUGETLB_V1) || (readUnified('cgroup.controllers') ?? []).includes('hugetlb')) {
        return none({ state: 'impossible', reason: `another run (${state.holders.join(', ')}) moved hugetlb, but ${HUGETLB_V1} is not mounted now` });
      }
      state.holders.push(me);
      writeState(state);
      return { status: { state: 'moved' }, release: () => release(me) };
    }
    const layout = hybridLayout();
    const refused = crunMayRefuse(layout) && probeCrun(crun).includes(HYBRID_REFUSAL);
    const decision = decideHugetlb(layout, refused);
    if (decision.kind === 'as-is') return none({ state: 'as-is', why: decision.why });
    if (decision.kind === 'impossible') return none({ state: 'impossible', reason: decision.reason });
    const options = v1MountOptions(readFileSync('/proc/self/mountinfo', 'utf8'));
    const moved: MoveState = { madeDir: decision.makeDir, options, mountsBefore: cgroupMounts(), holders: [me] };
    if (decision.makeDir) {
      try {
        mkdirSync(HUGETLB_V1);
      } catch (err) {
        return none({ state: 'impossible', reason: `crun refuses this hybrid machine, and ${HUGETLB_V1} cannot be made: ${(err as Error).message}` });
      }
    }
    const mount = spawnSync('mount', ['-t', 'cgroup', '-o', `${options},hugetlb`, 'cgroup', HUGETLB_V1]);
    if (mount.status !== 0) {
      if (decision.makeDir) rmdirSync(HUGETLB_V1);
      return none({ state: 'impossible', reason: `crun refuses this hybrid machine, and hugetlb cannot be moved to cgroup v1: mount: ${mount.stderr.toString().trim()}` });
    }
    writeState(moved); // from here on, whatever happens, the next run knows what to put back
    if ((readUnified('cgroup.controllers') ?? []).includes('hugetlb')) {
      putBack(moved);
      writeState(undefined);
      return none({ state: 'impossible', reason: 'hugetlb stayed in cgroup2 after the v1 mount' });
    }
    console.warn(`crun refuses this hybrid machine ("${HYBRID_REFUSAL}"): hugetlb moved from cgroup2 to a v1 hierarchy at ${HUGETLB_V1} for this run`);
    return { status: { state: 'moved' }, release: () => release(me) };
  });
}

function release(me: string): void {
  withLock(() => {
    const state = readState();
    if (!state) throw new Error(`hugetlb: the state of the move (${STATE_FILE}) is gone; the cgroup mounts are: ${cgroupMounts().join('; ')}`);
    state.holders = state.holders.filter((h) => h !== me && alive(h));
    if (state.holders.length > 0) {
      writeState(state); // another run still uses it; the last one puts it back
      console.warn(`hugetlb stays on cgroup v1: another run (${state.holders.join(', ')}) still uses it and puts it back when it ends`);
      return;
    }
    putBack(state);
    writeState(undefined);
    console.warn('hugetlb put back into cgroup2; the cgroup mounts are as before the run');
  });
}

/** rmdir of a cgroup: true when it is gone, false while it is in use (EBUSY). */
function removeGroup(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'EBUSY') return false;
    throw err;
  }
}

/**
 * Puts hugetlb back into cgroup2, and checks the cgroup mounts are as before. A v1 hierarchy is
 * destroyed at unmount only if it has no child group at that moment — a just-removed group stays
 * a dying child for a moment, and then the hierarchy outlives its mount. So: remove the groups
 * (the run's runc/crun parents; the hierarchy was made by the run), wait until /proc/cgroups
 * counts only the root, unmount, and if hugetlb is not back, mount the same hierarchy again and
 * retry. A group still in use stops it all, mounted (consistent), with the reason.
 */
function putBack(s: MoveState): void {
  const mount = () => spawnSync('mount', ['-t', 'cgroup', '-o', `${s.options},hugetlb`, 'cgroup', HUGETLB_V1]);
  const back = () => (readUnified('cgroup.controllers') ?? []).includes('hugetlb');
  const groups = () => hugetlbInProcCgroups(readFileSync('/proc/cgroups', 'utf8'))?.groups ?? 0;
  for (let attempt = 0; attempt < 6 && !back(); attempt++) {
    if (!mountedAt(HUGETLB_V1)) {
      if (!existsSync(HUGETLB_V1)) mkdirSync(HUGETLB_V1);
      const m = mount();
      if (m.status !== 0) throw new Error(`hugetlb: mount ${HUGETLB_V1} again to empty it: ${m.stderr.toString().trim()}`);
    }
    const dirs = spawnSync('find', [HUGETLB_V1, '-mindepth', '1', '-depth', '-type', 'd']).stdout.toString().split('\n').filter(Boolean);
    for (const d of dirs) {
      // a container that was just removed can take a moment to leave its group
      if (waitUntil(() => removeGroup(d), 5000)) continue;
      const procs = existsSync(`${d}/cgroup.procs`) ? readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n').filter(Boolean) : [];
      throw new Error(`hugetlb left on cgroup v1: ${d} is in use (pids ${procs.join(' ') || 'none'}). When it is free: find ${HUGETLB_V1} -mindepth 1 -depth -type d -delete; umount ${HUGETLB_V1}${s.madeDir ? `; rmdir ${HUGETLB_V1}` : ''}`);
    }
    waitUntil(() => groups() <= 1, 3000);
    const u = spawnSync('umount', [HUGETLB_V1]);
    if (u.status !== 0) throw new Error(`hugetlb left on cgroup v1: umount ${HUGETLB_V1}: ${u.stderr.toString().trim()}`);
    waitUntil(back, 2000);
  }
  if (!back()) {
    const holders = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/mountinfo`, 'utf8').includes(` ${HUGETLB_V1} `);
      } catch {
        return false;
      }
    });
    throw new Error(`hugetlb is not back in cgroup2 after unmounting ${HUGETLB_V1} (its hierarchy is still alive${holders.length ? `; mounted in the mount namespaces of pids ${holders.join(' ')}` : ''})`);
  }
  if (s.madeDir && existsSync(HUGETLB_V1)) rmdirSync(HUGETLB_V1);
  const now = cgroupMounts();
  if (JSON.stringify(now) !== JSON.stringify(s.mountsBefore)) {
    throw new Error(`hugetlb is back in cgroup2, but the cgroup mounts differ from before the move:\nbefore: ${s.mountsBefore.join('\n        ')}\nnow:    ${now.join('\n        ')}`);
  }
}
