// Where the daemon listens and who may talk there (chapter 6, "Driving a daemon on another
// machine"), decided as data before anything is opened. The Engine API starts containers as
// root, so whoever reaches it is root on this machine. Three kinds of -H follow from that:
//   unix:///run/dockling.sock  a root-owned socket file: the file's mode says who may connect
//   tcp://ADDR:2376 --tlsverify   mutual TLS: only a client whose certificate our CA signed gets
//                              past the handshake, before it can send a single HTTP byte
//   tcp://127.0.0.1:2375 --tls=false  no authentication at all, so: loopback only, read-only
//                              (GET and HEAD), and a warning. Docker 27+ asks for the same
//                              `--tls=false` before it serves unauthenticated TCP.
// `--tls` without `--tlsverify` is refused: in Docker it means "encrypt, but let anyone in",
// which is a root shell for the network behind a padlock icon.
// A fourth, `fd://`, is socket activation: systemd opened /run/dockling.sock itself (the
// socket unit says where, and who may connect) and hands it to us already listening, as file
// descriptor 3 onwards (sd_listen_fds(3)); `fd://` takes them all, `fd://3` one of them.
import { isIP } from 'node:net';
import { invalid } from '../base/index.js';

/** Docker's flag names (and daemon.json keys): tls, tlsverify, tlscacert, tlscert, tlskey. */
export interface TlsSettings {
  /** `--tls` / `--tls=false`; undefined when not given (the difference matters). */
  tls?: boolean;
  /** `--tlsverify`: serve TLS and verify each client's certificate against tlscacert. */
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

export type ListenAddress =
  | { kind: 'unix'; host: string; path: string }
  | { kind: 'tcp'; host: string; address: string; port: number; access: 'mutual-tls' | 'read-only' }
  | { kind: 'fd'; host: string; fd: number };

const TLS_DEFAULT_PORT = 2376;
const PLAIN_DEFAULT_PORT = 2375;

// #region plan-listeners
/**
 * Each -H as a plan; a host the rules forbid is refused here, before the daemon touches anything.
 * `activated`: the descriptors systemd passed (LISTEN_FDS), for fd:// hosts.
 */
export function planListeners(hosts: string[], tls: TlsSettings, activated: number[] = []): ListenAddress[] {
  return hosts.flatMap((host): ListenAddress | ListenAddress[] => {
    if (host.startsWith('unix://')) return { kind: 'unix', host, path: unixPath(host) };
    if (host.startsWith('fd://')) return activatedFds(host, activated);
    if (!host.startsWith('tcp://')) {
      throw invalid('HOST_INVALID', `invalid host ${host}: expected unix:///path/to/socket or tcp://ADDRESS:PORT`, { host });
    }
    const { address, port } = tcpAddress(host, tls.tlsverify === true);
    if (tls.tlsverify === true) {
      for (const flag of ['tlscacert', 'tlscert', 'tlskey'] as const) {
        if (!tls[flag]) throw invalid('TLS_FILE_MISSING', `${host} with --tlsverify needs --${flag} (${TLS_FILE_ROLE[flag]})`, { host, flag });
      }
      return { kind: 'tcp', host, address, port, access: 'mutual-tls' };
    }
    if (tls.tls === true) {
      throw invalid('TLS_WITHOUT_VERIFY', `${host}: --tls without --tlsverify would encrypt the API but let in anyone who connects, and the API is root on this machine: add --tlsverify with --tlscacert (the CA that signed your clients' certificates)`, { host });
    }
    if (!isLoopback(address)) {
      throw invalid('TCP_WITHOUT_TLS', `refusing to serve the API on ${host} without --tlsverify: anyone who can reach that address would be root on this machine. Use --tlsverify with certificates (dockling certs), or a loopback address with --tls=false for a read-only API`, { host });
    }
    if (tls.tls !== false) {
      throw invalid('TCP_WITHOUT_TLS', `refusing to serve the API on ${host} without --tlsverify; to serve it unauthenticated anyway (read-only, loopback only), add --tls=false`, { host });
    }
    return { kind: 'tcp', host, address, port, access: 'read-only' };
  });
}
// #endregion plan-listeners

/** `fd://` → every passed descriptor; `fd://N` → N, which systemd must have passed. */
function activatedFds(host: string, activated: number[]): ListenAddress[] {
  if (activated.length === 0) {
    throw invalid('HOST_INVALID', `${host}: no sockets were passed to this daemon (LISTEN_FDS is not set for it): fd:// is for a daemon started by a systemd socket unit (dockling system install) or systemd-socket-activate`, { host });
  }
  const named = host.slice('fd://'.length);
  if (named === '') return activated.map((fd) => ({ kind: 'fd', host: `fd://${fd}`, fd }));
  const fd = Number(named);
  if (!activated.includes(fd)) {
    throw invalid('HOST_INVALID', `${host}: systemd passed descriptors ${activated.join(', ')}, not ${named}`, { host, activated });
  }
  return [{ kind: 'fd', host, fd }];
}

const TLS_FILE_ROLE = {
  tlscacert: 'the CA that signed the clients\' certificates',
  tlscert: "this daemon's certificate",
  tlskey: "this daemon's private key",
};

function unixPath(host: string): string {
  const path = host.slice('unix://'.length);
  if (!path.startsWith('/')) throw invalid('HOST_INVALID', `unix socket path must be absolute: ${host}`, { host });
  return path;
}

/** `tcp://10.0.0.5:2376`, `tcp://[::1]:2375`, `tcp://0.0.0.0` → address and port (Docker's defaults: 2376 with TLS, 2375 without). */
function tcpAddress(host: string, tls: boolean): { address: string; port: number } {
  const bad = () => invalid('HOST_INVALID', `invalid host ${host}: expected tcp://ADDRESS:PORT with an IP address, e.g. tcp://0.0.0.0:2376`, { host });
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw bad();
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash || url.username) throw bad();
  const name = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // A name would be resolved at bind time, to addresses we did not check: only IPs (and localhost).
  const address = name === 'localhost' ? '127.0.0.1' : name;
  if (!isIP(address)) throw bad();
  const port = url.port === '' ? (tls ? TLS_DEFAULT_PORT : PLAIN_DEFAULT_PORT) : Number(url.port);
  return { address, port };
}

/** 127.0.0.0/8 and ::1: addresses no other machine can reach. */
export function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}
