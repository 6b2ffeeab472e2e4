// The network executor (chapter 3, networking): runs a NetworkPlan from network-plan.ts one
// command at a time, recording each step in the trace ('net.bridge', 'net.veth', 'net.address',
// 'net.netns' … with its devices, addresses and, for a namespace, its inode — the number
// `readlink /proc/<pid>/ns/net` shows for every process inside). Each step's undo is registered
// the moment the step succeeds; if a later step fails, what was done is undone, newest first.
import { stat } from 'node:fs/promises';
import { EngineError, run } from '../base/index.js';
import type { Span } from '../trace/index.js';
import { teardownOf, type NetStep, type NetworkPlan } from './network-plan.js';

// #region apply-plan
/** Runs every step of `plan`; on a failure undoes the steps already done and throws. */
export async function applyPlan(args: { plan: NetworkPlan; span?: Span }): Promise<void> {
  const { plan, span } = args;
  const undo: string[][] = [];
  try {
    for (const step of plan.steps) {
      await runStep(step, span);
      if (step.undo) undo.push(step.undo);
      span?.event(step.op, { ...step.facts, ...(await observe(step)) });
    }
  } catch (err) {
    await runUndo(undo.reverse(), span);
    throw err;
  }
}
// #endregion apply-plan

/**
 * Undoes a plan that was applied earlier (perhaps by a daemon that has since restarted).
 * Tolerant: a device or a mount already gone is what we wanted, so failures are traced, not thrown.
 */
export async function teardownPlan(args: { plan: NetworkPlan; span?: Span }): Promise<void> {
  await runUndo(teardownOf(args.plan), args.span);
}

async function runStep(step: NetStep, span?: Span): Promise<void> {
  try {
    await run(step.argv, { span });
  } catch (err) {
    const e = err as EngineError;
    throw new EngineError({
      code: 'NETWORK_SETUP_FAILED',
      kind: 'internal',
      message: `${step.op}: ${step.argv.join(' ')} failed: ${String(e.data?.stderr ?? e.message).trim()}`,
      data: { op: step.op, argv: step.argv, ...step.facts },
      cause: err,
    });
  }
}

async function runUndo(commands: string[][], span?: Span): Promise<void> {
  for (const argv of commands) {
    const r = await run(argv, { span, allowFailure: true }).catch((err: unknown) => ({ status: -1, stderr: String(err) }));
    span?.event('net.undo', { argv, status: r.status, ...(r.status !== 0 ? { stderr: r.stderr.trim() } : {}) });
  }
}

/** Facts only the kernel knows after a step: the inode that names a new network namespace. */
async function observe(step: NetStep): Promise<Record<string, number>> {
  if (step.op !== 'net.netns' || step.argv[0] !== 'unshare') return {};
  // stat follows the nsfs bind mount to the namespace itself: its inode is the namespace's id.
  const st = await stat(String(step.facts.path));
  return { inode: st.ino };
}

/** Whether a network device exists in the host's namespace. */
export async function linkExists(name: string, span?: Span): Promise<boolean> {
  const r = await run(['ip', 'link', 'show', 'dev', name], { span, allowFailure: true });
  return r.status === 0;
}

/**
 * Whether bridged traffic would be dropped by iptables: true when the FORWARD policy is DROP
 * and the br_netfilter module hands bridged frames to iptables. Then a bridge needs its own rule.
 */
export async function forwardNeedsRule(span?: Span): Promise<boolean> {
  const policy = await run(['iptables', '-S', 'FORWARD'], { span, allowFailure: true }).catch(() => null);
  if (!policy || policy.status !== 0 || !/^-P FORWARD DROP/m.test(policy.stdout)) return false;
  const sysctl = await run(['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables'], { span, allowFailure: true }).catch(() => null);
  return !!sysctl && sysctl.stdout.trim() === '1';
}
