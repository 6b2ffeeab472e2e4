// Network plans (chapter 3, networking): the exact `ip` commands that give a bridge its address
// and a container its own network namespace, veth pair, address and route — as data. Nothing
// here touches the kernel: network-exec.ts runs a plan, the trace records it, the site draws it,
// and the tests read it without root. Every step carries the command that undoes it, so tearing
// down is the same plan read backwards (STYLE habits 5 and 10).
//
// The picture, for two containers on the default network:
//
//   host netns:      dockling0 (10.213.0.1/24, a bridge) ── vdl1a2b… ── vdl9f8e…
//                                                              │veth       │veth
//   container netns:                                      eth0 10.213.0.2  eth0 10.213.0.3
//                                                         default via 10.213.0.1

/** The trace operations a step is recorded as. */
export type NetOp = 'net.netns' | 'net.bridge' | 'net.veth' | 'net.address' | 'net.link' | 'net.route' | 'net.iptables';

export interface NetStep {
  op: NetOp;
  /** The command, exactly as a reader would type it. */
  argv: string[];
  /**
   * The command that undoes this step, run (in reverse order) at teardown, or null when an
   * earlier step's undo takes this one with it (an address goes with its device).
   */
  undo: string[] | null;
  /** What a diagram labels the step with: device names, addresses, paths. */
  facts: Record<string, string | number>;
}

export type NetworkMode = 'bridge' | 'none' | 'host';

export interface NetworkPlan {
  /** What the plan is for: a bridge (`bridge:dockling0`) or a container (`container:<id>`). */
  subject: string;
  mode: NetworkMode;
  steps: NetStep[];
}

/** Runs `argv` inside the network namespace bound at `netns`: the way in, for a path. */
export function inNetns(netns: string, argv: string[]): string[] {
  // `ip -n NAME` only knows names under /run/netns; ours live in the state dir, so enter by path.
  return ['nsenter', `--net=${netns}`, ...argv];
}

/** The commands that undo a plan, last step first: what teardown runs. */
export function teardownOf(plan: NetworkPlan): string[][] {
  return plan.steps.flatMap((s) => (s.undo ? [s.undo] : [])).reverse();
}

// #region bridge-plan
/**
 * A network's bridge: a virtual switch in the host's namespace, holding the gateway address.
 * `allowForward` adds one FORWARD rule for traffic between this bridge's own ports, needed only
 * where the FORWARD policy is DROP and bridged frames pass through iptables
 * (net.bridge.bridge-nf-call-iptables=1); the executor decides, the plan just says it.
 */
export function planBridge(args: { bridge: string; gateway: string; prefix: number; allowForward?: boolean; network?: string }): NetworkPlan {
  const { bridge, gateway, prefix } = args;
  const steps: NetStep[] = [
    { op: 'net.bridge', argv: ['ip', 'link', 'add', bridge, 'type', 'bridge'], undo: ['ip', 'link', 'del', bridge], facts: { bridge } },
    { op: 'net.address', argv: ['ip', 'addr', 'add', `${gateway}/${prefix}`, 'dev', bridge], undo: null, facts: { device: bridge, address: `${gateway}/${prefix}` } },
    { op: 'net.link', argv: ['ip', 'link', 'set', bridge, 'up'], undo: null, facts: { device: bridge, state: 'up' } },
  ];
  if (args.allowForward) {
    const rule = ['FORWARD', '-i', bridge, '-o', bridge, '-m', 'comment', '--comment', `dockling ${args.network ?? bridge}`, '-j', 'ACCEPT'];
    steps.push({ op: 'net.iptables', argv: ['iptables', '-I', ...rule], undo: ['iptables', '-D', ...rule], facts: { chain: 'FORWARD', bridge } });
  }
  return { subject: `bridge:${bridge}`, mode: 'bridge', steps };
}
// #endregion bridge-plan

/** What a container's plan needs to know; `endpoint` is absent for `none` and `host`. */
export interface ContainerNetArgs {
  containerId: string;
  mode: NetworkMode;
  /** Where the namespace is bound (a file in the state dir); ignored for `host`. */
  netnsPath: string;
  endpoint?: {
    bridge: string;
    /** The host end of the veth pair (15 characters at most: IFNAMSIZ). */
    hostVeth: string;
    ip: string;
    prefix: number;
    gateway: string;
    mac: string;
  };
}

// #region container-plan
export function planContainerNetwork(args: ContainerNetArgs): NetworkPlan {
  const plan: NetworkPlan = { subject: `container:${args.containerId}`, mode: args.mode, steps: [] };
  // --network host: the container shares the host's namespace, so there is nothing to make.
  // --network none: the container's own start makes a new namespace (unshare) and brings its
  // lo up (the recipe's `loopback` step) — nothing is needed outside, and nothing to undo.
  if (args.mode === 'host' || args.mode === 'none') return plan;
  const ns = args.netnsPath;
  plan.steps.push(
    // A namespace lives while a process is in it or a file is bound to it. unshare makes one and
    // binds it on an existing file (then `true` exits): a namespace with no process, ready to join.
    { op: 'net.netns', argv: ['touch', ns], undo: ['rm', '-f', ns], facts: { path: ns } },
    { op: 'net.netns', argv: ['unshare', `--net=${ns}`, 'true'], undo: ['umount', ns], facts: { path: ns } },
    // A new namespace has only `lo`, and it is down.
    { op: 'net.link', argv: inNetns(ns, ['ip', 'link', 'set', 'lo', 'up']), undo: null, facts: { device: 'lo', state: 'up', netns: ns } },
  );
  if (!args.endpoint) return plan;
  const { bridge, hostVeth, ip, prefix, gateway, mac } = args.endpoint;
  plan.steps.push(
    // A veth pair is a cable: what goes in one end comes out of the other. One end stays in the
    // host and plugs into the bridge; the other is born inside the namespace, already named eth0.
    // Deleting either end deletes both, so one undo is enough.
    { op: 'net.veth', argv: ['ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns], undo: ['ip', 'link', 'del', hostVeth], facts: { host: hostVeth, peer: 'eth0', netns: ns } },
    { op: 'net.veth', argv: ['ip', 'link', 'set', hostVeth, 'master', bridge], undo: null, facts: { host: hostVeth, bridge } },
    { op: 'net.link', argv: ['ip', 'link', 'set', hostVeth, 'up'], undo: null, facts: { device: hostVeth, state: 'up' } },
    { op: 'net.link', argv: inNetns(ns, ['ip', 'link', 'set', 'eth0', 'address', mac]), undo: null, facts: { device: 'eth0', mac, netns: ns } },
    { op: 'net.address', argv: inNetns(ns, ['ip', 'addr', 'add', `${ip}/${prefix}`, 'dev', 'eth0']), undo: null, facts: { device: 'eth0', address: `${ip}/${prefix}`, netns: ns } },
    { op: 'net.link', argv: inNetns(ns, ['ip', 'link', 'set', 'eth0', 'up']), undo: null, facts: { device: 'eth0', state: 'up', netns: ns } },
    { op: 'net.route', argv: inNetns(ns, ['ip', 'route', 'add', 'default', 'via', gateway]), undo: null, facts: { via: gateway, netns: ns } },
  );
  return plan;
}
// #endregion container-plan

/** Docker's MAC scheme: 02:42 (locally administered) followed by the four bytes of the IPv4. */
export function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}

/**
 * The host end's name: `vdl` and ten characters of the container id (hashed by the caller when
 * the id is not hex), 13 characters, under the kernel's 15-character limit.
 */
export function hostVethName(shortId: string): string {
  return `vdl${shortId.slice(0, 10)}`;
}
