// Chapter 3, namespaces: the public surface other chapters import. The OCI bundle (config.json
// with Docker's defaults), the init planner and its recipe (unshare + mount steps + the static
// dockling-init helper), and running a bundle in the foreground.
export type { NamespaceType, LinuxNamespace, Capabilities, Rlimit, User, Process, Root, SpecMount, Resources, LinuxDevice, Linux, Spec, InitStep, InitPlan } from './types.js';
export { specFromContainer, writeBundle, resolveUser, hostResolvConf, capMask, CAPABILITY_BITS, DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS, DEFAULT_MOUNTS, ETC_FILES, DEFAULT_PATH, OCI_VERSION } from './spec.js';
export { planInit, quote, NAMESPACE_FLAGS, DEFAULT_DEVICES, DEV_LINKS } from './planner.js';
export type { PlanOptions } from './planner.js';
export { initCommand, planArgv, stepsScript, TRACE_STEPS_ENV, SETUP_FAILED_STATUS } from './recipe.js';
export { initHelperPath, findInitHelper, INIT_HELPER_NAME } from './init-helper.js';
export { runContainer } from './run-container.js';
export type { ContainerExit, RunningContainer } from './run-container.js';
