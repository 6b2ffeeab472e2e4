// A tar's entries as rows a test can compare: what the context packer and COPY's tar wrote.
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';

export interface Listed { name: string; type: string; mode: number; uid: number; gid: number; mtime: number; linkname: string | null; body: string }

export async function list(tar: Buffer): Promise<Listed[]> {
  const x = extract();
  Readable.from([tar]).pipe(x);
  const out: Listed[] = [];
  for await (const e of x) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    const h = e.header;
    out.push({ name: h.name, type: h.type!, mode: h.mode!, uid: h.uid!, gid: h.gid!, mtime: h.mtime!.getTime(), linkname: h.linkname ?? null, body: Buffer.concat(chunks).toString() });
  }
  return out;
}
