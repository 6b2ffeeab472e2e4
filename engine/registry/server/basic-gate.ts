// Basic authentication as the registry's gate (chapter 4): every request carries the user name
// and password (`Authorization: Basic base64(user:password)`), checked against the htpasswd
// file. Any user in the file may do anything; who may do what per repository needs tokens
// (token-gate.ts). No or wrong credentials → 401 with `WWW-Authenticate: Basic realm="…"`,
// which is what makes a client ask for a password.
import type { Tracer } from '../../trace/index.js';
import type { AuthGate } from './context.js';
import { registryError } from './errors.js';
import type { Htpasswd } from './htpasswd.js';

export function basicGate(args: { htpasswd: Htpasswd; realm: string; tracer: Tracer }): AuthGate {
  const challenge = `Basic realm="${args.realm.replace(/"/g, '')}"`;
  return {
    async admit(req, res) {
      const outcome = await args.htpasswd.check(req.headers.authorization);
      if (outcome.ok) {
        // bcrypt ran (a first check): worth a trace event; a remembered pass is not.
        if (outcome.checked) args.tracer.start('registry', 'registry.auth', { user: outcome.user }).end({ outcome: 'accepted' });
        return { user: outcome.user, canPull: () => true };
      }
      args.tracer.start('registry', 'registry.auth', { user: outcome.user ?? null }).end({ outcome: 'refused', reason: outcome.reason });
      res.setHeader('WWW-Authenticate', challenge);
      throw registryError('UNAUTHORIZED', outcome.reason === 'missing' ? 'authentication required' : 'wrong user name or password');
    },
  };
}
