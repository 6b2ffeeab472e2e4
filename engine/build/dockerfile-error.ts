// Chapter 5, build: the errors a Dockerfile can earn, and how they name the line. The rules that
// find a problem (flags.ts, instructions.ts, …) throw it in Docker's words without knowing
// where it is; parseDockerfile adds the line, as dockerd does: `dockerfile parse error on
// line 3: unknown instruction: RUNN (did you mean RUN?)`. Tests assert on the codes.
import { EngineError } from '../base/index.js';

export type DockerfileErrorCode =
  /** No bytes at all, or nothing but comments and blank lines. */
  | 'DOCKERFILE_EMPTY'
  /** A NUL byte anywhere: binary, not a Dockerfile (issue 9). */
  | 'DOCKERFILE_NUL'
  /** A repeated or invalid parser directive (`# escape=x`). */
  | 'DOCKERFILE_DIRECTIVE'
  | 'DOCKERFILE_UNKNOWN_INSTRUCTION'
  /** An unknown, repeated, valueless or ill-typed `--flag`. */
  | 'DOCKERFILE_FLAG'
  /** Arguments an instruction cannot take (counts, forms, names, JSON of non-strings …). */
  | 'DOCKERFILE_PARSE'
  /** A `${…}` the substitution rules refuse (raised at build time, by substitute.ts). */
  | 'DOCKERFILE_SUBSTITUTION';

/** A problem in Docker's words, not yet placed (data.problem keeps the words alone). */
export function problem(code: DockerfileErrorCode, text: string): EngineError {
  return new EngineError({ code, kind: 'invalid-argument', message: text, data: { problem: text } });
}

/** The same problem, placed: the message names the line where the instruction starts. */
export function atLines(err: EngineError, line: number, endLine: number): EngineError {
  const text = String(err.data.problem ?? err.message);
  return new EngineError({
    code: err.code,
    kind: err.kind,
    message: `dockerfile parse error on line ${line}: ${text}`,
    data: { ...err.data, line, endLine },
    cause: err.cause,
  });
}
