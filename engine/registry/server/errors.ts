// The distribution spec's error codes ("Error Codes" in spec.md) and the HTTP status each is
// answered with. A failing request answers with a JSON body a client can act on:
//   {"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":{"digest":"sha256:…"}}]}
// RegistryError is an EngineError whose `code` is the spec's code, so the engine's habits hold
// (tests assert on `code`), and whose status is the spec's rather than the kind's default.
import { EngineError, type ErrorKind } from '../../base/index.js';

/** Each code the spec names, with its usual status and a message a person can read. */
export const SPEC_ERRORS = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  // Not in the spec's table, but the spec's words for what a proxy answers when upstream fails.
  UNAVAILABLE: { status: 502, message: 'the upstream registry could not be reached' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const;

export type SpecErrorCode = keyof typeof SPEC_ERRORS;

function kindFor(status: number): ErrorKind {
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status >= 500) return status === 500 ? 'internal' : 'unavailable';
  if (status === 400 || status === 413 || status === 416) return 'invalid-argument';
  return 'failed-precondition';
}

export class RegistryError extends EngineError {
  readonly httpStatus: number;
  /** The spec's free-form `detail`: what the client needs to fix the request. */
  readonly detail: unknown;

  constructor(code: SpecErrorCode, message?: string, detail: unknown = null, status?: number) {
    const httpStatus = status ?? SPEC_ERRORS[code].status;
    super({ code, kind: kindFor(httpStatus), message: message ?? SPEC_ERRORS[code].message, data: { detail } });
    this.httpStatus = httpStatus;
    this.detail = detail;
  }

  override get status(): number {
    return this.httpStatus;
  }
}

/** Shorthand so throw sites read as the sentence they mean: `throw registryError('BLOB_UNKNOWN', …)`. */
export function registryError(code: SpecErrorCode, message?: string, detail: unknown = null, status?: number): RegistryError {
  return new RegistryError(code, message, detail, status);
}

/** The spec's error body for one error. */
export function errorBody(err: RegistryError): string {
  return JSON.stringify({ errors: [{ code: err.code, message: err.message, detail: err.detail }] });
}
