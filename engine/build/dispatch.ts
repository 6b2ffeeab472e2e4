// What each instruction does to a stage (chapter 5), before anything runs: its arguments are
// expanded against the variables of that moment (substitute.ts), and it becomes a plan —
//
//   config   a new image config and the history line that says so
//            (`/bin/sh -c #(nop)  ENV A=1`: the shell, dockerd's "no operation" mark, the change)
//   run      a command, the environment it runs with, and its history line
//            (`/bin/sh -c make`; with build args in scope `|1 V=2 /bin/sh -c make`)
//   copy     COPY and ADD: the builder resolves the sources (copy-step.ts)
//   arg      ARG: a variable for the steps after it, and a history line
//
// Pure functions over a BuildScope: nothing here touches the disk, so the rules can be read
// (and tested) on their own.
import { invalid } from '../base/index.js';
import type { ContainerConfig, Image } from '../layers/index.js';
import { envMap, expandArgs, expandPairs, expandWord, expandWords } from './substitute.js';
import type { AddInstruction, CopyInstruction, EscapeChar, HealthConfig, Instruction } from './types.js';

/** A stage as it is built: its current image and config, and the ARGs declared in it. */
export interface BuildScope {
  image: Image;
  /** FROM scratch (for the ` ---> ` line, which names no image then). */
  scratch: boolean;
  config: ContainerConfig;
  escape: EscapeChar;
  /** ARGs declared in this stage, with their values (a --build-arg, else the default). */
  args: Map<string, string>;
  /** Build args given by the user: an ARG without a default takes its value from here. */
  buildArgs: Record<string, string | null>;
  /**
   * The ARGs before the first FROM that have a value (a --build-arg, else their default): an ARG
   * without a default in a stage that no --build-arg sets takes its value from here.
   */
  metaArgs: Map<string, string>;
  /** A CMD was set in this stage: a later ENTRYPOINT keeps it (one inherited from FROM is dropped). */
  cmdSet: boolean;
  /** MAINTAINER: the author of every image the stage makes after it (the base's until then). */
  author?: string;
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export type Plan =
  | { kind: 'config'; config: ContainerConfig; createdBy: string }
  | { kind: 'run'; argv: string[]; env: string[]; createdBy: string }
  | { kind: 'copy'; instruction: CopyInstruction | AddInstruction; sources: string[]; dest: string; chown?: string; chmod?: string }
  | { kind: 'arg'; names: Array<{ name: string; value: string | undefined }>; createdBy: string };

const shellOf = (s: BuildScope) => s.config.Shell ?? DEFAULT_SHELL;

/** The variables an instruction sees: the ARGs in scope, under the stage's ENV (ENV wins). */
export function varsOf(s: BuildScope): Map<string, string> {
  const vars = new Map(s.args);
  for (const [k, v] of envMap(s.config.Env ?? [])) vars.set(k, v);
  return vars;
}

/** `/bin/sh -c #(nop)  ENV A=1`: how dockerd records a step that changed only the config. */
export function nop(s: BuildScope, text: string): string {
  return [...shellOf(s), '#(nop) ', text].join(' ');
}

/** Go's `%q` of a string list, as dockerd prints CMD and ENTRYPOINT: `["echo" "hi"]`. */
function goList(list: string[]): string {
  return `[${list.map((x) => JSON.stringify(x)).join(' ')}]`;
}

/** CMD/ENTRYPOINT/RUN argv: the exec form as given, the shell form under the stage's SHELL. */
function argvOf(s: BuildScope, ins: { json: boolean; command: string[] }): string[] {
  return ins.json ? ins.command : [...shellOf(s), ins.command[0] ?? ''];
}

function setEnv(env: string[], key: string, value: string): string[] {
  const out = env.filter((e) => e.split('=')[0] !== key);
  out.push(`${key}=${value}`);
  return out;
}

// #region plan
export function planInstruction(s: BuildScope, ins: Instruction): Plan {
  const vars = varsOf(s);
  const word = (w: string) => expandWord(w, vars, s.escape);
  const c: ContainerConfig = { ...s.config };
  const config = (text: string): Plan => ({ kind: 'config', config: c, createdBy: nop(s, text) });
  switch (ins.keyword) {
    case 'ENV': {
      const pairs = expandPairs(ins.pairs, vars, s.escape);
      let env = [...(c.Env ?? [])];
      for (const p of pairs) env = setEnv(env, p.key, p.value);
      c.Env = env;
      return config(`ENV ${pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
    }
    case 'LABEL': {
      const pairs = expandPairs(ins.pairs, vars, s.escape);
      c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs.map((p) => [p.key, p.value])) };
      return config(`LABEL ${pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
    }
    case 'ARG': {
      const names = expandArgs(ins.args, vars, s.escape).map((a) => {
        // dockerd's order: a --build-arg, else the line's default, else the value before FROM.
        const given = s.buildArgs[a.name];
        return { name: a.name, value: given !== undefined && given !== null ? given : a.default ?? s.metaArgs.get(a.name) };
      });
      const text = names.map((a, i) => (ins.args[i]!.default !== undefined ? `${a.name}=${expandArgs([ins.args[i]!], vars, s.escape)[0]!.default}` : a.name)).join(' ');
      return { kind: 'arg', names, createdBy: nop(s, `ARG ${text}`) };
    }
    case 'CMD':
      c.Cmd = argvOf(s, ins);
      return config(`CMD ${goList(c.Cmd)}`);
    case 'ENTRYPOINT':
      // An ENTRYPOINT resets the CMD inherited from the base image (it was written for the old one).
      c.Entrypoint = argvOf(s, ins);
      if (!s.cmdSet) c.Cmd = null;
      return config(`ENTRYPOINT ${goList(c.Entrypoint)}`);
    case 'SHELL':
      c.Shell = ins.shell;
      return config(`SHELL [${ins.shell.join(' ')}]`);
    case 'WORKDIR': {
      const path = word(ins.path);
      // Relative to the current WORKDIR; the directory itself is made by the builder.
      c.WorkingDir = path.startsWith('/') ? cleanAbsolute(path) : cleanAbsolute(`${c.WorkingDir || '/'}/${path}`);
      return config(`WORKDIR ${c.WorkingDir}`);
    }
    case 'USER':
      c.User = word(ins.user);
      return config(`USER ${c.User}`);
    case 'STOPSIGNAL':
      c.StopSignal = word(ins.signal);
      return config(`STOPSIGNAL ${c.StopSignal}`);
    case 'EXPOSE': {
      // The history line has the words as expanded; the config one key per port (a range is
      // one per port in it, as dockerd's nat.ParsePortSpecs makes them).
      const words = ins.ports.flatMap((p) => expandWords(p, vars, s.escape));
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of words.flatMap(portKeys)) c.ExposedPorts[p] = {};
      return config(`EXPOSE ${words.join(' ')}`);
    }
    case 'VOLUME': {
      const paths = ins.paths.map(word);
      if (paths.some((p) => p.trim() === '')) throw invalid('DOCKERFILE_VOLUME', 'VOLUME specified can not be an empty string', {});
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const p of paths) c.Volumes[p] = {};
      return config(`VOLUME [${paths.join(' ')}]`);
    }
    case 'HEALTHCHECK':
      c.Healthcheck = ins.healthcheck as ContainerConfig['Healthcheck'] & HealthConfig;
      return config(`HEALTHCHECK ${healthText(ins.healthcheck)}`);
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), ins.expression];
      return config(`ONBUILD ${ins.expression}`);
    case 'MAINTAINER':
      return { kind: 'config', config: c, createdBy: nop(s, `MAINTAINER ${ins.maintainer}`) };
    case 'RUN': {
      const flags = Object.keys(ins.flags).filter((k) => (ins.flags as Record<string, unknown>)[k] !== undefined);
      if (flags.length > 0) throw invalid('BUILD_FLAG_NEEDS_BUILDKIT', `the --${flags[0]} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`, { flag: flags[0] });
      const argv = argvOf(s, ins);
      // Build args in scope reach the command's environment, not the image's; the history line
      // names them, so a different value is a different step (and a cache miss).
      const env = new Map(envMap(s.config.Env ?? []));
      const fromArgs = [...s.args].filter(([k]) => !env.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const prefix = fromArgs.length ? `|${fromArgs.length} ${fromArgs.map(([k, v]) => `${k}=${v}`).join(' ')} ` : '';
      return { kind: 'run', argv, env: [...(s.config.Env ?? []), ...fromArgs.map(([k, v]) => `${k}=${v}`)], createdBy: `${prefix}${argv.join(' ')}` };
    }
    case 'COPY':
    case 'ADD':
      return {
        kind: 'copy', instruction: ins, sources: ins.sources.map(word), dest: word(ins.dest),
        ...(ins.flags.chown ? { chown: word(ins.flags.chown) } : {}),
        ...(ins.flags.chmod ? { chmod: word(ins.flags.chmod) } : {}),
      };
    case 'FROM':
      throw invalid('BUILD_INTERNAL', 'FROM is handled by the builder', {});
  }
}
// #endregion plan

/** `80` → `80/tcp`, `53/UDP` → `53/udp`, `8000-8002` → `8000/tcp` `8001/tcp` `8002/tcp`. */
function portKeys(p: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/([a-zA-Z]+))?$/.exec(p);
  const [start, end] = [Number(m?.[1]), Number(m?.[2] ?? m?.[1])];
  if (!m || start > 65535 || end > 65535 || end < start) throw invalid('DOCKERFILE_EXPOSE', `invalid containerPort: ${p}`, { port: p });
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return Array.from({ length: end - start + 1 }, (_, i) => `${start + i}/${proto}`);
}

/** `/a/./b/../c/` → `/a/c`. */
export function cleanAbsolute(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

function healthText(h: HealthConfig): string {
  return JSON.stringify(h);
}
