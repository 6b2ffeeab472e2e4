// Chapter 4, the registry client's public surface: pull, push, login and logout over the OCI
// distribution API, the Docker-compatible credential file, and the progress messages the
// daemon streams to `docker pull` and `docker push` unchanged.
export { RegistryClient } from './client.js';
export { CredentialStore, dockerConfigPath, credentialKey, credentialsFromRegistryAuth, DOCKER_HUB_SERVER } from './credentials.js';
export { isInsecure, endpointOf, pullEndpoints, DOCKER_HUB, DOCKER_HUB_API } from './endpoints.js';
export type { Endpoint } from './endpoints.js';
export { parseChallenges } from './challenge.js';
export type { Challenge } from './challenge.js';
export { errorMessage, humanSize, progressBar } from './progress.js';
export { originsOf, repoDigestsOf } from './origins.js';
export type { BlobOrigin } from './origins.js';
export { registryOfServer } from './login.js';
export type {
  Credentials, ProgressMessage, ProgressListener, RegistryClientOptions, PullOptions, PullResult, PushOptions, PushResult,
  LoginOptions, LoginResult,
} from './types.js';
