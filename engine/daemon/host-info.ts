// Facts about the host that `docker info` and `docker version` show: kernel, distribution,
// CPUs, memory, and which cgroup hierarchy is mounted (v2 has cgroup.controllers at the top of
// /sys/fs/cgroup; v1 and the hybrid layout do not). Read once per request: they are cheap.
import { readFileSync, existsSync } from 'node:fs';
import { availableParallelism, hostname, machine, release, totalmem, type as osType } from 'node:os';

/** Node's process.arch in Go's GOARCH words, which is what Docker clients print. */
export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

export function cgroupVersion(root = '/sys/fs/cgroup'): '1' | '2' {
  return existsSync(`${root}/cgroup.controllers`) ? '2' : '1';
}

export function operatingSystem(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    if (m) return m[1]!;
  } catch {
    // Not every system has os-release; fall through to the kernel's name.
  }
  return osType();
}

export function hostFacts() {
  return {
    kernelVersion: release(),
    operatingSystem: operatingSystem(),
    architecture: machine(),
    ncpu: availableParallelism(),
    memTotal: totalmem(),
    hostname: hostname(),
    cgroupVersion: cgroupVersion(),
  };
}
