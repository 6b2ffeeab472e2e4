// The clients of the load test (issue 9): what one request of each kind sends, and what its
// answer must be — `ps`, `images`, `inspect`, `run --rm`, `pull` and `build`, spoken to the
// daemon's API over its unix socket, or through the `dockling` CLI as a user types them. Each
// request has a deadline: a lock held forever shows as a timeout, not as a test that hangs.
import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api, dockling, makeTar, type ApiResponse } from '../daemon/harness.js';

export const KINDS = ['ps', 'images', 'inspect', 'run', 'pull', 'build'] as const;
export type Kind = (typeof KINDS)[number];

export interface Op {
  kind: Kind;
  /** Through the CLI (a child process) rather than straight to the socket. */
  viaCli: boolean;
  /** Unique to the op: what `run` echoes, what `build` copies in and tags with. */
  token: string;
  /** For pull: the reference, e.g. 127.0.0.1:PORT/load/app:2. */
  image?: string;
}

export interface Outcome { op: Op; ok: boolean; ms: number; why?: string }

export interface LoadTarget {
  sock: string;
  host: string;
  /** Where CLI builds put their context directories. */
  scratch: string;
  /** busybox's image ID: what `inspect` must say. */
  busyboxId: string;
}

const NO_AUTH = { 'X-Registry-Auth': 'e30=' };
const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), headers: { 'Content-Type': 'application/json' } });

/** The tag a build op makes. */
export const builtTag = (token: string) => `load/built:${token}`;

/** A Dockerfile per build: COPY only, or a RUN too (a container inside the build) every third. */
export function dockerfileFor(token: string): string {
  const n = Number(/\d+$/.exec(token)?.[0] ?? 0);
  return `FROM busybox\nCOPY token /token\n${n % 3 === 0 ? 'RUN cat /token > /token.copy\n' : ''}`;
}

/** The op's promise, or a failure naming the op once `ms` have passed. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A JSON message stream (pull, build) that ended without an error message. */
function streamOk(r: ApiResponse, mustSay: string): string | undefined {
  if (r.status !== 200) return `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
  if (/"errorDetail"/.test(r.text)) return `error in the stream: ${r.text.slice(-300)}`;
  if (!r.text.includes(mustSay)) return `the stream never said ${JSON.stringify(mustSay)}: ${r.text.slice(-300)}`;
  return undefined;
}

/** POST …/wait before start (as `docker run --rm` does): headers at once, the body at removal. */
function waitFor(sock: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method: 'POST', path }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(res.statusCode === 200 ? text : `HTTP ${res.statusCode} ${text}`));
    });
    req.on('error', reject);
    req.end();
  });
}

async function viaApi(t: LoadTarget, op: Op): Promise<string | undefined> {
  switch (op.kind) {
    case 'ps': {
      const r = await api(t.sock, 'GET', '/v1.50/containers/json?all=1');
      return r.status === 200 && Array.isArray(r.json()) ? undefined : `HTTP ${r.status}`;
    }
    case 'images': {
      const r = await api(t.sock, 'GET', '/v1.50/images/json');
      return r.status === 200 && r.json<Array<{ Id: string }>>().some((i) => i.Id === t.busyboxId) ? undefined : `HTTP ${r.status}, busybox listed: no`;
    }
    case 'inspect': {
      const r = await api(t.sock, 'GET', '/v1.50/images/busybox/json');
      return r.status === 200 && r.json().Id === t.busyboxId ? undefined : `HTTP ${r.status} ${r.text.slice(0, 200)}`;
    }
    case 'run': {
      const created = await api(t.sock, 'POST', '/v1.50/containers/create', json({ Image: 'busybox', Cmd: ['echo', op.token], HostConfig: { AutoRemove: true, NetworkMode: 'none' } }));
      if (created.status !== 201) return `create: HTTP ${created.status} ${created.text}`;
      const id = created.json().Id as string;
      const waited = waitFor(t.sock, `/v1.50/containers/${id}/wait?condition=removed`);
      const started = await api(t.sock, 'POST', `/v1.50/containers/${id}/start`);
      if (started.status !== 204) return `start: HTTP ${started.status} ${started.text}`;
      const body = await waited;
      return /"StatusCode":0\b/.test(body) ? undefined : `wait: ${body}`;
    }
    case 'pull': {
      const [name, tag] = splitTag(op.image!);
      const r = await api(t.sock, 'POST', `/v1.50/images/create?fromImage=${encodeURIComponent(name)}&tag=${tag}`, { headers: NO_AUTH });
      return streamOk(r, 'Status: ');
    }
    case 'build': {
      const context = await makeTar({ Dockerfile: dockerfileFor(op.token), token: `${op.token}\n` });
      const r = await api(t.sock, 'POST', `/v1.50/build?t=${encodeURIComponent(builtTag(op.token))}&rm=1`, { body: context, headers: { 'Content-Type': 'application/x-tar' } });
      return streamOk(r, `Successfully tagged ${builtTag(op.token)}`);
    }
  }
}

async function viaCli(t: LoadTarget, op: Op): Promise<string | undefined> {
  const args: Record<Kind, () => Promise<string[]>> = {
    ps: async () => ['ps', '-a'],
    images: async () => ['images'],
    inspect: async () => ['inspect', '--format', '{{.Id}}', 'busybox'],
    run: async () => ['run', '--rm', '--network', 'none', 'busybox', 'echo', op.token],
    pull: async () => ['pull', '-q', op.image!],
    build: async () => {
      const dir = join(t.scratch, op.token);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'Dockerfile'), dockerfileFor(op.token));
      await writeFile(join(dir, 'token'), `${op.token}\n`);
      return ['build', '-q', '-t', builtTag(op.token), dir];
    },
  };
  const r = await dockling(t.host, await args[op.kind]());
  if (r.code !== 0) return `exit ${r.code}: ${r.stderr.slice(0, 300)}`;
  if (op.kind === 'run' && r.stdout !== `${op.token}\n`) return `run printed ${JSON.stringify(r.stdout)}`;
  if (op.kind === 'inspect' && r.stdout.trim() !== t.busyboxId) return `inspect printed ${JSON.stringify(r.stdout)}`;
  return undefined;
}

/** One op, timed, against its deadline; never throws. */
export async function perform(t: LoadTarget, op: Op, deadlineMs: number): Promise<Outcome> {
  const started = Date.now();
  try {
    const why = await within(deadlineMs, `${op.kind} ${op.token}`, op.viaCli ? viaCli(t, op) : viaApi(t, op));
    return { op, ok: why === undefined, ms: Date.now() - started, ...(why ? { why } : {}) };
  } catch (err) {
    return { op, ok: false, ms: Date.now() - started, why: (err as Error).message };
  }
}

function splitTag(ref: string): [string, string] {
  const i = ref.lastIndexOf(':');
  return [ref.slice(0, i), ref.slice(i + 1)];
}
