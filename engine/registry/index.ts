// Chapter 4, registry: the OCI distribution API from both sides. The client (client/) pulls
// and pushes images between a registry and the content store of chapter 1, with Docker's
// name rules, authentication flows and progress; the server (server/) is `dockling registry`,
// a registry for a workshop room, with storage, uploads, auth, a pull-through mode and gc.
export * from './server/index.js';
export * from './client/index.js';
