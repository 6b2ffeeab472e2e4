// `dockling daemon`: runs the engine behind the Docker Engine API on a unix socket. This is
// the one verb that loads engine code (lazily, from engine/daemon/); every other verb talks
// to the socket it opens.
import type { Verb } from '../verb.js';
import { CliError } from '../errors.js';

export const verb: Verb = {
  usage: 'daemon [OPTIONS]',
  description: 'Run the Dockling daemon (as root): the Docker Engine API on a unix socket',
  args: { max: 0 },
  flags: [
    { name: 'data-root', type: 'string', value: 'string', default: '/var/lib/dockling', description: 'Root directory of persistent state (default "/var/lib/dockling")' },
    { name: 'host', short: 'H', type: 'strings', value: 'list', description: 'Socket(s) to listen on (default unix:///run/dockling.sock)' },
    { name: 'bridge', short: 'b', type: 'string', value: 'string', description: 'Device name of the default bridge network (default "dockling0")' },
    { name: 'bip', type: 'string', value: 'string', description: 'Subnet of the default bridge network (default 10.213.0.0/24)' },
    { name: 'default-address-pool', type: 'string', value: 'pool-options', description: 'Where user networks get their subnets: base=CIDR (default base=10.213.0.0/16)' },
  ],
  async run(ctx) {
    const hosts = (ctx.flags.host as string[]).length ? (ctx.flags.host as string[]) : ['unix:///run/dockling.sock'];
    const pool = ctx.flags['default-address-pool'] as string | undefined;
    // Docker's syntax is `base=10.10.0.0/16,size=24`; every user network here is a /24.
    const addressPool = pool === undefined ? undefined : /(?:^|,)base=([^,]+)/.exec(pool)?.[1] ?? pool;
    const { runDaemon } = await import('../../daemon/index.js');
    try {
      await runDaemon({ dataRoot: ctx.flags['data-root'] as string, hosts, bridge: ctx.flags.bridge as string | undefined, bridgeSubnet: ctx.flags.bip as string | undefined, addressPool });
    } catch (err) {
      const e = err as { message?: string };
      throw new CliError(`dockling daemon: ${e.message ?? String(err)}`);
    }
  },
};
