// The server half of chapter 4: `dockling registry`, an OCI distribution registry for a
// workshop room — start one, and collect its garbage. Everything else in this folder is how.
// (registry/index.ts re-exports this beside the client's surface: keep the names distinct.)
export { startRegistry } from './server.js';
export { registryGc } from './gc.js';
export type { RegistryOptions, TokenOptions, ProxyOptions, RunningRegistry, GcOptions, GcResult } from './types.js';
