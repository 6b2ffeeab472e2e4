// Chapter 2's union view of a container: the image's layers with the container's read-write
// layer on top, over the API and as `dockling container layers`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, dockling, importTar, makeTar, startDaemon, type RunningDaemon } from './harness.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('skipping the container union view tests: they need root (real mounts)');

let d: RunningDaemon;
const v = (p: string) => `/v1.50${p}`;

describe.skipIf(!isRoot)('container union view', () => {
  beforeAll(async () => {
    d = await startDaemon();
    await importTar(d.sock, 'uv:1', { 'etc/config': 'one\n', 'data/big.bin': 'x'.repeat(5000) });
    const r = await api(d.sock, 'POST', v('/containers/create?name=uvbox'), {
      body: Buffer.from(JSON.stringify({ Image: 'uv:1', Cmd: ['sh'] })),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(r.status).toBe(201);
    // Replace the big file: its 5000 bytes in the image layer are now shipped but unseen.
    const put = await api(d.sock, 'PUT', v('/containers/uvbox/archive?path=/data'), {
      body: await makeTar({ 'big.bin': 'small\n', 'new.txt': 'new\n' }),
      headers: { 'Content-Type': 'application/x-tar' },
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    await api(d.sock, 'DELETE', v('/containers/uvbox?force=1'));
    await d.stop();
  });

  it('puts the read-write layer on top and counts what it hides', async () => {
    const r = await api(d.sock, 'GET', '/dockling/containers/uvbox/layers?paths=1');
    expect(r.status).toBe(200);
    const view = JSON.parse(r.body.toString());
    const top = view.layers[view.layers.length - 1];
    expect(top.label).toBe('uvbox (read-write)');
    expect(top.added).toBe(1);
    expect(top.modified).toBe(1);
    expect(view.wastedBytes).toBe(5000);
    const big = view.paths.find((p: { path: string }) => p.path === 'data/big.bin');
    expect(big).toMatchObject({ layer: view.layers.length - 1, hiddenIn: [0], size: 6 });
  });

  it('dockling container layers prints the table with the container on top', async () => {
    const r = await dockling(`unix://${d.sock}`, ['container', 'layers', 'uvbox']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^LAYER\s+SIZE\s+FILES/);
    expect(lines[1]).toMatch(/^uvbox \(read-write\)\s/);
    expect(r.stdout).toMatch(/wasted 5kB/);
  });

  it('an unknown container is a 404 with Docker\'s message', async () => {
    const r = await api(d.sock, 'GET', '/dockling/containers/nosuch/layers');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body.toString()).message).toBe('No such container: nosuch');
  });
});
