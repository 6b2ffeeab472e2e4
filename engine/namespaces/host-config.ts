// HostConfig as the runtime reads it (chapter 3): Docker's create-time fields — NetworkMode,
// Memory, NanoCpus, PidsLimit, CpuShares, PortBindings — turned into what the network, cgroup
// and port modules take. Pure functions, so the mapping is tested without root.
import type { CgroupLimits } from './cgroup-plan.js';
import type { PortBinding } from './port-proxy.js';

/** HostConfig.NetworkMode as a network name: Docker's "default" is the bridge. */
export function networkName(host: Record<string, unknown>): string {
  const mode = typeof host['NetworkMode'] === 'string' ? (host['NetworkMode'] as string) : '';
  return mode === '' || mode === 'default' ? 'bridge' : mode;
}

/** `-m`, `--memory-swap`, `--cpus`, `--cpu-shares`, `--pids-limit` as the cgroup planner takes them. */
export function limitsOf(host: Record<string, unknown>): CgroupLimits {
  const num = (k: string) => (typeof host[k] === 'number' && (host[k] as number) !== 0 ? (host[k] as number) : undefined);
  const limits: CgroupLimits = {};
  if (num('Memory')! > 0) limits.memoryBytes = num('Memory');
  if (num('Memory')! > 0 && num('MemorySwap')) limits.memorySwapBytes = num('MemorySwap');
  if (num('NanoCpus')! > 0) limits.cpus = num('NanoCpus')! / 1e9;
  if (num('CpuShares')! > 0) limits.cpuShares = num('CpuShares');
  if (num('PidsLimit')! > 0) limits.pidsLimit = num('PidsLimit');
  return limits;
}

/** HostConfig.PortBindings ({"80/tcp":[{HostIp,HostPort}]}) as the proxy's bindings. */
export function portBindings(host: Record<string, unknown>): PortBinding[] {
  const table = (host['PortBindings'] ?? {}) as Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;
  const out: PortBinding[] = [];
  for (const [key, list] of Object.entries(table)) {
    const [port, proto = 'tcp'] = key.split('/');
    for (const b of list ?? []) {
      out.push({ hostIp: b.HostIp || '0.0.0.0', hostPort: Number(b.HostPort || 0), containerPort: Number(port), proto: proto === 'udp' ? 'udp' : 'tcp' });
    }
  }
  return out;
}
