// `create -v/--mount/--tmpfs/--read-only` as the body the docker CLI sends (run-d.txt shows
// `"Binds": ["/tmp:/data"]`): `-v /data` alone goes to Config.Volumes, the rest to HostConfig.
import { describe, expect, it } from 'vitest';
import { createBody, parseMountFlag } from '../../engine/cli/verbs/create.js';

describe('create filesystem flags', () => {
  it('puts each flag where docker puts it', () => {
    const body = createBody('busybox', ['sh'], {
      volume: ['/tmp:/data', 'named:/n:ro', '/anon'],
      mount: ['type=bind,source=/srv,target=/srv,readonly'],
      tmpfs: ['/run:size=64m', '/scratch'],
      'read-only': true,
    });
    expect(body['Volumes']).toEqual({ '/anon': {} });
    expect(body['HostConfig']).toMatchObject({
      Binds: ['/tmp:/data', 'named:/n:ro'],
      Mounts: [{ Type: 'bind', Source: '/srv', Target: '/srv', ReadOnly: true }],
      Tmpfs: { '/run': 'size=64m', '/scratch': '' },
      ReadonlyRootfs: true,
    });
  });

  it('leaves HostConfig as before when no filesystem flag is given', () => {
    expect(createBody('busybox', [], {})['HostConfig']).toEqual({ NetworkMode: 'default', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, ConsoleSize: [0, 0] });
  });

  it('--mount: aliases, volume by default, and a clear error for a bad key or no target', () => {
    expect(parseMountFlag('src=v1,dst=/d')).toEqual({ Type: 'volume', Source: 'v1', Target: '/d' });
    expect(parseMountFlag('type=tmpfs,destination=/t,ro=false')).toEqual({ Type: 'tmpfs', Target: '/t', ReadOnly: false });
    expect(() => parseMountFlag('type=bind,source=/a,taget=/b')).toThrow(/unexpected key 'taget'/);
    expect(() => parseMountFlag('type=bind,source=/a')).toThrow(/target is required/);
  });
});
