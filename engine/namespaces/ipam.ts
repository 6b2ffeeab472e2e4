// IP address management (chapter 3, networking): which address of a network's subnet each
// container holds. Docker calls this IPAM; its "default" driver does what this file does: the
// first host address is the gateway (it goes on the bridge), the others are handed out lowest
// first, and each network's allocations live in one JSON file, rewritten atomically, so a killed
// daemon never leaves two containers believing they hold the same address.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedMutex, invalid, conflict, writeFileAtomic } from '../base/index.js';

/** An IPv4 subnet in CIDR form, with the numbers the arithmetic needs. */
export interface Subnet {
  /** As written canonically: `10.213.0.0/24`. */
  cidr: string;
  /** The network address as a 32-bit number. */
  base: number;
  prefix: number;
  /** How many addresses the subnet spans (network and broadcast included). */
  size: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw invalid('INVALID_ADDRESS', `invalid IPv4 address ${JSON.stringify(ip)}`, { address: ip });
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Parses `a.b.c.d/len`. The host bits must be zero, as Docker requires of `--subnet`. */
export function parseSubnet(cidr: string): Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const prefix = m ? Number(m[2]) : NaN;
  // /31 and /32 leave no room for a gateway and a container.
  if (!m || prefix < 8 || prefix > 30) {
    throw invalid('INVALID_SUBNET', `invalid subnet ${JSON.stringify(cidr)}: want a.b.c.d/8 … /30`, { subnet: cidr });
  }
  const base = ipToInt(m[1]!);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) {
    throw invalid('INVALID_SUBNET', `invalid subnet ${cidr}: host bits are set (did you mean ${intToIp(base - (base % size))}/${prefix}?)`, { subnet: cidr });
  }
  return { cidr: `${intToIp(base)}/${prefix}`, base, prefix, size };
}

/** The first host address: where the bridge sits and the containers' default route points. */
export function gatewayOf(subnet: Subnet): string {
  return intToIp(subnet.base + 1);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** One network's allocation file. */
interface PoolFile {
  subnet: string;
  /** owner (a container id) → address */
  allocations: Record<string, string>;
}

/**
 * The allocations of every network, one file per network under `dir`:
 *   ipam/<network id>.json  {"subnet":"10.213.0.0/24","allocations":{"4f2c…":"10.213.0.2"}}
 */
export class Ipam {
  private readonly lock = new KeyedMutex();

  constructor(private readonly dir: string) {}

  /** Gives `owner` the lowest free address of the subnet (the same one again if it has one). */
  allocate(args: { pool: string; subnet: string; owner: string }): Promise<string> {
    return this.lock.run(args.pool, async () => {
      const subnet = parseSubnet(args.subnet);
      const file = await this.read(args.pool, subnet.cidr);
      const held = file.allocations[args.owner];
      if (held) return held;
      const taken = new Set(Object.values(file.allocations));
      // Skip the network address, the gateway (+1) and the broadcast address (last).
      for (let n = subnet.base + 2; n < subnet.base + subnet.size - 1; n++) {
        const ip = intToIp(n);
        if (taken.has(ip)) continue;
        file.allocations[args.owner] = ip;
        await this.write(args.pool, file);
        return ip;
      }
      throw conflict('POOL_EXHAUSTED', `no free address left in ${subnet.cidr} for ${args.owner}`, { subnet: subnet.cidr, owner: args.owner });
    });
  }

  /** Gives back `owner`'s address; releasing twice is not an error. */
  release(args: { pool: string; owner: string }): Promise<void> {
    return this.lock.run(args.pool, async () => {
      const file = await this.read(args.pool, '');
      if (!(args.owner in file.allocations)) return;
      delete file.allocations[args.owner];
      await this.write(args.pool, file);
    });
  }

  /** Forgets a whole network's allocations (the network is being removed). */
  drop(pool: string): Promise<void> {
    return this.lock.run(pool, () => rm(this.path(pool), { force: true }));
  }

  /** owner → address, for inspect and for tests. */
  async allocations(pool: string): Promise<Record<string, string>> {
    return (await this.read(pool, '')).allocations;
  }

  private path(pool: string): string {
    return join(this.dir, `${pool}.json`);
  }

  private async read(pool: string, subnet: string): Promise<PoolFile> {
    try {
      return JSON.parse(await readFile(this.path(pool), 'utf8')) as PoolFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return { subnet, allocations: {} };
    }
  }

  private write(pool: string, file: PoolFile): Promise<void> {
    return writeFileAtomic(this.path(pool), JSON.stringify(file, null, 2) + '\n');
  }
}
