// Who may do what, for the token service (chapter 4). Without a rules file, every user in the
// htpasswd file may pull, push and delete in every repository, and a client with no credentials
// may do nothing: a token service for a private registry. A rules file (`--token-access FILE`)
// replaces that with lines of WHO, WHICH REPOSITORIES and WHAT:
//
//   # who      repositories   actions
//   teacher    *              pull,push,delete
//   *          base/*         pull
//   alice      alice/*        pull,push
//   anonymous  public/*       pull
//
// WHO is a user name, `*` (every user who logged in) or `anonymous` (no credentials). The
// repositories are one name (`base/app`), every name under a prefix (`base/*`: `base/app` and
// `base/tools/git`, never `base-evil/app` — a prefix ends at a slash), or `*` (all). The
// actions are pull, push and delete, or `*` for all three. A user gets every action any of
// their lines gives; nothing else. Listing the catalog shows every repository's name, so it is
// for those who may pull `*`.
import { readFile } from 'node:fs/promises';
import { EngineError } from '../../base/index.js';
import { isName } from './names.js';
import { CATALOG, REPOSITORY_ACTIONS, isGrantable, type Access } from './scope.js';

type Who = { kind: 'user'; name: string } | { kind: 'users' } | { kind: 'anonymous' };

interface Rule {
  who: Who;
  /** `*`, a name, or a prefix ending in `/` (from `prefix/*`). */
  repositories: string;
  actions: Set<string>;
}

const ALL: Rule = { who: { kind: 'users' }, repositories: '*', actions: new Set(REPOSITORY_ACTIONS) };

export class AccessRules {
  private constructor(private readonly rules: Rule[]) {}

  /** Every logged-in user may do everything; the anonymous nothing. */
  static everyUser(): AccessRules {
    return new AccessRules([ALL]);
  }

  /** Reads a rules file; a line it cannot read is refused, naming the line and the problem. */
  static async load(path: string): Promise<AccessRules> {
    const text = await readFile(path, 'utf8').catch((err: Error) => {
      throw new EngineError({ code: 'ACCESS_RULES_UNREADABLE', kind: 'invalid-argument', message: `cannot read the access rules file ${path}: ${err.message}`, data: { path }, cause: err });
    });
    const rules: Rule[] = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      const problem = (why: string) =>
        new EngineError({ code: 'ACCESS_RULES_INVALID', kind: 'invalid-argument', message: `${path} line ${i + 1}: ${why} (want: WHO REPOSITORIES ACTIONS, e.g. "alice alice/* pull,push")`, data: { path, line: i + 1 } });
      const fields = line.split(/\s+/);
      if (fields.length !== 3) throw problem(`${fields.length} fields`);
      const [who, repositories, actions] = fields as [string, string, string];
      rules.push({ who: parseWho(who), repositories: parseRepositories(repositories, problem), actions: parseActions(actions, problem) });
    });
    return new AccessRules(rules);
  }

  /** The actions `user` (null: no credentials) may do in repository `name`. */
  actionsFor(user: string | null, name: string): Set<string> {
    const out = new Set<string>();
    for (const r of this.rules) if (applies(r.who, user) && matches(r.repositories, name)) r.actions.forEach((a) => out.add(a));
    return out;
  }

  // #region grant
  /**
   * What to put in a token for `user` who asked for `requested`: each scope cut down to the
   * actions the user may do. A scope the user may do nothing in is left out. Asking is never
   * an error: a token with less (or nothing) in it is the answer, and the registry refuses
   * what the token does not cover.
   */
  grant(user: string | null, requested: readonly Access[]): Access[] {
    const granted = new Map<string, Access>();
    for (const want of requested) {
      if (!isGrantable(want)) continue;
      const allowed = want.type === 'registry' ? this.catalogActions(user) : this.actionsFor(user, want.name);
      const asked = want.actions.includes('*') && want.type === 'repository' ? [...REPOSITORY_ACTIONS] : want.actions;
      const key = `${want.type}:${want.name}`;
      const entry = granted.get(key) ?? { type: want.type, name: want.name, actions: [] };
      for (const a of asked) if (allowed.has(a) && !entry.actions.includes(a)) entry.actions.push(a);
      if (entry.actions.length > 0) granted.set(key, entry);
    }
    return [...granted.values()];
  }
  // #endregion grant

  /** The catalog names every repository: it is for those who may pull all of them. */
  private catalogActions(user: string | null): Set<string> {
    const everything = this.rules.some((r) => applies(r.who, user) && r.repositories === '*' && r.actions.has('pull'));
    return new Set(everything ? CATALOG.actions : []);
  }
}

function applies(who: Who, user: string | null): boolean {
  if (who.kind === 'anonymous') return user === null;
  if (user === null) return false;
  return who.kind === 'users' || who.name === user;
}

/** `*` all, `base/` every name under base/ (not base itself), else exactly this name. */
function matches(repositories: string, name: string): boolean {
  if (repositories === '*') return true;
  if (repositories.endsWith('/')) return name.startsWith(repositories);
  return name === repositories;
}

function parseWho(who: string): Who {
  if (who === '*') return { kind: 'users' };
  if (who === 'anonymous') return { kind: 'anonymous' };
  return { kind: 'user', name: who };
}

function parseRepositories(text: string, problem: (why: string) => Error): string {
  if (text === '*') return text;
  const prefix = text.endsWith('/*') ? text.slice(0, -2) : text;
  if (!isName(prefix)) throw problem(`${JSON.stringify(text)} is not a repository name, NAME/* or *`);
  return text.endsWith('/*') ? `${prefix}/` : prefix;
}

function parseActions(text: string, problem: (why: string) => Error): Set<string> {
  if (text === '*') return new Set(REPOSITORY_ACTIONS);
  const actions = text.split(',');
  const known = new Set<string>(REPOSITORY_ACTIONS);
  const bad = actions.find((a) => !known.has(a));
  if (bad !== undefined) throw problem(`unknown action ${JSON.stringify(bad)} (the actions are pull, push, delete, or *)`);
  return new Set(actions);
}
