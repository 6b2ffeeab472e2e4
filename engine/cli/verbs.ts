// The one dispatch table: verb name → one-line summary and a lazy import of its file, so
// `dockling images` loads only verbs/images.js (the CLI must start fast). Order is help order.
import type { Verb } from './verb.js';

export interface VerbEntry {
  summary: string;
  load: () => Promise<Verb>;
  /** Hidden aliases (`image ls`) point at the same file. */
  hidden?: boolean;
}

export const VERBS: Record<string, VerbEntry> = {
  images: { summary: 'List images', load: async () => (await import('./verbs/images.js')).verb },
  inspect: { summary: 'Return low-level information on Dockling objects', load: async () => (await import('./verbs/inspect.js')).verb },
  history: { summary: 'Show the history of an image', load: async () => (await import('./verbs/history.js')).verb },
  tag: { summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: async () => (await import('./verbs/tag.js')).verb },
  rmi: { summary: 'Remove one or more images', load: async () => (await import('./verbs/rmi.js')).verb },
  save: { summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', load: async () => (await import('./verbs/save.js')).verb },
  load: { summary: 'Load an image from a tar archive or STDIN', load: async () => (await import('./verbs/load.js')).verb },
  import: { summary: 'Import the contents from a tarball to create a filesystem image', load: async () => (await import('./verbs/import.js')).verb },
  'base-image': { summary: 'Make a base image from what this machine has (busybox)', load: async () => (await import('./verbs/base-image.js')).verb },
  'image inspect': { summary: 'Display detailed information on one or more images', hidden: true, load: async () => (await import('./verbs/inspect.js')).imageInspectVerb },
  'image layers': { summary: "Show an image's layers as a union: added, modified, removed, wasted", hidden: true, load: async () => (await import('./verbs/image-layers.js')).verb },
  'container layers': { summary: "Show a container's layers as a union, its read-write layer on top", hidden: true, load: async () => (await import('./verbs/image-layers.js')).containerVerb },
  image: { summary: 'Manage images (ls, inspect, history, tag, rm, save, load, import)', load: async () => (await import('./verbs/image.js')).verb },
  create: { summary: 'Create a new container', load: async () => (await import('./verbs/create.js')).verb },
  run: { summary: 'Create and run a new container from an image', load: async () => (await import('./verbs/run.js')).verb },
  start: { summary: 'Start one or more stopped containers', load: async () => (await import('./verbs/start.js')).verb },
  stop: { summary: 'Stop one or more running containers', load: async () => (await import('./verbs/stop.js')).verb },
  restart: { summary: 'Restart one or more containers', load: async () => (await import('./verbs/restart.js')).verb },
  kill: { summary: 'Kill one or more running containers', load: async () => (await import('./verbs/kill.js')).verb },
  wait: { summary: 'Block until one or more containers stop, then print their exit codes', load: async () => (await import('./verbs/wait.js')).verb },
  attach: { summary: 'Attach local standard input, output, and error streams to a running container', load: async () => (await import('./verbs/attach.js')).verb },
  exec: { summary: 'Execute a command in a running container', load: async () => (await import('./verbs/exec.js')).verb },
  top: { summary: 'Display the running processes of a container', load: async () => (await import('./verbs/top.js')).verb },
  pause: { summary: 'Pause all processes within one or more containers', load: async () => (await import('./verbs/pause.js')).verb },
  unpause: { summary: 'Unpause all processes within one or more containers', load: async () => (await import('./verbs/unpause.js')).verb },
  stats: { summary: 'Display a live stream of container(s) resource usage statistics', load: async () => (await import('./verbs/stats.js')).verb },
  logs: { summary: 'Fetch the logs of a container', load: async () => (await import('./verbs/logs.js')).verb },
  ps: { summary: 'List containers', load: async () => (await import('./verbs/ps.js')).verb },
  diff: { summary: "Inspect changes to files or directories on a container's filesystem", load: async () => (await import('./verbs/diff.js')).verb },
  commit: { summary: "Create a new image from a container's changes", load: async () => (await import('./verbs/commit.js')).verb },
  export: { summary: "Export a container's filesystem as a tar archive", load: async () => (await import('./verbs/export.js')).verb },
  cp: { summary: 'Copy files/folders between a container and the local filesystem', load: async () => (await import('./verbs/cp.js')).verb },
  rm: { summary: 'Remove one or more containers', load: async () => (await import('./verbs/rm.js')).verb },
  'container inspect': { summary: 'Display detailed information on one or more containers', hidden: true, load: async () => (await import('./verbs/inspect.js')).containerInspectVerb },
  container: { summary: 'Manage containers (create, inspect, diff, commit, export, cp, rm, ls)', load: async () => (await import('./verbs/container.js')).verb },
  volume: { summary: 'Manage volumes (create, ls, inspect, rm, prune)', load: async () => (await import('./verbs/volume.js')).verb },
  'volume create': { summary: 'Create a volume', hidden: true, load: async () => (await import('./verbs/volume-create.js')).verb },
  'volume ls': { summary: 'List volumes', hidden: true, load: async () => (await import('./verbs/volume-ls.js')).verb },
  'volume inspect': { summary: 'Display detailed information on one or more volumes', hidden: true, load: async () => (await import('./verbs/volume-inspect.js')).verb },
  'volume rm': { summary: 'Remove one or more volumes', hidden: true, load: async () => (await import('./verbs/volume-rm.js')).verb },
  'volume prune': { summary: 'Remove unused local volumes', hidden: true, load: async () => (await import('./verbs/volume-prune.js')).verb },
  network: { summary: 'Manage networks (create, ls, inspect, rm)', load: async () => (await import('./verbs/network.js')).verb },
  'network create': { summary: 'Create a network', hidden: true, load: async () => (await import('./verbs/network-create.js')).verb },
  'network ls': { summary: 'List networks', hidden: true, load: async () => (await import('./verbs/network-ls.js')).verb },
  'network inspect': { summary: 'Display detailed information on one or more networks', hidden: true, load: async () => (await import('./verbs/network-inspect.js')).verb },
  'network rm': { summary: 'Remove one or more networks', hidden: true, load: async () => (await import('./verbs/network-rm.js')).verb },
  version: { summary: 'Show the Dockling version information', load: async () => (await import('./verbs/version.js')).verb },
  info: { summary: 'Display system-wide information', load: async () => (await import('./verbs/info.js')).verb },
  trace: { summary: "Print the daemon's trace events (-f to follow)", load: async () => (await import('./verbs/trace.js')).verb },
  daemon: { summary: 'Run the Dockling daemon', load: async () => (await import('./verbs/daemon.js')).verb },
  registry: { summary: 'Run an OCI distribution registry (push, pull, pull-through cache; gc)', load: async () => (await import('./verbs/registry.js')).verb },
  'registry gc': { summary: 'Remove registry blobs no manifest references', hidden: true, load: async () => (await import('./verbs/registry.js')).gcVerb },
  help: { summary: 'Show help for dockling or a command', load: async () => (await import('./verbs/help.js')).verb },
};
