// One error type for the whole engine. Every failure has a stable `code` (what tests assert
// on), a `kind` from a small closed set (what the API and the CLI turn into an HTTP status and
// an exit code), structured `data` naming the object and the value, and an optional `cause`.
// Kernel and host-command failures also carry the operation, the path and errno in `data`.

export type ErrorKind =
  | 'not-found'
  | 'already-exists'
  | 'invalid-argument'
  | 'conflict'
  | 'failed-precondition'
  | 'unavailable'
  | 'internal';

/** The one table from kind to HTTP status (Docker's mapping) and to CLI exit code. */
export const ERROR_KINDS: Record<ErrorKind, { status: number; exit: number }> = {
  'not-found': { status: 404, exit: 1 },
  'already-exists': { status: 409, exit: 1 },
  'invalid-argument': { status: 400, exit: 1 },
  conflict: { status: 409, exit: 1 },
  'failed-precondition': { status: 412, exit: 1 },
  unavailable: { status: 503, exit: 1 },
  internal: { status: 500, exit: 1 },
};

export class EngineError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly data: Record<string, unknown>;

  constructor(args: { code: string; kind: ErrorKind; message: string; data?: Record<string, unknown>; cause?: unknown }) {
    super(args.message, args.cause === undefined ? undefined : { cause: args.cause });
    this.name = 'EngineError';
    this.code = args.code;
    this.kind = args.kind;
    this.data = args.data ?? {};
  }

  get status(): number {
    return ERROR_KINDS[this.kind].status;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, kind: this.kind, message: this.message, data: this.data };
  }
}

/** Shorthands so throw sites read as the sentence they mean. */
export const notFound = (code: string, message: string, data?: Record<string, unknown>) =>
  new EngineError({ code, kind: 'not-found', message, data });
export const invalid = (code: string, message: string, data?: Record<string, unknown>, cause?: unknown) =>
  new EngineError({ code, kind: 'invalid-argument', message, data, cause });
export const conflict = (code: string, message: string, data?: Record<string, unknown>) =>
  new EngineError({ code, kind: 'conflict', message, data });
export const internal = (code: string, message: string, data?: Record<string, unknown>, cause?: unknown) =>
  new EngineError({ code, kind: 'internal', message, data, cause });

/** Wraps anything thrown into an EngineError, keeping one that already is. */
export function asEngineError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    const kind: ErrorKind = e.code === 'ENOENT' ? 'not-found' : e.code === 'EEXIST' ? 'already-exists' : 'internal';
    return new EngineError({
      code: `SYSCALL_${e.code}`,
      kind,
      // A stream's write error has no path: then "write: ENOSPC: …", not "write : ENOSPC: …".
      message: `${e.syscall}${e.path ? ` ${e.path}` : ''}: ${e.message}`.replace(/\s+/g, ' '),
      data: { syscall: e.syscall, path: e.path, errno: e.code },
      cause: err,
    });
  }
  return new EngineError({ code: 'INTERNAL', kind: 'internal', message: String((err as Error)?.message ?? err), cause: err });
}
