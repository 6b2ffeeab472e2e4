// Chapter 5's vocabulary: a Dockerfile as the builder reads it. The grammar is the Dockerfile
// reference's (docs.docker.com/reference/dockerfile), with the rules of dockerd's classic
// builder, which parses with BuildKit's parser and instruction checks and then dispatches each
// instruction itself.
//
// A Dockerfile's life in the builder, for this file:
//
//     # escape=`                       ← a parser directive: before anything else
//     ARG BASE=scratch                 ← a "meta" ARG: before the first FROM, visible to FROMs
//     FROM ${BASE} AS base
//     ENV A=1 `
//         B=$A                         ← one instruction on two lines; B is "" (see below)
//     COPY --chown=app a b /dst/
//
//   1. parseDockerfile(text) reads directives, joins continued lines (skipping comments and
//      blank lines inside them), and turns each logical line into an Instruction: keyword,
//      lines, the text Docker prints as `Step N/M : …`, flags, and the arguments *as written*
//      — quotes, escapes and `$VARS` still in them;
//   2. instructions are grouped: meta ARGs, then one Stage per FROM;
//   3. the builder walks the stages; before dispatching an instruction that takes variables
//      (substitute.ts, SUBSTITUTION) it expands its arguments against the environment *as it
//      was before that instruction*: ENV's `B=$A` sees the A of earlier lines, not the 1 just
//      set beside it, and quotes and escapes are processed at that moment;
//   4. the builder applies the instruction (config change, RUN in a container, COPY from the
//      context) and commits a step.

/** The instructions there are, upper case. */
export type Keyword =
  | 'FROM' | 'RUN' | 'CMD' | 'ENTRYPOINT' | 'SHELL' | 'ENV' | 'LABEL' | 'ARG' | 'EXPOSE' | 'VOLUME'
  | 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'COPY' | 'ADD' | 'HEALTHCHECK' | 'ONBUILD' | 'MAINTAINER';

/** The escape character (`# escape=`): also the line-continuation character. */
export type EscapeChar = '\\' | '`';

/** A flag's value: `--name=value` strings, `--name` / `--name=false` booleans, repeatable flags as lists. */
export type FlagValue = string | boolean | string[];

/** What every instruction has. */
interface Common {
  /** 1-based line where the instruction starts, and the last line it took (continuations). */
  line: number;
  endLine: number;
  /** The instruction as Docker prints it in `Step N/M : …`: continued lines joined (the escape
   *  and what follows it removed, the next line's indentation kept), comments inside dropped,
   *  trimmed. */
  original: string;
  /** True when the arguments were a JSON array of strings (the exec form). */
  json: boolean;
}

/** `FROM [--platform=p] image [AS name]`; `image` is substituted with the meta ARGs only. */
export interface FromInstruction extends Common {
  keyword: 'FROM';
  flags: { platform?: string };
  image: string;
  /** The stage name, lower-cased as Docker keeps it. */
  stage?: string;
}

/** RUN, CMD, ENTRYPOINT: exec form (`json`) is the argv; shell form is one string, the text. */
export interface RunInstruction extends Common {
  keyword: 'RUN';
  /** Parsed as Docker does; the classic builder refuses each of them ("requires BuildKit"). */
  flags: { mount?: string[]; network?: string; security?: string; device?: string[] };
  command: string[];
}
export interface CmdInstruction extends Common { keyword: 'CMD'; flags: Record<string, never>; command: string[] }
export interface EntrypointInstruction extends Common { keyword: 'ENTRYPOINT'; flags: Record<string, never>; command: string[] }
/** `SHELL ["executable", "parameters"]`: JSON form only. */
export interface ShellInstruction extends Common { keyword: 'SHELL'; flags: Record<string, never>; shell: string[] }

/** A `key=value` of ENV or LABEL as written: quotes, escapes and variables unprocessed. */
export interface RawPair { key: string; value: string }

/** ENV and LABEL. `legacy` is the old `ENV key the rest of the line` form (one pair). */
export interface EnvInstruction extends Common { keyword: 'ENV'; flags: Record<string, never>; pairs: RawPair[]; legacy: boolean }
export interface LabelInstruction extends Common { keyword: 'LABEL'; flags: Record<string, never>; pairs: RawPair[]; legacy: boolean }

/** One name of an ARG line, with its default when it has `=` (`ARG a=` has the default ""). */
export interface RawArg { name: string; default?: string }
export interface ArgInstruction extends Common { keyword: 'ARG'; flags: Record<string, never>; args: RawArg[] }

/** EXPOSE's words, sorted as Docker sorts them (before substitution; `created_by` shows that order). */
export interface ExposeInstruction extends Common { keyword: 'EXPOSE'; flags: Record<string, never>; ports: string[] }
/** VOLUME's paths: the JSON array, or the words of the line. */
export interface VolumeInstruction extends Common { keyword: 'VOLUME'; flags: Record<string, never>; paths: string[] }
/** One-argument instructions: the whole rest of the line is the argument. */
export interface WorkdirInstruction extends Common { keyword: 'WORKDIR'; flags: Record<string, never>; path: string }
export interface UserInstruction extends Common { keyword: 'USER'; flags: Record<string, never>; user: string }
export interface StopsignalInstruction extends Common { keyword: 'STOPSIGNAL'; flags: Record<string, never>; signal: string }
export interface MaintainerInstruction extends Common { keyword: 'MAINTAINER'; flags: Record<string, never>; maintainer: string }

/** COPY and ADD: every argument but the last is a source, the last is the destination. */
export interface CopyInstruction extends Common {
  keyword: 'COPY';
  flags: { from?: string; chown?: string; chmod?: string; link?: boolean; parents?: boolean; exclude?: string[] };
  sources: string[];
  dest: string;
}
export interface AddInstruction extends Common {
  keyword: 'ADD';
  flags: {
    chown?: string; chmod?: string; link?: boolean; 'keep-git-dir'?: boolean;
    checksum?: string; unpack?: boolean; exclude?: string[];
  };
  sources: string[];
  dest: string;
}

/** The image config's Healthcheck, as Docker writes it: durations in nanoseconds, zeros left out. */
export interface HealthConfig {
  /** `["NONE"]`, `["CMD", argv…]` (exec form) or `["CMD-SHELL", "text"]`. */
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}
export interface HealthcheckInstruction extends Common {
  keyword: 'HEALTHCHECK';
  flags: { interval?: string; timeout?: string; 'start-period'?: string; 'start-interval'?: string; retries?: string };
  healthcheck: HealthConfig;
}

/**
 * `ONBUILD <instruction>`: `expression` is the text stored in the image's OnBuild list (the
 * line without `ONBUILD `); `trigger` is that instruction parsed, for reading and checking.
 * When a later build starts FROM the image, each stored expression is parsed again on its own
 * (parseTrigger, default escape) — it may come from an image Docker built.
 */
export interface OnbuildInstruction extends Common {
  keyword: 'ONBUILD';
  flags: Record<string, never>;
  expression: string;
  trigger: Instruction;
}

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | EntrypointInstruction | ShellInstruction
  | EnvInstruction | LabelInstruction | ArgInstruction | ExposeInstruction | VolumeInstruction
  | WorkdirInstruction | UserInstruction | StopsignalInstruction | MaintainerInstruction
  | CopyInstruction | AddInstruction | HealthcheckInstruction | OnbuildInstruction;

/** A FROM and the instructions up to the next FROM. */
export interface Stage {
  /** Position among the stages (`COPY --from=0`). */
  index: number;
  /** The `AS` name, lower-cased. */
  name?: string;
  from: FromInstruction;
  instructions: Instruction[];
}

export interface Dockerfile {
  escape: EscapeChar;
  /** `# syntax=` as written: recorded; the classic builder does not act on it. */
  syntax?: string;
  /** Every instruction in order (what `Step N/M` counts). */
  instructions: Instruction[];
  /** The ARGs before the first FROM. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  /** Lines Docker prints on stderr before building (empty continuation lines), each whole. */
  warnings: string[];
}
