// What a registry's refusal means (chapter 4). A registry answers a failed request with an HTTP
// status and, usually, a JSON body listing errors (distribution-spec spec.md, "Error Codes"):
//
//   404 {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v2"}}]}
//
// Each becomes one EngineError with a stable code, the registry's words kept in the message.
import { EngineError, type ErrorKind } from '../../base/index.js';
import { readBody, type HttpResponse } from './http.js';

interface RegistryErrorBody { errors?: Array<{ code?: unknown; message?: unknown }> }

/** Our code and kind for a registry error code (or, without one, for the HTTP status). */
function classify(status: number, registryCode: string | undefined): { code: string; kind: ErrorKind } {
  if (registryCode === 'MANIFEST_UNKNOWN' || registryCode === 'NAME_UNKNOWN') return { code: 'MANIFEST_UNKNOWN', kind: 'not-found' };
  if (registryCode === 'BLOB_UNKNOWN') return { code: 'BLOB_UNKNOWN', kind: 'not-found' };
  if (status === 401 || registryCode === 'UNAUTHORIZED') return { code: 'REGISTRY_UNAUTHORIZED', kind: 'invalid-argument' };
  if (status === 403 || registryCode === 'DENIED') return { code: 'REGISTRY_DENIED', kind: 'invalid-argument' };
  if (status === 404) return { code: 'MANIFEST_UNKNOWN', kind: 'not-found' };
  if (status === 429 || status >= 500) return { code: 'REGISTRY_UNAVAILABLE', kind: 'unavailable' };
  return { code: 'REGISTRY_ERROR', kind: 'internal' };
}

/** What a status means when no body says more (a HEAD answer never has one). */
const WITHOUT_BODY: Record<number, string> = {
  401: 'unauthorized: authentication required',
  403: 'denied: requested access to the resource is denied',
  404: 'not found',
};

/**
 * Reads the error body of `res` and returns the error to throw; `what` says what was being
 * done, in the words a user reads first: `pull localhost:5000/app:v2`.
 */
export async function registryError(res: HttpResponse, what: string): Promise<EngineError> {
  let body: RegistryErrorBody = {};
  try {
    body = JSON.parse((await readBody(res, 64 * 1024)).toString('utf8')) as RegistryErrorBody;
  } catch {
    // not JSON (a proxy's HTML page, an empty body): the status alone speaks
  }
  const first = Array.isArray(body.errors) ? body.errors[0] : undefined;
  const registryCode = typeof first?.code === 'string' ? first.code : undefined;
  const said = Array.isArray(body.errors)
    ? body.errors.map((e) => [typeof e.code === 'string' ? e.code.toLowerCase().replace(/_/g, ' ') : '', typeof e.message === 'string' ? e.message : ''].filter(Boolean).join(': ')).join('; ')
    : '';
  const { code, kind } = classify(res.status, registryCode);
  return new EngineError({
    code, kind,
    message: `${what}: ${said || WITHOUT_BODY[res.status] || `HTTP ${res.status}`}`,
    data: { status: res.status, url: res.url.href, registryCode: registryCode ?? null },
  });
}
