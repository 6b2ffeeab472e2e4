// Checks the yardstick itself (buildah-harness.ts): real buildah builds whose configs and files
// are known in advance, a failing build, nothing left behind; and compareImages on made-up
// images. Skipped, with the reason printed, only when buildah cannot run here.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../tmp.js';
import { BASE_ENV, buildahAvailable, buildahBuild, compareImages, type BuiltImage, type FileRow } from './buildah-harness.js';

const reason = buildahAvailable();
if (reason) console.log(`buildah harness tests skipped: ${reason}`);

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const row = (img: BuiltImage, path: string) => img.files.find((f) => f.path === path);
/** What is left under `root` (the build's tmpRoot): directories, and mounts anywhere below it. */
const leftUnder = (root: string) => ({
  dirs: readdirSync(root),
  mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => (l.split(' ')[4] ?? '').startsWith(`${root}/`)),
});

describe.skipIf(reason !== null)('buildahBuild', () => {
  it('returns the config and the merged files of ENV/WORKDIR/RUN/COPY/LABEL/USER/CMD', async () => {
    const tmpRoot = await tempDir('dkl-harness-test-');
    const img = await buildahBuild({
      tmpRoot,
      dockerfile: [
        'FROM busybox',
        'ENV APP=/app GREETING=hello',
        'WORKDIR $APP',
        'RUN echo "$GREETING" > a.txt && chmod 4755 a.txt && mkdir -p /var/empty',
        'COPY data.txt run.sh ./',
        'COPY tree/ /app/tree/',
        'LABEL org.example.name="harness check" version=1',
        'USER nobody',
        'CMD ["/bin/sh", "-c", "cat a.txt"]',
      ].join('\n'),
      files: {
        'data.txt': 'some data\n',
        'run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
        'tree/inner.txt': 'inner\n',
        'tree/link': { symlink: 'inner.txt' },
        'tree/private': { dir: true, mode: 0o700 },
      },
    });
    expect(img.config.architecture).toBe('amd64');
    expect(img.config.config).toMatchObject({
      Env: [...BASE_ENV, 'APP=/app', 'GREETING=hello'],
      WorkingDir: '/app',
      User: 'nobody',
      Cmd: ['/bin/sh', '-c', 'cat a.txt'],
      Labels: { 'org.example.name': 'harness check', version: '1' },
    });
    // RUN's file, setuid kept through the export and our unpack
    expect(row(img, '/app/a.txt')).toEqual({ path: '/app/a.txt', type: 'file', mode: 0o4755, uid: 0, gid: 0, size: 6, sha256: sha('hello\n') });
    expect(row(img, '/var/empty')).toMatchObject({ type: 'dir', mode: 0o755 });
    // COPY: content, modes from the context, a symlink as written, a directory's mode
    expect(row(img, '/app/data.txt')).toMatchObject({ type: 'file', mode: 0o644, uid: 0, sha256: sha('some data\n') });
    expect(row(img, '/app/run.sh')).toMatchObject({ type: 'file', mode: 0o755, size: 19, sha256: sha('#!/bin/sh\necho run\n') });
    expect(row(img, '/app/tree/link')).toMatchObject({ type: 'symlink', target: 'inner.txt' });
    expect(row(img, '/app/tree/private')).toMatchObject({ type: 'dir', mode: 0o700 });
    expect(row(img, '/app/Dockerfile')).toBeUndefined();
    // the shared base underneath
    expect(row(img, '/bin/sh')).toMatchObject({ type: 'symlink', target: '/bin/busybox' });
    expect(row(img, '/tmp')).toMatchObject({ type: 'dir', mode: 0o1777 });
    expect(row(img, '/etc/passwd')?.sha256).toBe(sha('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n'));
    // buildah's leftover mount point, which compareImages ignores
    expect(row(img, '/etc/hostname')).toMatchObject({ type: 'file', size: 0 });
    const paths = img.files.map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
    // its storage is gone: nothing mounted, no directory
    expect(leftUnder(tmpRoot)).toEqual({ dirs: [], mounts: [] });
  });

  it('passes build args and --target, applies whiteouts, lists hard links', async () => {
    const img = await buildahBuild({
      dockerfile: [
        'ARG FLAVOR=plain',
        'FROM busybox AS build',
        'ARG FLAVOR',
        'RUN mkdir /out && echo "$FLAVOR" > /out/flavor && echo gone > /out/gone',
        'RUN rm /out/gone',
        'FROM busybox AS final',
        'COPY --from=build /out /out',
        'RUN rm /etc/group && echo same > /h1 && ln /h1 /h2',
        'ENTRYPOINT ["/bin/cat"]',
        'FROM final AS later',
        'RUN exit 1',
      ].join('\n'),
      files: {},
      buildArgs: { FLAVOR: 'spicy' },
      target: 'final',
    });
    expect(row(img, '/out/flavor')).toMatchObject({ type: 'file', sha256: sha('spicy\n') });
    expect(row(img, '/out/gone')).toBeUndefined();
    expect(row(img, '/etc/group')).toBeUndefined(); // a base file deleted: the whiteout applied
    expect(row(img, '/h1')).toMatchObject({ type: 'file', sha256: sha('same\n') });
    expect(row(img, '/h2')).toMatchObject({ type: 'hardlink', target: '/h1', sha256: sha('same\n') });
    expect(img.config.config?.Entrypoint).toEqual(['/bin/cat']);
    expect(img.config.history?.some((h) => h.created_by?.includes('exit 1'))).toBe(false);
  });

  it('rejects a failing RUN with BUILDAH_FAILED, its status in stderr, and leaves nothing', async () => {
    const tmpRoot = await tempDir('dkl-harness-test-');
    const err = await buildahBuild({ dockerfile: 'FROM busybox\nRUN echo out; exit 3\n', files: {}, tmpRoot }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BUILDAH_FAILED' });
    expect((err as { data: { stderr: string } }).data.stderr).toContain('exit status 3');
    expect(leftUnder(tmpRoot)).toEqual({ dirs: [], mounts: [] });
  });
});

describe('compareImages', () => {
  const file = (path: string, more: Partial<FileRow> = {}): FileRow => ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3, sha256: sha('ab\n'), ...more });
  const dir = (path: string, more: Partial<FileRow> = {}): FileRow => ({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, ...more });
  const image = (config: Record<string, unknown>, files: FileRow[], history: string[] = []): BuiltImage => ({
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config, history: history.map((created_by) => ({ created_by })) },
    files,
  });

  it('is empty when configs and files agree, counting empty values as absent', () => {
    const a = image({ Env: ['A=1'], Cmd: null, Entrypoint: ['/bin/cat'], Labels: { x: '' } }, [dir('/app'), file('/app/f')]);
    const b = image({ Env: ['A=1'], Cmd: [], Entrypoint: ['/bin/cat'], OnBuild: [], Volumes: {}, User: '', Labels: { x: '' } }, [dir('/app'), file('/app/f')]);
    expect(compareImages(a, b)).toEqual([]);
  });

  it('names each config field and file that differs', () => {
    const a = image({ Env: ['A=1'], Labels: { x: '' }, ExposedPorts: { '80/tcp': {} } }, [file('/f', { mode: 0o755 }), file('/only-ours'), file('/g')]);
    const b = image({ Env: ['A=2'], Labels: {}, ExposedPorts: { '80/tcp': {} } }, [file('/f'), file('/g', { sha256: sha('x'), size: 1 }), file('/only-theirs')]);
    expect(compareImages(a, b)).toEqual([
      'config.Env: ours ["A=1"], buildah ["A=2"]',
      'config.Labels: ours {"x":""}, buildah nothing',
      '/f: mode ours 755, buildah 644',
      '/g: size ours 3, buildah 1',
      `/g: sha256 ours "${sha('ab\n')}", buildah "${sha('x')}"`,
      '/only-ours: only in ours (file, 3 bytes, mode 644, 0:0)',
      "/only-theirs: only in buildah's image (file, 3 bytes, mode 644, 0:0)",
    ]);
  });

  it('ignores empty runtime mount points and the WORKDIR directories buildah makes late', () => {
    const ourHistory = ['/bin/sh -c #(nop)  WORKDIR /a', '/bin/sh -c #(nop)  WORKDIR b', '/bin/sh -c #(nop)  WORKDIR /w/x'];
    const theirHistory = ['/bin/sh -c #(nop) WORKDIR /a', '/bin/sh -c #(nop) WORKDIR b', '/bin/sh -c #(nop) WORKDIR /w/x'];
    const a = image({ WorkingDir: '/w/x' }, [dir('/a'), dir('/a/b'), dir('/w'), dir('/w/x'), file('/etc/hosts', { size: 0, sha256: sha('') })], ourHistory);
    const b = image({ WorkingDir: '/w/x' }, [dir('/a'), dir('/a/b', { uid: 65534, gid: 65534 }), file('/etc/hostname', { mode: 0o755, size: 0, sha256: sha('') })], theirHistory);
    expect(compareImages(a, b)).toEqual([]);
    // …but not a WORKDIR directory only buildah has, nor a mount point with content
    const c = image({}, [file('/etc/hosts')]);
    expect(compareImages(c, b)).toEqual([
      'config.WorkingDir: ours nothing, buildah "/w/x"',
      "/a: only in buildah's image (dir, mode 755, 0:0)",
      "/a/b: only in buildah's image (dir, mode 755, 65534:65534)",
      '/etc/hosts: only in ours (file, 3 bytes, mode 644, 0:0)',
    ]);
  });
});
