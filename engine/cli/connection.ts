// Which daemon a command talks to, and how (chapter 6): the global flags, the environment and
// the current context, in Docker's order of precedence:
//   1. -H/--host, or DOCKLING_HOST            (with --tls*, DOCKLING_TLS_VERIFY, DOCKLING_CERT_PATH)
//   2. --context, or DOCKLING_CONTEXT          (a stored context: its host and its TLS files)
//   3. the current context (`dockling context use NAME`), else the local unix socket
// The variables are Docker's with DOCKLING_ in place of DOCKER_.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ContextStore } from './context-store.js';
import { CliError } from './errors.js';
import { DEFAULT_HOST, type TlsFiles } from './transport.js';

/** What main.ts read from the global flags (undefined: not given). */
export interface GlobalFlags {
  host?: string;
  context?: string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

export interface Connection {
  host: string;
  tls?: TlsFiles;
  /** The context it came from, for `context show` and messages ("default" when none). */
  context: string;
}

/** ~/.dockling, or DOCKLING_CONFIG: where contexts and the current context's name live. */
export function configDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKLING_CONFIG || join(env.HOME || homedir(), '.dockling');
}

// #region resolve-connection
export function resolveConnection(flags: GlobalFlags, env: NodeJS.ProcessEnv): Connection {
  if (flags.host !== undefined && flags.context !== undefined) {
    throw new CliError('conflicting options: either specify --host or --context, not both');
  }
  const host = flags.host ?? (flags.context === undefined ? env.DOCKLING_HOST || undefined : undefined);
  if (host !== undefined) return { host, tls: tlsFromFlags(flags, env), context: 'default' };
  const store = new ContextStore(configDir(env));
  const name = flags.context ?? (env.DOCKLING_CONTEXT || store.current());
  if (name === 'default') return { host: DEFAULT_HOST, tls: tlsFromFlags(flags, env), context: name };
  const meta = store.read(name);
  if (!meta) throw new CliError(`context "${name}" does not exist (see 'dockling context ls')`);
  // A context's TLS files are its own; DOCKLING_CERT_PATH is not mixed in.
  const dir = store.dirOf(name);
  const hasCa = store.hasFile(name, 'ca');
  const tls: TlsFiles | undefined = meta.Host.startsWith('tcp://') && (hasCa || store.hasFile(name, 'cert'))
    ? { tls: true, verify: !meta.SkipTLSVerify, certPath: dir }
    : undefined;
  return { host: meta.Host, tls, context: name };
}
// #endregion resolve-connection

/** --tls/--tlsverify and their files; DOCKLING_TLS_VERIFY set to anything (but "") is --tlsverify, as Docker's. */
function tlsFromFlags(flags: GlobalFlags, env: NodeJS.ProcessEnv): TlsFiles {
  const verify = flags.tlsverify ?? Boolean(env.DOCKLING_TLS_VERIFY);
  return {
    tls: flags.tls === true || verify,
    verify,
    ca: flags.tlscacert,
    cert: flags.tlscert,
    key: flags.tlskey,
    certPath: env.DOCKLING_CERT_PATH || join(env.HOME || homedir(), '.dockling'),
  };
}
