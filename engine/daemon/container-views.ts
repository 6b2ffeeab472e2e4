// Containers as the Docker Engine API shows them: the inspect document of
// `GET /containers/{id}/json` and the ContainerSummary of `GET /containers/json`. The docker CLI
// dereferences Config and HostConfig without checking (protocol reference §6), so both are
// always present, with every field a Go zero value would have.
import type { ContainerRecord } from '../unionfs/index.js';

export function toContainerInspect(c: ContainerRecord) {
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
    NetworkSettings: { Bridge: '', SandboxID: '', SandboxKey: '', Ports: {}, Networks: {} },
  };
}

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Docker's "Status" column text for a container that has not run yet (chapter 3 adds the rest). */
function statusText(c: ContainerRecord): string {
  if (c.State.Status === 'created') return 'Created';
  if (c.State.Running) return 'Up';
  return `Exited (${c.State.ExitCode})`;
}

export function toContainerSummary(c: ContainerRecord) {
  return {
    Id: c.Id,
    Names: [c.Name],
    Image: c.Config.Image,
    ImageID: c.Image,
    Command: [c.Path, ...c.Args].join(' '),
    Created: unix(c.Created),
    Ports: [],
    Labels: c.Config.Labels ?? {},
    State: c.State.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: typeof c.HostConfig.NetworkMode === 'string' ? c.HostConfig.NetworkMode : 'default' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}
