// Chapter 5, build: the public surface other chapters import. So far the Dockerfile parser
// (text → instructions and stages, arguments as written).
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
