// Container records, chapter 2: what `docker inspect` shows about a container, one JSON file
// per container at <root>/<id>/config.v2.json (Docker's own file name), written atomically.
// A record names its image, its snapshot (the read-write layer the snapshotter prepared) and
// the config merged from the image and the create request. Chapter 3 adds running state.
//
// Lookup follows Docker: a full id, a name (`x` or `/x`), or a unique prefix of an id — in
// that order, so a name that looks like hex still wins over a prefix.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedMutex, conflict, invalid, notFound, writeFileAtomic } from '../base/index.js';
import type { ContainerConfig, Digest } from '../layers/index.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's State object; chapter 3 moves it past 'created'. */
export interface ContainerState {
  Status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

/** The container's Config as inspect shows it: the image's defaults with the request on top. */
export interface ContainerRecordConfig extends ContainerConfig {
  Hostname: string;
  Domainname: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  /** The image as the user typed it (`busybox`), not its ID. */
  Image: string;
}

export interface ContainerRecord {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** The image ID (`sha256:…`). */
  Image: Digest;
  /** `/name`. */
  Name: string;
  Driver: string;
  Platform: 'linux';
  Config: ContainerRecordConfig;
  /** As the client sent it. */
  HostConfig: Record<string, unknown>;
  /** The snapshot key of the container's read-write layer. */
  SnapshotKey: string;
  /** The committed snapshot it sits on: its init layer (init-layer.ts), on the image's top chainID;
   *  a container made before init layers existed names the top chainID, or nothing. */
  SnapshotParent?: string;
}

/** Docker's rule for names (daemon/names): a letter or digit, then letters, digits, `_.-`. */
const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function checkName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw invalid('INVALID_CONTAINER_NAME', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { name });
  }
  return name.startsWith('/') ? name : `/${name}`;
}

// Our own small word lists for names like `brave_lovelace` (Docker's generator does the same
// with longer lists): an adjective and the surname of someone who shaped computing.
const ADJECTIVES = [
  'brave', 'calm', 'clever', 'eager', 'fond', 'gentle', 'happy', 'jolly', 'keen', 'kind', 'lucid', 'merry',
  'nifty', 'proud', 'quiet', 'quirky', 'sharp', 'steady', 'sunny', 'tender', 'upbeat', 'vivid', 'wise', 'zen',
];
const SURNAMES = [
  'allen', 'backus', 'bell', 'cerf', 'dijkstra', 'engelbart', 'floyd', 'hamilton', 'hopper', 'kahn', 'knuth', 'lamport',
  'liskov', 'lovelace', 'mccarthy', 'milner', 'perlman', 'ritchie', 'shannon', 'sammet', 'thompson', 'turing', 'wilkes', 'wing',
];

function pick<T>(list: readonly T[]): T {
  return list[randomBytes(2).readUInt16BE(0) % list.length]!;
}

export function generateName(): string {
  return `${pick(ADJECTIVES)}_${pick(SURNAMES)}`;
}

export class ContainerStore {
  /** Serialises the name check of creates so two creates never take the same name. */
  private readonly lock = new KeyedMutex();
  /**
   * Every record, read from disk once: the daemon is the only writer of its data root (its pid
   * lock makes sure), so lookups need no I/O and a create does not re-read N records.
   */
  private loading: Promise<Map<string, ContainerRecord>> | undefined;
  /** Names taken by creates whose snapshot is still being prepared. */
  private readonly reserved = new Set<string>();

  constructor(readonly root: string) {}

  private file(id: string): string {
    return join(this.root, id, 'config.v2.json');
  }

  private records(): Promise<Map<string, ContainerRecord>> {
    this.loading ??= (async () => {
      await mkdir(this.root, { recursive: true });
      const byId = new Map<string, ContainerRecord>();
      for (const id of await readdir(this.root)) {
        const text = await readFile(this.file(id), 'utf8').catch(() => null);
        if (text) byId.set(id, JSON.parse(text) as ContainerRecord);
      }
      return byId;
    })();
    return this.loading;
  }

  /** Copies, newest first: a caller changes a record only through save(). */
  async list(): Promise<ContainerRecord[]> {
    const all = [...(await this.records()).values()].map((r) => structuredClone(r));
    return all.sort((a, b) => (a.Created < b.Created ? 1 : -1));
  }

  // #region lookup
  /** Full id, then exact name, then unique id prefix: `No such container: x` otherwise. */
  async get(idOrName: string): Promise<ContainerRecord> {
    const records = await this.records();
    const all = [...records.values()];
    const name = idOrName.startsWith('/') ? idOrName : `/${idOrName}`;
    const found =
      records.get(idOrName) ??
      all.find((c) => c.Name === name) ??
      this.byPrefix(all, idOrName);
    if (!found) throw notFound('CONTAINER_NOT_FOUND', `No such container: ${idOrName}`, { ref: idOrName });
    return structuredClone(found);
  }

  private byPrefix(all: ContainerRecord[], prefix: string): ContainerRecord | undefined {
    if (!/^[a-f0-9]+$/.test(prefix)) return undefined;
    const matches = all.filter((c) => c.Id.startsWith(prefix));
    if (matches.length > 1) {
      throw invalid('AMBIGUOUS_CONTAINER_ID', `multiple IDs found with provided prefix: ${prefix}`, { ref: prefix });
    }
    return matches[0];
  }
  // #endregion lookup

  /**
   * Reserves an id and a name (one step under the lock), then runs `build` (which prepares the
   * snapshot: the slow part, done outside the lock so creates run side by side) and writes the
   * record it returns. The name stays reserved until the record is written or `build` fails.
   */
  async create(args: { name?: string; build: (id: string, name: string) => Promise<ContainerRecord> }): Promise<ContainerRecord> {
    const name = await this.lock.run('names', async () => {
      const all = [...(await this.records()).values()];
      const taken = (n: string) => this.reserved.has(n) || all.some((c) => c.Name === n);
      let chosen = args.name !== undefined && args.name !== '' ? checkName(args.name) : '';
      if (chosen && taken(chosen)) {
        const other = all.find((c) => c.Name === chosen);
        throw conflict('CONTAINER_NAME_IN_USE', `Conflict. The container name "${chosen}" is already in use by container "${other?.Id ?? ''}". You have to remove (or rename) that container to be able to reuse that name.`, { name: chosen, id: other?.Id });
      }
      for (let i = 0; !chosen; i++) {
        const n = `/${generateName()}${i > 5 ? i : ''}`;
        if (!taken(n)) chosen = n;
      }
      this.reserved.add(chosen);
      return chosen;
    });
    try {
      const record = await args.build(randomBytes(32).toString('hex'), name);
      await this.save(record);
      return record;
    } finally {
      this.reserved.delete(name);
    }
  }

  async save(record: ContainerRecord): Promise<void> {
    await writeFileAtomic(this.file(record.Id), JSON.stringify(record, null, 1) + '\n');
    (await this.records()).set(record.Id, structuredClone(record));
  }

  async delete(id: string): Promise<void> {
    (await this.records()).delete(id);
    await rm(join(this.root, id), { recursive: true, force: true });
  }

  /** The containers whose image is `imageId`, for `rmi`'s usage check. */
  async usersOf(imageId: Digest): Promise<string[]> {
    return (await this.list()).filter((c) => c.Image === imageId).map((c) => c.Id);
  }
}
