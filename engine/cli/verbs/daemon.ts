// `dockling daemon`: runs the engine behind the Docker Engine API on a unix socket (and, with
// --tlsverify and its certificates, on tcp:// for other machines: listen-plan.ts). This is
// the one verb that loads engine code (lazily, from engine/daemon/); every other verb talks
// to the socket it opens. Registry settings may also come from a daemon.json (--config-file),
// and the registries' extra CAs and client certificates from certs.d/ beside it. With
// --trace-listen it also serves the site's live mode: the trace and read-only state on loopback.
// Under systemd (dockling system install) it is started with -H fd:// and finds its socket
// in LISTEN_FDS, and its stderr is the journal (JOURNAL_STREAM): see the daemon's index.ts.
import { readFile } from 'node:fs/promises';
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';

/** dockerd reads /etc/docker/daemon.json; Dockling keeps its own beside it. */
const DEFAULT_CONFIG_FILE = '/etc/dockling/daemon.json';

export const verb: Verb = {
  usage: 'daemon [OPTIONS]',
  description: 'Run the Dockling daemon (as root): the Docker Engine API on a unix socket',
  args: { max: 0 },
  flags: [
    // No default here: daemon.json's "data-root" may set it, and a flag and the file together are an error.
    { name: 'data-root', type: 'string', value: 'string', description: 'Root directory of persistent state (default "/var/lib/dockling")' },
    { name: 'host', short: 'H', type: 'strings', value: 'list', description: 'Socket(s) to listen on, repeatable: unix:///path, tcp://ADDRESS:PORT with --tlsverify, or fd:// for the sockets systemd passed (default unix:///run/dockling.sock)' },
    { name: 'group', short: 'G', type: 'string', value: 'string', description: 'Group for the unix socket(s) (default "dockling" when that group exists): its members can use the daemon without sudo, which makes them root-equivalent' },
    { name: 'log-level', short: 'l', type: 'string', value: 'string', description: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")' },
    { name: 'tls', type: 'bool', description: 'Use TLS; implied by --tlsverify. --tls=false allows a tcp:// host without TLS: loopback only, read-only API, with a warning' },
    { name: 'tlsverify', type: 'bool', description: 'Serve tcp:// hosts with TLS and accept only clients whose certificate --tlscacert signed (mutual TLS)' },
    { name: 'tlscacert', type: 'string', value: 'string', description: 'The CA that signed the clients\' certificates (ca.pem from dockling certs)' },
    { name: 'tlscert', type: 'string', value: 'string', description: "This daemon's TLS certificate (server-cert.pem from dockling certs)" },
    { name: 'tlskey', type: 'string', value: 'string', description: "This daemon's TLS key (server-key.pem from dockling certs)" },
    { name: 'bridge', short: 'b', type: 'string', value: 'string', description: 'Device name of the default bridge network (default "dockling0")' },
    { name: 'bip', type: 'string', value: 'string', description: 'Subnet of the default bridge network (default 10.213.0.0/24)' },
    { name: 'default-address-pool', type: 'string', value: 'pool-options', description: 'Where user networks get their subnets: base=CIDR (default base=10.213.0.0/16)' },
    { name: 'insecure-registry', type: 'strings', value: 'list', description: 'Registry whose certificate is not verified, spoken to in plain HTTP if HTTPS fails: host[:port] or a CIDR (repeatable; loopback always is)' },
    { name: 'registry-mirror', type: 'strings', value: 'list', description: 'Preferred Docker Hub mirror, an http(s) URL (repeatable)' },
    {
      name: 'config-file', type: 'string', value: 'string',
      description: `Daemon configuration file (default "${DEFAULT_CONFIG_FILE}", read when present); registry certificates are read from certs.d/<host[:port]>/ beside it (*.crt: extra CAs, *.cert + *.key: a client certificate)`,
    },
    {
      name: 'trace-listen', type: 'string', value: 'address',
      description: 'Also serve the trace stream and read-only state to the site ("follow my daemon") on 127.0.0.1:PORT, localhost:PORT or [::1]:PORT; off by default. Loopback only: it has no authentication. GET only; the Engine API stays on the unix socket',
    },
    {
      name: 'trace-origin', type: 'strings', value: 'origin',
      description: 'Origin of a page allowed to read --trace-listen, e.g. http://localhost:5173 (repeatable; replaces the default: http://localhost:5173, http://localhost:4173 and their 127.0.0.1 forms, the site\'s dev and preview servers)',
    },
  ],
  async run(ctx) {
    // No -H: daemon.json's "hosts", else unix:///run/dockling.sock (the daemon decides, having read the file).
    const hosts = ctx.flags.host as string[];
    const pool = ctx.flags['default-address-pool'] as string | undefined;
    // Docker's syntax is `base=10.10.0.0/16,size=24`; every user network here is a /24.
    const addressPool = pool === undefined ? undefined : /(?:^|,)base=([^,]+)/.exec(pool)?.[1] ?? pool;
    const configFile = ctx.flags['config-file'] as string | undefined;
    const { runDaemon, LOG_LEVELS } = await import('../../daemon/index.js');
    const logLevel = ctx.flags['log-level'] as (typeof LOG_LEVELS)[number] | undefined;
    if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) throw new CliError(`dockling daemon: unable to parse logging level: ${logLevel} (want one of ${LOG_LEVELS.join(', ')})`);
    try {
      await runDaemon({
        dataRoot: ctx.flags['data-root'] as string | undefined, hosts, activatedFds: activatedFds(), ...(await socketGroup(ctx.flags.group as string | undefined)), ...(logLevel ? { logLevel } : {}), bridge: ctx.flags.bridge as string | undefined, bridgeSubnet: ctx.flags.bip as string | undefined, addressPool,
        insecureRegistries: ctx.flags['insecure-registry'] as string[], registryMirrors: ctx.flags['registry-mirror'] as string[],
        configFile: configFile ? { path: configFile, required: true } : { path: DEFAULT_CONFIG_FILE, required: false },
        traceListen: ctx.flags['trace-listen'] as string | undefined, traceOrigins: ctx.flags['trace-origin'] as string[],
        tls: {
          tls: ctx.flags.tls as boolean | undefined, tlsverify: ctx.flags.tlsverify as boolean | undefined,
          tlscacert: ctx.flags.tlscacert as string | undefined, tlscert: ctx.flags.tlscert as string | undefined, tlskey: ctx.flags.tlskey as string | undefined,
        },
      }, { journal: process.env.JOURNAL_STREAM !== undefined });
    } catch (err) {
      const e = err as { message?: string };
      throw new CliError(`dockling daemon: ${e.message ?? String(err)}`);
    }
  },
};

// #region activated-fds
/**
 * The sockets systemd passed (sd_listen_fds(3)): LISTEN_FDS of them, numbered from 3, meant for
 * us only if LISTEN_PID is our pid (a variable inherited from a parent that was activated is
 * not). The variables are then removed, so the containers' processes do not inherit them.
 */
function activatedFds(): number[] {
  const pid = Number(process.env.LISTEN_PID);
  const count = Number(process.env.LISTEN_FDS);
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;
  if (pid !== process.pid || !Number.isInteger(count) || count < 1) return [];
  const SD_LISTEN_FDS_START = 3;
  return Array.from({ length: count }, (_, i) => SD_LISTEN_FDS_START + i);
}
// #endregion activated-fds

/**
 * --group NAME as a gid, from /etc/group. dockerd's rule: the default group ("dockling", which
 * `dockling system install` creates) is used only if it exists; a group named on the command
 * line must exist.
 */
async function socketGroup(given: string | undefined): Promise<{ socketGroup?: { name: string; gid: number } }> {
  const name = given ?? 'dockling';
  const line = (await readFile('/etc/group', 'utf8').catch(() => '')).split('\n').find((l) => l.startsWith(`${name}:`));
  const gid = Number(line?.split(':')[2]);
  if (line && Number.isInteger(gid)) return { socketGroup: { name, gid } };
  if (given !== undefined) throw new CliError(`dockling daemon: --group ${given}: no such group in /etc/group`);
  return {};
}
