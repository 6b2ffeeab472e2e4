// System endpoints: `/_ping` (the first request of every docker command, so it stays cheap),
// `/version` and `/info`. Shapes follow the Docker Engine API 1.50 as the docker CLI 28 reads
// them; what Dockling does not have yet (containers, swarm, plugins) is reported as zero/empty.
import type { Route } from '../http/router.js';
import { sendJSON } from '../http/respond.js';
import { API_VERSION, MIN_API_VERSION } from '../api-version.js';
import type { DaemonEngine } from '../engine.js';
import { goArch, hostFacts } from '../host-info.js';
import { DEFAULT_RUNTIME, availableRuntimes } from '../../namespaces/index.js';
import { registryConfigView } from '../registry-settings.js';

// #region system-routes
export const systemRoutes: Route<DaemonEngine>[] = [
  {
    method: ['GET', 'HEAD'],
    pattern: /^\/_ping$/,
    handler: ({ req, res }) => {
      res.writeHead(200, {
        'Builder-Version': '1',
        'Cache-Control': 'no-cache, no-store, must-revalidate',
        Pragma: 'no-cache',
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': 2,
      });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
    },
  },
  { method: 'GET', pattern: /^\/version$/, handler: ({ res, engine }) => sendJSON(res, 200, versionDocument(engine)) },
  { method: 'GET', pattern: /^\/info$/, handler: async ({ res, engine }) => sendJSON(res, 200, await infoDocument(engine)) },
];
// #endregion system-routes

export function versionDocument(engine: DaemonEngine) {
  const host = hostFacts();
  const details = {
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
    Arch: goArch(),
    GitCommit: '',
    GoVersion: `node${process.version}`,
    KernelVersion: host.kernelVersion,
    BuildTime: engine.buildTime,
    Experimental: 'false',
  };
  return {
    Platform: { Name: 'Dockling Engine' },
    Components: [{ Name: 'Engine', Version: engine.version, Details: details }],
    Version: engine.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node${process.version}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: host.kernelVersion,
    BuildTime: engine.buildTime,
  };
}

export async function infoDocument(engine: DaemonEngine) {
  const host = hostFacts();
  const images = await engine.images.list();
  const containers = await engine.containers.list();
  const count = (status: string) => containers.filter((c) => c.State.Status === status).length;
  return {
    ID: engine.id,
    Containers: containers.length,
    ContainersRunning: count('running'),
    ContainersPaused: count('paused'),
    // Docker counts every container that is neither running nor paused as stopped (created too).
    ContainersStopped: containers.length - count('running') - count('paused'),
    Images: images.length,
    Driver: engine.snapshotter.driver,
    DriverStatus: [['Image store', `OCI image layout at ${engine.dataRoot}/content`], ['Snapshots', `${engine.dataRoot}/snapshots-root`]],
    Plugins: { Volume: [], Network: [], Authorization: null, Log: [] },
    MemoryLimit: true,
    SwapLimit: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: false,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: '',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: host.cgroupVersion,
    NEventsListener: 0,
    KernelVersion: host.kernelVersion,
    OperatingSystem: host.operatingSystem,
    OSVersion: '',
    OSType: 'linux',
    Architecture: host.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: registryConfigView(engine.registrySettings),
    NCPU: host.ncpu,
    MemTotal: host.memTotal,
    GenericResources: null,
    DockerRootDir: engine.dataRoot,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: host.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: engine.version,
    Runtimes: availableRuntimes(),
    DefaultRuntime: DEFAULT_RUNTIME,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin'], // chapter 3: the default profile, engine/namespaces/seccomp-profile.ts
    Warnings: null,
  };
}
