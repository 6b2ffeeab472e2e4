// HostConfig as the runtime reads it: pure mappings, no root needed.
import { describe, expect, it } from 'vitest';
import { limitsOf, networkName, portBindings } from '../../engine/namespaces/index.js';

describe('host-config', () => {
  it('NetworkMode: "default" and "" are the bridge; others as given', () => {
    expect(networkName({ NetworkMode: 'default' })).toBe('bridge');
    expect(networkName({})).toBe('bridge');
    expect(networkName({ NetworkMode: 'none' })).toBe('none');
    expect(networkName({ NetworkMode: 'mynet' })).toBe('mynet');
  });

  it('limits: -m, --memory-swap, --cpus, --cpu-shares, --pids-limit; zeros mean unset', () => {
    expect(limitsOf({ Memory: 8388608, MemorySwap: 16777216, NanoCpus: 1.5e9, CpuShares: 512, PidsLimit: 64 }))
      .toEqual({ memoryBytes: 8388608, memorySwapBytes: 16777216, cpus: 1.5, cpuShares: 512, pidsLimit: 64 });
    expect(limitsOf({ Memory: 0, NanoCpus: 0, PidsLimit: 0, MemorySwap: -1 })).toEqual({});
  });

  it('PortBindings: every binding of every port, 0.0.0.0 and port 0 when empty', () => {
    expect(portBindings({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }] } })).toEqual([
      { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, proto: 'tcp' },
      { hostIp: '0.0.0.0', hostPort: 0, containerPort: 53, proto: 'udp' },
    ]);
  });
});
