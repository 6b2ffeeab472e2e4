// `npm run traces`: records the traces the site's chapters replay, with the real engine. One
// `dockling daemon` (its own data root in a temporary directory, its own bridge on
// 10.213.98.0/24) runs the scenarios of scenarios.ts with the `dockling` CLI; each scenario's
// events — cut out of the daemon's trace file, and merged with the registry's own trace when it
// ran one — are written to site/traces/<id>.jsonl, checked with validateTrace, and listed in
// site/traces/index.json. Afterwards everything is taken away and the host is checked for
// leftovers (mounts, cgroups, links, processes) with the daemon tests' own checks.
//
//   node dist/test/traces/record.js [ID…]     (needs root; IDs: some scenarios, the rest kept)
import { mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRACE_FORMAT, TRACE_VERSION, validateTrace, type TraceEvent } from '../../engine/trace/index.js';
import { NOTHING, bridgeArgs, cgroupParents, leftovers, removeCgroupParents } from '../daemon/host-leftovers.js';
import { SCENARIOS, type Scenario, type Shell } from './scenarios.js';
import type { TraceIndex, TraceIndexEntry } from './trace-index.js';
import { Cleanup, ROOT, dockling, freePort, startDaemon, startRegistry, type Daemon } from './session.js';

const OUT = join(ROOT, 'site', 'traces');
/** The third octet of the daemon's subnet: 98 is no test's and no benchmark's. */
const THIRD_OCTET = 98;
/** How long the trace file must stay unchanged, every span closed, before a scenario is over. */
const QUIET_MS = 600;
const SETTLE_LIMIT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * ^C or a SIGTERM: the command running gets it too and fails, or the next wait notices; either
 * way the recording stops there and the cleanup runs, instead of the recorder dying with a
 * daemon, containers and a bridge left behind.
 */
let interrupted: string | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!interrupted) console.error(`${signal}: stopping the recording, then cleaning up`);
    interrupted = signal;
  });
}
function checkInterrupted(): void {
  if (interrupted) throw new Error(`interrupted (${interrupted})`);
}

/** Where a reader's registry listens, as the chapters write it. */
const READERS_REGISTRY = 'localhost:5000';

/** `cat > NAME <<'EOF'` … `EOF`: the command that writes `text` into NAME (a terminator the text does not hold). */
function heredoc(name: string, text: string): string {
  let end = 'EOF';
  while (text.split('\n').includes(end)) end += '_';
  return `cat > ${shown(name)} <<'${end}'\n${text.endsWith('\n') ? text : `${text}\n`}${end}`;
}

/** An argument as a shell line shows it: quoted only when it has to be. */
const shown = (arg: string) => (/^[\w./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

/** The bytes of `file` after `from`, up to the last complete line. */
function linesAfter(file: string, from: number): string[] {
  const size = existsSync(file) ? statSync(file).size : 0;
  if (size <= from) return [];
  const buf = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  const text = buf.toString('utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
}

/** The file's size once nothing has been written to it for QUIET_MS. */
async function quietSize(file: string): Promise<number> {
  const sizeNow = () => (existsSync(file) ? statSync(file).size : 0);
  let size = sizeNow();
  let quietSince = Date.now();
  for (;;) {
    await sleep(100);
    checkInterrupted();
    const now = sizeNow();
    if (now !== size) {
      size = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= QUIET_MS) {
      return size;
    }
  }
}

/**
 * The daemon's events since `from`, once the scenario is over: a command's last events may be
 * written after the CLI returned, and a --rm container is removed after its exit, so wait until
 * the file has been quiet for a while and every span started in the slice has ended.
 */
async function settle(file: string, from: number): Promise<TraceEvent[]> {
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  for (;;) {
    await quietSize(file);
    try {
      return validateTrace(linesAfter(file, from), { complete: true }).events;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the scenario's trace did not settle in ${SETTLE_LIMIT_MS / 1000} s: ${(err as Error).message}`);
    }
  }
}

/** Runs one scenario; returns its trace and its index entry (written once every scenario has run). */
async function record(s: Scenario, daemon: Daemon, runDir: string): Promise<{ entry: TraceIndexEntry; text: string }> {
  const dir = join(runDir, 'scenarios', s.id);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(s.files)) writeFileSync(join(dir, name), text);
  // Where the scenario starts: after what came before has been written (a request's last events
  // may still be on their way to the file when its answer has arrived).
  const from = await quietSize(daemon.traceFile);
  const commands: string[] = [];
  let transcript = '';
  // The files come first, as the heredocs a reader types to make them (a chapter's try-it block
  // is these commands, exactly: test/chapters/try-it.test.ts compares them).
  for (const [name, text] of Object.entries(s.files)) {
    const line = heredoc(name, text);
    commands.push(line);
    transcript += `$ ${line}\n`;
  }
  const extraTraces: string[] = [];
  // A registry runs on a free port; the commands and the transcript name it as a reader's would
  // be named, localhost:5000 (the try-it runner maps that back to a free port of its own).
  const registries: string[] = [];
  const ends = new Cleanup();
  const sh: Shell = {
    async dockling(...args) {
      checkInterrupted();
      const line = `dockling ${args.map(shown).join(' ')}`;
      commands.push(line);
      const r = await dockling({ args, cwd: dir, env: daemon.env });
      transcript += `$ ${line}\n${r.stdout}${r.stderr}`;
      if (r.code !== 0) throw new Error(`${s.id}: ${line} exited ${r.code}: ${r.stderr.trim()}`);
      return r.stdout;
    },
    host(line, action) {
      commands.push(line);
      transcript += `$ ${line}\n`;
      action(dir);
    },
    async registry() {
      const port = await freePort();
      const reg = await startRegistry({ port, cwd: dir, dataRoot: 'registry-data', traceFile: 'registry-trace.jsonl' });
      ends.add('registry', () => reg.stop());
      const line = `dockling registry --listen ${reg.address} --data-root registry-data --trace registry-trace.jsonl &`;
      commands.push(line);
      transcript += `$ ${line}\n`;
      extraTraces.push(reg.traceFile);
      registries.push(reg.address);
      return reg.address;
    },
  };
  try {
    await s.run(sh);
  } finally {
    const failed = await ends.run();
    if (failed.length) throw new Error(`${s.id}: could not stop ${failed.join('; ')}`);
  }
  const events = await settle(daemon.traceFile, from);
  // The registry's events are complete once it has stopped; merged in time order (each source
  // is in order already, and a stable sort keeps it).
  for (const file of extraTraces) events.push(...validateTrace(readFileSync(file, 'utf8'), { complete: true }).events);
  events.sort((a, b) => a.t - b.t);
  const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
  validateTrace(text, { complete: true });
  const file = `${s.id}.jsonl`;
  console.log(`  ${file}: ${events.length} events, ${(text.length / 1024).toFixed(1)} KiB`);
  const asReaders = (line: string) => registries.reduce((l, address) => l.replaceAll(address, READERS_REGISTRY), line);
  const entry = {
    id: s.id, chapter: s.chapter, title: s.title, file, commands: commands.map(asReaders), files: s.files, transcript: asReaders(transcript),
    dataRoot: daemon.dataRoot, events: events.length, bytes: Buffer.byteLength(text),
  };
  return { entry, text };
}

/**
 * The traces, and the index: the new entries and the old ones of scenarios not recorded this
 * time, in SCENARIOS order. Written only when every scenario asked for was recorded.
 */
function writeTraces(recorded: Array<{ entry: TraceIndexEntry; text: string }>): void {
  mkdirSync(OUT, { recursive: true });
  for (const { entry, text } of recorded) writeFileSync(join(OUT, entry.file), text);
  const path = join(OUT, 'index.json');
  const old: TraceIndexEntry[] = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as TraceIndex).traces : [];
  const byId = new Map([...old, ...recorded.map((r) => r.entry)].map((e) => [e.id, e]));
  const traces = SCENARIOS.map((s) => byId.get(s.id)).filter((e): e is TraceIndexEntry => e !== undefined);
  const index: TraceIndex = { format: TRACE_FORMAT, version: TRACE_VERSION, traces };
  writeFileSync(path, JSON.stringify(index, null, 2) + '\n');
}

/** Every container ID the daemon's trace names (what the leftover checks look for). */
function containerIds(traceFile: string): string[] {
  const ids = new Set<string>();
  for (const line of linesAfter(traceFile, 0)) {
    const id = (JSON.parse(line) as TraceEvent).data['id'];
    if (typeof id === 'string' && /^[0-9a-f]{64}$/.test(id)) ids.add(id);
  }
  return [...ids];
}

/** The scenarios named on the command line (all when none is). */
function chosen(ids: string[]): Scenario[] {
  const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`no scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.map((s) => s.id).join(', ')}`);
  return ids.length ? SCENARIOS.filter((s) => ids.includes(s.id)) : SCENARIOS;
}

async function main(): Promise<void> {
  const scenarios = chosen(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the recorder runs the engine for real: run it as root');
  const parentsBefore = cgroupParents();
  const net = bridgeArgs(THIRD_OCTET);
  const runDir = mkdtempSync(join(tmpdir(), 'dockling-traces-'));
  const cleanup = new Cleanup();
  let ids: string[] = [];
  let daemon: Daemon | undefined;
  let failure: unknown;
  try {
    // Registered before each is made, in the order they are made; undone in reverse.
    cleanup.add('run directory', async () => {
      const mounted = leftovers({ dataRoot: runDir, bridge: net.bridge, containerIds: [] }).mounts;
      if (mounted.length) throw new Error(`mounts remain under ${runDir}, so it is kept: ${mounted.join(', ')}`);
      await rm(runDir, { recursive: true, force: true });
    });
    cleanup.add('cgroup parents', () => removeCgroupParents(parentsBefore));
    cleanup.add(`bridge ${net.bridge}`, () => {
      if (spawnSync('ip', ['link', 'show', net.bridge]).status === 0) spawnSync('ip', ['link', 'del', net.bridge]);
    });
    daemon = await startDaemon({ dir: join(runDir, 'daemon'), netArgs: net.args });
    cleanup.add(`daemon (pid ${daemon.pid})`, () => daemon!.stop());
    cleanup.add('containers', () => removeContainers(daemon!, runDir));
    console.log(`recording ${scenarios.length} scenario(s) with a daemon in ${runDir}, bridge ${net.bridge} (10.213.${THIRD_OCTET}.0/24)`);
    // The other scenarios start from the base image the first one makes.
    if (scenarios[0] !== SCENARIOS[0]) await mustRun(daemon, runDir, ['base-image']);
    const recorded = [];
    for (const s of scenarios) recorded.push(await record(s, daemon, runDir));
    writeTraces(recorded);
    ids = containerIds(daemon.traceFile);
  } catch (err) {
    failure = err;
    if (daemon) ids = containerIds(daemon.traceFile);
  }
  const failed = await cleanup.run();
  const host: string[] = [];
  const left = leftovers({ dataRoot: runDir, bridge: net.bridge, containerIds: ids });
  if (JSON.stringify(left) !== JSON.stringify(NOTHING)) host.push(`left on the host: ${JSON.stringify(left)}`);
  if (existsSync(runDir)) host.push(`${runDir} is still there`);
  // A FORWARD rule for the bridge, made where the policy drops bridged traffic (network-plan.ts).
  const rules = spawnSync('iptables', ['-S'], { encoding: 'utf8' }).stdout ?? '';
  if (rules.includes(net.bridge)) host.push(`iptables rules name ${net.bridge}`);
  for (const line of [...failed, ...host]) console.error(`cleanup: ${line}`);
  if (failure) throw failure;
  if (failed.length || host.length) process.exit(1);
  console.log(`traces in ${OUT}; the host is as it was (${ids.length} containers made and removed)`);
}

async function mustRun(daemon: Daemon, cwd: string, args: string[]): Promise<string> {
  const r = await dockling({ args, cwd, env: daemon.env });
  if (r.code !== 0) throw new Error(`dockling ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Scenarios remove what they make; a failed one may not have: force-remove any container left. */
async function removeContainers(daemon: Daemon, cwd: string): Promise<void> {
  const left = (await mustRun(daemon, cwd, ['ps', '-aq', '--no-trunc'])).split('\n').filter(Boolean);
  if (left.length) await mustRun(daemon, cwd, ['rm', '-f', ...left]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
