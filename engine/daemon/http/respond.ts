// How every answer leaves the daemon: the headers dockerd puts on each response, JSON bodies,
// and errors as `{"message": …}` with `Content-Type: application/json` *exactly* — the docker
// CLI does not parse an error body whose type carries a charset (protocol reference §3).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_KINDS, asEngineError } from '../../base/index.js';
import { API_VERSION } from '../api-version.js';

/** An error that is about HTTP itself (a bad route, a missing parameter), not the engine. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function standardHeaders(serverVersion: string): Record<string, string> {
  return {
    'Api-Version': API_VERSION,
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Server: `Dockling/${serverVersion} (linux)`,
  };
}

export function sendJSON(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

// #region send-error
/** Status for anything thrown: HttpError as is, EngineError through the ERROR_KINDS table. */
export function errorStatus(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  const e = asEngineError(err);
  return { status: ERROR_KINDS[e.kind].status, message: e.message };
}

export function sendError(res: ServerResponse, err: unknown): void {
  const { status, message } = errorStatus(err);
  if (res.headersSent) {
    // Too late for a status: the body was already streaming. Cut the connection so the client
    // sees a truncated response instead of a silently short one.
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  sendJSON(res, status, { message });
}
// #endregion send-error

/** Reads a small request body (JSON options); streams are read by their handlers instead. */
export async function readBody(req: IncomingMessage, limit = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * What Node's parser refuses before any route sees it — a method it does not know (`BREW`), a
 * header line too long, a bare NUL — and `CONNECT`, which Node hands to a listener of its own:
 * answered with a JSON message like every other refusal, instead of a bare `400` or a socket
 * closed without a word.
 */
export function answerUnparsable(server: Server): void {
  const refuse = (socket: Duplex, status: number, message: string) => {
    if (!socket.writable) return void socket.destroy();
    const body = JSON.stringify({ message }) + '\n';
    const reason = status === 405 ? 'Method Not Allowed' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way on this socket (a refusal that left its body unread, whose
    // bytes the parser then took for a request): a second answer would be garbage after it.
    // Node's own handler makes the same check, on the same internal field.
    const answering = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
    if (err.code === 'ECONNRESET' || answering) return void socket.destroy();
    if (err.code === 'HPE_HEADER_OVERFLOW') return refuse(socket, 431, 'request headers too large');
    refuse(socket, 400, `malformed HTTP request: ${err.message}`);
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuse(socket, 405, 'CONNECT is not an Engine API method: this is no proxy'));
}
