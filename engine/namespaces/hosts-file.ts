// The name files a container gets (chapter 3, networking): /etc/hosts and /etc/resolv.conf.
// The runtime bind-mounts the two files made here over the image's. On a user-defined network
// every container's hosts file lists the others by name, which is how `ping web` finds `web`
// (Docker runs a DNS server at 127.0.0.11 for this; a hosts file is the readable version of the
// same answer). On the default `bridge` network containers see only themselves, as in Docker.
import { readFile, writeFile } from 'node:fs/promises';
import { writeFileAtomic } from '../base/index.js';

export interface HostEntry {
  ip: string;
  /** The container's name and its 12-character short id: both resolve. */
  names: string[];
}

/** The lines every Linux /etc/hosts starts with (Docker writes the same ones). */
const LOCAL_LINES = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** /etc/hosts for a container: the local lines, itself, then its peers on the same network. */
export function hostsContent(args: { self?: HostEntry; peers?: HostEntry[] }): string {
  const lines = [...LOCAL_LINES];
  for (const e of [...(args.self ? [args.self] : []), ...(args.peers ?? [])]) lines.push(`${e.ip}\t${e.names.join(' ')}`);
  return lines.join('\n') + '\n';
}

/**
 * /etc/resolv.conf for a container: the host's, minus nameservers on loopback when the container
 * has its own namespace (127.0.0.53 in there is the container's own loopback, where nobody
 * answers). With none left, Docker falls back to Google's public servers; so do we.
 */
export function resolvConfContent(args: { hostResolvConf: string; ownNamespace: boolean }): string {
  if (!args.ownNamespace) return args.hostResolvConf;
  const isLoopback = (line: string) => /^\s*nameserver\s+(127\.|::1\s*$)/.test(line);
  const kept = args.hostResolvConf.split('\n').filter((l) => !isLoopback(l));
  if (!kept.some((l) => /^\s*nameserver\s/.test(l))) kept.unshift('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return kept.join('\n').replace(/\n*$/, '\n');
}

/** Reads the host's resolv.conf (or hosts file), empty when it has none. */
export async function readHostFile(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** Writes a container's file the first time: atomically, so it is never seen half-written. */
export async function writeNameFile(path: string, content: string): Promise<void> {
  await writeFileAtomic(path, content);
}

/**
 * Rewrites a container's hosts file when a peer joins or leaves. In place, not by rename: the
 * running container has this file bind-mounted, and a bind mount holds the old inode, so a
 * renamed-over file would never be seen inside.
 */
export async function updateNameFile(path: string, content: string): Promise<void> {
  await writeFile(path, content);
}
