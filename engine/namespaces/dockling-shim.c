/* dockling-shim: the per-container supervisor (chapter 3, "who holds the container").
 *
 *   dockling-shim --state DIR [--stdin] [--tty [--size ROWSxCOLS]] [--ready] [--unmount PATH] -- ARGV...
 *
 * The daemon starts one shim per container. The shim detaches from the daemon, starts ARGV (the
 * runtime's command: `unshare ... sh -c recipe`), writes everything ARGV prints to
 * DIR/container.log as Docker json-file lines, waits for it and writes DIR/exit. Because the
 * shim, not the daemon, is the container's parent and holds its stdout/stderr pipes, the daemon
 * can be killed (even with SIGKILL) and restarted without the container noticing: the new daemon
 * reads DIR/ and adopts it. This is what conmon and containerd-shim do; this one is written
 * for reading.
 *
 * --ready: ARGV gets a pipe as fd 3 and tells on it whether the container's command really
 * started: it closes it unread when that command has been exec'd (close-on-exec), or writes one
 * line, "STATUS why", when a setup step or the exec failed (dockling-init does this). The shim
 * reports "ok" only after that, with the line if there was one, so `docker start` knows.
 *
 * Files in DIR (each small one written as tmp + rename, so a reader sees all of it or nothing):
 *   start.json     {"shimPid":..,"shimStart":..,"pid":..,"pidStart":..}  (start = /proc stat field 22,
 *                  so a later reader can tell "our" pid from a recycled one); it means "started"
 *   container.log  {"log":"hi\n","stream":"stdout","time":"2026-11-29T23:00:00.123456789Z"} lines
 *   stdin          (with --stdin) a FIFO: whatever is written to it reaches the container's stdin
 *   resize         (with --tty) a FIFO: lines "ROWS COLS\n" set the terminal's size
 *   exit           {"code":N,"signal":S,"oomKilled":false,"finishedAt":"..."}
 *
 * Memory matters more than anything else here: a host runs thousands of these. So: static
 * binary (no ld.so, no shared-library pages), -Os, no malloc, fixed buffers in .bss (a page
 * costs nothing until touched), and one poll() loop that sleeps in the kernel.
 * Build: cc -static -Os -Wall -o dockling-shim dockling-shim.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "resize-lines.h"

#define LINE_MAX_BYTES 16384 /* Docker splits longer lines into 16 KiB pieces too */

static const char *state_dir;
static int report_fd = 2; /* where fail() writes: stderr, then the launcher's status pipe */

/* Reports an early failure to whoever started us, then exits. The launcher (our parent before
 * we detach) copies the text to its stderr, which is how the daemon gets SHIM_START_FAILED. */
static void fail(const char *fmt, ...) {
  char msg[512];
  int err = errno, n = snprintf(msg, sizeof msg, "dockling-shim: ");
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(msg + n, sizeof msg - n, fmt, ap);
  va_end(ap);
  if (err) n += snprintf(msg + n, sizeof msg - n, ": %s", strerror(err));
  n += snprintf(msg + n, sizeof msg - n, "\n");
  if (write(report_fd, msg, n) < 0) { /* nothing left to tell */ }
  _exit(1);
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* a full disk loses log lines, never the container */
    p += w, n -= (size_t)w;
  }
}

/* DIR/name = text, atomically: readers (the daemon, a restarted daemon) never see half a file. */
static void write_state_file(const char *name, const char *text, int durable) {
  char tmp[4096], path[4096];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", state_dir, name);
  snprintf(path, sizeof path, "%s/%s", state_dir, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("open %s", tmp);
  write_all(fd, text, strlen(text));
  if (durable) fsync(fd); /* the exit code must survive a host crash as well as a daemon crash */
  close(fd);
  if (rename(tmp, path) < 0) fail("rename %s", path);
}

/* Field 22 of /proc/PID/stat: the start time in clock ticks since boot. (pid, start) names a
 * process uniquely for the life of the host; a pid alone is recycled. The command name (field 2)
 * may contain spaces and ')', so count fields from the last ')'. */
static unsigned long long start_ticks(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* RFC 3339 with nanoseconds, UTC, trailing zeros of the fraction trimmed: Go's RFC3339Nano,
 * which is what Docker's json-file driver writes. */
static int format_time(char *out, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = (int)strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  int f = snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
  while (f > 1 && frac[f - 1] == '0') f--;
  if (f == 1) f = 0; /* .000000000 is left out entirely */
  memcpy(out + n, frac, f);
  n += f;
  out[n++] = 'Z';
  out[n] = 0;
  return n;
}

/* ---- the log: one json-file line per line the container printed ---- */

static int log_fd = -1;
/* Worst case every byte becomes \u00XX (6 bytes); plus the frame. In .bss: untouched, it's free. */
static char json_buf[LINE_MAX_BYTES * 6 + 128];

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one. Overlong forms,
 * surrogates and code points past U+10FFFF are invalid, as Go's utf8 package says. */
static int utf8_len(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  int len;
  unsigned min, cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000, cp = c & 0x07;
  else return 0;
  if ((size_t)len > n) return 0;
  for (int i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

/* JSON string escaping as Docker (Go) does it: quote and backslash, \n \r \t, other control
 * characters as \u00XX, <>& as \u003c.. (Go's HTML-safe default), U+2028/2029 escaped, and
 * each byte of invalid UTF-8 replaced by \ufffd - so the log is always valid JSON/UTF-8. */
static size_t json_escape(char *out, const unsigned char *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  char *o = out;
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    int len = utf8_len(p + i, n - i);
    if (len == 0) { memcpy(o, "\\ufffd", 6); o += 6; i++; continue; }
    if (len == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
      memcpy(o, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6); o += 6; i += 3; continue;
    }
    if (len > 1) { memcpy(o, p + i, len); o += len; i += len; continue; }
    if (c == '"' || c == '\\') *o++ = '\\', *o++ = (char)c;
    else if (c == '\n') *o++ = '\\', *o++ = 'n';
    else if (c == '\r') *o++ = '\\', *o++ = 'r';
    else if (c == '\t') *o++ = '\\', *o++ = 't';
    else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      memcpy(o, "\\u00", 4); o[4] = hex[c >> 4]; o[5] = hex[c & 15]; o += 6;
    } else *o++ = (char)c;
    i++;
  }
  return (size_t)(o - out);
}

/* One write() per entry, on an O_APPEND fd: lines from stdout and stderr never interleave. */
static void log_entry(const char *stream, const char *p, size_t n) {
  char *o = json_buf;
  o += sprintf(o, "{\"log\":\"");
  o += json_escape(o, (const unsigned char *)p, n);
  o += sprintf(o, "\",\"stream\":\"%s\",\"time\":\"", stream);
  o += format_time(o, 48);
  o += sprintf(o, "\"}\n");
  write_all(log_fd, json_buf, (size_t)(o - json_buf));
}

static int with_tty; /* --tty: the container's stdio is a pseudo-terminal, see "the terminal" below */

/* With a terminal, how many bytes at the end of buf[0..len) begin a UTF-8 sequence that the
 * next read completes: they wait, or the log would get \ufffd for half a character. */
static size_t utf8_pending(const char *buf, size_t len) {
  for (size_t back = 1; back <= 3 && back <= len; back++) {
    unsigned char c = (unsigned char)buf[len - back];
    if ((c & 0xc0) == 0x80) continue; /* a continuation byte: look further back */
    size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/* A stream's pending bytes: what came after the last newline, waiting for the rest of its line. */
struct stream { const char *name; int fd; size_t len; char buf[LINE_MAX_BYTES]; };
static struct stream out = { "stdout", -1 }, err = { "stderr", -1 };

/* Reads what the pipe has and logs each complete line; a line that fills the buffer without a
 * newline is logged as is (without "\n", as Docker marks a partial line). At EOF, the rest. */
static void drain(struct stream *s) {
  ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n > 0) s->len += (size_t)n;
  size_t start = 0;
  for (size_t i = 0; i < s->len; i++)
    if (s->buf[i] == '\n') log_entry(s->name, s->buf + start, i + 1 - start), start = i + 1;
  memmove(s->buf, s->buf + start, s->len - start);
  s->len -= start;
  if (s->len == sizeof s->buf || (n <= 0 && s->len > 0)) log_entry(s->name, s->buf, s->len), s->len = 0;
  /* A terminal's output is logged as it comes, partial lines too: a shell's prompt "/ # " has
   * no newline, and attach (which follows this log) must show it before the user types. */
  size_t keep = with_tty && n > 0 ? utf8_pending(s->buf, s->len) : 0;
  if (with_tty && s->len > keep) {
    log_entry(s->name, s->buf, s->len - keep);
    memmove(s->buf, s->buf + s->len - keep, keep);
    s->len = keep;
  }
  if (n <= 0) close(s->fd), s->fd = -1; /* EOF: every writer (the container and its children) closed */
}

/* ---- stdin: a FIFO relayed into a pipe ---- */

/* Why relay instead of handing the FIFO to the container? A FIFO read with no writer returns
 * EOF, so a container started before the client opens DIR/stdin would see EOF at once. Holding
 * a write end ourselves avoids that but then EOF never comes. Relaying gets both right: on
 * Linux, poll() on a FIFO's read end reports POLLHUP only after a writer has come *and gone*,
 * so we wait for the first writer, copy, and close the container's stdin when it closes. */
static int fifo_fd = -1, in_fd = -1; /* DIR/stdin (read end), the container's stdin pipe (write end) */
static char in_buf[4096];
static size_t in_len;

static void relay_stdin(short fifo_ev, short in_ev) {
  if (in_len == 0 && (fifo_ev & (POLLIN | POLLHUP))) {
    ssize_t n = read(fifo_fd, in_buf, sizeof in_buf);
    if (n > 0) in_len = (size_t)n;
    else if (n == 0 || errno != EAGAIN) close(fifo_fd), fifo_fd = -1;
  }
  if (in_len > 0 && (in_ev & (POLLOUT | POLLERR))) {
    ssize_t w = write(in_fd, in_buf, in_len);
    if (w > 0) memmove(in_buf, in_buf + w, in_len - (size_t)w), in_len -= (size_t)w;
    else if (errno != EAGAIN) in_len = 0, close(fifo_fd), fifo_fd = -1; /* container closed stdin */
  }
  /* With --tty in_fd is a second fd of the master: closing it is no EOF (a terminal has none;
   * ^D is the user's), the container just gets no more input. */
  if (fifo_fd < 0 && in_len == 0) close(in_fd), in_fd = -1; /* the container reads EOF */
}

/* ---- the terminal (--tty): a pseudo-terminal instead of pipes ---- */

/* Why the shim, not the daemon, holds the pty master: the master is the terminal's other end.
 * Whoever holds it reads everything the container prints and is the only way to type into it;
 * when its last holder closes it, the kernel hangs up the terminal (SIGHUP to the container).
 * The container must outlive the daemon, so the master lives here, relayed like the pipes
 * are: master -> DIR/container.log (as "stdout": a terminal has one output stream, and Docker
 * logs a TTY container's output as stdout), DIR/stdin -> master, DIR/resize -> TIOCSWINSZ. */
static int master_fd = -1, resize_fd = -1, resize_hold = -1;
static unsigned short tty_rows, tty_cols;
static char resize_buf[64];
static size_t resize_len;

static void set_size(unsigned rows, unsigned cols) {
  if (rows == 0 || cols == 0) return; /* docker run without a terminal sends ConsoleSize [0, 0] */
  struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
  /* On the master: the kernel then sends SIGWINCH to the terminal's foreground process group. */
  if (ioctl(master_fd, TIOCSWINSZ, &ws) < 0) { /* the terminal is gone: nothing to resize */ }
}

/* Opens a pty pair; returns the slave (for the child), keeps the master in master_fd. */
static int open_terminal(void) {
  /* O_NOCTTY: we are a session leader without a terminal, and opening one would make it ours. */
  master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_fd < 0) fail("posix_openpt");
  if (grantpt(master_fd) < 0 || unlockpt(master_fd) < 0) fail("grantpt/unlockpt");
  const char *name = ptsname(master_fd);
  if (!name) fail("ptsname");
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) fail("open %s", name);
  set_size(tty_rows, tty_cols);
  return slave;
}

/* DIR/resize: a FIFO we also hold open for writing, so a writer's close is never EOF for us. */
static void open_resize_fifo(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/resize", state_dir);
  unlink(path);
  if (mkfifo(path, 0600) < 0) fail("mkfifo %s", path);
  resize_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  resize_hold = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (resize_fd < 0 || resize_hold < 0) fail("open %s", path);
}

/* Each complete "ROWS COLS\n" line read from DIR/resize becomes a TIOCSWINSZ. */
static void read_resize(void) {
  ssize_t n = read(resize_fd, resize_buf + resize_len, sizeof resize_buf - 1 - resize_len);
  if (n <= 0) return;
  resize_len += (size_t)n;
  resize_lines(resize_buf, &resize_len, sizeof resize_buf, set_size);
}

/* Child side: make the slave our controlling terminal. setsid() first, because only a session
 * leader without a terminal may acquire one; TIOCSCTTY then makes this terminal the session's,
 * with our process group in the foreground - so ^C typed by the user becomes SIGINT for the
 * container, a shell can do job control, and the hang-up at the end reaches it. unshare and the
 * recipe run in this session and the container's process inherits it. */
static void attach_terminal(int slave) {
  if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) {
    perror("dockling-shim: setsid/TIOCSCTTY"); /* to the terminal, hence the log */
    _exit(125);
  }
  dup2(slave, 0), dup2(slave, 1), dup2(slave, 2);
}

/* ---- start: detach, make the pipes, start the container ---- */

static pid_t child;
static char **child_argv;
static int with_stdin, with_ready;
static const char *unmount_at_exit; /* --unmount PATH: the container's root, unmounted when it exits */
static char ready_msg[1024]; /* what ARGV wrote on the readiness pipe: empty when all went well */

/* Child side of the fork: wire stdio and exec. Signal dispositions set to "ignore" and the
 * blocked-signal mask survive execve(), so undo ours, or the container could never be stopped
 * with SIGINT/SIGHUP and would never see SIGPIPE. exec failure goes back through a CLOEXEC
 * pipe: it reads EOF when exec succeeds, or the errno when it did not. */
static void exec_container(int in_read, int exec_report, int ready_write) {
  if (with_tty) attach_terminal(out.fd);
  else {
    if (in_read >= 0) dup2(in_read, 0);
    dup2(out.fd, 1);
    dup2(err.fd, 2);
  }
  if (ready_write >= 0) {
    /* The readiness pipe becomes fd 3, inherited (dup2 clears close-on-exec; fd 3 already
     * being it does not, so that case is cleared by hand). */
    if (exec_report == 3) exec_report = fcntl(3, F_DUPFD_CLOEXEC, 10);
    if (ready_write == 3) fcntl(3, F_SETFD, 0);
    else dup2(ready_write, 3);
  }
  signal(SIGPIPE, SIG_DFL), signal(SIGHUP, SIG_DFL), signal(SIGINT, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(child_argv[0], child_argv);
  int e = errno;
  if (write(exec_report, &e, sizeof e) < 0) { /* the parent sees EOF and a 127 exit */ }
  _exit(127);
}

/* Returns the signalfd on which SIGCHLD arrives. */
static int start_container(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/container.log", state_dir);
  log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log_fd < 0) fail("open %s", path);

  /* SIGCHLD as a readable fd, so one poll() waits for output and for the exit alike. It must
   * be blocked for signalfd to see it, before fork, so an instant exit is not missed. */
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
  if (sfd < 0) fail("signalfd");

  int o[2], e[2], in[2] = { -1, -1 }, x[2], rd[2] = { -1, -1 };
  if (pipe2(x, O_CLOEXEC) < 0) fail("pipe2");
  if (with_ready && pipe2(rd, O_CLOEXEC) < 0) fail("pipe2");
  if (with_tty) {
    /* One terminal for all three: "pipes" o and e become the slave (child) and master (us). */
    o[1] = open_terminal(), o[0] = master_fd, e[0] = e[1] = -1;
    open_resize_fifo();
  } else if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) fail("pipe2");
  if (with_stdin) {
    snprintf(path, sizeof path, "%s/stdin", state_dir);
    unlink(path);
    if (mkfifo(path, 0600) < 0) fail("mkfifo %s", path);
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
    fifo_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo_fd < 0) fail("open %s", path);
    if (with_tty) in_fd = fcntl(master_fd, F_DUPFD_CLOEXEC, 3); /* typed into the terminal */
    else if (pipe2(in, O_CLOEXEC) < 0) fail("pipe2");
    else in_fd = in[1];
    if (in_fd < 0) fail("dup pty master");
    fcntl(in_fd, F_SETFL, O_NONBLOCK); /* a container not reading stdin must not stall its logs */
  }

  out.fd = o[1], err.fd = e[1]; /* the write ends, for the child */
  child = fork();
  if (child < 0) fail("fork");
  if (child == 0) exec_container(in[0], x[1], rd[1]);
  close(o[1]), close(x[1]);
  if (rd[1] >= 0) close(rd[1]);
  if (e[1] >= 0) close(e[1]);
  if (in[0] >= 0) close(in[0]);
  out.fd = o[0], err.fd = e[0]; /* the read ends, ours */

  int exec_errno;
  if (read(x[0], &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
    waitpid(child, NULL, 0);
    errno = exec_errno;
    fail("exec %s", child_argv[0]);
  }
  close(x[0]);
  if (rd[0] >= 0) {
    /* Wait for the container's own start: EOF (exec'd) or the reason it did not. */
    size_t len = 0;
    ssize_t r;
    while (len < sizeof ready_msg - 1 && (r = read(rd[0], ready_msg + len, sizeof ready_msg - 1 - len)) != 0) {
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) break;
      len += (size_t)r;
    }
    ready_msg[len] = 0;
    close(rd[0]);
    /* "pid N": ARGV forked the container's pid 1 and left (dockling-init); N is the process to
     * wait for from now on — ours, since we are a subreaper. The other lines are the failure. */
    char *p = strstr(ready_msg, "pid ");
    if (p && (p == ready_msg || p[-1] == '\n')) {
      char *end = strchr(p, '\n');
      child = (pid_t)atoi(p + 4);
      memmove(p, end ? end + 1 : p + strlen(p), strlen(end ? end + 1 : p + strlen(p)) + 1);
    }
  }
  return sfd;
}

/* The launcher: our parent half. It waits for the detached shim to say "ok" (the container
 * runs, DIR/pid is written) or why not, and exits 0 or 1 with that text on stderr. The daemon
 * therefore learns about a bad argv, a missing DIR or a failed exec synchronously. */
static int launcher(int status_read) {
  char msg[1024];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof msg && (n = read(status_read, msg + len, sizeof msg - len)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    len += (size_t)n;
  }
  if (len >= 3 && memcmp(msg, "ok\n", 3) == 0) {
    write_all(1, msg + 3, len - 3); /* --ready: why the container's command did not start */
    return 0;
  }
  if (len == 0) fprintf(stderr, "dockling-shim: the supervisor died before it reported\n");
  else write_all(2, msg, len);
  return 1;
}

static void write_start_files(void) {
  char text[256];
  snprintf(text, sizeof text, "{\"shimPid\":%d,\"shimStart\":%llu,\"pid\":%d,\"pidStart\":%llu}\n",
           (int)getpid(), start_ticks(getpid()), (int)child, start_ticks(child));
  /* Not fsynced: after a host crash there is no container left for it to describe. */
  write_state_file("start.json", text, 0);
}

/* ---- supervise: log until the container is gone, then record how it ended ---- */

static void supervise(int sfd) {
  int status = 0, exited = 0;
  char finished[64];
  for (;;) {
    struct pollfd p[6];
    int n = 0, io = -1, ie = -1, is = -1, ifi = -1, iin = -1, ir = -1;
    if (out.fd >= 0) io = n, p[n++] = (struct pollfd){ out.fd, POLLIN, 0 };
    if (err.fd >= 0) ie = n, p[n++] = (struct pollfd){ err.fd, POLLIN, 0 };
    if (!exited) is = n, p[n++] = (struct pollfd){ sfd, POLLIN, 0 };
    if (!exited && fifo_fd >= 0 && in_len == 0) ifi = n, p[n++] = (struct pollfd){ fifo_fd, POLLIN, 0 };
    if (!exited && in_fd >= 0 && in_len > 0) iin = n, p[n++] = (struct pollfd){ in_fd, POLLOUT, 0 };
    if (!exited && resize_fd >= 0) ir = n, p[n++] = (struct pollfd){ resize_fd, POLLIN, 0 };
    if (exited && out.fd < 0 && err.fd < 0) break;
    /* Once the container has exited, a process it left behind may still hold the pipes open;
     * give the output 200 ms of quiet to arrive, then stop rather than wait forever. */
    int r = poll(p, n, exited ? 200 : -1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (io >= 0 && p[io].revents) drain(&out);
    if (ie >= 0 && p[ie].revents) drain(&err);
    if (ir >= 0 && p[ir].revents) read_resize();
    if (ifi >= 0 || iin >= 0) relay_stdin(ifi >= 0 ? p[ifi].revents : 0, iin >= 0 ? p[iin].revents : 0);
    if (is >= 0 && p[is].revents) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) < 0) { /* the waitpid loop below decides */ }
      pid_t w;
      int st;
      /* Reap everything: orphans of the container may have been re-parented to us. */
      while ((w = waitpid(-1, &st, WNOHANG)) > 0)
        if (w == child) status = st, exited = 1, format_time(finished, sizeof finished);
    }
  }
  if (out.fd >= 0 && out.len) log_entry(out.name, out.buf, out.len);
  if (err.fd >= 0 && err.len) log_entry(err.name, err.buf, err.len);

  /* Docker's convention: a process killed by signal S exits with 128+S (SIGKILL -> 137). */
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  char text[256], path[4096];
  snprintf(text, sizeof text, "{\"code\":%d,\"signal\":%d,\"oomKilled\":false,\"finishedAt\":\"%s\"}\n",
           code, sig, finished);
  if (with_stdin) snprintf(path, sizeof path, "%s/stdin", state_dir), unlink(path); /* no reader any more */
  if (with_tty) snprintf(path, sizeof path, "%s/resize", state_dir), unlink(path);
  /* The root filesystem goes with the container, as dockerd unmounts it when a container stops
   * (lazily: a process of the host may still be looking into it). */
  if (unmount_at_exit && umount2(unmount_at_exit, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) { /* the daemon retries */ }
  write_state_file("exit", text, 1);
}

int main(int argc, char **argv) {
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) state_dir = argv[++i];
    else if (strcmp(argv[i], "--stdin") == 0) with_stdin = 1;
    else if (strcmp(argv[i], "--tty") == 0) with_tty = 1;
    else if (strcmp(argv[i], "--ready") == 0) with_ready = 1;
    else if (strcmp(argv[i], "--unmount") == 0 && i + 1 < argc) unmount_at_exit = argv[++i];
    else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
      unsigned rows = 0, cols = 0;
      if (sscanf(argv[++i], "%ux%u", &rows, &cols) != 2) errno = 0, fail("--size %s: want ROWSxCOLS", argv[i]);
      tty_rows = (unsigned short)rows, tty_cols = (unsigned short)cols;
    }
    else errno = 0, fail("unknown argument %s", argv[i]);
  }
  if (!state_dir || i + 1 >= argc) errno = 0, fail("usage: dockling-shim --state DIR [--stdin] [--tty [--size ROWSxCOLS]] [--ready] [--unmount PATH] -- ARGV...");
  child_argv = argv + i + 1;

  int status[2];
  if (pipe2(status, O_CLOEXEC) < 0) fail("pipe2");
  pid_t shim = fork();
  if (shim < 0) fail("fork");
  if (shim > 0) return close(status[1]), launcher(status[0]);

  /* The shim proper. setsid(): a new session with no controlling terminal, so the daemon's
   * terminal hanging up or ^C in its process group never reaches us; when the launcher exits
   * we are re-parented to init (or the nearest subreaper), so the daemon's death is nothing to
   * us. stdio goes to /dev/null: holding the daemon's pipes would keep them open after it. */
  close(status[0]);
  report_fd = status[1];
  setsid();
  int null = open("/dev/null", O_RDWR);
  if (null < 0) fail("open /dev/null");
  dup2(null, 0), dup2(null, 1), dup2(null, 2);
  if (null > 2) close(null);
  signal(SIGPIPE, SIG_IGN), signal(SIGHUP, SIG_IGN), signal(SIGINT, SIG_IGN);
  /* A subreaper: orphans below us come to us, not to init — with --ready, the container's pid 1
   * once its starter has left (see "pid N" above). */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) fail("prctl(PR_SET_CHILD_SUBREAPER)");

  int sfd = start_container();
  write_start_files();
  write_all(report_fd, "ok\n", 3);
  write_all(report_fd, ready_msg, strlen(ready_msg));
  close(report_fd);
  report_fd = 2;
  supervise(sfd);
  return 0;
}
