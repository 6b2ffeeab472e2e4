// The pure half of --runtime runc|crun (oci-runtime.ts), without root: which name a HostConfig
// asks for, the spec adjustments (runc's own cgroup path, the prepared network namespace by
// path, none for --network host) and the command the shim supervises.
import { describe, expect, it } from 'vitest';
import { ociCgroupName, ociRunArgv, ociSpec, runtimeOf } from '../../engine/namespaces/oci-runtime.js';
import type { Spec } from '../../engine/namespaces/index.js';

const spec = {
  ociVersion: '1.0.2',
  linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }], cgroupsPath: '/dockling/abc', maskedPaths: [], readonlyPaths: [] },
} as unknown as Spec;

describe('oci-runtime', () => {
  it('runtimeOf: "" and absent are dockling; runc and crun by name; others UNKNOWN_RUNTIME', () => {
    expect(runtimeOf({})).toBe('dockling');
    expect(runtimeOf({ Runtime: '' })).toBe('dockling');
    expect(runtimeOf({ Runtime: 'runc' })).toBe('runc');
    expect(runtimeOf({ Runtime: 'crun' })).toBe('crun');
    expect(() => runtimeOf({ Runtime: 'kata' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_RUNTIME', kind: 'invalid-argument' }));
  });

  it('ociSpec: runc\'s own cgroup path, the prepared netns joined by path', () => {
    const out = ociSpec(spec, { id: 'abc', runtime: 'runc', netnsPath: '/data/network/netns/abc' });
    expect(out.linux.cgroupsPath).toBe('/dockling-runc/abc');
    expect(out.linux.namespaces).toEqual([{ type: 'pid' }, { type: 'network', path: '/data/network/netns/abc' }, { type: 'mount' }]);
    expect(spec.linux.cgroupsPath).toBe('/dockling/abc'); // the input is not changed
    expect(ociCgroupName({ name: 'crun' }, 'abc')).toBe('dockling-crun/abc');
  });

  it('ociSpec: --network host has no network namespace at all', () => {
    expect(ociSpec(spec, { id: 'abc', runtime: 'crun', netnsPath: null }).linux.namespaces).toEqual([{ type: 'pid' }, { type: 'mount' }]);
  });

  it('ociRunArgv: runc --root R run --bundle B ID, in the foreground', () => {
    expect(ociRunArgv({ name: 'runc', binary: '/usr/sbin/runc', root: '/data/oci' }, { bundle: '/data/run/abc/bundle', id: 'abc' }))
      .toEqual(['/usr/sbin/runc', '--root', '/data/oci', 'run', '--bundle', '/data/run/abc/bundle', 'abc']);
  });
});
