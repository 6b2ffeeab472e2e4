// Contexts (chapter 6): a named daemon, so `dockling context use lab` replaces typing
// `-H tcp://lab:2376 --tlsverify --tlscacert …` before every command. Docker keeps the same idea.
// Our layout is simpler than Docker's and lives under the config directory (~/.dockling):
//   contexts/<name>/meta.json   {"Name","Description","Host","SkipTLSVerify"}
//   contexts/<name>/ca.pem, cert.pem, key.pem   copies, so moving the originals breaks nothing
//   config.json                 {"currentContext": "<name>"} (`login` keeps its own in ~/.docker)
// The context named "default" is not stored: it is DOCKLING_HOST, or the local unix socket.
import { chmod, copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.js';

export interface ContextMeta {
  Name: string;
  Description: string;
  Host: string;
  /** Docker's skip-tls-verify: TLS without checking the daemon's certificate. */
  SkipTLSVerify: boolean;
}

/** The TLS files a context brought, by the names transport.ts reads. */
export const TLS_FILE_NAMES = { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } as const;

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;

export function checkContextName(name: string): void {
  if (name === 'default') throw new CliError('"default" is a reserved context name');
  if (!NAME.test(name)) throw new CliError(`context name "${name}" is invalid: names are made of letters, digits, and _.+- (and do not start with one of those four)`);
}

export class ContextStore {
  constructor(private readonly configDir: string) {}

  dirOf(name: string): string {
    return join(this.configDir, 'contexts', name);
  }

  /** The stored context, or null when there is none by that name. */
  read(name: string): ContextMeta | null {
    const path = join(this.dirOf(name), 'meta.json');
    if (!NAME.test(name) || !existsSync(path)) return null;
    return JSON.parse(readFileSync(path, 'utf8')) as ContextMeta;
  }

  hasFile(name: string, role: keyof typeof TLS_FILE_NAMES): boolean {
    return existsSync(join(this.dirOf(name), TLS_FILE_NAMES[role]));
  }

  async list(): Promise<ContextMeta[]> {
    const names = await readdir(join(this.configDir, 'contexts')).catch(() => [] as string[]);
    return names.sort().map((n) => this.read(n)).filter((m): m is ContextMeta => m !== null);
  }

  async create(meta: ContextMeta, files: Partial<Record<keyof typeof TLS_FILE_NAMES, string>>): Promise<void> {
    checkContextName(meta.Name);
    const dir = this.dirOf(meta.Name);
    if (existsSync(dir)) throw new CliError(`context "${meta.Name}" already exists`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      for (const [role, from] of Object.entries(files)) {
        if (from === undefined) continue;
        const to = join(dir, TLS_FILE_NAMES[role as keyof typeof TLS_FILE_NAMES]);
        await copyFile(from, to).catch((err: Error) => {
          throw new CliError(`unable to read ${role} file ${from}: ${err.message}`);
        });
        await chmod(to, role === 'key' ? 0o600 : 0o644);
      }
      await writeFile(join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    } catch (err) {
      await rm(dir, { recursive: true, force: true }); // half a context is no context
      throw err;
    }
  }

  async remove(name: string): Promise<void> {
    if (!this.read(name)) throw new CliError(`context "${name}" does not exist`);
    await rm(this.dirOf(name), { recursive: true, force: true });
  }

  /** The current context's name: config.json's currentContext, "default" when none is set. */
  current(): string {
    try {
      const doc = JSON.parse(readFileSync(join(this.configDir, 'config.json'), 'utf8')) as { currentContext?: string };
      return doc.currentContext || 'default';
    } catch {
      return 'default';
    }
  }

  /** Writes currentContext into config.json, keeping whatever else it holds. */
  async use(name: string): Promise<void> {
    if (name !== 'default' && !this.read(name)) throw new CliError(`context "${name}" does not exist`);
    const path = join(this.configDir, 'config.json');
    let doc: Record<string, unknown> = {};
    try {
      doc = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`unable to read ${path}: ${(err as Error).message}`);
    }
    if (name === 'default') delete doc.currentContext;
    else doc.currentContext = name;
    await mkdir(this.configDir, { recursive: true, mode: 0o700 });
    await writeFile(path, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  }
}
