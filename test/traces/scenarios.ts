// The scenarios `npm run traces` records, one per chapter, in the order they run (each starts
// from what the ones before left: the layers scenario makes the busybox image the others use).
// Each is the commands a reader types, run in a directory of its own holding `files`; its trace
// (site/traces/<id>.jsonl) is what the chapter's diagram replays, and test/trace/site-traces.test.ts
// checks that it shows what the comment of each scenario promises.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Chapter } from '../../engine/trace/index.js';

export interface Shell {
  /** `dockling ARGS` in the scenario's directory; its output. A failure ends the recording. */
  dockling(...args: string[]): Promise<string>;
  /** A step on the host between commands, done in `dir`: `shown` is the shell line a reader would type. */
  host(shown: string, action: (dir: string) => void): void;
  /** `dockling registry` on a free loopback port, stopped when the scenario ends: its HOST:PORT. */
  registry(): Promise<string>;
}

export interface Scenario {
  /** Also the trace's file name: site/traces/<id>.jsonl. */
  id: string;
  chapter: Chapter;
  title: string;
  files: Record<string, string>;
  run(sh: Shell): Promise<void>;
}

const DOCKERFILE = `# Two stages: the first makes a file, the second keeps only that file.
FROM busybox AS build
WORKDIR /src
COPY greeting.txt .
RUN tr a-z A-Z < greeting.txt > shout.txt && wc -c shout.txt > size.txt

FROM busybox
COPY --from=build /src/shout.txt /app/shout.txt
CMD ["cat", "/app/shout.txt"]
`;

export const SCENARIOS: Scenario[] = [
  {
    // layer.ingest and blob writes as the base image is made, image.save, blob deletes as the
    // image is removed, and the same layer ingested again by image.load; then the union view
    // of the loaded image (union.layer, union.paths): every path the one layer provides.
    id: 'layers-save-load',
    chapter: 'layers',
    title: 'Make a base image, save it to a tar, remove it, load it back',
    files: {},
    async run(sh) {
      await sh.dockling('base-image');
      await sh.dockling('tag', 'busybox', 'learn/busybox:1');
      await sh.dockling('save', '-o', 'busybox.tar', 'busybox');
      await sh.dockling('rmi', 'busybox', 'learn/busybox:1');
      await sh.dockling('load', '-i', 'busybox.tar');
      await sh.dockling('image', 'layers', 'busybox');
    },
  },
  {
    // container.create (its read-write layer), a new file and a lower file copied up through
    // cp, the union view of the container once written (its read-write layer on top, the
    // copied-up /etc/passwd provided by it and hidden in busybox's layer), the changes diff
    // finds, the layer commit packs and the committed image's union view (the old passwd now
    // wasted bytes); the container and the image removed (so that the registry scenario's pull
    // finds the base layer nowhere and downloads it).
    id: 'unionfs-cp-commit',
    chapter: 'unionfs',
    title: 'Create a container, delete and write files in its read-write layer, diff and commit it',
    files: { 'hello.txt': 'hello from the host\n' },
    async run(sh) {
      // Its process deletes a file of the image: the lower layer cannot change, so a whiteout hides it.
      await sh.dockling('create', '--name', 'ufs-box', 'busybox', 'rm', '/etc/group');
      await sh.dockling('start', '-a', 'ufs-box');
      await sh.dockling('cp', 'hello.txt', 'ufs-box:/root/hello.txt');
      await sh.dockling('cp', 'ufs-box:/etc/passwd', 'passwd');
      const learner = 'learner:x:1000:1000::/home/learner:/bin/sh';
      sh.host(`echo '${learner}' >> passwd`, (dir) => appendFileSync(join(dir, 'passwd'), `${learner}\n`));
      await sh.dockling('cp', 'passwd', 'ufs-box:/etc/passwd');
      await sh.dockling('container', 'layers', 'ufs-box');
      await sh.dockling('diff', 'ufs-box');
      await sh.dockling('commit', '-m', 'hello.txt and a learner', 'ufs-box', 'learn/hello:1');
      await sh.dockling('image', 'layers', 'learn/hello:1');
      await sh.dockling('rm', 'ufs-box');
      await sh.dockling('rmi', 'learn/hello:1');
    },
  },
  {
    // Namespaces, cgroup limits (memory, pids), the process's host pid and its exit; a detached
    // container (pid 1's pids, namespaces and mounts: container.init) that fills 8 MiB of its
    // memory, a process exec'd into it in the background and one in the foreground (their pids:
    // exec.process), top, paused and unpaused (the freezer, the usage of the frozen processes),
    // stopped (its signal, its exit, its last usage) and removed.
    id: 'namespaces-run-limits',
    chapter: 'namespaces',
    title: 'Run a process with memory and pids limits; run one detached, exec into it, pause it, stop it',
    files: {},
    async run(sh) {
      await sh.dockling('run', '--rm', '-m', '64m', '--pids-limit', '50', '--hostname', 'learn', 'busybox', 'sh', '-c', 'echo "pid $$ on $(hostname)"');
      await sh.dockling('run', '-d', '--name', 'ns-sleeper', '-m', '32m', 'busybox', 'sh', '-c', 'head -c 8m /dev/zero > /tmp/fill; sleep 600');
      await sh.dockling('exec', '-d', 'ns-sleeper', 'sleep', '600');
      await sh.dockling('exec', 'ns-sleeper', 'ps');
      await sh.dockling('top', 'ns-sleeper');
      await sh.dockling('pause', 'ns-sleeper');
      await sh.dockling('unpause', 'ns-sleeper');
      await sh.dockling('stop', '-t', '1', 'ns-sleeper');
      await sh.dockling('rm', 'ns-sleeper');
    },
  },
  {
    // Both sides of the distribution API: the daemon's image.push with a blob.push per blob, a
    // second tag's push that finds every blob there (skipped), a push to a second repository
    // that mounts them (cross-repository mount, no byte sent), the pull of the removed image
    // with a blob.pull per blob — and the registry's own spans (registry.blob.put, .get, .head …).
    id: 'registry-push-pull',
    chapter: 'registry',
    title: 'Run a registry, push an image to it twice and to a second repository, remove the image, pull it back',
    files: {},
    async run(sh) {
      const reg = await sh.registry();
      await sh.dockling('tag', 'busybox', `${reg}/learn/busybox:1`);
      await sh.dockling('push', `${reg}/learn/busybox:1`);
      await sh.dockling('tag', 'busybox', `${reg}/learn/busybox:2`);
      await sh.dockling('push', `${reg}/learn/busybox:2`);
      // Another repository of the same registry: its blobs are mounted from learn/busybox
      // (the client remembers where it pushed them), not sent again.
      await sh.dockling('tag', 'busybox', `${reg}/learn/copy:1`);
      await sh.dockling('push', `${reg}/learn/copy:1`);
      // Every name of the image, so the pull finds its layer gone and fetches it again.
      await sh.dockling('rmi', 'busybox', `${reg}/learn/busybox:1`, `${reg}/learn/busybox:2`, `${reg}/learn/copy:1`);
      await sh.dockling('pull', `${reg}/learn/busybox:1`);
      // busybox again, for the build after this: the same image, by another name
      await sh.dockling('tag', `${reg}/learn/busybox:1`, 'busybox');
    },
  },
  {
    // build.run twice, with a build.step per instruction of both stages: the first build misses
    // the cache on every step (RUN and COPY make layers), the second hits it on every one. Then
    // the union view of the result: busybox's layer shared with the base, the COPY's on top.
    id: 'build-multi-stage',
    chapter: 'build',
    title: 'Build a two-stage Dockerfile, then build it again from the cache',
    files: { Dockerfile: DOCKERFILE, 'greeting.txt': 'hello from the build context\n' },
    async run(sh) {
      await sh.dockling('build', '-t', 'learn/shout:1', '.');
      await sh.dockling('build', '-t', 'learn/shout:1', '.');
      await sh.dockling('image', 'layers', 'learn/shout:1');
    },
  },
  {
    // The daemon's side of what the other chapters did: every command is requests to the Engine
    // API (http.request spans), each with the engine's work under it. `run --rm` is a create, an
    // attach and a wait opened before the start, then the daemon removing the container on its
    // own once the process exits; ps and images are reads that touch no chapter.
    id: 'daemon-api-run',
    chapter: 'daemon',
    title: 'Run a container and list what is there: the requests the CLI sends the daemon',
    files: {},
    async run(sh) {
      await sh.dockling('run', '--rm', '--name', 'api-box', 'busybox', 'echo', 'hello from the daemon chapter');
      await sh.dockling('ps', '-a');
      await sh.dockling('images');
    },
  },
];
