// Published ports (chapter 3, networking): `-p [ip:]hostPort:containerPort[/udp]`. The daemon
// listens on the host's port and copies bytes to the container's address and back — Docker's
// "userland proxy" (docker-proxy), which Docker keeps next to its iptables DNAT rules. A proxy
// is the readable half: one listening socket per binding, one outgoing connection per incoming
// one. It listens only where asked (Docker's default is every address, 0.0.0.0), and closing it
// closes the listeners and every connection in flight.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { EngineError } from '../base/index.js';
import type { Span } from '../trace/index.js';

export interface PortBinding {
  /** The host address to listen on; Docker's default is 0.0.0.0 (every address). */
  hostIp?: string;
  /** 0 picks a free port; the result says which. */
  hostPort: number;
  containerPort: number;
  proto: 'tcp' | 'udp';
}

export interface PublishedPorts {
  /** Where each binding listens, in the order given. */
  ports: Array<{ hostIp: string; hostPort: number }>;
  close(): Promise<void>;
}

/** A listener and how to stop it with everything it started. */
interface Listener {
  hostIp: string;
  hostPort: number;
  close(): Promise<void>;
}

// #region publish-ports
export async function publishPorts(args: { bindings: PortBinding[]; containerIp: string; span?: Span }): Promise<PublishedPorts> {
  const listeners: Listener[] = [];
  const closeAll = async () => {
    for (const l of listeners.splice(0).reverse()) await l.close();
  };
  try {
    for (const b of args.bindings) {
      const target = { host: args.containerIp, port: b.containerPort };
      const hostIp = b.hostIp || '0.0.0.0';
      const l = b.proto === 'udp' ? await listenUdp(hostIp, b.hostPort, target) : await listenTcp(hostIp, b.hostPort, target);
      listeners.push(l);
      args.span?.event('net.port', { proto: b.proto, hostIp: l.hostIp, hostPort: l.hostPort, containerIp: args.containerIp, containerPort: b.containerPort });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { ports: listeners.map((l) => ({ hostIp: l.hostIp, hostPort: l.hostPort })), close: closeAll };
}
// #endregion publish-ports

function listenFailed(proto: string, hostIp: string, hostPort: number, err: NodeJS.ErrnoException): EngineError {
  // Docker's words for the common case: "Bind for 0.0.0.0:8080 failed: port is already allocated".
  const inUse = err.code === 'EADDRINUSE';
  return new EngineError({
    code: inUse ? 'PORT_ALLOCATED' : 'PORT_LISTEN_FAILED',
    kind: inUse ? 'conflict' : 'internal',
    message: inUse ? `Bind for ${hostIp}:${hostPort} failed: port is already allocated` : `listen ${proto} ${hostIp}:${hostPort}: ${err.message}`,
    data: { proto, hostIp, hostPort, errno: err.code, syscall: err.syscall },
    cause: err,
  });
}

/** TCP: each accepted connection gets its own connection to the container; bytes flow both ways. */
function listenTcp(hostIp: string, hostPort: number, target: { host: string; port: number }): Promise<Listener> {
  const open = new Set<Socket>();
  // Half-open allowed on both sides: a client that sends and then shuts its writing side (like
  // `nc -N`) must still receive the reply; pipe() passes each end along when its side is done.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ ...target, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      // A reset on either side ends both: the client sees the container go away, and vice versa.
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(listenFailed('tcp', hostIp, hostPort, err)));
    server.listen({ host: hostIp, port: hostPort, exclusive: true }, () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        hostIp, hostPort: port,
        close: () => new Promise<void>((done) => {
          for (const s of open) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

/**
 * UDP has no connections, so the proxy makes one per client address: a socket towards the
 * container whose replies go back to that client. A client quiet for a minute is forgotten.
 */
function listenUdp(hostIp: string, hostPort: number, target: { host: string; port: number }): Promise<Listener> {
  const sock = createSocket(hostIp.includes(':') ? 'udp6' : 'udp4');
  const flows = new Map<string, { up: UdpSocket; timer: NodeJS.Timeout }>();
  const forget = (key: string) => {
    const f = flows.get(key);
    if (!f) return;
    clearTimeout(f.timer);
    f.up.close();
    flows.delete(key);
  };
  sock.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const up = createSocket('udp4');
      up.on('message', (reply) => sock.send(reply, from.port, from.address));
      up.on('error', () => forget(key));
      flow = { up, timer: setTimeout(() => forget(key), 60_000) };
      flows.set(key, flow);
    }
    flow.timer.refresh();
    flow.up.send(msg, target.port, target.host);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', (err) => reject(listenFailed('udp', hostIp, hostPort, err)));
    sock.bind({ address: hostIp, port: hostPort, exclusive: true }, () => {
      resolve({
        hostIp, hostPort: sock.address().port,
        close: () => new Promise<void>((done) => {
          for (const key of [...flows.keys()]) forget(key);
          sock.close(() => done());
        }),
      });
    });
  });
}
