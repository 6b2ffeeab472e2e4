// Reading a WWW-Authenticate header (RFC 7235 §4.1, the challenge a 401 carries). A registry
// says there how it wants to be spoken to (chapter 4):
//
//   WWW-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
//                     scope="repository:library/busybox:pull"
//   WWW-Authenticate: Basic realm="Registry Realm"
//
// `Bearer` sends us to a token server (the realm) for a token good for a scope; `Basic` wants
// the user and password on every request. One header may hold several challenges, and a
// parameter's value may be a quoted string with commas and escaped quotes in it.

export interface Challenge {
  /** Lowercased: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lowercased: realm, service, scope, error. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  // #region exercise-4-challenges
  const text = Array.isArray(header) ? header.join(', ') : header ?? '';
  const out: Challenge[] = [];
  let rest = text;
  const skip = (re: RegExp) => (rest = rest.replace(re, ''));
  while ((skip(/^[\s,]+/), rest.length > 0)) {
    const scheme = TOKEN.exec(rest)?.[0];
    if (!scheme) break; // not a challenge: stop rather than guess
    rest = rest.slice(scheme.length);
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    // auth-params until the next scheme (a token not followed by `=`)
    for (;;) {
      skip(/^[\s,]+/);
      const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*/.exec(rest);
      if (!m) break;
      rest = rest.slice(m[0].length);
      challenge.params[m[1]!.toLowerCase()] = takeValue();
    }
  }
  return out;

  function takeValue(): string {
    if (!rest.startsWith('"')) {
      const v = /^[^\s,]*/.exec(rest)![0];
      rest = rest.slice(v.length);
      return v;
    }
    let v = '';
    let i = 1;
    for (; i < rest.length && rest[i] !== '"'; i++) v += rest[i] === '\\' && i + 1 < rest.length ? rest[++i] : rest[i];
    rest = rest.slice(i + 1);
    return v;
  }
  // #endregion exercise-4-challenges
}
