// The daemon's own log lines (chapter 6): what it says on stderr about starting, listening,
// reloading and stopping. Under systemd, stderr goes to the journal, which already stamps each
// line with the time and the unit. What it cannot guess is how serious a line is: a line that
// starts with `<N>` (the kernel's printk levels, which sd-daemon(3) reuses) sets its priority,
// so `journalctl -p warning` shows only what matters:
//
//   <7>configuration: {"dataRoot":"/var/lib/dockling",...}     debug
//   <6>API listening on fd://3                                 info
//   <4>reload: "data-root" changed; it takes effect at the next start   warning
//   <3>reload failed, keeping the old settings: ...            error
//
// Outside the journal the prefix would be noise, so lines are plain. `log-level` (dockerd's
// names) drops the lines below it.
import { LOG_LEVELS, type LogLevel } from './daemon-config.js';

/** sd-daemon(3)'s priority for each of dockerd's level names. */
const PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3, fatal: 2 };

export class DaemonLog {
  constructor(
    private readonly write: (line: string) => void,
    /** True when stderr is the journal's (systemd sets JOURNAL_STREAM for it). */
    private readonly journal: boolean,
    private level: LogLevel = 'info',
  ) {}

  get logLevel(): LogLevel {
    return this.level;
  }

  /** SIGHUP may change it. */
  setLevel(level: LogLevel): void {
    this.level = level;
  }

  debug(line: string): void {
    this.line('debug', line);
  }

  info(line: string): void {
    this.line('info', line);
  }

  warn(line: string): void {
    this.line('warn', line);
  }

  error(line: string): void {
    this.line('error', line);
  }

  private line(level: LogLevel, text: string): void {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(this.level)) return;
    this.write(this.journal ? `<${PRIORITY[level]}>${text}` : text);
  }
}
