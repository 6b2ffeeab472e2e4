// `dockling image layers` and GET /dockling/images/{name}/layers against a real daemon: a
// three-layer image (loaded as a docker-archive made here, so every size is known) whose upper
// layers modify, add and remove files, checked as a table, as JSON, with paths, and in the trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { pack, type Headers } from 'tar-stream';
import { api, dockling, startDaemon, type RunningDaemon } from '../daemon/harness.js';

async function tarOf(entries: Array<[Headers, (string | Buffer)?]>): Promise<Buffer> {
  const p = pack();
  for (const [h, body] of entries) p.entry({ mode: h.type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), ...h }, body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const d = (name: string): [Headers] => [{ name, type: 'directory' }];
const f = (name: string, size: number): [Headers, string] => [{ name }, 'x'.repeat(size)];
const wh = (name: string): [Headers] => [{ name }];

/** Layer 0 ships 6200 file bytes, layer 1 350, layer 2 400; 5550 of them end up hidden. */
const LAYERS = [
  [d('bin/'), f('bin/tool', 1000), d('etc/'), f('etc/config', 200), d('var/'), d('var/cache/'), f('var/cache/big', 5000)],
  [d('etc/'), f('etc/config', 300), f('etc/new', 50), d('var/'), wh('var/.wh.cache')],
  [d('etc/'), f('etc/config', 400), wh('etc/.wh.new'), d('home/')],
];
const HISTORY = [
  { created_by: 'ADD rootfs.tar /' },
  { created_by: 'ENV A=b', empty_layer: true },
  { created_by: 'RUN edit /etc/config && rm -rf /var/cache' },
  { created_by: 'RUN rm /etc/new' },
];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function archive(tars: Buffer[]): Promise<Buffer> {
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${sha(t)}`) },
    history: HISTORY.map((h) => ({ created: '2024-01-01T00:00:00Z', ...h })),
  }));
  const layerNames = tars.map((t) => `${sha(t)}/layer.tar`);
  const manifest = [{ Config: `${sha(config)}.json`, RepoTags: ['layers-demo:latest'], Layers: layerNames }];
  return tarOf([
    [{ name: `${sha(config)}.json` }, config.toString()],
    ...tars.flatMap((t, i): Array<[Headers, (string | Buffer)?]> => [d(`${sha(t)}/`), [{ name: layerNames[i]! }, t]]),
    [{ name: 'manifest.json' }, JSON.stringify(manifest)],
  ]);
}

let daemon: RunningDaemon;
let tars: Buffer[];
beforeAll(async () => {
  daemon = await startDaemon();
  tars = await Promise.all(LAYERS.map((l) => tarOf(l)));
  const body = await archive(tars);
  const r = await api(daemon.sock, 'POST', '/v1.50/images/load?quiet=1', { body, headers: { 'Content-Type': 'application/x-tar' } });
  if (r.status !== 200 || /error/i.test(r.text)) throw new Error(`load failed: ${r.status} ${r.text}`);
});
afterAll(async () => {
  await daemon?.stop();
});

describe('union view over the API', () => {
  it('GET /dockling/images/{name}/layers counts each layer and the waste', async () => {
    const r = await api(daemon.sock, 'GET', '/dockling/images/layers-demo:latest/layers');
    expect(r.status).toBe(200);
    const v = r.json();
    expect(v.paths).toBeUndefined();
    expect(v.layers.map((l: any) => [l.index, l.files, l.bytes, l.added, l.modified, l.removed, l.wastedBytes, l.size])).toEqual([
      [0, 3, 6200, 7, 0, 0, 5200, tars[0]!.length],
      [1, 2, 350, 1, 1, 1, 350, tars[1]!.length],
      [2, 1, 400, 1, 1, 1, 0, tars[2]!.length],
    ]);
    expect(v.layers.map((l: any) => l.diffID)).toEqual(tars.map((t) => `sha256:${sha(t)}`));
    expect(v.layers.map((l: any) => l.createdBy)).toEqual([HISTORY[0]!.created_by, HISTORY[2]!.created_by, HISTORY[3]!.created_by]);
    expect(v).toMatchObject({ image: 'layers-demo:latest', totalBytes: 6950, wastedBytes: 5550 });
    expect(v.efficiency).toBeCloseTo(1400 / 6950, 10);
    expect(v.whiteouts).toEqual([
      { layer: 1, kind: 'whiteout', path: 'var/cache', removed: ['var/cache/big', 'var/cache'] },
      { layer: 2, kind: 'whiteout', path: 'etc/new', removed: ['etc/new'] },
    ]);
  });

  it('?paths=1 adds where each path comes from', async () => {
    const v = (await api(daemon.sock, 'GET', '/dockling/images/layers-demo/layers?paths=1')).json();
    const byPath = Object.fromEntries(v.paths.map((p: any) => [p.path, p]));
    expect(byPath['etc/config']).toEqual({ path: 'etc/config', type: 'file', size: 400, layer: 2, hiddenIn: [0, 1] });
    expect(byPath['var/cache/big']).toEqual({ path: 'var/cache/big', type: 'file', size: 5000, layer: null, hiddenIn: [0], removedBy: 1 });
    expect(byPath['bin/tool']).toMatchObject({ layer: 0, hiddenIn: [] });
  });

  it('an unknown image is a JSON 404', async () => {
    const r = await api(daemon.sock, 'GET', '/dockling/images/nope:1/layers');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json().message).toBe('No such image: nope:1');
  });

  it("traces union.view with the layer order, per-layer counts and totals", async () => {
    const events = (await api(daemon.sock, 'GET', '/dockling/trace')).text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const end = events.filter((e) => e.op === 'union.view' && e.phase === 'end').at(-1);
    expect(end.chapter).toBe('unionfs');
    expect(end.data).toMatchObject({ totalBytes: 6950, wastedBytes: 5550, files: [3, 2, 1] });
    expect(end.data.layers).toHaveLength(3);
    const layerEvents = events.filter((e) => e.op === 'union.layer' && e.span === end.span);
    expect(layerEvents.map((e) => e.data.wastedBytes)).toEqual([5200, 350, 0]);
    expect(events.some((e) => e.op === 'union.whiteouts' && e.span === end.span && e.data.count === 2)).toBe(true);
  });
});

describe('dockling image layers', () => {
  it('prints a table, top layer first, and a summary line', async () => {
    const r = await dockling(daemon.host, ['image', 'layers', 'layers-demo']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^LAYER\s+SIZE\s+FILES\s+ADDED\s+MODIFIED\s+REMOVED\s+WASTED\s+CREATED BY$/);
    const rows = lines.slice(1, 4).map((l) => l.split(/\s{2,}/));
    for (const c of rows) expect(c[0]).toMatch(/^[0-9a-f]{12}$/);
    expect(rows.map((c) => c.slice(2, 7))).toEqual([
      ['1', '1', '1', '1', '0B'],
      ['2', '1', '1', '1', '350B'],
      ['3', '7', '0', '0', '5.2kB'],
    ]);
    expect(rows[0]![7]).toBe('RUN rm /etc/new');
    expect(lines[4]).toBe('Total: 6.95kB in 6 files; wasted 5.55kB; efficiency 20.1%');
  });

  it('--format json prints the document', async () => {
    const r = await dockling(daemon.host, ['image', 'layers', '--format', 'json', 'layers-demo']);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ totalBytes: 6950, wastedBytes: 5550 });
    expect(v.layers).toHaveLength(3);
  });

  it('--paths lists each path with its provider and the layers hiding it', async () => {
    const r = await dockling(daemon.host, ['image', 'layers', '--paths', 'layers-demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^2\s+file\s+400B\s+0,1\s+\/etc\/config$/m);
    expect(r.stdout).toMatch(/^- \(removed by 1\)\s+file\s+5kB\s+0\s+\/var\/cache\/big$/m);
  });

  it('an unknown image fails with the daemon message', async () => {
    const r = await dockling(daemon.host, ['image', 'layers', 'nope:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error response from daemon: No such image: nope:1');
  });
});
