// Docker's certs.d (chapter 4): how the daemon is told to trust a private registry's certificate,
// and which certificate of its own to show it, without touching the machine's trust store. One
// directory per registry, named exactly as the registry's host (and port, when it has one)
// appear in a URL:
//
//   /etc/dockling/certs.d/               beside daemon.json (dockerd: /etc/docker/certs.d/)
//   ├── registry.example/                for https://registry.example (port 443: no port)
//   │   └── ca.crt                       *.crt: a CA, trusted for this host besides the system's
//   └── 192.168.1.10:5443/               the port is part of the name
//       ├── room-ca.crt
//       ├── client.cert                  *.cert and *.key of one name: a client certificate,
//       └── client.key                   shown when the registry asks for one (mutual TLS)
//
// A .cert without its .key, or a .key without its .cert, is an error naming the file — as in
// dockerd, whose message adds that CA certificates must end in .crt (saving a CA as .cert is
// the usual slip). Only secure registries are read: an insecure one is not verified at all, and
// shown no client certificate either (dockerd: newTLSConfig reads certs.d only `if isSecure`).
// A host's directory is read the first time a request goes there, then kept for the client's
// lifetime: a file added later takes effect when the daemon restarts, as with dockerd.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext, rootCertificates } from 'node:tls';
import { EngineError } from '../../base/index.js';
import { isInsecure } from './endpoints.js';
import type { TlsSettings } from './http.js';

/** What one host's directory holds. */
export interface HostCerts {
  /** `<certsDir>/<host>`, whether or not it exists. */
  dir: string;
  /** The PEM text of each `*.crt`, in name order. */
  roots: string[];
  /** The first `*.cert` + `*.key` pair by name, if any. */
  client?: { cert: Buffer; key: Buffer; certFile: string };
}

function certsError(dir: string, message: string, data: Record<string, unknown>, cause?: unknown): EngineError {
  return new EngineError({ code: 'CERTS_DIR_INVALID', kind: 'invalid-argument', message: `${dir}: ${message}`, data: { dir, ...data }, cause });
}

// #region read-host-certs
/** Reads `<certsDir>/<host>/`; a missing directory holds nothing. */
export async function readHostCerts(certsDir: string, host: string): Promise<HostCerts> {
  const dir = join(certsDir, host);
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dir, roots: [] };
    throw certsError(dir, `cannot read the directory: ${(err as Error).message}`, {}, err);
  }
  const read = (name: string) => readFile(join(dir, name)).catch((err: unknown) => {
    throw certsError(dir, `cannot read ${name}: ${(err as Error).message}`, { file: name }, err);
  });
  const roots: string[] = [];
  let client: HostCerts['client'];
  for (const name of names) {
    if (name.endsWith('.crt')) roots.push((await read(name)).toString('utf8'));
    else if (name.endsWith('.cert')) {
      const keyName = `${name.slice(0, -'.cert'.length)}.key`;
      if (!names.includes(keyName)) throw certsError(dir, `client certificate ${name} has no key ${keyName} (a CA certificate must end in .crt)`, { file: name, missing: keyName });
      client ??= { cert: await read(name), key: await read(keyName), certFile: name };
    } else if (name.endsWith('.key')) {
      const certName = `${name.slice(0, -'.key'.length)}.cert`;
      if (!names.includes(certName)) throw certsError(dir, `key ${name} has no client certificate ${certName}`, { file: name, missing: certName });
    }
  }
  return { dir, roots, ...(client ? { client } : {}) };
}
// #endregion read-host-certs

/** Every insecure host shares these: encrypted, not verified. */
const INSECURE: TlsSettings = { name: 'insecure', verify: false };

/**
 * The TLS settings for each host a request goes to — a registry, its token server, the CDN a
 * blob redirects to: each is judged by its own host, never by the registry that sent us there.
 */
export class TlsPolicy {
  private readonly hosts = new Map<string, Promise<TlsSettings>>();

  constructor(private readonly args: { certsDir?: string; insecureRegistries: string[] }) {}

  // #region tls-for
  /** Insecure hosts are not verified; the others against the system's roots and their certs.d. */
  settingsFor(url: URL): Promise<TlsSettings> {
    if (isInsecure(url.host, this.args.insecureRegistries)) return Promise.resolve(INSECURE);
    const { certsDir } = this.args;
    if (!certsDir) return Promise.resolve({ name: 'verify', verify: true });
    let settings = this.hosts.get(url.host);
    if (!settings) {
      settings = readHostCerts(certsDir, url.host).then(verified);
      // A directory that could not be read is read again next time (the user may fix it).
      settings.catch(() => this.hosts.delete(url.host));
      this.hosts.set(url.host, settings);
    }
    return settings;
  }
  // #endregion tls-for
}

/**
 * Verified settings from a host's certs: the extra roots are added to the system's (Node's
 * `ca` replaces its roots, so both are given), and the context is made once here — a CA that is
 * not PEM, or a key that is not its certificate's, is refused now, naming the directory.
 */
function verified(certs: HostCerts): TlsSettings {
  const base = { verify: true, certsDir: certs.dir };
  if (!certs.roots.length && !certs.client) return { name: 'verify', ...base };
  try {
    const secureContext = createSecureContext({
      ...(certs.roots.length ? { ca: [...rootCertificates, ...certs.roots] } : {}),
      ...(certs.client ? { cert: certs.client.cert, key: certs.client.key } : {}),
    });
    return { name: `verify ${certs.dir}`, ...base, secureContext };
  } catch (err) {
    throw certsError(certs.dir, `its certificates cannot be used: ${(err as Error).message}`, { client: certs.client?.certFile ?? null }, err);
  }
}
