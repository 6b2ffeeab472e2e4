// The volume store (chapter 3, filesystems): `docker volume create/ls/inspect/rm/prune`. A
// volume of the `local` driver is nothing but a directory the engine owns, bind-mounted into
// each container that names it; its data outlives every container. Docker's layout, under the
// state dir:
//   volumes/<name>/_data         the directory containers see (the volume's Mountpoint)
//   volumes/<name>/volume.json   CreatedAt, Labels, Options, and which containers use it
// A volume is "in use" from the moment a container that names it is prepared until that
// container is released (removed): Docker refuses `volume rm` for stopped containers too.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedMutex, conflict, invalid, notFound, writeFileAtomic } from '../base/index.js';

/** `docker volume inspect`'s shape (API: Volume), for the `local` driver. */
export interface VolumeInfo {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: 'local';
}

/** What volume.json holds: the Docker shape plus the containers that use the volume. */
interface VolumeRecord extends VolumeInfo {
  UsedBy: string[];
}

/** The label Docker (23.0+) puts on volumes made for `-v /path` and image VOLUMEs. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Docker's rule for local volume names (moby volume/local): at least two characters. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

// #region volume-name
/** Checks a name the way Docker does, with Docker's hint for a mistyped host path. */
export function validateVolumeName(name: string): void {
  if (VOLUME_NAME.test(name)) return;
  throw invalid(
    'INVALID_VOLUME_NAME',
    `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    { name },
  );
}

/**
 * The name of the anonymous volume a container gets for `destination` (an image VOLUME or a
 * `-v /data`). Docker draws 64 random hex digits once and keeps them in the container record;
 * deriving them from the container id and the path gives the same shape and the same volume on
 * every start without a second record to keep.
 */
export function anonymousVolumeName(containerId: string, destination: string): string {
  return createHash('sha256').update(`${containerId}\0${destination}`).digest('hex');
}
// #endregion volume-name

export class VolumeStore {
  private readonly lock = new KeyedMutex();

  /** `root` is `<data-root>/volumes`. */
  constructor(private readonly root: string) {}

  private dir(name: string): string {
    return join(this.root, name);
  }

  /** Creates a volume, or returns the one of that name (Docker's create is idempotent). */
  async create(opts: { name?: string; labels?: Record<string, string>; options?: Record<string, string> } = {}): Promise<VolumeInfo> {
    const name = opts.name || randomBytes(32).toString('hex');
    validateVolumeName(name);
    return this.lock.run(name, async () => {
      const existing = await this.read(name);
      if (existing) return infoOf(existing);
      const record: VolumeRecord = {
        Name: name, Driver: 'local', Mountpoint: join(this.dir(name), '_data'), CreatedAt: new Date().toISOString(),
        Labels: { ...(opts.labels ?? {}) }, Options: { ...(opts.options ?? {}) }, Scope: 'local', UsedBy: [],
      };
      // Docker's local driver takes no options without mount flags; we take none at all.
      if (Object.keys(record.Options).length) throw invalid('VOLUME_OPTIONS_UNSUPPORTED', `create ${name}: volume options are not supported by dockling's local driver`, { name, options: record.Options });
      await mkdir(record.Mountpoint, { recursive: true, mode: 0o755 });
      await this.write(record);
      return infoOf(record);
    });
  }

  async inspect(name: string): Promise<VolumeInfo> {
    const record = await this.read(name);
    if (!record) throw notFound('VOLUME_NOT_FOUND', `get ${name}: no such volume`, { name });
    return infoOf(record);
  }

  async list(): Promise<VolumeInfo[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const records = await Promise.all(names.sort().map((n) => this.read(n)));
    return records.filter((r): r is VolumeRecord => r !== undefined).map(infoOf);
  }

  /** The containers that use a volume (full ids). */
  async users(name: string): Promise<string[]> {
    const record = await this.read(name);
    if (!record) throw notFound('VOLUME_NOT_FOUND', `get ${name}: no such volume`, { name });
    return [...record.UsedBy];
  }

  /**
   * Removes a volume and its data. A volume a container uses is refused, with or without
   * `force`: as in Docker, force only makes a missing volume not an error.
   */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.lock.run(name, async () => {
      const record = await this.read(name);
      if (!record) {
        if (opts.force) return;
        throw notFound('VOLUME_NOT_FOUND', `get ${name}: no such volume`, { name });
      }
      if (record.UsedBy.length) throw conflict('VOLUME_IN_USE', `remove ${name}: volume is in use - [${record.UsedBy.join(', ')}]`, { name, containers: record.UsedBy });
      await rm(this.dir(name), { recursive: true, force: true });
    });
  }

  /** Marks a volume as used by a container (idempotent). */
  async use(name: string, containerId: string): Promise<void> {
    await this.lock.run(name, async () => {
      const record = await this.read(name);
      if (!record) throw notFound('VOLUME_NOT_FOUND', `get ${name}: no such volume`, { name });
      if (record.UsedBy.includes(containerId)) return;
      record.UsedBy.push(containerId);
      await this.write(record);
    });
  }

  /**
   * A container is gone: it no longer holds any volume. With `removeAnonymous` (`docker rm -v`)
   * its anonymous volumes that nothing else uses are removed too. Returns the names removed.
   */
  async release(opts: { containerId: string; removeAnonymous?: boolean }): Promise<string[]> {
    const removed: string[] = [];
    for (const v of await this.list()) {
      const dropped = await this.lock.run(v.Name, async () => {
        const record = await this.read(v.Name);
        if (!record || !record.UsedBy.includes(opts.containerId)) return false;
        record.UsedBy = record.UsedBy.filter((id) => id !== opts.containerId);
        if (opts.removeAnonymous && ANONYMOUS_LABEL in record.Labels && record.UsedBy.length === 0) {
          await rm(this.dir(v.Name), { recursive: true, force: true });
          return true;
        }
        await this.write(record);
        return false;
      });
      if (dropped) removed.push(v.Name);
    }
    return removed;
  }

  /** `docker volume prune`: unused anonymous volumes, or every unused volume with `all`. */
  async prune(opts: { all?: boolean } = {}): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    for (const v of await this.list()) {
      if (!opts.all && !(ANONYMOUS_LABEL in v.Labels)) continue;
      try {
        await this.remove(v.Name);
        deleted.push(v.Name);
      } catch {
        // in use (or gone meanwhile): prune skips it, as Docker's does
      }
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: 0 };
  }

  private async read(name: string): Promise<VolumeRecord | undefined> {
    if (!VOLUME_NAME.test(name)) return undefined; // never a path outside the store
    try {
      return JSON.parse(await readFile(join(this.dir(name), 'volume.json'), 'utf8')) as VolumeRecord;
    } catch {
      return undefined;
    }
  }

  private write(record: VolumeRecord): Promise<void> {
    return writeFileAtomic(join(this.dir(record.Name), 'volume.json'), JSON.stringify(record, null, 2) + '\n');
  }
}

function infoOf(r: VolumeRecord): VolumeInfo {
  return { Name: r.Name, Driver: r.Driver, Mountpoint: r.Mountpoint, CreatedAt: r.CreatedAt, Labels: r.Labels, Options: r.Options, Scope: r.Scope };
}
