// Which test files belong to which chapter (issue 8, STYLE habit 14): `npm run check -- 2` runs
// chapter 2's list and nothing else, so a learner — or the CI — can prove that one chapter works
// on its own. Every test file of the suite is in exactly one list; chapter-tests.test.ts fails
// when a new file is in none (add it here) or a listed file is gone.
//
// The lists follow the folders (test/<chapter>/ mirrors engine/<chapter>/), with three choices:
//   - group 0, "base": what every chapter stands on (engine/trace, engine/base, and the test of
//     the import rules between chapters);
//   - test/cli, test/remote and test/install go with chapter 6: the `dockling` command is a client
//     of the daemon, on this machine or another, installed from a clone or a packed tarball;
//   - group "tutorial": the site, the recorded traces it replays, the checks of the chapter pages
//     (their "Try it" blocks), the guided tour (which walks every chapter) and this workshop. It
//     is no chapter of the engine, so no chapter waits for it.
// This file only holds data: check.ts, workshop.ts and the tests read it.

export interface ChapterGroup {
  /** What `npm run check --` takes: '0'…'6', 'tutorial' or 'reliability'. */
  id: string;
  /** Other names the command accepts, e.g. 'unionfs' for '2'. */
  names: string[];
  title: string;
  /** The chapter page, for chapters 1–6. */
  page?: string;
  /** Test files, relative to the repository root. */
  files: string[];
}

export const CHAPTER_GROUPS: ChapterGroup[] = [
  {
    id: '0',
    names: ['base'],
    title: 'What every chapter stands on: trace, base, the import rules',
    files: [
      'test/architecture/imports.test.ts',
      'test/base/spawn-server.test.ts',
      'test/trace/validate-trace.test.ts',
    ],
  },
  {
    id: '1',
    names: ['layers'],
    title: 'Layers',
    page: 'chapters/1-layers.md',
    files: [
      'test/layers/archive.test.ts',
      'test/layers/base-image.test.ts',
      'test/layers/content-store.test.ts',
      'test/layers/hostile.test.ts',
      'test/layers/image-store.test.ts',
      'test/layers/import.test.ts',
      'test/layers/manifest.test.ts',
      'test/layers/pack-unpack.test.ts',
      'test/layers/reference.test.ts',
      'test/layers/skopeo.test.ts',
      'test/layers/store-check.test.ts',
      'test/layers/umoci.test.ts',
      'test/layers/whiteouts.test.ts',
    ],
  },
  {
    id: '2',
    names: ['unionfs', 'union-fs'],
    title: 'Union filesystem',
    page: 'chapters/2-union-fs.md',
    files: [
      'test/unionfs/changes.test.ts',
      'test/unionfs/commit-parent.test.ts',
      'test/unionfs/container-fs.test.ts',
      'test/unionfs/container-remove.test.ts',
      'test/unionfs/container-scoped-path.test.ts',
      'test/unionfs/copy.test.ts',
      'test/unionfs/init-layer.test.ts',
      'test/unionfs/layer-entries.test.ts',
      'test/unionfs/mount.test.ts',
      'test/unionfs/overlay.test.ts',
      'test/unionfs/remove-unused.test.ts',
      'test/unionfs/snapshot-check.test.ts',
      'test/unionfs/snapshot-meta.test.ts',
      'test/unionfs/tmp-root.test.ts',
      'test/unionfs/union-view-trace.test.ts',
      'test/unionfs/union-view.test.ts',
      'test/unionfs/unpack-image.test.ts',
    ],
  },
  {
    id: '3',
    names: ['namespaces'],
    title: 'Namespaces',
    page: 'chapters/3-namespaces.md',
    files: [
      'test/namespaces/cgroup-plan.test.ts',
      'test/namespaces/cgroups.test.ts',
      'test/namespaces/container-facts.test.ts',
      'test/namespaces/exec.test.ts',
      'test/namespaces/host-config.test.ts',
      'test/namespaces/isolation.test.ts',
      'test/namespaces/json-log.test.ts',
      'test/namespaces/mount-options.test.ts',
      'test/namespaces/network-plan.test.ts',
      'test/namespaces/network.test.ts',
      'test/namespaces/oci-runtime.test.ts',
      'test/namespaces/planner.test.ts',
      'test/namespaces/port-proxy.test.ts',
      'test/namespaces/recipe.test.ts',
      'test/namespaces/runtime-runc.test.ts',
      'test/namespaces/runtime.test.ts',
      'test/namespaces/seccomp.test.ts',
      'test/namespaces/shim.test.ts',
      'test/namespaces/spec.test.ts',
      'test/namespaces/supervisor-wait.test.ts',
      'test/namespaces/supervisor.test.ts',
      'test/namespaces/volumes.test.ts',
    ],
  },
  {
    id: '4',
    names: ['registry'],
    title: 'Registry',
    page: 'chapters/4-registry.md',
    files: [
      'test/registry/blob-fetches.test.ts',
      'test/registry/client-auth.test.ts',
      'test/registry/client-distribution.test.ts',
      'test/registry/client-hostile.test.ts',
      'test/registry/client-rules.test.ts',
      'test/registry/client-tls.test.ts',
      'test/registry/server-auth.test.ts',
      'test/registry/server-cli.test.ts',
      'test/registry/server-conformance.test.ts',
      'test/registry/server-gc.test.ts',
      'test/registry/server-manifests.test.ts',
      'test/registry/server-proxy.test.ts',
      'test/registry/server-sendfile.test.ts',
      'test/registry/server-skopeo.test.ts',
      'test/registry/server-storage.test.ts',
    ],
  },
  {
    id: '5',
    names: ['build'],
    title: 'Build',
    page: 'chapters/5-build.md',
    files: [
      'test/build/buildah-compare.test.ts',
      'test/build/buildah-harness.test.ts',
      'test/build/builder.test.ts',
      'test/build/context.test.ts',
      'test/build/copy-sources.test.ts',
      'test/build/docker-cli-build.test.ts',
      'test/build/dockerfile.test.ts',
      'test/build/dockerignore.test.ts',
      'test/build/substitute.test.ts',
    ],
  },
  {
    id: '6',
    names: ['daemon', 'cli'],
    title: 'The daemon (and the dockling command)',
    page: 'chapters/6-daemon.md',
    files: [
      'test/daemon/api.test.ts',
      'test/daemon/container-facts.test.ts',
      'test/daemon/container-layers.test.ts',
      'test/daemon/containers.test.ts',
      'test/daemon/exec.test.ts',
      'test/daemon/images.test.ts',
      'test/daemon/lifecycle.test.ts',
      'test/daemon/live-settings.test.ts',
      'test/daemon/networks.test.ts',
      'test/daemon/prune.test.ts',
      'test/daemon/registry-settings.test.ts',
      'test/daemon/registry.test.ts',
      'test/daemon/trace-listen.test.ts',
      'test/daemon/volumes.test.ts',
      'test/cli/boundaries.test.ts',
      'test/cli/cli.test.ts',
      'test/cli/containers.test.ts',
      'test/cli/create-filesystem-flags.test.ts',
      'test/cli/docker-cli-registry.test.ts',
      'test/cli/docker-cli.test.ts',
      'test/cli/exec.test.ts',
      'test/cli/format.test.ts',
      'test/cli/image-layers.test.ts',
      'test/cli/messages.test.ts',
      'test/cli/networks.test.ts',
      'test/cli/registry.test.ts',
      'test/cli/run.test.ts',
      'test/cli/tty.test.ts',
      'test/install/npm-install.test.ts',
      'test/install/system-install.test.ts',
      'test/remote/ssh.test.ts',
      'test/remote/tls-rules.test.ts',
      'test/remote/tls.test.ts',
    ],
  },
  {
    id: 'tutorial',
    names: ['site'],
    title: 'The tutorial: the site, its recorded traces, the chapter pages and the workshop',
    files: [
      'test/chapters/chapter-tests.test.ts',
      'test/chapters/exercises.test.ts',
      'test/chapters/tour.test.ts',
      'test/chapters/try-it.test.ts',
      'test/chapters/workshop.test.ts',
      'test/site/browser.test.ts',
      'test/site/build.test.ts',
      'test/site/components/api-calls.test.ts',
      'test/site/components/build-diagram.test.ts',
      'test/site/components/container-state.test.ts',
      'test/site/components/layer-stack.test.ts',
      'test/site/components/live.test.ts',
      'test/site/components/registry-graph.test.ts',
      'test/site/components/trace-player.test.ts',
      'test/site/live.test.ts',
      'test/site/player.test.ts',
      'test/site/regions.test.ts',
      'test/trace/site-traces.test.ts',
    ],
  },
  {
    // Issue 9: faults, load and hostile input across every chapter (npm run test:reliability runs
    // the long forms and prints the table; npm test runs them short).
    id: 'reliability',
    names: ['faults'],
    title: 'Reliability and security: faults, load, hostile input',
    files: [
      'test/reliability/access.test.ts',
      'test/reliability/api-fuzz.test.ts',
      'test/reliability/crash.test.ts',
      'test/reliability/disk-full.test.ts',
      'test/reliability/escape.test.ts',
      'test/reliability/hostile-inputs.test.ts',
      'test/reliability/gc-concurrency.test.ts',
      'test/reliability/load.test.ts',
      'test/reliability/scale.test.ts',
    ],
  },
];

/** The group `name` names ('2', 'unionfs', 'Union-FS'), or undefined. */
export function findGroup(name: string): ChapterGroup | undefined {
  const wanted = name.trim().toLowerCase();
  return CHAPTER_GROUPS.find((g) => g.id === wanted || g.names.includes(wanted));
}

/** The names the check accepts, for an error message: `0 (base), 1 (layers), …`. */
export function validGroupNames(): string {
  return CHAPTER_GROUPS.map((g) => `${g.id} (${g.names.join(', ')})`).join(', ');
}
