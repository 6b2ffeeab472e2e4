// The shape of one CLI verb: its help text and flags beside its handler, in one file under
// verbs/. main.ts parses flags from the spec, checks the argument count, and calls `run`.
import type { FlagSpec, FlagValues } from './args.js';
import type { ApiClient } from './client.js';
import type { TlsFiles } from './transport.js';

export interface VerbContext {
  args: string[];
  flags: FlagValues;
  /** The daemon's API client (made on first use: `daemon` and `help` never need one). */
  client(): ApiClient;
  host: string;
  /** The TLS settings for a tcp:// host (global --tls* flags, DOCKLING_TLS_VERIFY, a context's files). */
  tls?: TlsFiles;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export interface Verb {
  /** `images [OPTIONS] [REPOSITORY[:TAG]]` */
  usage: string;
  /** One paragraph under the usage line. */
  description: string;
  flags: FlagSpec[];
  args?: { min?: number; max?: number; exact?: number };
  /** False when flags stop at the first argument (`create IMAGE CMD -x`: -x is the command's). */
  interspersed?: boolean;
  /** Resolves with the exit code (0 when void). */
  run(ctx: VerbContext): Promise<number | void>;
}

export const formatFlag: FlagSpec = {
  name: 'format',
  type: 'string',
  value: 'string',
  description: "Format output using a custom template:\n'table': Print output in table format with column headers (default)\n'table TEMPLATE': Print output in table format using the given Go template\n'json': Print in JSON format\n'TEMPLATE': Print output using the given Go template",
};

/** Docker's short image ID: 12 hex digits without the algorithm. */
export function shortId(id: string): string {
  const hex = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}
