// container-facts.ts read on this very process (no root, no container): every namespace is the
// host's (the test runs where the daemon would), the inodes are readlink's, the pid in the
// innermost pid namespace is NSpid's last, the mount table is /proc/self/mountinfo's, and
// container.init is traced with those values — or not at all for a pid that is gone.
import { describe, expect, it } from 'vitest';
import { readFileSync, readlinkSync } from 'node:fs';
import { containerPidOf, mountsOf, namespacesOf, NAMESPACE_TYPES, processOf, traceInit, TRACED_MOUNTS } from '../../engine/namespaces/index.js';
import { Tracer, type TraceEvent } from '../../engine/trace/index.js';

const inode = (link: string) => Number(/\[(\d+)\]/.exec(link)![1]);

function memoryTracer(): { tracer: Tracer; events: TraceEvent[] } {
  const events: TraceEvent[] = [];
  return { tracer: new Tracer([{ write: (e) => events.push(e) }]), events };
}

describe('container facts, read from /proc', () => {
  it('namespacesOf: each kind with readlink’s inode; ours are all the host’s', async () => {
    const ns = await namespacesOf(process.pid);
    expect(Object.keys(ns)).toEqual([...NAMESPACE_TYPES]);
    for (const kind of NAMESPACE_TYPES) expect(ns[kind]).toEqual({ Inode: inode(readlinkSync(`/proc/self/ns/${kind}`)), SharedWithHost: true });
  });

  it('processOf and containerPidOf: NSpid’s last pid, the parent, the command line', async () => {
    const nspid = /^NSpid:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!.split(/\s+/).map(Number);
    expect(await containerPidOf(process.pid)).toBe(nspid.at(-1));
    const view = await processOf(process.pid, readlinkSync('/proc/self/ns/pid'));
    expect(view).toMatchObject({ Pid: process.pid, ContainerPid: nspid.at(-1), PPid: process.ppid });
    expect(view.Command).toContain(process.argv0.split('/').pop());
    expect((await processOf(process.pid, 'pid:[0]')).ContainerPid).toBeNull(); // another pid namespace's view
  });

  it('traceInit: container.init with the pids, namespaces and the first mounts, the rest counted', async () => {
    const { tracer, events } = memoryTracer();
    const span = tracer.start('namespaces', 'container.start', {});
    await traceInit({ span, id: 'c1', pid: process.pid, argv: ['sleep', '1'] });
    const table = await mountsOf(process.pid);
    const [init] = events.filter((e) => e.op === 'container.init');
    expect(init!.data).toMatchObject({ id: 'c1', argv: ['sleep', '1'], pid: process.pid, containerPid: await containerPidOf(process.pid), namespaces: await namespacesOf(process.pid) });
    const mounts = init!.data['mounts'] as { target: string }[];
    expect(mounts.map((m) => m.target)).toEqual(table.slice(0, TRACED_MOUNTS).map((m) => m.mountPoint));
    expect(init!.data['mountsLeft']).toBe(Math.max(0, table.length - TRACED_MOUNTS));
  });

  it('traceInit: nothing for a pid that is gone (no guess)', async () => {
    const { tracer, events } = memoryTracer();
    await traceInit({ span: tracer.start('namespaces', 'container.start', {}), id: 'c1', pid: 2 ** 22 + 1, argv: [] });
    expect(events.map((e) => e.op)).toEqual(['container.start']);
  });
});
