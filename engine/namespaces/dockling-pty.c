/* dockling-pty: a terminal for `exec -t` (chapter 3, "terminals").
 *
 *   dockling-pty [--size ROWSxCOLS] [--owner UID] [--resize FD] -- ARGV...
 *
 * `docker exec -it C sh` gives the new process a pseudo-terminal of its own. exec.ts runs this
 * program between nsenter and dockling-init, so it is already inside the container's namespaces
 * when it opens /dev/ptmx: the terminal comes from the container's own devpts instance
 * (/dev/ptmx -> pts/ptmx, mounted with newinstance), and the process sees itself on /dev/pts/N,
 * as it would under runc. ARGV (dockling-init, then the user's command) runs on the slave as
 * the leader of a new session, with the terminal as its controlling terminal: ^C typed by the
 * user becomes SIGINT for it, a shell can do job control, and `tty` answers.
 *
 * This program stays as the other end, the master, and relays it, like script(1):
 *   fd 0        -> master   what the user types (the daemon's pipe from the client's stream)
 *   master      -> fd 1     everything the terminal shows (one stream: a terminal has no stderr)
 *   --resize FD -> TIOCSWINSZ   lines "ROWS COLS\n", as dockling-shim's DIR/resize FIFO takes them
 * and exits with ARGV's status (128+N when a signal N killed it), which becomes the exec's
 * ExitCode. Why not the daemon: Node cannot make a pty without a native addon, and the pty must
 * be made *in* the container's mount namespace to be one of the container's.
 *
 * Static and small like the other helpers: it runs after `nsenter --root`, where the host's
 * shared libraries are out of sight. Build: cc -static -Os -Wall -o dockling-pty dockling-pty.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "resize-lines.h"

/* Errors go to stderr, which is still the daemon's pipe (only the child's stdio is the
 * terminal); 125 is Docker's "the engine failed", as for dockling-init's own failures. */
static void die(const char *what, const char *arg) {
	fprintf(stderr, "dockling-pty: %s %s: %s\n", what, arg, strerror(errno));
	exit(125);
}

static void write_all(int fd, const char *p, size_t n) {
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR) continue;
		if (w < 0) return; /* nobody reads our output any more: the daemon is gone */
		p += w, n -= (size_t)w;
	}
}

/* ---- the terminal ---- */

static int master = -1;

static void set_size(unsigned rows, unsigned cols) {
	if (rows == 0 || cols == 0) return; /* [0, 0]: the client has no terminal, keep the kernel's */
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	/* On the master: the kernel then sends SIGWINCH to the terminal's foreground process group. */
	if (ioctl(master, TIOCSWINSZ, &ws) < 0) { /* the terminal is gone: nothing to resize */ }
}

/* Opens a pty pair in *this* mount namespace's /dev/ptmx; keeps the master, returns the slave. */
static int open_terminal(unsigned rows, unsigned cols, int owner) {
	/* O_NOCTTY: this process must not acquire the terminal; its child will. */
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0) die("open", "/dev/ptmx");
	if (grantpt(master) < 0 || unlockpt(master) < 0) die("unlock", "/dev/ptmx");
	const char *name = ptsname(master);
	if (!name) die("ptsname", "/dev/ptmx");
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) die("open", name);
	/* The exec's user (-u) owns its terminal, as runc hands stdio to the user it switches to;
	 * the group stays devpts's gid=5 (tty), so `write` and `wall` still reach it. */
	if (owner >= 0 && fchown(slave, (uid_t)owner, (gid_t)-1) < 0) die("chown", name);
	set_size(rows, cols);
	return slave;
}

/* Child side: the slave becomes the controlling terminal of a new session (setsid first: only a
 * session leader without a terminal may acquire one), and stdin, stdout and stderr. */
static void exec_on_terminal(int slave, char **argv) {
	if (setsid() < 0) die("setsid", "");
	if (ioctl(slave, TIOCSCTTY, 0) < 0) die("ioctl(TIOCSCTTY)", "");
	if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) die("dup2", "slave");
	if (slave > 2) close(slave);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* our blocked SIGCHLD must not reach the command */
	execv(argv[0], argv);
	die("exec", argv[0]); /* on the terminal now, so the user sees it */
}

/* ---- the relay ---- */

static char in_buf[4096];  /* typed, not yet written to the master */
static size_t in_len;
static char resize_buf[64];
static size_t resize_len;

/* fd 0 -> master. The master is non-blocking: a command that reads nothing fills the terminal's
 * input queue, and a blocked write here would stop its output too. */
static int relay_input(int in, short in_ev, short master_ev) {
	if (in_len == 0 && (in_ev & (POLLIN | POLLHUP))) {
		ssize_t n = read(in, in_buf, sizeof in_buf);
		if (n > 0) in_len = (size_t)n;
		/* EOF: the client closed its stdin. A terminal has no end of input (^D is the user's to
		 * type), so the command just gets nothing more. */
		else if (n == 0 || (errno != EINTR && errno != EAGAIN)) return -1;
	}
	if (in_len > 0 && (master_ev & POLLOUT)) {
		ssize_t w = write(master, in_buf, in_len);
		if (w > 0) memmove(in_buf, in_buf + w, in_len - (size_t)w), in_len -= (size_t)w;
		else if (errno != EAGAIN && errno != EINTR) in_len = 0;
	}
	return in;
}

/* master -> fd 1. Returns 0 once the terminal is closed: EIO when the last slave fd is gone. */
static int relay_output(void) {
	char buf[8192];
	ssize_t n = read(master, buf, sizeof buf);
	if (n > 0) return write_all(1, buf, (size_t)n), 1;
	return n < 0 && (errno == EAGAIN || errno == EINTR);
}

/* Each complete "ROWS COLS\n" line becomes a TIOCSWINSZ; returns -1 when the daemon closed it. */
static int read_resize(int fd) {
	ssize_t n = read(fd, resize_buf + resize_len, sizeof resize_buf - 1 - resize_len);
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return -1;
	if (n < 0) return fd;
	resize_len += (size_t)n;
	resize_lines(resize_buf, &resize_len, sizeof resize_buf, set_size);
	return fd;
}

/* Relays until the command has exited and the terminal is drained; returns its wait status. */
static int relay(pid_t child, int sfd, int resize_fd) {
	int in = 0, status = 0, exited = 0;
	for (;;) {
		struct pollfd p[4];
		int n = 0, im = n, ii = -1, is = -1, ir = -1;
		p[n++] = (struct pollfd){ master, (short)(POLLIN | (in_len ? POLLOUT : 0)), 0 };
		if (in >= 0 && in_len == 0) ii = n, p[n++] = (struct pollfd){ in, POLLIN, 0 };
		if (!exited) is = n, p[n++] = (struct pollfd){ sfd, POLLIN, 0 };
		if (resize_fd >= 0) ir = n, p[n++] = (struct pollfd){ resize_fd, POLLIN, 0 };
		/* After the exit, a process it left in the background may hold the terminal open: give
		 * the last output 200 ms of quiet to arrive, then stop, as dockling-shim does. */
		int r = poll(p, n, exited ? 200 : -1);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) break;
		if ((p[im].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_output() && exited) break;
		if (ii >= 0 || (p[im].revents & POLLOUT)) in = relay_input(in, ii >= 0 ? p[ii].revents : 0, p[im].revents);
		if (ir >= 0 && p[ir].revents) resize_fd = read_resize(resize_fd);
		if (is >= 0 && p[is].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) < 0) { /* waitpid below decides */ }
			if (waitpid(child, &status, WNOHANG) == child) exited = 1;
		}
		/* The slave hung up before the exit was seen: only the exit is left to wait for. */
		if ((p[im].revents & POLLHUP) && !exited) {
			waitpid(child, &status, 0);
			exited = 1;
		}
	}
	if (!exited) waitpid(child, &status, 0); /* poll failed: the exit is still ours to report */
	return status;
}

int main(int argc, char **argv) {
	unsigned rows = 0, cols = 0;
	int owner = -1, resize_fd = -1, i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc && sscanf(argv[i + 1], "%ux%u", &rows, &cols) == 2) i++;
		else if (!strcmp(argv[i], "--owner") && i + 1 < argc) owner = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--resize") && i + 1 < argc) resize_fd = atoi(argv[++i]);
		else break;
	}
	if (i + 1 >= argc || strcmp(argv[i], "--") != 0) {
		fprintf(stderr, "usage: dockling-pty [--size ROWSxCOLS] [--owner UID] [--resize FD] -- ARGV...\n");
		return 125;
	}
	char **command = argv + i + 1;
	if (resize_fd >= 0) fcntl(resize_fd, F_SETFD, FD_CLOEXEC); /* ours, not the command's */

	/* SIGCHLD as a readable fd, so one poll() waits for typing, output, resizes and the exit.
	 * Blocked before fork, so an instant exit is not missed. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	if (sfd < 0) die("signalfd", "SIGCHLD");

	int slave = open_terminal(rows, cols, owner);
	pid_t child = fork();
	if (child < 0) die("fork", command[0]);
	if (child == 0) exec_on_terminal(slave, command);
	/* Closed here, or the master would never read EIO: we would hold the terminal open. */
	close(slave);
	fcntl(master, F_SETFL, O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN); /* the daemon gone: writes fail with EPIPE, the command goes on */

	int status = relay(child, sfd, resize_fd);
	if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
