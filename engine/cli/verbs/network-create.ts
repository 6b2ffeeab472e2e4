// `dockling network create [--subnet CIDR] NETWORK`: a user-defined bridge network. The daemon
// picks a free /24 unless --subnet says which; the bridge device appears with the first
// container. The body is the docker CLI's: `{"Name","Driver","IPAM":{"Config":[{"Subnet"}]}}`.
import type { Verb } from '../verb.js';

export const verb: Verb = {
  usage: 'network create [OPTIONS] NETWORK',
  description: 'Create a network',
  args: { min: 1, max: 1 },
  flags: [
    { name: 'driver', short: 'd', type: 'string', value: 'string', description: 'Driver to manage the Network (default "bridge")' },
    { name: 'subnet', type: 'string', value: 'strings', description: 'Subnet in CIDR format that represents a network segment' },
  ],
  async run(ctx) {
    const subnet = ctx.flags.subnet as string | undefined;
    const body = {
      Name: ctx.args[0]!,
      Driver: (ctx.flags.driver as string | undefined) || 'bridge',
      IPAM: { Driver: 'default', Config: subnet ? [{ Subnet: subnet }] : [] },
    };
    const res = await ctx.client().json<{ Id: string; Warning?: string }>('POST', '/networks/create', {
      body: Buffer.from(JSON.stringify(body)),
      headers: { 'Content-Type': 'application/json' },
    });
    if (res.Warning) ctx.stderr.write(`WARNING: ${res.Warning}\n`);
    ctx.stdout.write(`${res.Id}\n`);
  },
};
