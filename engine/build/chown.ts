// `COPY --chown=user:group` and `--chmod=mode` (chapter 5, build). Names are looked up in the
// image being built — its own /etc/passwd and /etc/group, read from its root directory with
// symlinks followed inside that root — never in the host's: `bob` on the host and `bob` in an
// Alpine image are different people. The classic builder's rules (moby's parseChownFlag):
//
//   --chown=10:20      numbers are used as they are, no file read
//   --chown=bob:staff  each name looked up in its file
//   --chown=bob        the *group* is also `bob`, looked up in /etc/group (BuildKit and buildah
//                      take bob's primary group instead; the classic builder does not)
//   --chown=a:b:c      refused: "invalid chown string format"
//
// Errors carry the classic builder's words: "unable to convert uid/gid chown string to host
// mapping: can't find uid for user bob: no such user: bob".
import { readFileSync } from 'node:fs';
import { invalid } from '../base/index.js';
import { hostPath } from './context-path.js';

export interface Owner {
  uid: number;
  gid: number;
}

const chownError = (chown: string, message: string) =>
  invalid('COPY_CHOWN_INVALID', `unable to convert uid/gid chown string to host mapping: ${message}`, { chown });

/** Go's strconv.Atoi: an optional sign, then decimal digits. */
function atoi(s: string): number | null {
  return /^[+-]?[0-9]+$/.test(s) ? Number(s) : null;
}

/** The id of `name` in a passwd- or group-style file: field 0 the name, field 2 the id. */
function lookup(args: { root: string | undefined; file: 'passwd' | 'group'; name: string; chown: string }): number {
  const what = args.file === 'passwd' ? 'uid for user' : 'gid for group';
  const noFile = () => chownError(args.chown, `can't find ${what} ${args.name}: open /etc/${args.file}: no such file or directory`);
  if (args.root === undefined) throw noFile();
  let text: string;
  try {
    text = readFileSync(hostPath(args.root, `etc/${args.file}`).host, 'utf8');
  } catch {
    throw noFile();
  }
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(':');
    if (fields[0] === args.name) return atoi(fields[2] ?? '') ?? 0; // an unreadable id reads as 0, as Go's parser does
  }
  throw chownError(args.chown, `can't find ${what} ${args.name}: no such ${args.file === 'passwd' ? 'user' : 'group'}: ${args.name}`);
}

// #region chown
/** The owner `--chown` names, looked up in the image root `root` (the stage being built). */
export function resolveChown(args: { chown: string; root?: string }): Owner {
  const parts = args.chown.split(':');
  if (parts.length > 2) throw chownError(args.chown, `invalid chown string format: ${args.chown}`);
  const user = parts[0]!;
  const group = parts.length === 1 ? user : parts[1]!;
  const uid = atoi(user) ?? lookup({ root: args.root, file: 'passwd', name: user, chown: args.chown });
  const gid = atoi(group) ?? lookup({ root: args.root, file: 'group', name: group, chown: args.chown });
  for (const id of [uid, gid]) {
    // Go would pass these on to lchown (-1 means "leave it"); a tar header cannot hold them.
    if (id < 0 || id > 0xfffffffe) throw chownError(args.chown, `id ${id} out of range`);
  }
  return { uid, gid };
}
// #endregion chown

/**
 * `--chmod=0755`: an octal mode for every file and directory copied (not for the directories
 * the copy makes above them) — BuildKit's and buildah's rule. The classic builder refuses the
 * flag outright ("the --chmod option requires BuildKit"); the builder decides which to follow.
 */
export function parseChmod(chmod: string): number {
  if (!/^[0-7]{1,4}$/.test(chmod)) {
    throw invalid('COPY_CHMOD_INVALID', `invalid --chmod value ${JSON.stringify(chmod)}: expected an octal mode such as 0755`, { chmod });
  }
  return parseInt(chmod, 8);
}
