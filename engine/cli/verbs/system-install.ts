// `dockling system install [--root DIR]` (issue 11): makes the daemon a service of this machine.
// As a recipe:
//   1. plan: the two units and daemon.json (system-units.ts), and the group `dockling`
//   2. write the units; write daemon.json only if there is none (it is the user's file)
//   3. create the group if missing (groupadd --system, or --prefix DIR under --root)
//   4. record what was written in /etc/dockling/install.json: uninstall removes exactly that
//   5. systemd running (/run/systemd/system exists) and no --root: daemon-reload, enable --now
//      the socket; otherwise say so and print the command that starts the daemon by hand
// The manifest keeps a digest of daemon.json as written, so uninstall can tell an untouched
// file (ours to remove) from one the user edited (theirs to keep).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { CONFIG_PATH, DEFAULT_DATA_ROOT, GROUP, MANIFEST_PATH, SERVICE_PATH, SOCKET_PATH, defaultDaemonJson, serviceUnit, socketUnit } from './system-units.js';

/** install.json: what uninstall may remove. Paths are the target machine's (without --root). */
export interface InstallManifest {
  files: string[];
  /** daemon.json, when install wrote it, and its sha256 then. */
  config: { path: string; sha256: string } | null;
  /** Directories install made (deepest last): removed again if empty. */
  dirs: string[];
  group: { name: string; created: boolean };
  dataRoot: string;
}

export const ROOT_FLAG = {
  name: 'root', type: 'string', value: 'DIR',
  description: 'Work under DIR instead of / (for tests and packagers): the files go to DIR/etc/..., the group to DIR/etc/group (groupadd --prefix), and systemd is not told',
} as const;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A host command; its stderr becomes the error. */
export function host(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (err, stdout, stderr) => (err ? reject(new CliError(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout)));
  });
}

/** sd_booted(3)'s test: systemd is pid 1 exactly when this directory exists. */
export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

export function requireRoot(verb: string): void {
  if (process.getuid?.() !== 0) throw new CliError(`dockling system ${verb}: must be run as root (it writes under /etc and manages a group): try sudo`);
}

/** The group's line in ROOT/etc/group, or null. */
export async function groupLine(root: string, name: string): Promise<string | null> {
  const text = await readFile(join(root, 'etc/group'), 'utf8').catch(() => '');
  return text.split('\n').find((l) => l.startsWith(`${name}:`)) ?? null;
}

/** `--prefix DIR` makes groupadd and groupdel edit DIR/etc/group and DIR/etc/gshadow. */
export function prefixArgs(root: string): string[] {
  return root === '/' ? [] : ['--prefix', root];
}

/** The absolute node and main.js of this very command: what the service runs. */
function thisCommand(): { node: string; main: string } {
  return { node: process.execPath, main: fileURLToPath(new URL('../main.js', import.meta.url)) };
}

// #region install
async function install(root: string, out: NodeJS.WritableStream): Promise<InstallManifest> {
  const under = (p: string) => join(root, p);
  const old = await readFile(under(MANIFEST_PATH), 'utf8').then((t) => JSON.parse(t) as InstallManifest, () => null);
  if (root !== '/' && !existsSync(under('etc/group'))) {
    throw new CliError(`dockling system install: ${under('etc/group')} is missing: groupadd --prefix needs DIR/etc/group and DIR/etc/gshadow (copy them from /etc)`);
  }
  const dirs = old?.dirs ?? [];
  for (const dir of [dirname(SERVICE_PATH), dirname(CONFIG_PATH)]) {
    for (let d = dir, chain: string[] = []; ; d = dirname(d)) {
      if (existsSync(under(d)) || d === '/') {
        for (const made of chain.reverse()) if (!dirs.includes(made)) dirs.push(made);
        break;
      }
      chain.push(d);
    }
    await mkdir(under(dir), { recursive: true, mode: 0o755 });
  }
  // 2. the units, always (a re-install points them at this command); daemon.json only if absent.
  await writeFile(under(SOCKET_PATH), socketUnit(), { mode: 0o644 });
  await writeFile(under(SERVICE_PATH), serviceUnit(thisCommand()), { mode: 0o644 });
  out.write(`wrote ${under(SOCKET_PATH)}\nwrote ${under(SERVICE_PATH)}\n`);
  let config = old?.config ?? null;
  if (existsSync(under(CONFIG_PATH))) {
    out.write(`kept ${under(CONFIG_PATH)}: it exists already\n`);
  } else {
    const text = defaultDaemonJson();
    await writeFile(under(CONFIG_PATH), text, { mode: 0o644 });
    config = { path: CONFIG_PATH, sha256: sha256(text) };
    out.write(`wrote ${under(CONFIG_PATH)}\n`);
  }
  // 3. the group the socket unit names: systemd refuses to start a socket whose group is missing.
  let created = old?.group.created ?? false;
  if (await groupLine(root, GROUP)) {
    out.write(`group ${GROUP} exists already\n`);
  } else {
    await host('groupadd', [...prefixArgs(root), '--system', GROUP]);
    created = true;
    out.write(`created the group ${GROUP} in ${under('etc/group')}\n`);
  }
  const dataRoot = await configuredDataRoot(root);
  return { files: [SOCKET_PATH, SERVICE_PATH], config, dirs, group: { name: GROUP, created }, dataRoot };
}
// #endregion install

/** daemon.json's "data-root" (it may be the user's file), else the default. */
export async function configuredDataRoot(root: string): Promise<string> {
  try {
    const doc = JSON.parse(await readFile(join(root, CONFIG_PATH), 'utf8')) as { 'data-root'?: unknown };
    if (typeof doc['data-root'] === 'string' && doc['data-root'].startsWith('/')) return doc['data-root'];
  } catch {
    // no file, or not JSON: the daemon would say so at start; the default is the best guess
  }
  return DEFAULT_DATA_ROOT;
}

const GROUP_WARNING = `WARNING: members of the group ${GROUP} can use ${'/run/dockling.sock'} without sudo. That is the same
as root on this machine: anyone who can start a container can mount / into it
(dockling run -v /:/host ...). Add only people you would give root:
  sudo usermod -aG ${GROUP} USER     (they log in again for it to count)
`;

export const verb: Verb = {
  usage: 'system install [OPTIONS]',
  description: `Install the daemon as a systemd service (as root): ${SOCKET_PATH} and ${SERVICE_PATH} (socket activation on /run/dockling.sock), ${CONFIG_PATH} (if absent) and the group ${GROUP}`,
  args: { max: 0 },
  flags: [ROOT_FLAG],
  async run(ctx) {
    requireRoot('install');
    const root = (ctx.flags.root as string | undefined) ?? '/';
    if (!root.startsWith('/')) throw new CliError(`dockling system install: --root must be an absolute path, not ${root}`);
    const manifest = await install(root, ctx.stdout);
    // 4. the manifest, written last: it lists only what is really there.
    await writeFile(join(root, MANIFEST_PATH), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o644 });
    ctx.stdout.write(`wrote ${join(root, MANIFEST_PATH)} (what dockling system uninstall removes)\n\n${GROUP_WARNING}\n`);
    // 5. systemd, or the command to start the daemon by hand.
    if (root !== '/') {
      ctx.stdout.write(`--root ${root}: the files are for that tree, so this machine's systemd was not told.\n`);
    } else if (systemdRunning()) {
      await host('systemctl', ['daemon-reload']);
      await host('systemctl', ['enable', '--now', 'dockling.socket']);
      ctx.stdout.write(`systemd: dockling.socket is enabled and listening on /run/dockling.sock; the daemon starts on the first connection.\nReload its configuration with: sudo systemctl reload dockling\n`);
      return;
    }
    if (!systemdRunning()) {
      const { node, main } = thisCommand();
      ctx.stdout.write(`systemd is not running on this machine (no /run/systemd/system: a container, CI, or WSL without systemd).\nStart the daemon by hand (it gives /run/dockling.sock the group ${GROUP}):\n  sudo ${node} ${main} daemon --config-file ${CONFIG_PATH}\n`);
    }
  },
};
