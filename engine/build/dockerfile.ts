// Chapter 5, build: parseDockerfile, the text of a Dockerfile → its instructions and stages, with
// no I/O and no variables substituted (that waits for the builder; see types.ts for the whole
// path). The steps, in order:
//   1. lines.ts: parser directives, comments, continuations → logical lines;
//   2. instructions.ts: each logical line → a typed Instruction, arguments as written;
//   3. here: instructions → meta ARGs and stages (one per FROM).
// Every error is an EngineError whose message names the line, in Docker's words.
import type { ArgInstruction, Dockerfile, Instruction, Stage } from './types.js';
import { EngineError } from '../base/index.js';
import { atLines, problem } from './dockerfile-error.js';
import { continuationWarnings, readLines } from './lines.js';
import { parseInstruction } from './instructions.js';
import { trimSpace } from './characters.js';

export interface ParseOptions {
  /** The Dockerfile's name as the user gave it (`-f`), for the messages that name the file. */
  name?: string;
}

// #region parseDockerfile
/** Parses a Dockerfile's text. Throws EngineErrors with codes DOCKERFILE_* (dockerfile-error.ts). */
export function parseDockerfile(text: string, options: ParseOptions = {}): Dockerfile {
  const name = options.name ?? 'Dockerfile';
  if (text === '') throw problem('DOCKERFILE_EMPTY', `the Dockerfile (${name}) cannot be empty`);
  // A NUL is no text a Dockerfile can mean: it cannot reach a command line (C strings end there),
  // and it is how a binary file passed off as a Dockerfile shows itself.
  const nul = text.indexOf('\0');
  if (nul >= 0) throw problem('DOCKERFILE_NUL', `${name} line ${text.slice(0, nul).split('\n').length}: a NUL byte: a Dockerfile is text`);
  const { directives, lines } = readLines(text);
  const instructions = lines.map((l) => place(l.line, l.endLine, () =>
    parseInstruction(l.text, { line: l.line, endLine: l.endLine, original: trimSpace(l.text) }, directives.escape)));
  if (instructions.length === 0) throw problem('DOCKERFILE_EMPTY', `failed to parse ${name}: file with no instructions`);
  return {
    escape: directives.escape,
    ...(directives.syntax === undefined ? {} : { syntax: directives.syntax }),
    instructions,
    ...groupStages(instructions),
    warnings: continuationWarnings(lines),
  };
}
// #endregion parseDockerfile

/** Runs `read`, placing any Dockerfile problem it throws at the given lines. */
function place<T>(line: number, endLine: number, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw err instanceof EngineError && err.code.startsWith('DOCKERFILE_') ? atLines(err, line, endLine) : err;
  }
}

/**
 * ARGs before the first FROM are "meta" ARGs (visible to every FROM line); every FROM starts a
 * stage that owns the instructions up to the next FROM. Anything else before the first FROM has
 * no stage to belong to.
 */
function groupStages(instructions: Instruction[]): { metaArgs: ArgInstruction[]; stages: Stage[] } {
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      stages.push({ index: stages.length, ...(ins.stage === undefined ? {} : { name: ins.stage }), from: ins, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(ins);
    } else if (ins.keyword === 'ARG') {
      metaArgs.push(ins);
    } else {
      throw atLines(problem('DOCKERFILE_PARSE', 'no build stage in current context'), ins.line, ins.endLine);
    }
  }
  return { metaArgs, stages };
}

/**
 * Parses one stored ONBUILD trigger (an image's `OnBuild` entry) when a build starts FROM that
 * image. As dockerd does, each trigger is read on its own as a one-line Dockerfile with the
 * default escape character, and must hold exactly one instruction that may be a trigger.
 */
export function parseTrigger(expression: string): Instruction {
  const { lines } = readLines(expression);
  if (lines.length !== 1) throw problem('DOCKERFILE_PARSE', 'onbuild trigger should be a single expression');
  const l = lines[0]!;
  const ins = place(1, 1, () => parseInstruction(l.text, { line: 1, endLine: 1, original: trimSpace(l.text) }, '\\'));
  if (ins.keyword === 'FROM' || ins.keyword === 'MAINTAINER') {
    throw atLines(problem('DOCKERFILE_PARSE', `${ins.keyword} isn't allowed as an ONBUILD trigger`), 1, 1);
  }
  if (ins.keyword === 'ONBUILD') {
    throw atLines(problem('DOCKERFILE_PARSE', 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'), 1, 1);
  }
  return ins;
}
