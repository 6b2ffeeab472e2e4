// `dockling logout [SERVER]`: forgets the credentials `login` kept for a registry in
// $DOCKER_CONFIG/config.json (chapter 4). Nothing to ask the daemon or the registry: a
// password-based login leaves nothing on either side, so logging out is editing one file.
import type { Verb } from '../verb.js';
import { credentialStore, withConfigFile } from '../registry-auth.js';
import { DOCKER_HUB_SERVER, credentialKey } from '../../registry/index.js';

export const verb: Verb = {
  usage: 'logout [SERVER]',
  description: 'Log out from a registry.\nDefaults to Docker Hub if no server is specified.',
  args: { max: 1 },
  flags: [],
  async run(ctx) {
    const server = ctx.args[0] ? credentialKey(ctx.args[0]) : DOCKER_HUB_SERVER;
    const store = credentialStore();
    // The docker CLI 28 says the same whether or not there was anything to remove.
    ctx.stdout.write(`Removing login credentials for ${server}\n`);
    await withConfigFile(() => store.remove(server));
  },
};
