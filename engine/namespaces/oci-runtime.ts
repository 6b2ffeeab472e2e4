// Other OCI runtimes, chapter 3: `--runtime runc|crun` starts the very bundle the engine made
// (config.json + the rootfs it mounted) with `runc run --bundle <bundle> <id>` in place of
// dockling's own recipe. The division of work changes: runc makes the namespaces and the cgroup
// itself, from the spec (linux.cgroupsPath, linux.resources), joins the network namespace the
// engine prepared by path, and keeps its own state (under --root) — so signals go through
// `runc kill <id> SIG` and `runc delete` forgets the container and removes its cgroup.
//
// crun and this machine's folklore: crun refuses a "hybrid" cgroup layout whose cgroup2 mount
// still holds a controller (here hugetlb): "cgroups in hybrid mode not supported, drop all
// controllers from cgroupv2". runc does not mind.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { EngineError, invalid } from '../base/index.js';
import type { Spec } from './types.js';

const run = promisify(execFile);

/** The runtimes a container can ask for; `dockling` is the built-in recipe (recipe.ts). */
export const RUNTIME_NAMES = ['dockling', 'runc', 'crun'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];
export const DEFAULT_RUNTIME: RuntimeName = 'dockling';

/** Where each external runtime's binary is looked for (Debian puts runc in /usr/sbin). */
const BINARIES: Record<Exclude<RuntimeName, 'dockling'>, string[]> = {
  runc: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'],
  crun: ['/usr/bin/crun', '/usr/sbin/crun', '/usr/local/bin/crun'],
};

/** HostConfig.Runtime as a runtime name; '' means the default. Unknown names are a 400 at create. */
export function runtimeOf(host: Record<string, unknown>): RuntimeName {
  const name = typeof host['Runtime'] === 'string' ? (host['Runtime'] as string) : '';
  if (name === '') return DEFAULT_RUNTIME;
  if (!(RUNTIME_NAMES as readonly string[]).includes(name)) {
    throw invalid('UNKNOWN_RUNTIME', `unknown or invalid runtime name: ${name}`, { runtime: name, known: [...RUNTIME_NAMES] });
  }
  return name as RuntimeName;
}

/** The binary of an external runtime, or undefined when this machine has none. */
export function runtimeBinary(name: Exclude<RuntimeName, 'dockling'>): string | undefined {
  return BINARIES[name].find((p) => existsSync(p));
}

/** `docker info`'s Runtimes: dockling always, runc and crun where installed. */
export function availableRuntimes(): Record<string, { path: string }> {
  const out: Record<string, { path: string }> = { dockling: { path: 'dockling-init' } };
  for (const name of ['runc', 'crun'] as const) {
    const path = runtimeBinary(name);
    if (path) out[name] = { path };
  }
  return out;
}

/** An external runtime as the start recipe and kill/remove use it: its binary and its state root. */
export interface OciRuntime {
  name: Exclude<RuntimeName, 'dockling'>;
  binary: string;
  /** runc's --root: its state directories (one per container), kept under the data root. */
  root: string;
}

export function ociRuntime(args: { name: Exclude<RuntimeName, 'dockling'>; root: string }): OciRuntime {
  const binary = runtimeBinary(args.name);
  if (!binary) throw new EngineError({ code: 'RUNTIME_MISSING', kind: 'failed-precondition', message: `runtime ${args.name} is not installed (looked in ${BINARIES[args.name].join(', ')})`, data: { runtime: args.name } });
  return { name: args.name, binary, root: args.root };
}

// #region oci-spec
/**
 * The engine's spec, adjusted for a runtime that does its own cgroup and namespaces: a cgroup
 * path of its own (runc creates and removes `<controller>/dockling-runc/<id>`), and the network
 * namespace the engine prepared joined by path (or none at all for --network host).
 */
export function ociSpec(spec: Spec, args: { id: string; runtime: Exclude<RuntimeName, 'dockling'>; netnsPath: string | null }): Spec {
  const namespaces = spec.linux.namespaces
    .map((n) => (n.type === 'network' && args.netnsPath !== null ? { type: n.type, path: args.netnsPath } : n));
  return { ...spec, linux: { ...spec.linux, namespaces, cgroupsPath: `/${ociCgroupName({ name: args.runtime }, args.id)}` } };
}
// #endregion oci-spec

/** The cgroup runc makes for the container (relative to each controller's root), as cgroupName() is dockling's. */
export function ociCgroupName(rt: Pick<OciRuntime, 'name'>, id: string): string {
  return `dockling-${rt.name}/${id}`;
}

/** The command the shim supervises: runc stays in the foreground, its stdio the container's. */
export function ociRunArgv(rt: OciRuntime, args: { bundle: string; id: string }): string[] {
  return [rt.binary, '--root', rt.root, 'run', '--bundle', args.bundle, args.id];
}

/** `runc kill <id> SIGNAL`: runc finds the container's init and signals it. */
export async function ociKill(rt: OciRuntime, args: { id: string; signal: NodeJS.Signals | number }): Promise<void> {
  const signal = typeof args.signal === 'number' ? String(args.signal) : args.signal;
  try {
    await run(rt.binary, ['--root', rt.root, 'kill', args.id, signal]);
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '');
    throw new EngineError({ code: 'RUNTIME_KILL_FAILED', kind: /not running|does not exist|process already finished/.test(stderr) ? 'conflict' : 'internal', message: `${rt.name} kill ${args.id} ${signal}: ${stderr.trim()}`, data: { runtime: rt.name, id: args.id, signal }, cause: err });
  }
}

/** `runc delete --force <id>`: its state directory and the cgroup it made are gone. A container runc does not know is fine. */
export async function ociDelete(rt: OciRuntime, args: { id: string }): Promise<void> {
  try {
    await run(rt.binary, ['--root', rt.root, 'delete', '--force', args.id]);
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '');
    if (/does not exist|not exist/.test(stderr)) return;
    throw new EngineError({ code: 'RUNTIME_DELETE_FAILED', kind: 'internal', message: `${rt.name} delete ${args.id}: ${stderr.trim()}`, data: { runtime: rt.name, id: args.id }, cause: err });
  }
}

/**
 * Resolves once `runc run` has started the container (`runc state` says running or stopped), or
 * once `gone()` says runc itself has ended. `runc run` is one command for create + start, so the
 * shim's "it started" only means runc did; Docker's start returns when the container runs, and
 * until then there is no cgroup to read and nothing for `runc kill` to signal.
 */
export async function ociWaitStarted(rt: OciRuntime, args: { id: string; gone: () => Promise<boolean>; timeoutMs?: number }): Promise<void> {
  const deadline = Date.now() + (args.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    const state = await run(rt.binary, ['--root', rt.root, 'state', args.id]).then((r) => JSON.parse(r.stdout) as { status?: string }, () => null);
    if (state?.status === 'running' || state?.status === 'stopped' || state?.status === 'paused') return;
    if (await args.gone()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new EngineError({ code: 'RUNTIME_START_TIMEOUT', kind: 'unavailable', message: `${rt.name} did not start container ${args.id} within ${args.timeoutMs ?? 10_000} ms`, data: { runtime: rt.name, id: args.id } });
}
