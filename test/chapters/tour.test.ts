// The README's first command (issue 8, the main job): `npm run tour` walks one step of each
// chapter on the offline base image against a daemon it starts, and leaves the trace of what it
// did for the site's "Your tour" page. Run here for real with its own data root, socket, bridge
// and registry port, writing the trace to a temporary file instead of building and serving the
// site (DOCKLING_TOUR_SITE=none); the trace must be complete and hold each chapter's work.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validateTrace } from '../../engine/trace/index.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { freePort } from '../registry/server-harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const isRoot = process.getuid?.() === 0;
/** The third octet of the tour's daemon here: 107 is no other test's. */
const OCTET = 107;

describe.skipIf(!isRoot)('npm run tour', () => {
  it('walks chapters 1 to 5 and leaves a complete trace of each chapter\'s work for the site', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockling-tour-'));
    const parentsBefore = cgroupParents();
    const net = bridgeArgs(OCTET);
    const traceOut = join(dir, 'tour-trace.jsonl');
    try {
      const env = {
        ...process.env,
        DOCKLING_DATA_ROOT: join(dir, 'root'), DOCKLING_SOCK: join(dir, 'd.sock'),
        DOCKLING_TOUR_SITE: 'none', DOCKLING_TOUR_TRACE: traceOut,
        DOCKLING_TOUR_DAEMON_ARGS: net.args.join(' '), DOCKLING_TOUR_REGISTRY_PORT: String(await freePort()),
      };
      const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
        const child = spawn('bash', [join(ROOT, 'chapters/tour.sh')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d));
        child.stderr.on('data', (d: Buffer) => (output += d));
        child.on('close', (c) => done({ code: c, output }));
      });
      expect(code, output).toBe(0);
      for (const n of [1, 2, 3, 4, 5]) expect(output).toMatch(new RegExp(`== Chapter ${n}: `));
      expect(output).toContain(`every span closed: ${traceOut}`);

      const { events } = validateTrace(readFileSync(traceOut, 'utf8'), { complete: true });
      const ended = new Set(events.filter((e) => e.phase === 'end').map((e) => e.op));
      // One step of each chapter, as the issue lists them: load, run, write, diff, commit, build, push.
      for (const op of ['image.base', 'image.load', 'container.cp.in', 'snapshot.changes', 'container.commit', 'container.start', 'process.exit', 'image.push', 'image.pull', 'registry.blob.put', 'build.run', 'http.request']) {
        expect(ended.has(op), op).toBe(true);
      }
      // Both sides of the registry are in it: the daemon's push and the registry's own spans.
      expect(events.some((e) => e.chapter === 'registry' && e.op.startsWith('registry.'))).toBe(true);
      // The tour's part only: it starts with the tour's first request, not the daemon's own start.
      expect(events.some((e) => e.op === 'daemon.start')).toBe(false);
      expect(leftovers({ dataRoot: join(dir, 'root'), bridge: net.bridge, containerIds: [] })).toEqual(NOTHING);
    } finally {
      removeCgroupParents(parentsBefore);
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
if (!isRoot) console.log('the tour is not run: it needs root (the engine mounts, makes namespaces and cgroups)');
