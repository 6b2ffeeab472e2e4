// Chapter 2's init layer: the runtime's mount points in a snapshot of their own between the
// image and the container's read-write layer — on both drivers, never following an image's
// symlink out to the host, and covering every mount point chapter 3's runtime binds.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MOUNTS, ETC_FILES } from '../../engine/namespaces/index.js';
import { createSnapshotter, unpackImage, withMounted } from '../../engine/unionfs/index.js';
import { INIT_DIRS, INIT_FILES, initSnapshotName, prepareInitLayer } from '../../engine/unionfs/init-layer.js';
import { cleanupEnv, listing, makeEnv, skipUnless, type Env } from './helpers.js';

describe('the init layer list', () => {
  it('holds every top-level kernel mount point and every file the runtime binds', () => {
    const tops = [...new Set(DEFAULT_MOUNTS.map((m) => `/${m.destination.split('/')[1]}`))];
    expect([...INIT_DIRS].sort()).toEqual(tops.sort());
    expect([...INIT_FILES].sort()).toEqual(ETC_FILES.map((f) => f.destination).sort());
  });
});

for (const driver of ['overlay', 'copy'] as const) {
  describe.skipIf(skipUnless({ root: true, overlay: driver === 'overlay' }))(`the init layer on the ${driver} snapshotter`, () => {
    let env: Env;
    beforeEach(async () => {
      env = await makeEnv();
    });
    afterEach(async () => cleanupEnv(env));

    it('makes the missing mount points, keeps what the image has, and is committed under the container', async () => {
      const s = await createSnapshotter({ root: env.dir('state'), tracer: env.tracer, driver });
      const image = await env.image([await env.layer({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n', 'proc/': null, 'bin/sh': '#!\n' })]);
      const top = await unpackImage({ image, content: env.content, snapshotter: s });
      const name = await prepareInitLayer({ snapshotter: s, id: 'c1', parent: top, tmpRoot: env.dir('tmp'), span: env.tracer.start('unionfs', 'container.create') });
      expect(name).toBe(initSnapshotName('c1'));
      expect(await s.stat(name)).toMatchObject({ kind: 'committed', parent: top });
      const made = env.sink.events.find((e) => e.op === 'init.layer')!.data['made'];
      expect(made).toEqual(['/dev', '/sys', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf']); // /proc was there
      mkdirSync(env.dir('tmp'), { recursive: true });
      const view = await s.view('look', name);
      const merged = await withMounted({ plan: view, tmpRoot: env.dir('tmp') }, async (root) => listing(root));
      await s.remove('look');
      expect(merged).toEqual(expect.arrayContaining(['dev/ d 755 0:0', 'sys/ d 755 0:0', 'proc/ d 755 0:0', 'etc/passwd f 644 0:0 26 ' + merged.find((l) => l.startsWith('etc/passwd'))!.split(' ').at(-1)]));
      for (const f of ['etc/hostname', 'etc/hosts', 'etc/resolv.conf']) expect(merged.find((l) => l.startsWith(`${f} `))).toMatch(/ f 644 0:0 0 /);
      // A container on top of it sees no changes of its own.
      await s.prepare('rw', name);
      const src = await s.changesSource('rw');
      if (src.form === 'overlay') expect(readdirSync(src.upper)).toEqual([]);
    });

    it('never follows an image symlink to the host: /etc -> /host-dir is left to the runtime', async () => {
      const hostDir = env.dir('host-etc');
      mkdirSync(hostDir);
      const s = await createSnapshotter({ root: env.dir('state'), tracer: env.tracer, driver });
      const image = await env.image([await env.layer({ etc: { link: hostDir }, 'bin/sh': '#!\n' })]);
      const top = await unpackImage({ image, content: env.content, snapshotter: s });
      await prepareInitLayer({ snapshotter: s, id: 'c2', parent: top, tmpRoot: env.dir('tmp'), span: env.tracer.start('unionfs', 'container.create') });
      expect(readdirSync(hostDir)).toEqual([]);
      expect(env.sink.events.find((e) => e.op === 'init.layer')!.data['made']).toEqual(['/proc', '/dev', '/sys']);
      expect(existsSync(join(hostDir, 'hostname'))).toBe(false);
      expect(lstatSync(hostDir).isDirectory()).toBe(true);
    });

    it('a failed init layer leaves no snapshot behind', async () => {
      const s = await createSnapshotter({ root: env.dir('state'), tracer: env.tracer, driver });
      // tmpRoot is a file: the mount directory cannot be made there.
      const bad = env.dir('not-a-dir');
      writeFileSync(bad, 'x');
      await expect(prepareInitLayer({ snapshotter: s, id: 'c3', tmpRoot: bad })).rejects.toThrow();
      expect(await s.list()).toEqual([]);
    });
  });
}
