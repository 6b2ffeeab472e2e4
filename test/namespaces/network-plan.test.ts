// Chapter 3, networking: the plans are data. Each table below is exactly the list of commands
// a reader would type for a bridge, a container on a bridge, `--network none` and `host`, and
// teardown is the same plan read backwards. No root needed; nothing here touches the kernel.
import { describe, expect, it } from 'vitest';
import { hostVethName, macFor, planBridge, planContainerNetwork, teardownOf } from '../../engine/namespaces/network-plan.js';
import { gatewayOf, intToIp, ipToInt, overlaps, parseSubnet } from '../../engine/namespaces/ipam.js';
import { hostsContent, resolvConfContent } from '../../engine/namespaces/hosts-file.js';

const NS = '/state/netns/c1';
const sh = (argv: string[]) => argv.join(' ');

describe('bridge plan', () => {
  it('adds the bridge, puts the gateway on it, brings it up', () => {
    const plan = planBridge({ bridge: 'dockling0', gateway: '10.213.0.1', prefix: 24 });
    expect(plan.steps.map((s) => [s.op, sh(s.argv)])).toEqual([
      ['net.bridge', 'ip link add dockling0 type bridge'],
      ['net.address', 'ip addr add 10.213.0.1/24 dev dockling0'],
      ['net.link', 'ip link set dockling0 up'],
    ]);
    expect(teardownOf(plan).map(sh)).toEqual(['ip link del dockling0']);
  });

  it('a user network has its own bridge, and a FORWARD rule only when asked (policy DROP)', () => {
    const plan = planBridge({ bridge: 'dl-0123456789ab', gateway: '10.213.1.1', prefix: 24, allowForward: true, network: 'web' });
    expect(plan.steps.map((s) => sh(s.argv))).toEqual([
      'ip link add dl-0123456789ab type bridge',
      'ip addr add 10.213.1.1/24 dev dl-0123456789ab',
      'ip link set dl-0123456789ab up',
      'iptables -I FORWARD -i dl-0123456789ab -o dl-0123456789ab -m comment --comment dockling web -j ACCEPT',
    ]);
    expect(teardownOf(plan).map(sh)).toEqual([
      'iptables -D FORWARD -i dl-0123456789ab -o dl-0123456789ab -m comment --comment dockling web -j ACCEPT',
      'ip link del dl-0123456789ab',
    ]);
  });
});

describe('container plans', () => {
  it('bridge: a namespace bound on a file, lo up, a veth into the bridge, eth0 with address, MAC and route', () => {
    const plan = planContainerNetwork({
      containerId: 'c1', mode: 'bridge', netnsPath: NS,
      endpoint: { bridge: 'dockling0', hostVeth: 'vdlabcdef0123', ip: '10.213.0.2', prefix: 24, gateway: '10.213.0.1', mac: '02:42:0a:d5:00:02' },
    });
    expect(plan.steps.map((s) => [s.op, sh(s.argv)])).toEqual([
      ['net.netns', `touch ${NS}`],
      ['net.netns', `unshare --net=${NS} true`],
      ['net.link', `nsenter --net=${NS} ip link set lo up`],
      ['net.veth', `ip link add vdlabcdef0123 type veth peer name eth0 netns ${NS}`],
      ['net.veth', 'ip link set vdlabcdef0123 master dockling0'],
      ['net.link', 'ip link set vdlabcdef0123 up'],
      ['net.link', `nsenter --net=${NS} ip link set eth0 address 02:42:0a:d5:00:02`],
      ['net.address', `nsenter --net=${NS} ip addr add 10.213.0.2/24 dev eth0`],
      ['net.link', `nsenter --net=${NS} ip link set eth0 up`],
      ['net.route', `nsenter --net=${NS} ip route add default via 10.213.0.1`],
    ]);
    expect(teardownOf(plan).map(sh)).toEqual(['ip link del vdlabcdef0123', `umount ${NS}`, `rm -f ${NS}`]);
  });

  it('none: nothing outside (the container\'s own start makes the namespace and brings lo up)', () => {
    const plan = planContainerNetwork({ containerId: 'c1', mode: 'none', netnsPath: NS });
    expect(plan).toEqual({ subject: 'container:c1', mode: 'none', steps: [] });
    expect(teardownOf(plan)).toEqual([]);
  });

  it('host: nothing to do, nothing to undo', () => {
    const plan = planContainerNetwork({ containerId: 'c1', mode: 'host', netnsPath: NS });
    expect(plan).toEqual({ subject: 'container:c1', mode: 'host', steps: [] });
    expect(teardownOf(plan)).toEqual([]);
  });

  it('names and MACs: Docker\'s 02:42 + the IPv4 bytes; host veth names fit IFNAMSIZ', () => {
    expect(macFor('10.213.0.2')).toBe('02:42:0a:d5:00:02');
    expect(macFor('172.17.255.254')).toBe('02:42:ac:11:ff:fe');
    expect(hostVethName('0123456789abcdef')).toBe('vdl0123456789');
    expect(hostVethName('0123456789abcdef').length).toBeLessThanOrEqual(15);
  });
});

describe('subnet arithmetic', () => {
  it.each([
    ['10.213.0.0/24', '10.213.0.1', 256],
    ['10.213.4.0/22', '10.213.4.1', 1024],
    ['192.168.1.128/25', '192.168.1.129', 128],
  ])('%s: gateway %s, %i addresses', (cidr, gw, size) => {
    const s = parseSubnet(cidr);
    expect(gatewayOf(s)).toBe(gw);
    expect(s.size).toBe(size);
  });

  it.each(['10.213.0.1/24', '10.213.0.0', '10.213.0.0/33', '10.213.0.0/31', '300.1.1.0/24', 'x/24'])('rejects %s with INVALID_SUBNET or INVALID_ADDRESS', (cidr) => {
    expect(() => parseSubnet(cidr)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^INVALID_(SUBNET|ADDRESS)$/) }));
  });

  it('round-trips addresses and sees overlaps', () => {
    expect(intToIp(ipToInt('10.213.7.9'))).toBe('10.213.7.9');
    expect(overlaps(parseSubnet('10.213.0.0/16'), parseSubnet('10.213.5.0/24'))).toBe(true);
    expect(overlaps(parseSubnet('10.213.0.0/24'), parseSubnet('10.213.1.0/24'))).toBe(false);
  });
});

describe('name files', () => {
  it('hosts: the local lines, itself, then peers by name and short id', () => {
    const text = hostsContent({ self: { ip: '10.213.1.2', names: ['0123456789ab', 'web'] }, peers: [{ ip: '10.213.1.3', names: ['db', 'ba9876543210'] }] });
    expect(text.split('\n').slice(0, 1)).toEqual(['127.0.0.1\tlocalhost']);
    expect(text).toContain('\n10.213.1.2\t0123456789ab web\n10.213.1.3\tdb ba9876543210\n');
  });

  it('resolv.conf: loopback nameservers dropped in a namespace of its own, Docker\'s fallback when none is left', () => {
    const host = 'search lan\nnameserver 127.0.0.53\noptions edns0\n';
    expect(resolvConfContent({ hostResolvConf: host, ownNamespace: true })).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch lan\noptions edns0\n');
    expect(resolvConfContent({ hostResolvConf: 'nameserver 10.0.0.53\n', ownNamespace: true })).toBe('nameserver 10.0.0.53\n');
    expect(resolvConfContent({ hostResolvConf: host, ownNamespace: false })).toBe(host);
  });
});
