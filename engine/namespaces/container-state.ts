// A container's lifecycle record (chapter 3): DIR/state.json, what the daemon believes about one
// container — created, running or exited, its pids and how it ended. The shim writes the facts
// (pid, start.json, exit); the daemon's Supervisor folds them into this one file, written
// atomically so a daemon killed mid-write leaves the old record, never half a new one.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/index.js';

export type ContainerStatus = 'created' | 'running' | 'exited';

export interface ContainerState {
  id: string;
  status: ContainerStatus;
  /** The container's process (the runtime's argv[0]) as the host sees it; 0 before start. */
  pid: number;
  /** The dockling-shim holding it. */
  shimPid: number;
  /** /proc/<pid>/stat start times (clock ticks since boot): with the pid, a name no reuse can fake. */
  startTime: number;
  shimStartTime: number;
  /** RFC 3339 times, as Docker's inspect shows them; '' when not yet. */
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  /** The signal that ended it, 0 when it exited by itself. */
  exitSignal: number;
  /** Set when the end was not observed normally, e.g. 'supervisor died'. */
  error?: string;
}

export const stateFile = (dir: string): string => join(dir, 'state.json');

/** A fresh record for a container that has not run yet. */
export function createdState(id: string): ContainerState {
  return { id, status: 'created', pid: 0, shimPid: 0, startTime: 0, shimStartTime: 0, startedAt: '', finishedAt: '', exitCode: 0, exitSignal: 0 };
}

/** The record in `dir`, or undefined when there is none (not a container directory). */
export async function readState(dir: string): Promise<ContainerState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as ContainerState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writeState(dir: string, state: ContainerState): Promise<void> {
  await writeFileAtomic(stateFile(dir), JSON.stringify(state, null, 2) + '\n');
}
