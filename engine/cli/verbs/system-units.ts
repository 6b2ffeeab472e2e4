// The files `dockling system install` writes (chapter 6, "Running the daemon as a service"),
// as plain text made from a few paths, so a test can read them without installing anything.
// Two systemd units work as a pair:
//   dockling.socket   systemd itself creates /run/dockling.sock at boot, owned by root and the
//                     group `dockling`, mode 0660, and holds it open;
//   dockling.service  on the first connection, systemd starts the daemon and hands it that
//                     socket as file descriptor 3 (`-H fd://`). Connections made meanwhile wait
//                     in the socket's queue, so nobody sees "connection refused" during a start.
// And a daemon.json with the settings a learner most often changes, each at its default.

/** Where the installed files live on the target machine (under --root DIR when given). */
export const UNIT_DIR = '/etc/systemd/system';
export const SERVICE_PATH = `${UNIT_DIR}/dockling.service`;
export const SOCKET_PATH = `${UNIT_DIR}/dockling.socket`;
export const CONFIG_PATH = '/etc/dockling/daemon.json';
export const MANIFEST_PATH = '/etc/dockling/install.json';
export const API_SOCKET = '/run/dockling.sock';
export const GROUP = 'dockling';
export const DEFAULT_DATA_ROOT = '/var/lib/dockling';

/** A word of ExecStart=: systemd splits on spaces and honours double quotes and backslashes. */
function unitWord(word: string): string {
  return /[\s"'\\]/.test(word) ? `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : word;
}

// #region socket-unit
export function socketUnit(): string {
  return `# Written by \`dockling system install\`; \`dockling system uninstall\` removes it.
# systemd opens the API socket itself, before the daemon runs, and starts dockling.service on
# the first connection (socket activation). The daemon finds the socket as fd 3: -H fd://.
[Unit]
Description=Dockling API socket
# Stopping or restarting the service does the same to the socket.
PartOf=dockling.service

[Socket]
ListenStream=${API_SOCKET}
# Read and write for root and the group dockling, nothing for others. The group is
# root-equivalent: whoever can talk to the daemon can mount / into a container.
SocketMode=0660
SocketUser=root
SocketGroup=${GROUP}

[Install]
WantedBy=sockets.target
`;
}
// #endregion socket-unit

// #region service-unit
/** `node` and `main` are absolute: systemd does not search PATH the way a shell does. */
export function serviceUnit(a: { node: string; main: string }): string {
  const exec = [a.node, a.main, 'daemon', '-H', 'fd://', '--config-file', CONFIG_PATH].map(unitWord).join(' ');
  return `# Written by \`dockling system install\`; \`dockling system uninstall\` removes it.
[Unit]
Description=Dockling container engine (a Docker Engine API daemon, for learning)
# The socket unit owns /run/dockling.sock; this service only ever gets it from systemd.
Requires=dockling.socket
After=dockling.socket network-online.target
Wants=network-online.target
StartLimitBurst=5
StartLimitIntervalSec=60

[Service]
Type=simple
ExecStart=${exec}
# \`systemctl reload dockling\`: SIGHUP re-reads daemon.json (registries, mirrors, log level).
# kill is a shell builtin, so this needs no extra package.
ExecReload=/bin/sh -c "kill -HUP \${MAINPID}"
# Stop only the daemon. Each container runs under its own small shim in this service's
# cgroup; the default (control-group) would kill them all with the daemon. They outlive it,
# and the next daemon adopts them.
KillMode=process
# The daemon makes cgroups for its containers below its own: systemd leaves them alone.
Delegate=yes
# Containers may open many files and start many processes; the daemon's limits are theirs.
LimitNOFILE=1048576
TasksMax=infinity
# A crash is restarted (five tries a minute at most, see [Unit]); a clean stop is not.
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
`;
}
// #endregion service-unit

/** The configuration file install writes when there is none: every key at its default. */
export function defaultDaemonJson(): string {
  const config = {
    'data-root': DEFAULT_DATA_ROOT,
    'insecure-registries': [],
    'registry-mirrors': [],
    'default-address-pools': [{ base: '10.213.0.0/16', size: 24 }],
    'log-level': 'info',
  };
  return JSON.stringify(config, null, 2) + '\n';
}
