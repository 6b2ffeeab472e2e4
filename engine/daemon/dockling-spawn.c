/* dockling-spawn: the daemon's fork server.
 *
 * Every host command the engine runs (mount, ip, iptables, the shim that starts a container)
 * is a fork and an exec. Node's child_process.spawn forks the daemon itself, on its main thread:
 * the kernel copies the page tables of a process of a hundred megabytes or more, and nothing
 * else happens in the daemon meanwhile — about 5 ms a command, measured on the 2-core machine,
 * which is most of what starting a container costs the daemon. This small static program is
 * started once; the daemon sends it requests on a pipe, and it forks (a process of a few hundred
 * kilobytes: cheap) and reports each command's exit status and output. Many run at once.
 *
 * Protocol, on stdin, one request after another, fields ending in NUL:
 *   ID  CWD  NENV  ENV...  NARGV  ARGV...  NINPUT  INPUT(NINPUT bytes, no NUL after)
 * NENV 0 keeps this program's environment (the daemon's, at the time it started us).
 * On stdout, one reply per request, in the order they finish:
 *   "ID STATUS NOUT NERR\n" then NOUT bytes of stdout and NERR bytes of stderr
 * STATUS is the exit status, 128+N for a death by signal N, or "E" and an errno when the
 * command could not be executed at all (ENOENT: no such program).
 * End of stdin (the daemon is gone): we exit; commands still running are left to finish.
 * Build: cc -static -Os -Wall -o dockling-spawn dockling-spawn.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_JOBS 512

struct buf { char *p; size_t len, cap; };

struct job {
	int used;
	char id[64];
	pid_t pid;
	int out, err, in; /* our ends of the child's stdout, stderr, stdin; -1 once closed */
	struct buf o, e;
	char *input;
	size_t input_len, input_off;
	int exited, status, exec_errno;
};

static struct job jobs[MAX_JOBS];
static struct buf req; /* bytes of requests not yet parsed */

static void grow(struct buf *b, size_t more) {
	if (b->len + more <= b->cap) return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more) cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) { perror("dockling-spawn: realloc"); exit(1); }
	b->p = p, b->cap = cap;
}

static void write_all(int fd, const char *p, size_t n) {
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) exit(0); /* the daemon is gone */
		p += w, n -= (size_t)w;
	}
}

/* A job is done when its process has exited and both its pipes are drained: reply, forget it. */
static void maybe_finish(struct job *j) {
	if (!j->exited || j->out >= 0 || j->err >= 0) return;
	char head[160];
	if (j->exec_errno) snprintf(head, sizeof head, "%s E%d 0 0\n", j->id, j->exec_errno);
	else {
		int code = WIFEXITED(j->status) ? WEXITSTATUS(j->status) : 128 + WTERMSIG(j->status);
		snprintf(head, sizeof head, "%s %d %zu %zu\n", j->id, code, j->o.len, j->e.len);
	}
	write_all(1, head, strlen(head));
	if (!j->exec_errno) write_all(1, j->o.p, j->o.len), write_all(1, j->e.p, j->e.len);
	free(j->o.p), free(j->e.p), free(j->input);
	if (j->in >= 0) close(j->in);
	memset(j, 0, sizeof *j);
}

/* Starts one command. Its exec failure comes back through a close-on-exec pipe (EOF = it ran). */
static void start(const char *id, const char *cwd, char **env, char **argv, const char *input, size_t input_len) {
	struct job *j = NULL;
	for (int i = 0; i < MAX_JOBS && !j; i++) if (!jobs[i].used) j = &jobs[i];
	int o[2], e[2], in[2], x[2];
	if (!j || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC) || pipe2(in, O_CLOEXEC) || pipe2(x, O_CLOEXEC)) {
		char head[160];
		snprintf(head, sizeof head, "%s E%d 0 0\n", id, j ? errno : EAGAIN);
		write_all(1, head, strlen(head));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0), dup2(o[1], 1), dup2(e[1], 2);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (*cwd && chdir(cwd) != 0) { int err = errno; if (write(x[1], &err, sizeof err)) {} _exit(127); }
		if (env) execvpe(argv[0], argv, env);
		else execvp(argv[0], argv);
		int err = errno;
		if (write(x[1], &err, sizeof err)) {}
		_exit(127);
	}
	close(o[1]), close(e[1]), close(in[0]), close(x[1]);
	memset(j, 0, sizeof *j);
	j->used = 1;
	snprintf(j->id, sizeof j->id, "%s", id);
	j->pid = pid, j->out = o[0], j->err = e[0], j->in = in[1];
	fcntl(j->out, F_SETFL, O_NONBLOCK), fcntl(j->err, F_SETFL, O_NONBLOCK); /* a stale poll result must not block us */
	int err;
	if (pid < 0) j->exec_errno = errno, j->exited = 1;
	else if (read(x[0], &err, sizeof err) == sizeof err) j->exec_errno = err; /* reaped via SIGCHLD */
	close(x[0]);
	if (input_len) {
		j->input = malloc(input_len);
		memcpy(j->input, input, input_len);
		j->input_len = input_len;
		fcntl(j->in, F_SETFL, O_NONBLOCK);
	} else close(j->in), j->in = -1; /* stdin: empty */
}

/* Parses every complete request in `req`; leaves a partial one for later. */
static void parse_requests(void) {
	size_t off = 0;
	for (;;) {
		char *f[4096];
		size_t pos = off;
		int nf = 0;
		/* fields up to and including NARGV's arguments and NINPUT */
		#define FIELD() ({ char *z = memchr(req.p + pos, 0, req.len - pos); if (!z) goto partial; char *s = req.p + pos; pos = (size_t)(z - req.p) + 1; s; })
		char *id = FIELD(), *cwd = FIELD();
		int nenv = atoi(FIELD());
		char **env = NULL;
		if (nenv > 0) { env = f + nf; for (int i = 0; i < nenv && nf < 4000; i++) f[nf++] = FIELD(); f[nf++] = NULL; }
		int nargv = atoi(FIELD());
		char **argv = f + nf;
		for (int i = 0; i < nargv && nf < 4094; i++) f[nf++] = FIELD();
		f[nf++] = NULL;
		size_t ninput = strtoul(FIELD(), NULL, 10);
		if (req.len - pos < ninput) goto partial;
		if (nargv > 0) start(id, cwd, env, argv, req.p + pos, ninput);
		else { char head[160]; snprintf(head, sizeof head, "%s E%d 0 0\n", id, EINVAL); write_all(1, head, strlen(head)); }
		off = pos + ninput;
		continue;
	partial:
		break;
	}
	memmove(req.p, req.p + off, req.len - off);
	req.len -= off;
}

static void drain(struct job *j, int *fd, struct buf *b) {
	grow(b, 65536);
	ssize_t n = read(*fd, b->p + b->len, b->cap - b->len);
	if (n > 0) b->len += (size_t)n;
	else if (n == 0 || (errno != EINTR && errno != EAGAIN)) close(*fd), *fd = -1;
}

int main(void) {
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	int open_stdin = 1;
	for (;;) {
		static struct pollfd p[3 * MAX_JOBS + 2];
		static struct { struct job *j; int which; } who[3 * MAX_JOBS + 2];
		int n = 0, busy = 0;
		if (open_stdin) p[n] = (struct pollfd){ 0, POLLIN, 0 }, who[n++].j = NULL;
		p[n] = (struct pollfd){ sfd, POLLIN, 0 }, who[n].j = NULL, who[n++].which = -1;
		for (int i = 0; i < MAX_JOBS; i++) {
			struct job *j = &jobs[i];
			if (!j->used) continue;
			busy = 1;
			if (j->out >= 0) p[n] = (struct pollfd){ j->out, POLLIN, 0 }, who[n].j = j, who[n++].which = 1;
			if (j->err >= 0) p[n] = (struct pollfd){ j->err, POLLIN, 0 }, who[n].j = j, who[n++].which = 2;
			if (j->in >= 0) p[n] = (struct pollfd){ j->in, POLLOUT, 0 }, who[n].j = j, who[n++].which = 0;
		}
		if (!open_stdin && !busy) return 0;
		if (poll(p, n, -1) < 0) { if (errno == EINTR) continue; perror("dockling-spawn: poll"); return 1; }
		for (int k = 0; k < n; k++) {
			if (!p[k].revents) continue;
			struct job *j = who[k].j;
			if (!j && p[k].fd == 0) {
				grow(&req, 65536);
				ssize_t r = read(0, req.p + req.len, req.cap - req.len);
				if (r > 0) req.len += (size_t)r, parse_requests();
				else if (r == 0) open_stdin = 0;
			} else if (!j) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof si) < 0) { /* the loop below reaps */ }
				int st;
				pid_t w;
				while ((w = waitpid(-1, &st, WNOHANG)) > 0)
					for (int i = 0; i < MAX_JOBS; i++)
						if (jobs[i].used && jobs[i].pid == w) jobs[i].exited = 1, jobs[i].status = st, maybe_finish(&jobs[i]);
			} else if (who[k].which == 1 && j->used && j->out == p[k].fd) drain(j, &j->out, &j->o), maybe_finish(j);
			else if (who[k].which == 2 && j->used && j->err == p[k].fd) drain(j, &j->err, &j->e), maybe_finish(j);
			else if (who[k].which == 0 && j->used && j->in == p[k].fd) {
				ssize_t w = write(j->in, j->input + j->input_off, j->input_len - j->input_off);
				if (w > 0) j->input_off += (size_t)w;
				if (w < 0 && errno != EAGAIN && errno != EINTR) j->input_off = j->input_len; /* EPIPE: it stopped reading */
				if (j->input_off >= j->input_len) close(j->in), j->in = -1;
			}
		}
	}
}
