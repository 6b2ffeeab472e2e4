// How the CLI reaches a daemon (chapter 6, "Driving a daemon on another machine"). The API is the
// same HTTP everywhere; only the road differs, and a Transport is that road:
//   unix:///run/dockling.sock     a socket file on this machine; the file's mode is the lock
//   tcp://host:2376 + TLS         another machine; both sides show a certificate (mutual TLS)
//   tcp://127.0.0.1:2375          no TLS: only a loopback daemon's read-only part answers
//   ssh://user@host               another machine, through ssh (ssh-transport.ts)
// client.ts asks transportFor() once, then sends every request with `request(options + path)`.
import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.js';
import { sshTransport } from './ssh-transport.js';

/** The road to one daemon: which request function to call, with which connection options. */
export interface Transport {
  /** The host as the user wrote it, for messages: `tcp://10.0.0.5:2376`. */
  host: string;
  /** http.request or https.request (both have this type). */
  request: typeof http.request;
  /** Where and how to connect (socketPath, or host/port and TLS files); the caller adds method, path, headers. */
  options: http.RequestOptions;
}

/**
 * The client's TLS settings, Docker's names: `--tlsverify` checks the daemon's certificate
 * against `ca`; `cert` and `key` are the client's own certificate, which a daemon started with
 * --tlsverify asks for. `certPath` is DOCKLING_CERT_PATH: where ca.pem, cert.pem and key.pem
 * are found when a flag does not name them.
 */
export interface TlsFiles {
  /** `--tls`: speak TLS. Implied by `verify`. */
  tls: boolean;
  /** `--tlsverify`: speak TLS and check the daemon's certificate. */
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  certPath?: string;
}

export const DEFAULT_HOST = 'unix:///run/dockling.sock';

// #region transport-for
/** The transport for `-H host`; a host it cannot serve is refused with the reason. */
export function transportFor(host: string, tls?: TlsFiles): Transport {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new CliError(`invalid host ${host}: a unix socket path must be absolute`);
    return { host, request: http.request, options: { socketPath } };
  }
  if (host.startsWith('tcp://')) return tcpTransport(host, tls);
  if (host.startsWith('ssh://')) {
    let url: URL;
    try {
      url = new URL(host);
    } catch {
      throw new CliError(`invalid host ${host}: expected ssh://[USER@]HOST[:PORT]`);
    }
    return sshTransport(url);
  }
  throw new CliError(`invalid host ${host}: expected unix:///path, tcp://HOST:PORT or ssh://[USER@]HOST`);
}
// #endregion transport-for

/** tcp://host[:port] → http, or https when --tls/--tlsverify asks (port 2376 by default, Docker's). */
function tcpTransport(host: string, tls?: TlsFiles): Transport {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new CliError(`invalid host ${host}: expected tcp://HOST:PORT`);
  }
  if (!url.hostname || (url.pathname !== '' && url.pathname !== '/') || url.search || url.username) {
    throw new CliError(`invalid host ${host}: expected tcp://HOST:PORT and nothing else`);
  }
  // URL keeps the brackets of an IPv6 address; the socket wants it bare.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const useTls = tls !== undefined && (tls.tls || tls.verify);
  const port = Number(url.port || (useTls ? 2376 : 2375));
  if (!useTls) return { host, request: http.request, options: { host: hostname, port } };
  // A file a flag names must be there; one from DOCKLING_CERT_PATH may be missing (except the CA, with --tlsverify).
  const file = (flag: string, given: string | undefined, name: string, required: boolean) =>
    given !== undefined ? readTlsFile(given, flag, { required: true, named: true }) : readTlsFile(tls.certPath ? join(tls.certPath, name) : undefined, flag, { required, named: false });
  const options: https.RequestOptions = {
    host: hostname,
    port,
    ca: file('--tlscacert', tls.ca, 'ca.pem', tls.verify),
    cert: file('--tlscert', tls.cert, 'cert.pem', false),
    key: file('--tlskey', tls.key, 'key.pem', false),
    // --tlsverify: the daemon's certificate must come from our CA *and* name the host we dialled
    // (Node checks the name against the certificate's subjectAltName, as Docker's Go client does).
    // --tls alone is Docker's "encrypt but do not check who answers": a stranger in the middle
    // could answer instead. We allow it because Docker does, and say so in the chapter.
    rejectUnauthorized: tls.verify,
  };
  return { host, request: https.request as typeof http.request, options };
}

/** A certificate or key file, read now so that a wrong path is named before any connection. */
function readTlsFile(path: string | undefined, flag: string, a: { required: boolean; named: boolean }): Buffer | undefined {
  const missing = () => new CliError(`--tlsverify needs the CA that signed the daemon's certificate: name it with ${flag}, or put ca.pem in DOCKLING_CERT_PATH${path ? ` (there is no ${path})` : ''}`);
  if (path === undefined) {
    if (a.required) throw missing();
    return undefined;
  }
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !a.named) {
      if (a.required) throw missing();
      return undefined;
    }
    throw new CliError(`could not read ${flag} ${path}: ${(err as Error).message}`);
  }
}
