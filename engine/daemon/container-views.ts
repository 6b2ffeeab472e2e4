// Containers as the Docker Engine API shows them: the inspect document of
// `GET /containers/{id}/json` and the ContainerSummary of `GET /containers/json`. The docker CLI
// dereferences Config and HostConfig without checking (protocol reference §6), so both are
// always present, with every field a Go zero value would have.
import type { ContainerNetwork } from '../namespaces/index.js';
import type { ContainerRecord } from '../unionfs/index.js';

/** NetworkSettings.Ports: {"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]}. */
function portMap(net?: ContainerNetwork): Record<string, Array<{ HostIp: string; HostPort: string }>> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of net?.ports ?? []) (out[`${p.containerPort}/${p.proto}`] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  return out;
}

/** A running container's place on its network (the network store's endpoint), for inspect. */
export interface EndpointView {
  NetworkID: string;
  EndpointID: string;
  IPPrefixLen?: number;
  /** The names peers resolve it by: on user networks its name and short id (Docker's DNSNames). */
  DNSNames: string[] | null;
}

/** NetworkSettings.Networks: one entry, keyed by the network's name, filled while it runs. */
function networks(net?: ContainerNetwork, ep?: EndpointView) {
  if (!net) return {};
  return {
    [net.network]: {
      IPAMConfig: null, Links: null, Aliases: null, MacAddress: net.mac ?? '', NetworkID: ep?.NetworkID ?? '', EndpointID: ep?.EndpointID ?? '',
      Gateway: net.gateway ?? '', IPAddress: net.ip ?? '', IPPrefixLen: ep?.IPPrefixLen ?? (net.ip ? 24 : 0), IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: ep?.DNSNames ?? null,
    },
  };
}

export function toContainerInspect(c: ContainerRecord, net?: ContainerNetwork, ep?: EndpointView) {
  return {
    Id: c.Id,
    Created: c.Created,
    Path: c.Path,
    Args: c.Args,
    State: c.State,
    Image: c.Image,
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    LogPath: '',
    Name: c.Name,
    RestartCount: 0,
    Driver: c.Driver,
    Platform: c.Platform,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: c.HostConfig,
    GraphDriver: { Name: c.Driver, Data: { SnapshotKey: c.SnapshotKey, ...(c.SnapshotParent ? { Parent: c.SnapshotParent } : {}) } },
    Mounts: [],
    Config: c.Config,
    NetworkSettings: {
      Bridge: '', SandboxID: '', SandboxKey: '', Ports: portMap(net),
      IPAddress: net?.ip ?? '', Gateway: net?.gateway ?? '', MacAddress: net?.mac ?? '', Networks: networks(net, ep),
    },
  };
}

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Docker's units.HumanDuration: "Less than a second", "3 seconds", "About a minute", … */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return plural(s, 'second');
  const min = Math.floor(s / 60);
  if (min === 1) return 'About a minute';
  if (min < 60) return plural(min, 'minute');
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return plural(h, 'hour');
  if (h < 24 * 7 * 2) return plural(Math.floor(h / 24), 'day');
  if (h < 24 * 30 * 3) return plural(Math.floor(h / 24 / 7), 'week');
  if (h < 24 * 365 * 2) return plural(Math.floor(h / 24 / 30), 'month');
  return plural(Math.floor(h / 24 / 365), 'year');
}

/** Docker's "Status" column: `Created`, `Up 3 seconds`, `Up 3 seconds (Paused)`, `Exited (0) 2 seconds ago`. */
export function statusText(c: ContainerRecord, now = Date.now()): string {
  if (c.State.Status === 'created') return 'Created';
  if (c.State.Running) return `Up ${humanDuration(now - Date.parse(c.State.StartedAt))}${c.State.Paused ? ' (Paused)' : ''}`;
  const finished = Date.parse(c.State.FinishedAt);
  if (!finished || finished <= 0) return `Exited (${c.State.ExitCode})`;
  return `Exited (${c.State.ExitCode}) ${humanDuration(now - finished)} ago`;
}

export function toContainerSummary(c: ContainerRecord, net?: ContainerNetwork) {
  return {
    Id: c.Id,
    Names: [c.Name],
    Image: c.Config.Image,
    ImageID: c.Image,
    // dockerd quotes an argument that has a space in it: sh -c 'echo up; sleep 100'.
    Command: [c.Path, ...c.Args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' '),
    Created: unix(c.Created),
    Ports: (net?.ports ?? []).map((p) => ({ IP: p.hostIp, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto })),
    Labels: c.Config.Labels ?? {},
    State: c.State.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: typeof c.HostConfig.NetworkMode === 'string' ? c.HostConfig.NetworkMode : 'default' },
    NetworkSettings: { Networks: networks(net) },
    Mounts: [],
  };
}
