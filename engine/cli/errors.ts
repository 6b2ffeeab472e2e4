// How the CLI fails: a message for stderr and an exit code. Docker's codes: 1 for an error
// from the daemon or a bad argument count, 125 for a flag the command does not know.

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

/** An error the daemon answered with: printed as `Error response from daemon: <message>`. */
export class DaemonError extends CliError {
  constructor(
    readonly status: number,
    readonly daemonMessage: string,
  ) {
    super(`Error response from daemon: ${daemonMessage}`, 1);
  }
}
