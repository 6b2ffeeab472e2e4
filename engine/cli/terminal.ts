// The client's side of `-t` (chapter 3, "terminals"): while attached to a TTY container our own
// terminal is put in raw mode — no line editing, no echo, ^C not a signal — because the
// container's pseudo-terminal does all of that, and doing it twice would echo every key twice
// and turn ^C into our death instead of the container's SIGINT. Its size follows ours:
// `POST /containers/{id}/resize?h=ROWS&w=COLS` (an exec's: `/exec/{id}/resize`) once after
// start and on every SIGWINCH.
import { spawnSync } from 'node:child_process';
import type { ApiClient } from './client.js';

/** Docker's error for `-it` when stdin is not a terminal (`echo x | docker run -it …`), exit 1. */
export const NOT_A_TTY = 'the input device is not a TTY';

/** What create sends as HostConfig.ConsoleSize (and exec as ConsoleSize): [rows, cols] of our stdout, [0, 0] without one. */
export function consoleSize(out: NodeJS.WriteStream): [number, number] {
  return out.isTTY ? [out.rows, out.columns] : [0, 0];
}

/** Where a container's terminal is resized. */
export const containerResizePath = (id: string) => `/containers/${encodeURIComponent(id)}/resize`;

export interface TerminalSession {
  /** Sends our size now (after start: before it there is no container terminal to resize). */
  resize(): Promise<void>;
  /** Leaves raw mode and stops following SIGWINCH. Safe to call twice. */
  restore(): void;
}

// #region terminal-session
/**
 * Raw mode on `stdin` (when it is a terminal) and resizes that follow `stdout`'s size, sent to
 * `resizePath` (`/containers/{id}/resize` or `/exec/{id}/resize`).
 */
export function openTerminal(a: { client: ApiClient; resizePath: string; stdin?: NodeJS.ReadStream; stdout: NodeJS.WriteStream }): TerminalSession {
  const raw = a.stdin?.isTTY === true;
  if (raw) makeRaw(a.stdin!);
  const resize = async () => {
    if (!a.stdout.isTTY) return;
    const query = { h: String(a.stdout.rows), w: String(a.stdout.columns) };
    // A resize racing the container's exit fails: that is not worth an error message.
    await a.client.ok('POST', a.resizePath, { query }).then((r) => r.resume(), () => undefined);
  };
  const onWinch = () => void resize();
  process.on('SIGWINCH', onWinch);
  let restored = false;
  return {
    resize,
    restore() {
      if (restored) return;
      restored = true;
      process.off('SIGWINCH', onWinch);
      if (raw) a.stdin!.setRawMode(false);
    },
  };
}
// #endregion terminal-session

/**
 * cfmakeraw, as the docker CLI does it. Node's setRawMode (libuv's raw mode) leaves output
 * processing on, so each "\r\n" from the container's terminal would print as "\r\r\n" through
 * ours: `stty -opost` turns that off too. setRawMode(false) later restores the termios libuv
 * saved before its first change, -opost included.
 */
function makeRaw(stdin: NodeJS.ReadStream): void {
  stdin.setRawMode(true);
  spawnSync('stty', ['-opost'], { stdio: [stdin, 'ignore', 'ignore'] });
}
