// The tour's own trace (issue 8, `npm run tour`): the daemon's trace file from where the tour
// began, merged in time order with the tour registry's own trace, checked with the engine's
// validator (every span closed, a version the site reads), and written where the site's "Your
// tour" page fetches it.
//
//   node chapters/tour-trace.mjs DAEMON_TRACE START_BYTE REGISTRY_TRACE OUT
import { readFileSync, writeFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { validateTrace } from '../dist/engine/trace/validate-trace.js';

const [daemonTrace, startByte, registryTrace, out] = process.argv.slice(2);
if (!out) throw new Error('usage: node chapters/tour-trace.mjs DAEMON_TRACE START_BYTE REGISTRY_TRACE OUT');

/** The bytes of `file` after `from`: the tour's part of a trace the daemon keeps appending to. */
function after(file, from) {
  const size = statSync(file).size;
  const buf = Buffer.alloc(Math.max(0, size - from));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

const lines = after(daemonTrace, Number(startByte)).split('\n').filter(Boolean);
if (existsSync(registryTrace)) lines.push(...readFileSync(registryTrace, 'utf8').split('\n').filter(Boolean));
const events = lines.map((l) => JSON.parse(l)).sort((a, b) => a.t - b.t);
const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
const checked = validateTrace(text, { complete: true });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
console.log(`${checked.events.length} events, every span closed: ${out}`);
