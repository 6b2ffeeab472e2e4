// `dockling system uninstall [--root DIR] [--purge]`: undoes `system install`, guided by the
// manifest it left (/etc/dockling/install.json), so nothing it did not write is touched:
//   1. systemd running and no --root: stop and disable the socket and the service
//   2. remove the units; daemon.json only if it is byte for byte what install wrote
//   3. delete the group only if install created it
//   4. remove the manifest and the directories install made, if now empty
//   5. the data root stays (images, volumes, containers) unless --purge — and --purge refuses
//      while a daemon holds it or something is still mounted under it
import { readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';
import { CONFIG_PATH, MANIFEST_PATH } from './system-units.js';
import { ROOT_FLAG, configuredDataRoot, groupLine, host, prefixArgs, requireRoot, sha256, systemdRunning, type InstallManifest } from './system-install.js';

async function readManifest(root: string): Promise<InstallManifest> {
  const path = join(root, MANIFEST_PATH);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as InstallManifest;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it is missing, so dockling system install did not run here' : (err as Error).message;
    throw new CliError(`dockling system uninstall: cannot read ${path}: ${why}`);
  }
}

/** 2. daemon.json goes only if untouched: an edited file holds the user's settings. */
async function removeConfig(root: string, config: InstallManifest['config'], say: (l: string) => void): Promise<void> {
  if (!config) return;
  const path = join(root, config.path);
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return;
  if (sha256(text) === config.sha256) {
    await rm(path, { force: true });
    say(`removed ${path}`);
  } else {
    say(`kept ${path}: it was changed since install (remove it yourself if you want it gone)`);
  }
}

/** 5. Refuses to delete a data root a daemon uses or with mounts under it (a container's rootfs). */
async function purge(dataRoot: string, say: (l: string) => void): Promise<void> {
  if (!existsSync(dataRoot)) return;
  const pid = Number((await readFile(join(dataRoot, 'daemon.pid'), 'utf8').catch(() => '')).trim());
  if (pid > 0 && existsSync(`/proc/${pid}`)) throw new CliError(`dockling system uninstall --purge: a daemon (pid ${pid}) is using ${dataRoot}; stop it first`);
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m === dataRoot || m.startsWith(`${dataRoot}/`));
  if (mounts.length) throw new CliError(`dockling system uninstall --purge: still mounted under ${dataRoot}: ${mounts.join(', ')} (stop or remove the containers first)`);
  await rm(dataRoot, { recursive: true, force: true });
  say(`removed the data root ${dataRoot}`);
}

export const verb: Verb = {
  usage: 'system uninstall [OPTIONS]',
  description: 'Remove what dockling system install wrote (as root); the data root (images, containers, volumes) stays unless --purge',
  args: { max: 0 },
  flags: [
    ROOT_FLAG,
    { name: 'purge', type: 'bool', description: 'Also delete the data root (daemon.json\'s "data-root", default /var/lib/dockling): every image, container and volume' },
  ],
  async run(ctx) {
    requireRoot('uninstall');
    const root = (ctx.flags.root as string | undefined) ?? '/';
    const say = (line: string) => ctx.stdout.write(line + '\n');
    const manifest = await readManifest(root);
    // Read before daemon.json may go; without the file, where install found it.
    const dataRoot = join(root, existsSync(join(root, CONFIG_PATH)) ? await configuredDataRoot(root) : manifest.dataRoot);
    // 1. systemd first: a running socket would start the daemon again.
    const systemd = root === '/' && systemdRunning();
    if (systemd) {
      await host('systemctl', ['disable', '--now', 'dockling.socket', 'dockling.service']);
      say('systemd: stopped and disabled dockling.socket and dockling.service (containers keep running)');
    }
    for (const file of manifest.files) {
      await rm(join(root, file), { force: true });
      say(`removed ${join(root, file)}`);
    }
    if (systemd) await host('systemctl', ['daemon-reload']);
    await removeConfig(root, manifest.config, say);
    // 3. a group that existed before install may be used for other things: only ours goes.
    if (manifest.group.created && (await groupLine(root, manifest.group.name))) {
      await host('groupdel', [...prefixArgs(root), manifest.group.name]);
      say(`deleted the group ${manifest.group.name}`);
    }
    await rm(join(root, MANIFEST_PATH), { force: true });
    for (const dir of [...manifest.dirs].reverse()) {
      if ((await readdir(join(root, dir)).catch(() => null))?.length === 0) await rmdir(join(root, dir));
    }
    if (ctx.flags.purge === true) await purge(dataRoot, say);
    else if (existsSync(dataRoot)) say(`kept the data root ${dataRoot} (images, containers, volumes); --purge deletes it`);
  },
};
