// `docker import`: a root filesystem tar (plain or gzip) becomes a one-layer image, with a config
// made on the spot and optional `--change` Dockerfile lines. Chapter 1. Docker's defaults: host
// os/arch, created now, one history entry whose comment is the message or "Imported from -".
import { PassThrough, type Readable } from 'node:stream';
import { invalid } from '../base/index.js';
import type { Span } from '../trace/index.js';
import type { ImageStore } from './image-store.js';
import { hostPlatform } from './manifest.js';
import { scanLayer } from './scan.js';
import type { ContainerConfig, Image, ImageConfig } from './types.js';

/** The instructions `docker import --change` accepts (Docker's list; no RUN, COPY, FROM …). */
const CHANGES = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL'] as const;

/** Splits on unquoted whitespace, removing quotes and backslash escapes: `a="b c" d` → [a=b c, d]. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length && quote !== "'") {
      cur += s[++i];
      inWord = true;
    } else if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw invalid('INVALID_CHANGE', `unterminated quote in ${JSON.stringify(s)}`, { value: s });
  if (inWord) words.push(cur);
  return words;
}

/** JSON (exec) form when it parses as an array of strings, else the shell form `/bin/sh -c`. */
function commandOf(rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(rest);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      // not JSON: Docker falls back to the shell form too
    }
  }
  return ['/bin/sh', '-c', rest];
}

function pairs(rest: string, what: string, legacy: boolean): Array<[string, string]> {
  const words = splitWords(rest);
  if (legacy && words.length > 0 && !words[0]!.includes('=')) {
    // `ENV KEY value with spaces`: the old one-variable form
    const key = words[0]!;
    return [[key, rest.trim().slice(rest.trim().indexOf(key) + key.length).trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalid('INVALID_CHANGE', `${what} needs key=value, got ${JSON.stringify(w)}`, { value: w });
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

// #region changes
/** Applies one `--change` line to a container config, the way the Dockerfile instruction would. */
export function applyChange(config: ContainerConfig, line: string): ContainerConfig {
  const m = /^\s*(\S+)\s*(.*)$/s.exec(line);
  const keyword = m?.[1]?.toUpperCase() ?? '';
  const rest = (m?.[2] ?? '').trim();
  if (!(CHANGES as readonly string[]).includes(keyword) || keyword === 'ONBUILD') {
    throw invalid('INVALID_CHANGE', `${keyword || JSON.stringify(line)} is not a valid change command`, { value: line });
  }
  if (rest === '') throw invalid('INVALID_CHANGE', `${keyword} requires at least one argument`, { value: line });
  const c: ContainerConfig = { ...config };
  switch (keyword) {
    case 'CMD': c.Cmd = commandOf(rest); break;
    case 'ENTRYPOINT': c.Entrypoint = commandOf(rest); break;
    case 'USER': c.User = rest; break;
    case 'WORKDIR': c.WorkingDir = rest; break;
    case 'STOPSIGNAL': c.StopSignal = rest; break;
    case 'ENV': {
      const env = [...(c.Env ?? [])];
      for (const [k, v] of pairs(rest, 'ENV', true)) {
        const i = env.findIndex((e) => e.split('=')[0] === k);
        if (i >= 0) env[i] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
      }
      c.Env = env;
      break;
    }
    case 'LABEL': c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs(rest, 'LABEL', false)) }; break;
    case 'EXPOSE': {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const p of splitWords(rest)) {
        if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw invalid('INVALID_CHANGE', `invalid port ${JSON.stringify(p)} in EXPOSE`, { value: p });
        ports[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
      }
      c.ExposedPorts = ports;
      break;
    }
    case 'VOLUME': {
      const list = rest.startsWith('[') ? commandOf(rest) : splitWords(rest);
      if (list[0] === '/bin/sh' && list[1] === '-c' && rest.startsWith('[')) throw invalid('INVALID_CHANGE', `VOLUME: bad JSON ${rest}`, { value: line });
      c.Volumes = { ...(c.Volumes ?? {}), ...Object.fromEntries(list.map((v) => [v, {}])) };
      break;
    }
  }
  return c;
}
// #endregion changes

// #region import
export async function importImage(args: { store: ImageStore; input: Readable; ref?: string; message?: string; changes?: string[]; span?: Span }): Promise<Image> {
  const { store } = args;
  return store.tracer.span({ chapter: 'layers', op: 'image.import', parent: args.span, data: { ref: args.ref ?? null, changes: args.changes ?? [] } }, async (span) => {
    // 1. the changes first: a bad line fails before any byte is stored
    const container = (args.changes ?? []).reduce(applyChange, {} as ContainerConfig);
    // 2. the tar, as the single layer: stored as it is scanned, kept only if every entry is sound
    const [toScan, toStore] = [new PassThrough(), new PassThrough()];
    args.input.pipe(toScan);
    args.input.pipe(toStore);
    args.input.on('error', (err) => [toScan, toStore].forEach((s) => s.destroy(err)));
    // Their errors are the scan's and the store's to report (below): not an 'error' nobody hears.
    for (const s of [toScan, toStore]) s.on('error', () => undefined);
    const scanned = scanLayer(toScan);
    scanned.catch((err: Error) => toStore.destroy(err));
    const layer = await store.ingestLayer(toStore, { unpacked: scanned, span }).catch(async (err: unknown) => {
      throw (await scanned.then(() => null, (e: unknown) => e)) ?? err; // the scan's reason is the one to tell
    });
    // 3. a config around it
    const created = new Date().toISOString();
    const platform = hostPlatform();
    const config: ImageConfig = {
      architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}),
      created, config: container,
      rootfs: { type: 'layers', diff_ids: [layer.diffID] },
      history: [{ created, comment: args.message ?? 'Imported from -' }],
    };
    const image = await store.addImage({ config, layers: [layer], names: args.ref ? [args.ref] : [], span });
    span.event('image.imported', { id: image.id, diffID: layer.diffID, size: layer.size });
    return image;
  });
}
// #endregion import
