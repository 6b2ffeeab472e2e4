// The daemon's read-only state as "follow my daemon" fetches it (issue 7, live mode): the
// documents GET /state/images and GET /state/containers of `dockling daemon --trace-listen`
// answer (engine/daemon/live/state-routes.ts). A live trace starts mid-way — the images and
// containers made before the page connected have no events — so a diagram draws these
// snapshots as its starting point and the events after them on top. In a replay there is none:
// a recording is the whole story.

/** A layer as GET /state/images lists it, bottom-up. */
export interface StateLayer {
  digest: string;
  diffID: string;
  size: number;
  uncompressedSize?: number;
  mediaType?: string;
}

/** One entry of GET /state/images (Inspect is GET /images/{id}/json's document). */
export interface StateImage {
  Id: string;
  Inspect: { RepoTags?: string[] | null; RepoDigests?: string[] | null; Created?: string; [key: string]: unknown };
  History: { Id?: string; CreatedBy?: string; Size?: number; Comment?: string; [key: string]: unknown }[];
  Layers: StateLayer[];
}

/** One entry of GET /state/containers; Pid … Cgroup are null unless it runs (container-probe.ts). */
export interface StateContainer {
  Id: string;
  Inspect: { Name?: string; Image?: string; Config?: { Image?: string; Cmd?: string[] | null; [key: string]: unknown }; State?: { Status?: string; Running?: boolean; Paused?: boolean; Pid?: number; ExitCode?: number; [key: string]: unknown }; [key: string]: unknown };
  Pid: number | null;
  Processes: { Pid: number; ContainerPid: number | null; PPid: number; Command: string }[] | null;
  Namespaces: Record<string, { Inode: number; SharedWithHost: boolean }> | null;
  Mounts: { device: string; root: string; mountPoint: string; fsType: string; source: string; superOptions: string }[] | null;
  Cgroup: { memoryUsage: number; memoryLimit: number; cpuUsageNs: number; pids: number; pidsLimit: number | null } | null;
}

/** What the follower last fetched; `cursor`: how many live events had arrived when it was read. */
export interface LiveState {
  images: StateImage[] | null;
  containers: StateContainer[] | null;
  cursor: number;
}
