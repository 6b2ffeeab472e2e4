// Helpers for chapter 3's networking tests: an environment with its own state dir, bridge name
// and address range (10.213.x.y, unused on the test machines; every address a test talks to is
// inside a namespace the test made), processes run inside a namespace with `nsenter --net`, and
// the leftover check every test ends with: no device, netns mount, file, iptables rule or child
// of ours remains. What is left over is removed anyway, then reported, so a failure leaks nothing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../engine/base/index.js';
import { MemorySink, Tracer } from '../../engine/trace/index.js';
import { NetworkStore } from '../../engine/namespaces/networks.js';
import { disconnectContainer } from '../../engine/namespaces/network-connect.js';
import { tempDir } from '../tmp.js';

/** Whether to skip: these tests need root, iproute2 and util-linux. */
export function skipNetworking(): boolean {
  const why: string[] = [];
  if (process.getuid?.() !== 0) why.push('needs root');
  for (const cmd of [['ip', '-V'], ['nsenter', '--version'], ['unshare', '--version']]) {
    try {
      execFileSync(cmd[0]!, cmd.slice(1), { stdio: 'ignore' });
    } catch {
      why.push(`no ${cmd[0]}`);
    }
  }
  if (why.length) console.warn(`skipping networking tests: ${why.join(', ')}`);
  return why.length > 0;
}

export interface NetEnv {
  root: string;
  tracer: Tracer;
  sink: MemorySink;
  networks: NetworkStore;
  /** Device names this environment may create: its default bridge, its networks' bridges. */
  bridges: Set<string>;
  containerIds: string[];
  children: ChildProcess[];
  newContainerId(): string;
  createNetwork(name: string, subnet?: string): Promise<void>;
}

/** `subnet` is the default network's; `pool` is where user networks get theirs. */
export async function makeNetEnv(args: { tag: string; subnet: string; pool: string }): Promise<NetEnv> {
  const root = await tempDir(`dockling-net-${args.tag}-`);
  const sink = new MemorySink();
  const tracer = new Tracer([sink]);
  // A bridge name of our own: other suites (and a real daemon) may be using dockling0.
  const bridge = `dlt${args.tag}${randomBytes(2).toString('hex')}`.slice(0, 15);
  const networks = new NetworkStore({ stateDir: root, tracer, defaultSubnet: args.subnet, defaultBridge: bridge, userPool: args.pool });
  await networks.init();
  const env: NetEnv = {
    root, tracer, sink, networks, bridges: new Set([bridge]), containerIds: [], children: [],
    newContainerId() {
      const id = randomBytes(32).toString('hex');
      env.containerIds.push(id);
      return id;
    },
    async createNetwork(name, subnet) {
      const info = await networks.create({ name, subnet });
      env.bridges.add(info.Options['com.docker.network.bridge.name']!);
    },
  };
  return env;
}

/** Starts `node -e script` inside the namespace at `netns`; resolves once it prints `ready`. */
export function startInNetns(env: NetEnv, netns: string, script: string): Promise<ChildProcess> {
  const child = spawn('nsenter', [`--net=${netns}`, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  env.children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b));
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve(child));
    child.on('exit', (code) => reject(new Error(`process in ${netns} exited with ${code}: ${err}`)));
  });
}

/** A TCP echo server listening on every address of the namespace it runs in. */
export const echoServer = (port: number) =>
  `require('net').createServer((s) => s.pipe(s)).listen(${port}, '0.0.0.0', () => console.log('ready'))`;

/** A TCP client: resolves `host` (through /etc/hosts), sends `hello`, prints "<address> <reply>". */
export const echoClient = (host: string, port: number) => `
  require('dns').lookup(${JSON.stringify(host)}, { family: 4 }, (e, addr) => {
    if (e) { console.error(e.message); process.exit(2); }
    const s = require('net').connect(${port}, addr, () => s.end('hello'));
    let got = '';
    s.on('data', (b) => (got += b));
    s.on('end', () => console.log(addr + ' ' + got));
    s.on('error', (err) => { console.error(err.message); process.exit(3); });
  });
  setTimeout(() => process.exit(4), 5000).unref();`;

/**
 * Runs `node -e script` in the namespace and returns what it printed. With `hostsFile`, the
 * process gets its own mount namespace with that file over /etc/hosts (and a resolv.conf
 * pointing at loopback, so a name not in the file never leaves the namespace): what the runtime
 * does for a real container.
 */
export async function runInNetns(netns: string, script: string, hostsFile?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const node = [process.execPath, '-e', script];
  const argv = hostsFile
    ? ['nsenter', `--net=${netns}`, 'unshare', '-m', 'sh', '-c',
      'mount --bind "$1" /etc/hosts && echo "nameserver 127.0.0.1" > "$1.resolv" && mount --bind "$1.resolv" /etc/resolv.conf && shift && exec "$@"', 'sh', hostsFile, ...node]
    : ['nsenter', `--net=${netns}`, ...node];
  return run(argv, { allowFailure: true });
}

/** What of ours is still on the machine. */
export interface Leftovers {
  links: string[];
  netnsMounts: string[];
  netnsFiles: string[];
  iptables: string[];
  children: number[];
}

export async function leftovers(env: NetEnv): Promise<Leftovers> {
  const shortIds = env.containerIds.map((id) => `vdl${id.slice(0, 10)}`);
  const links = (await run(['ip', '-o', 'link', 'show'])).stdout
    .split('\n').map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((name) => env.bridges.has(name) || shortIds.includes(name));
  const netnsMounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4] ?? '').filter((p) => p.startsWith(env.root));
  const netnsDir = join(env.root, 'netns');
  const netnsFiles = (() => {
    try {
      return readdirSync(netnsDir).map((f) => join(netnsDir, f));
    } catch {
      return [];
    }
  })();
  const rules = (await run(['iptables', '-S'], { allowFailure: true }).catch(() => ({ stdout: '' }))).stdout;
  const iptables = rules.split('\n').filter((l) => [...env.bridges].some((b) => l.includes(b)));
  const children = env.children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid!);
  return { links, netnsMounts, netnsFiles, iptables, children };
}

export const NOTHING_LEFT: Leftovers = { links: [], netnsMounts: [], netnsFiles: [], iptables: [], children: [] };

/** Disconnects every container, kills every child, reports what was left and removes it. */
export async function cleanupNetEnv(env: NetEnv): Promise<Leftovers> {
  for (const c of env.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(env.children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  for (const id of env.containerIds) await disconnectContainer({ networks: env.networks, containerId: id, stateDir: env.root }).catch(() => {});
  for (const info of await env.networks.list().catch(() => [])) {
    if (info.Name !== 'bridge' && info.Driver === 'bridge') await env.networks.remove(info.Id).catch(() => {});
  }
  const left = await leftovers(env);
  // Whatever is still there goes now, so a failing test leaks nothing; the test then fails on it.
  for (const rule of left.iptables) await run(['sh', '-c', `iptables ${rule.replace(/^-A/, '-D')}`], { allowFailure: true });
  for (const name of left.links) await run(['ip', 'link', 'del', name], { allowFailure: true });
  for (const path of left.netnsMounts.reverse()) await run(['umount', '-l', path], { allowFailure: true });
  return left;
}
