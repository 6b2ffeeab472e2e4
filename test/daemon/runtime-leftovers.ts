// What a daemon test that runs containers must not leave on the host (the checks themselves are
// in host-leftovers.ts, shared with the trace recorder), and a daemon for a file that runs them.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { api, startDaemon, type RunningDaemon } from './harness.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from './host-leftovers.js';

export { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from './host-leftovers.js';
export type { Leftovers } from './host-leftovers.js';

/**
 * A daemon for a test file that runs containers: started with its own bridge before the file,
 * base image made; after each test every container force-removed and nothing of theirs left on
 * the host; stopped after the file. Returns the running daemon (once started).
 */
export function useRuntimeDaemon(a: { enabled: boolean; third: number; extraArgs?: string[] }): { daemon: () => RunningDaemon; net: { bridge: string; args: string[] } } {
  const net = bridgeArgs(a.third);
  let d: RunningDaemon | undefined;
  const parentsBefore = cgroupParents();
  beforeAll(async () => {
    if (!a.enabled) return;
    d = await startDaemon({ args: [...net.args, ...(a.extraArgs ?? [])] });
    expect((await api(d.sock, 'POST', '/dockling/base-image')).status).toBe(201);
  });
  afterEach(async () => {
    if (!a.enabled || !d) return;
    const all = (await api(d.sock, 'GET', '/v1.50/containers/json?all=1')).json() as Array<{ Id: string }>;
    for (const c of all) await api(d.sock, 'DELETE', `/v1.50/containers/${c.Id}?force=1`);
    expect(leftovers({ dataRoot: d.dataRoot, bridge: net.bridge, containerIds: all.map((c) => c.Id) })).toEqual(NOTHING);
  });
  afterAll(async () => {
    await d?.stop();
    removeCgroupParents(parentsBefore);
  });
  return { daemon: () => d!, net };
}
