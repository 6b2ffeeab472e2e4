// Big blobs leave `dockling registry` through sendfile(2) (server/sendfile.ts): the helper writes
// the body on the client's own socket, then the connection carries on. What must hold: the bytes
// are exact (whole and ranged), the connection is reused for the next request, small blobs go the
// usual way, and a client that hangs up mid-body costs the server nothing but that response.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { digestOf, pushBlob, randomBlob, startDockling } from './server-harness.js';

let reg: Awaited<ReturnType<typeof startDockling>>;
const big = randomBlob(3 * 1024 * 1024 + 17);
const small = randomBlob(4096);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  reg = await startDockling();
  await pushBlob(reg.url, 'room/big', big);
  await pushBlob(reg.url, 'room/big', small);
});
afterAll(async () => {
  agent.destroy();
  await reg.stop();
});

/** GET over the one kept-alive connection: status, body, and whether the socket was reused. */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(`${reg.url}${path}`, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** How the `n`th blob GET (from 1) sent its body, from the registry's trace (its span ends just after the response). */
async function via(n: number): Promise<unknown> {
  const ends = () => reg.sink.events.filter((e) => e.op === 'registry.blob.get' && e.phase === 'end');
  await vi.waitFor(() => expect(ends().length).toBeGreaterThanOrEqual(n));
  return ends()[n - 1]!.data?.via;
}

describe('blobs by sendfile', () => {
  it('a big blob comes whole and exact, by sendfile, and the connection serves the next request', async () => {
    const whole = await get(`/v2/room/big/blobs/${digestOf(big)}`);
    expect(whole.status).toBe(200);
    expect(digestOf(whole.body)).toBe(digestOf(big));
    expect(await via(1)).toBe('sendfile');
    const next = await get(`/v2/room/big/blobs/${digestOf(small)}`);
    expect(next).toMatchObject({ status: 200, reused: true });
    expect(next.body.equals(small)).toBe(true);
    expect(await via(2)).toBe('read'); // small: not worth a process
  });

  it('a range of a big blob is the exact bytes, from the offset asked', async () => {
    const from = 1024 * 1024 + 5;
    const part = await get(`/v2/room/big/blobs/${digestOf(big)}`, { Range: `bytes=${from}-` });
    expect(part.status).toBe(206);
    expect(part.body.equals(big.subarray(from))).toBe(true);
    expect(await via(3)).toBe('sendfile');
    expect((await get('/v2/')).reused).toBe(true);
  });

  it('a client that hangs up mid-body does not hurt the server', async () => {
    const url = new URL(reg.url);
    await new Promise<void>((resolve, reject) => {
      const s = connect(Number(url.port), url.hostname, () => s.write(`GET /v2/room/big/blobs/${digestOf(big)} HTTP/1.1\r\nHost: x\r\n\r\n`));
      let got = 0;
      s.on('data', (d: Buffer) => {
        got += d.length;
        if (got > 64 * 1024) s.destroy(); // a few chunks in, gone
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const again = await get(`/v2/room/big/blobs/${digestOf(big)}`);
    expect(again.status).toBe(200);
    expect(digestOf(again.body)).toBe(digestOf(big));
  });
});
