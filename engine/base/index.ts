// base: what every chapter needs and no chapter owns — errors, host commands, atomic files.
export { EngineError, ERROR_KINDS, asEngineError, notFound, invalid, conflict, internal } from './errors.js';
export type { ErrorKind } from './errors.js';
export { run, hasCommand, useSpawnServer } from './command.js';
export type { CommandResult, RunOptions } from './command.js';
export { writeFileAtomic, tempDir } from './files.js';
export { KeyedMutex } from './mutex.js';
export { storageFailure } from './storage-error.js';
export { splitDev } from './dev.js';
