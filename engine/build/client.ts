// Chapter 5's client side: what `dockling build` needs before it talks to the daemon — packing
// the context directory into a tar, .dockerignore applied, as the docker CLI does. A second
// entry beside index.ts so that the CLI loads the packer alone, not the whole builder (and with
// it the union filesystem, the runtime and the registry client): a command's start-up time is
// the user's waiting time.
export { contextDockerfileName, packContext, resolveContext } from './context.js';
export type { PackContextOptions, PackedContext } from './context.js';
