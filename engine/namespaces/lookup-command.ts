// Before a container starts, find its command inside the container's root the way the kernel's
// exec and the shell's PATH search will, so that "not found" and "not executable" are reported
// by `start` itself (Docker says `exec: "nope": executable file not found in $PATH`, and the
// docker CLI turns that into exit 127 or 126) instead of being noticed after the process ran.
// runc does the same lookup before it starts the user's process. Chapter 3.
import { statSync } from 'node:fs';
import { EngineError } from '../base/index.js';
import { resolveInRoot } from '../unionfs/index.js';

export interface LookupArgs {
  /** The container's root as mounted on the host (bundle/rootfs). */
  rootfs: string;
  /** The process's argv; argv[0] is looked up. */
  args: string[];
  /** The process's environment (its PATH is searched). */
  env: string[];
  /** The process's working directory, for a relative command with a slash. */
  cwd: string;
  /** Mount destinations inside the container (volumes, binds, tmpfs): not visible here yet. */
  mountedAt: string[];
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function failed(text: string, data: Record<string, unknown>): EngineError {
  return new EngineError({ code: 'CONTAINER_EXEC_FAILED', kind: 'internal', message: `failed to create task for container: ${text}`, data });
}

/** What a path inside the root is, following links within the root. */
function kindOf(rootfs: string, inside: string): 'missing' | 'dir' | 'not-executable' | 'ok' {
  try {
    const st = statSync(resolveInRoot(rootfs, inside, { followLast: true }).host);
    if (st.isDirectory()) return 'dir';
    return st.isFile() && (st.mode & 0o111) !== 0 ? 'ok' : 'not-executable';
  } catch {
    return 'missing';
  }
}

/** Throws Docker's start error when the command cannot be executed; returns quietly otherwise. */
export function lookupCommand(a: LookupArgs): void {
  const cmd = a.args[0];
  if (!cmd) throw failed('no command specified', {});
  const underMount = (p: string) => a.mountedAt.some((m) => p === m || p.startsWith(m.endsWith('/') ? m : `${m}/`));
  if (cmd.includes('/')) {
    const inside = cmd.startsWith('/') ? cmd : `${a.cwd.replace(/\/$/, '')}/${cmd}`;
    if (underMount(inside)) return; // it lives in a volume or bind: the container will see
    const kind = kindOf(a.rootfs, inside);
    if (kind === 'missing') throw failed(`exec: "${cmd}": stat ${cmd}: no such file or directory`, { command: cmd });
    if (kind === 'dir') throw failed(`exec: "${cmd}": is a directory`, { command: cmd });
    if (kind === 'not-executable') throw failed(`exec: "${cmd}": permission denied`, { command: cmd });
    return;
  }
  const path = a.env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  let sawNotExecutable = false;
  for (const dir of path.split(':').filter(Boolean)) {
    const inside = `${dir.replace(/\/$/, '')}/${cmd}`;
    if (underMount(inside)) return;
    const kind = kindOf(a.rootfs, inside);
    if (kind === 'ok') return;
    if (kind === 'not-executable') sawNotExecutable = true;
  }
  if (sawNotExecutable) throw failed(`exec: "${cmd}": permission denied`, { command: cmd });
  throw failed(`exec: "${cmd}": executable file not found in $PATH`, { command: cmd });
}
