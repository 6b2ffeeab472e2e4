// Chapter 3, namespaces: the public surface other chapters import. The OCI bundle (config.json
// with Docker's defaults), the init planner and its recipe (unshare + mount steps + the static
// dockling-init helper), and running a bundle in the foreground.
export type { NamespaceType, LinuxNamespace, Capabilities, Rlimit, User, Process, Root, SpecMount, Resources, LinuxDevice, Linux, Spec, InitStep, InitPlan, LinuxSeccomp, LinuxSyscall, SeccompArg, SeccompAction } from './types.js';
export { specFromContainer, writeBundle, resolveUser, hostResolvConf, capMask, capabilitiesOf, boundingCapabilities, CAPABILITY_BITS, DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS, DEFAULT_MOUNTS, ETC_FILES, DEFAULT_PATH, OCI_VERSION } from './spec.js';
// seccomp: Docker's default profile as an allow-list (seccomp-profile.ts), compiled to BPF (seccomp.ts).
export { seccompFor, defaultSeccomp, parseProfile, refusedNames, DEFAULT_DENIED } from './seccomp-profile.js';
export type { DeniedCalls } from './seccomp-profile.js';
export { compileSeccomp, bpfHex, actionValue, BPF, SECCOMP_RET, AUDIT_ARCH_X86_64 } from './seccomp.js';
export type { BpfInstruction } from './seccomp.js';
export { SYSCALLS_X86_64 } from './syscalls-x86_64.js';
export { planInit, quote, NAMESPACE_FLAGS, DEFAULT_DEVICES, DEV_LINKS } from './planner.js';
// --privileged: the host's devices for the container's /dev (host-devices.ts).
export { hostDevices, deviceNumbers } from './host-devices.js';
export type { PlanOptions } from './planner.js';
export { initCommand, planArgv, planFile, PLAN_FILE, stepsScript, TRACE_STEPS_ENV, SETUP_FAILED_STATUS } from './recipe.js';
export { initHelperPath, findInitHelper, INIT_HELPER_NAME } from './init-helper.js';
export { runContainer } from './run-container.js';
export type { ContainerExit, RunningContainer } from './run-container.js';
// The per-container supervisor (a tiny static shim), its state files and json-file logs.
export { startShim, readExit, readShimStart, waitExit, isAlive, processStartTicks, openStdin, resizeTerminal, shimBinaryPath } from './shim.js';
export type { ExitRecord, ShimStart, StartShimOptions, TerminalSize, WaitExitOptions } from './shim.js';
export { Supervisor } from './supervisor.js';
export type { SupervisorEvent, SupervisorAction, WaitCondition, SupervisorStartOptions } from './supervisor.js';
export { readState, writeState, createdState, stateFile } from './container-state.js';
export type { ContainerState, ContainerStatus } from './container-state.js';
export { readLog, parseLogLine, formatLogEntry, timeNs } from './json-log.js';
export type { LogEntry, LogStream, ReadLogOptions } from './json-log.js';
// cgroups, v1 and v2: a plan (data) of directories and file writes, then an executor.
export { planCgroup, cgroupName, resolveLimits, CPU_PERIOD_US, MIN_MEMORY_BYTES } from './cgroup-plan.js';
export type { CgroupVersion, CgroupLimits, CgroupPlan, CgroupWrite, DetectedCgroups, CgroupStats } from './cgroup-plan.js';
export { detectCgroups, applyCgroup, removeCgroup, freezeCgroup, cgroupStats, oomKilled, cgroupPids } from './cgroups.js';
// A running container as the kernel shows it (/proc, its cgroup): read for the trace and for /state.
export { NAMESPACE_TYPES, namespacesOf, processesOf, processOf, containerPidOf, mountsOf, traceInit, traceUsage, TRACED_MOUNTS } from './container-facts.js';
export type { ProcessView, NamespaceView } from './container-facts.js';
// Networking: bridges, veth pairs and network namespaces as plans; networks by name; ports.
export { connectContainer, disconnectContainer } from './network-connect.js';
export type { ConnectResult } from './network-connect.js';
export { NetworkStore } from './networks.js';
export type { NetworkInfo } from './networks.js';
export { planBridge, planContainerNetwork, teardownOf } from './network-plan.js';
export type { NetworkPlan, NetStep, NetworkMode } from './network-plan.js';
export { applyPlan } from './network-exec.js';
export { publishPorts } from './port-proxy.js';
export type { PortBinding, PublishedPorts } from './port-proxy.js';
// exec: a second process joins a running container's cgroup and namespaces.
export { planExec, startExec, EXEC_HELPER_FD } from './exec.js';
export type { ExecConfig, ExecPlan, ExecProcess } from './exec.js';
// The runtime: the recipe that starts a created container, and what happens at its exit.
export { Runtime } from './runtime.js';
export { networkName, limitsOf, portBindings } from './host-config.js';
// --runtime runc|crun: the same bundle run by another OCI runtime.
export { runtimeOf, availableRuntimes, ociSpec, ociRunArgv, RUNTIME_NAMES, DEFAULT_RUNTIME } from './oci-runtime.js';
export type { RuntimeName, OciRuntime } from './oci-runtime.js';
export type { ContainerNetwork, WaitResult } from './runtime.js';
// Volumes and filesystem options (-v, --mount, --tmpfs, image VOLUMEs) → spec mounts.
export { VolumeStore, validateVolumeName, anonymousVolumeName, ANONYMOUS_LABEL, VOLUME_NAME } from './volumes.js';
export type { VolumeInfo } from './volumes.js';
export { planMounts, parseBind, parseMount, specMount, mergeOptions } from './mount-options.js';
export type { MountRequest, FilesystemHostConfig } from './mount-options.js';
export { mountsFor } from './container-mounts.js';
