// Chapter 1's image endpoints over the socket, against a real daemon and store: import, list,
// inspect, history, tag, remove, save and load round trips, the base image, and the trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { api, importTar, makeTar, startDaemon, type RunningDaemon } from './harness.js';

const noBusybox = !existsSync('/bin/busybox');
if (noBusybox) console.warn('skipping the base-image test: no /bin/busybox (Debian package busybox-static)');

let d: RunningDaemon;
let id: string;
beforeAll(async () => {
  d = await startDaemon();
  id = await importTar(d.sock, 'myimport:v1', { 'etc/hostname': 'dockling\n', 'hello.txt': 'hello\n' });
});
afterAll(async () => {
  await d?.stop();
});

const messages = (text: string) => text.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l));

describe('images', () => {
  it('import answers the image ID in a JSON message stream', () => {
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('GET /images/json lists it with familiar names and Docker summary fields', async () => {
    const r = await api(d.sock, 'GET', '/v1.50/images/json');
    expect(r.status).toBe(200);
    const img = r.json<any[]>().find((i) => i.Id === id);
    expect(img).toMatchObject({ ParentId: '', RepoTags: ['myimport:v1'], SharedSize: -1, Containers: -1 });
    expect(Number.isInteger(img.Created)).toBe(true);
    expect(img.Size).toBeGreaterThan(0);
    expect(img.VirtualSize).toBe(img.Size);
  });

  it('filters by reference and dangling', async () => {
    const f = (o: object) => `/v1.50/images/json?filters=${encodeURIComponent(JSON.stringify(o))}`;
    expect((await api(d.sock, 'GET', f({ reference: { myimport: true } }))).json<any[]>().map((i) => i.Id)).toContain(id);
    expect((await api(d.sock, 'GET', f({ reference: { 'other*': true } }))).json<any[]>()).toEqual([]);
    expect((await api(d.sock, 'GET', f({ dangling: { true: true } }))).json<any[]>().map((i) => i.Id)).not.toContain(id);
    expect((await api(d.sock, 'GET', f({ bogus: { x: true } }))).status).toBe(400);
  });

  it('inspect has the Docker shape', async () => {
    const r = await api(d.sock, 'GET', '/v1.50/images/myimport:v1/json');
    const doc = r.json();
    expect(doc).toMatchObject({ Id: id, RepoTags: ['myimport:v1'], Parent: '', Os: 'linux', RootFS: { Type: 'layers' }, Metadata: { LastTagTime: '0001-01-01T00:00:00Z' } });
    expect(doc.RootFS.Layers).toHaveLength(1);
    expect(Number.isNaN(Date.parse(doc.Created))).toBe(false);
    expect(doc.GraphDriver.Name).toBeTypeOf('string');
    expect(doc).toHaveProperty('Config');
  });

  it('inspect by full name and by short ID', async () => {
    expect((await api(d.sock, 'GET', '/v1.50/images/docker.io/library/myimport:v1/json')).json().Id).toBe(id);
    expect((await api(d.sock, 'GET', `/v1.50/images/${id.slice(7, 19)}/json`)).json().Id).toBe(id);
  });

  it('history lists the import step', async () => {
    const h = (await api(d.sock, 'GET', '/v1.50/images/myimport:v1/history')).json<any[]>();
    expect(h[0]).toMatchObject({ Id: id, Tags: ['myimport:v1'] });
    expect(h.reduce((n, x) => n + x.Size, 0)).toBeGreaterThan(0);
  });

  it('tag with a normalised repo (as the docker CLI sends it) answers 201', async () => {
    const r = await api(d.sock, 'POST', '/v1.50/images/myimport:v1/tag?repo=docker.io%2Flibrary%2Fmybox&tag=v2');
    expect(r.status).toBe(201);
    const tags = (await api(d.sock, 'GET', `/v1.50/images/${id}/json`)).json().RepoTags;
    expect(tags.sort()).toEqual(['mybox:v2', 'myimport:v1']);
  });

  it('rmi of one of two names only untags', async () => {
    const r = await api(d.sock, 'DELETE', '/v1.50/images/mybox:v2');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual([{ Untagged: 'mybox:v2' }]);
  });

  it('rmi of a missing image is 404', async () => {
    const r = await api(d.sock, 'DELETE', '/v1.50/images/nosuchimage');
    expect(r.status).toBe(404);
    expect(r.json().message).toMatch(/No such image: nosuchimage/);
  });
});

describe('save and load', () => {
  it('save of a missing image is a 404 before any tar byte', async () => {
    const r = await api(d.sock, 'GET', '/v1.50/images/get?names=nosuchimage');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
  });

  it('save → rmi → load brings back the same image ID', async () => {
    const saved = await api(d.sock, 'GET', '/v1.50/images/get?names=myimport%3Av1');
    expect(saved.status).toBe(200);
    expect(saved.headers['content-type']).toBe('application/x-tar');
    expect(saved.body.length).toBeGreaterThan(1024);
    const single = await api(d.sock, 'GET', '/v1.50/images/myimport:v1/get');
    expect(single.status).toBe(200);

    const rm = await api(d.sock, 'DELETE', '/v1.50/images/myimport:v1');
    expect(rm.json()).toContainEqual({ Deleted: id });
    expect((await api(d.sock, 'GET', '/v1.50/images/myimport:v1/json')).status).toBe(404);

    const loaded = await api(d.sock, 'POST', '/v1.50/images/load?quiet=1', { body: saved.body, headers: { 'Content-Type': 'application/x-tar' } });
    expect(loaded.status).toBe(200);
    expect(loaded.headers['content-type']).toBe('application/json');
    expect(messages(loaded.text)).toContainEqual({ stream: 'Loaded image: myimport:v1\n' });
    expect((await api(d.sock, 'GET', '/v1.50/images/myimport:v1/json')).json().Id).toBe(id);
  });

  it('a bad archive fails inside the stream with errorDetail', async () => {
    const r = await api(d.sock, 'POST', '/v1.50/images/load', { body: await makeTar({ 'nothing.txt': 'x' }) });
    expect(r.status).toBe(200);
    const last = messages(r.text).at(-1);
    expect(last.errorDetail.message).toBeTypeOf('string');
    expect(last.error).toBe(last.errorDetail.message);
  });
});

describe('base image and trace', () => {
  it.skipIf(noBusybox)('POST /dockling/base-image makes a busybox image', async () => {
    const r = await api(d.sock, 'POST', '/dockling/base-image?tag=mybase%3A1');
    expect(r.status).toBe(201);
    expect(r.json()).toMatchObject({ RepoTags: ['mybase:1'] });
    expect((await api(d.sock, 'GET', '/v1.50/images/mybase:1/json')).status).toBe(200);
  });

  it('GET /dockling/trace replays the engine events as JSON lines', async () => {
    const r = await api(d.sock, 'GET', '/dockling/trace');
    const events = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const ops = new Set(events.map((e) => e.op));
    expect(ops.has('http.request')).toBe(true);
    expect(ops.has('image.tag')).toBe(true);
    expect(events.every((e) => typeof e.t === 'number' && typeof e.span === 'string')).toBe(true);
    expect(existsSync(`${d.dataRoot}/trace/events.jsonl`)).toBe(true);
  });

  it('follow=1 streams new events live', async () => {
    const { request } = await import('node:http');
    const seen = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: d.sock, path: '/dockling/trace?follow=1' }, (res) => {
        let buf = '';
        res.on('data', (c) => {
          buf += c;
          if (buf.includes('"image.tag"') && buf.includes('live:1')) {
            req.destroy();
            resolve(buf);
          }
        });
        setTimeout(() => api(d.sock, 'POST', '/v1.50/images/myimport:v1/tag?repo=live&tag=1').catch(reject), 100);
      });
      req.on('error', () => {});
      req.end();
      setTimeout(() => reject(new Error('no live event')), 10_000);
    });
    expect(seen).toContain('live:1');
  });
});
