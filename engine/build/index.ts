// Chapter 5, build: the public surface other chapters import. So far the Dockerfile parser
// (text → instructions and stages, arguments as written) and variable substitution (the rules
// dockerd applies to an instruction's arguments just before it runs).
export type {
  Keyword, EscapeChar, FlagValue, Instruction, Dockerfile, Stage, RawPair, RawArg, HealthConfig,
  FromInstruction, RunInstruction, CmdInstruction, EntrypointInstruction, ShellInstruction,
  EnvInstruction, LabelInstruction, ArgInstruction, ExposeInstruction, VolumeInstruction,
  WorkdirInstruction, UserInstruction, StopsignalInstruction, MaintainerInstruction,
  CopyInstruction, AddInstruction, HealthcheckInstruction, OnbuildInstruction,
} from './types.js';
export type { DockerfileErrorCode } from './dockerfile-error.js';
export { parseDockerfile, parseTrigger } from './dockerfile.js';
export type { ParseOptions } from './dockerfile.js';
export { FLAGS } from './flags.js';
export {
  expandWord, expandWords, expandPairs, expandArgs, envMap, SUBSTITUTION, SUBSTITUTED_INSTRUCTIONS,
} from './substitute.js';
export type { Vars, Pair, Arg, SubstitutionRule } from './substitute.js';
// The builder: steps against the engine, the cache, and the build itself.
export { build } from './builder.js';
export type { BuildRequest, BuildMessage, BuilderEngine } from './builder.js';
export { BuildCache } from './build-cache.js';
export { StepFailed } from './steps.js';
export { unpackContext, readContextDockerfile } from './context-unpack.js';
export { packContext, resolveContext } from './context.js';
export type { PackContextOptions, PackedContext } from './context.js';
