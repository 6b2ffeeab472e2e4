// Chapter 3, published ports: `-p 127.0.0.1:<port>:7002` reaches a TCP server inside a
// container's namespace through the daemon's userland proxy, and nothing listens after close().
// The proxy tests that need no namespace (loopback only) run without root.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { connectContainer } from '../../engine/namespaces/network-connect.js';
import { publishPorts } from '../../engine/namespaces/port-proxy.js';
import { cleanupNetEnv, echoServer, makeNetEnv, NOTHING_LEFT, skipNetworking, startInNetns, type NetEnv } from './network-helpers.js';

/** Sends `msg` to 127.0.0.1:port and resolves with the whole reply (the server ends it). */
function tcpRoundTrip(port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(msg));
    let got = '';
    s.on('data', (b) => (got += b));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('port proxy on loopback', () => {
  let upstream: Server;
  let upstreamPort: number;
  beforeEach(async () => {
    upstream = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamPort = (upstream.address() as { port: number }).port;
  });
  afterEach(async () => new Promise<void>((r) => upstream.close(() => r())));

  it('forwards TCP both ways, listens only where asked, and stops on close()', async () => {
    const pub = await publishPorts({ bindings: [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: upstreamPort, proto: 'tcp' }], containerIp: '127.0.0.1' });
    const [{ hostIp, hostPort }] = pub.ports as [{ hostIp: string; hostPort: number }];
    expect(hostIp).toBe('127.0.0.1');
    expect(hostPort).toBeGreaterThan(0);
    expect(await tcpRoundTrip(hostPort, 'ping')).toBe('ping');
    // A connection still open when the proxy closes is cut, not left dangling.
    const open = connect(hostPort, '127.0.0.1');
    await new Promise((r) => open.once('connect', r));
    const closed = new Promise((r) => open.once('close', r));
    await pub.close();
    await closed;
    expect(await listening(hostPort)).toBe(false);
  });

  it('a port in use is PORT_ALLOCATED, and the bindings already made are closed again', async () => {
    const first = await publishPorts({ bindings: [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: upstreamPort, proto: 'tcp' }], containerIp: '127.0.0.1' });
    const taken = first.ports[0]!.hostPort;
    const err = await publishPorts({
      bindings: [
        { hostIp: '127.0.0.1', hostPort: 0, containerPort: upstreamPort, proto: 'tcp' },
        { hostIp: '127.0.0.1', hostPort: taken, containerPort: upstreamPort, proto: 'tcp' },
      ],
      containerIp: '127.0.0.1',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PORT_ALLOCATED', kind: 'conflict', data: { hostPort: taken } });
    await first.close();
  });

  it('forwards UDP datagrams and their replies', async () => {
    const echo = createSocket('udp4');
    echo.on('message', (m, from) => echo.send(Buffer.concat([Buffer.from('re:'), m]), from.port, from.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
    const pub = await publishPorts({ bindings: [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: echo.address().port, proto: 'udp' }], containerIp: '127.0.0.1' });
    const client = createSocket('udp4');
    try {
      const reply = new Promise<string>((r) => client.once('message', (m) => r(m.toString())));
      client.send('hi', pub.ports[0]!.hostPort, '127.0.0.1');
      expect(await reply).toBe('re:hi');
    } finally {
      client.close();
      await pub.close();
      echo.close();
    }
  });
});

describe.skipIf(skipNetworking())('published port into a container', () => {
  let env: NetEnv;
  beforeEach(async () => {
    env = await makeNetEnv({ tag: 'p', subnet: '10.213.240.0/24', pool: '10.213.244.0/22' });
  });
  afterEach(async () => {
    expect(await cleanupNetEnv(env)).toEqual(NOTHING_LEFT);
  });

  it('127.0.0.1:<free port> reaches a server inside the namespace; closed after close()', async () => {
    const c = await connectContainer({ networks: env.networks, containerId: env.newContainerId(), name: 'web', network: 'bridge', stateDir: env.root });
    await startInNetns(env, c.netnsPath!, echoServer(7002));
    const span = env.tracer.start('namespaces', 'test');
    const pub = await publishPorts({ bindings: [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 7002, proto: 'tcp' }], containerIp: c.ip!, span });
    const port = pub.ports[0]!.hostPort;
    expect(await tcpRoundTrip(port, 'through the bridge')).toBe('through the bridge');
    expect(env.sink.events.find((e) => e.op === 'net.port')?.data).toMatchObject({ hostIp: '127.0.0.1', hostPort: port, containerIp: c.ip, containerPort: 7002 });
    await pub.close();
    expect(await listening(port)).toBe(false);
  });
});
