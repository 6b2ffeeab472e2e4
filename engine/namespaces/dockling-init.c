/* dockling-init, chapter 3: the program that starts a container. Two ways to call it:
 *
 *   dockling-init --plan FILE    the whole start from the plan recipe.ts wrote (see "plan mode"
 *                                at the end): cgroups, namespaces, every mount of the recipe as
 *                                a system call, then the steps below. This is the default.
 *   dockling-init FLAGS -- CMD   only the last step, the one that can never be a host command:
 *                                the typed recipe (recipe.ts planArgv) ends with it; exec uses it.
 *
 * The last step, started with cwd = the new root (the container's world is mounted under ./):
 *   1. pivot_root(".", ".") and detach the old root     — the host's files disappear
 *   2. drop the capability bounding set to the mask      — no later exec can regain the rest
 *   3. setgroups, setgid, setuid                         — become the image's user
 *   4. capset effective/permitted/inheritable            — what the process holds right now
 *   5. no_new_privs                                      — setuid binaries cannot raise it again
 *   6. chdir(cwd)
 *   7. seccomp: load the filter (--seccomp, or the plan's seccomp record)  — the very last act
 *   8. exec the user's command (PATH looked up inside the container)
 * Why C: after pivot_root the host's dynamically linked tools cannot start (their libraries are
 * gone), and busybox's setpriv cannot drop the bounding set. Built static: `cc -static`.
 *
 * Usage: dockling-init [--no-pivot] --uid U --gid G [--groups G1,G2] [--cwd DIR] --caps HEX
 *                      [--effective HEX] [--no-new-privs] [--seccomp BPFHEX] -- COMMAND [ARG...]
 * --no-pivot is `exec` mode (exec.ts): the process was put into a running container's namespaces
 * by nsenter, and its root is already the container's root, so step 1 is skipped (see below).
 * The environment it is started with is the container's (recipe: `env -i K=V ... dockling-init`).
 * Exit codes before the exec, as Docker's: 127 command not found, 126 not executable, 125 setup. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The readiness pipe (fd 3 from dockling-shim --ready), or -1: see plan mode below. */
static int ready_fd = -1;

/* Errors name the step, the path (or value) and errno, like `pivot_root: .: Invalid argument`.
 * With a readiness pipe, the shim (and so `docker start`) gets them as "STATUS text". */
static void die(const char *step, const char *what, int code) {
	const char *why = strerror(errno);
	if (ready_fd >= 0) dprintf(ready_fd, "%d %s: %s: %s\n", code, step, what, why);
	fprintf(stderr, "dockling-init: %s: %s: %s\n", step, what, why);
	exit(code);
}

/* Fd 3 is the readiness pipe when it is a pipe (in exec mode fd 3 is this program itself). */
static void find_ready_fd(void) {
	struct stat st;
	if (ready_fd < 0 && fstat(3, &st) == 0 && S_ISFIFO(st.st_mode)) ready_fd = 3, fcntl(3, F_SETFD, FD_CLOEXEC);
}

/* The seccomp filter, as planner.ts/seccomp.ts compiled it: hex of a struct sock_filter array. */
static const char *seccomp_hex;

/* 7. seccomp: the kernel runs this BPF program on every later system call of this process and
 *    of everything it starts (the filter is inherited across fork and exec, and cannot be
 *    removed). Loading one without CAP_SYS_ADMIN requires no_new_privs first: otherwise a
 *    filtered process could exec a setuid program and mislead it by making its calls fail.
 *    Last of all, so that nothing dockling-init itself does (mount, pivot_root, capset) is
 *    refused — only execve comes after it, and the filter allows that. */
static void load_seccomp(const char *hex) {
	size_t len = strlen(hex);
	static struct sock_filter insns[BPF_MAXINSNS];
	if (len == 0 || len % 16 != 0 || len / 16 > BPF_MAXINSNS) { errno = EINVAL; die("seccomp", "filter length", 125); }
	unsigned char *bytes = (unsigned char *)insns;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned int b;
		if (sscanf(hex + 2 * i, "%2x", &b) != 1) { errno = EINVAL; die("seccomp", "filter hex", 125); }
		bytes[i] = (unsigned char)b; /* little-endian as written, and x86_64 is little-endian */
	}
	struct sock_fprog prog = { (unsigned short)(len / 16), insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(PR_SET_NO_NEW_PRIVS)", "1", 125);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) die("seccomp(SECCOMP_SET_MODE_FILTER)", "filter", 125);
}

static void usage(const char *why) {
	fprintf(stderr, "dockling-init: %s\nusage: dockling-init [--no-pivot] --uid U --gid G [--groups A,B] [--cwd DIR] "
	        "--caps HEX [--effective HEX] [--no-new-privs] -- COMMAND [ARG...]\n", why);
	exit(125);
}

static int become(int argc, char **argv) {
	uid_t uid = 0;
	gid_t gid = 0, groups[64];
	size_t ngroups = 0;
	const char *cwd = "/";
	uint64_t caps = 0, effective = 0;
	int have_caps = 0, have_effective = 0, no_new_privs = 0, pivot = 1, i;

	/* 0. arguments: flags up to `--`, then the user's command. */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--no-new-privs")) { no_new_privs = 1; continue; }
		if (!strcmp(argv[i], "--no-pivot")) { pivot = 0; continue; }
		if (!v) usage("a flag is missing its value");
		if (!strcmp(argv[i], "--uid")) uid = (uid_t)strtoul(v, NULL, 10);
		else if (!strcmp(argv[i], "--gid")) gid = (gid_t)strtoul(v, NULL, 10);
		else if (!strcmp(argv[i], "--cwd")) cwd = v;
		else if (!strcmp(argv[i], "--seccomp")) seccomp_hex = v;
		else if (!strcmp(argv[i], "--caps")) { caps = strtoull(v, NULL, 16); have_caps = 1; }
		else if (!strcmp(argv[i], "--effective")) { effective = strtoull(v, NULL, 16); have_effective = 1; }
		else if (!strcmp(argv[i], "--groups")) {
			for (char *s = strdup(v), *tok = strtok(s, ","); tok && ngroups < 64; tok = strtok(NULL, ","))
				groups[ngroups++] = (gid_t)strtoul(tok, NULL, 10);
		} else usage("unknown flag");
		i++;
	}
	if (i >= argc - 1) usage("no command after --");
	if (!have_caps) usage("--caps is required");
	if (!have_effective) effective = caps;
	char **command = argv + i + 1;
	if (pivot) find_ready_fd();

	// #region pivot-root
	/* 1. pivot_root(".", "."): the new root (our cwd, a mount point) becomes "/", and the old
	 *    root is stacked on top of it at the same place. No put_old directory is needed inside the
	 *    image. umount2(".", MNT_DETACH) then takes the old root off the top (lazily: parts of
	 *    it may still be busy), leaving only the container's tree. The kernel refuses with EINVAL
	 *    if "." is not a mount point or if a mount involved has shared propagation — hence the
	 *    recipe's `mount --make-rprivate /` and `mount --rbind rootfs rootfs`. */
	/*    In exec mode (--no-pivot) there is nothing to pivot: setns(CLONE_NEWNS) already put us
	 *    in the container's mount namespace, whose root (after the first process's pivot_root)
	 *    *is* the container's root, and nsenter --root made it our "/". pivot_root here would
	 *    fail (EBUSY/EINVAL: "/" is not a new mount point) or, worse, detach the container's own
	 *    root for every process in it. exec mode instead makes sure the fds it was started with
	 *    (its own binary, passed as /proc/self/fd/3, as runc passes itself) do not leak into the
	 *    user's command: they close on exec. */
	if (pivot) {
		if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root", ".", 125);
		if (umount2(".", MNT_DETACH) != 0) die("umount2", "old root", 125);
	} else {
		for (int fd = 3; fd < 1024; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	if (chdir("/") != 0) die("chdir", "/", 125);
	// #endregion pivot-root

	/* 2. the bounding set limits what any later exec can have; dropping needs CAP_SETPCAP,
	 *    which we still hold. Stop at the first number this kernel does not know (EINVAL). */
	for (int cap = 0; cap < 64; cap++) {
		if (caps & (1ULL << cap)) continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
			if (errno == EINVAL) break;
			char n[8];
			snprintf(n, sizeof n, "%d", cap);
			die("prctl(PR_CAPBSET_DROP)", n, 125);
		}
	}

	/* 3. groups, then gid, then uid (after setuid we could no longer change the others). A
	 *    non-root user who is meant to keep capabilities asks the kernel not to clear them. */
	if (setgroups(ngroups, groups) != 0) die("setgroups", "groups", 125);
	if (setgid(gid) != 0) die("setgid", "gid", 125);
	if (uid != 0 && effective != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) die("prctl(PR_SET_KEEPCAPS)", "1", 125);
	if (setuid(uid) != 0) die("setuid", "uid", 125);

	/* 4. what we hold now: effective = permitted = the mask, inheritable empty (as Docker since
	 *    20.10.14). For root, exec recomputes permitted from the bounding set anyway; for a
	 *    non-root user setuid has already cleared them unless KEEPCAPS was asked for. */
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)effective, (uint32_t)effective, 0 },
		{ (uint32_t)(effective >> 32), (uint32_t)(effective >> 32), 0 },
	};
	if (uid == 0 || effective != 0)
		if (syscall(SYS_capset, &hdr, data) != 0) die("capset", "effective", 125);

	/* 5. no process of this container may gain privileges through exec (setuid bits, file caps). */
	if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(PR_SET_NO_NEW_PRIVS)", "1", 125);

	/* 6. the working directory; 7. the filter; 8. the user's command, looked up in the container's PATH. */
	if (chdir(cwd) != 0) die("chdir", cwd, 125);
	if (seccomp_hex) load_seccomp(seccomp_hex);
	execvp(command[0], command);
	die("exec", command[0], errno == ENOENT ? 127 : 126);
	return 125;
}

/* ---- plan mode: the whole start, from a plan file, with no other program ----------------
 *
 * `dockling-init --plan FILE` (cwd = the bundle) reads the InitPlan that recipe.ts wrote and
 * does what the recipe's commands would do, as the system calls those commands make:
 *
 *   cgroup FILE          echo 0 > FILE                 (0 means "the writer": this process)
 *   setns TYPE PATH      nsenter --TYPE=PATH
 *   unshare TYPE...      unshare --fork --TYPE...      then fork(): the child is pid 1 inside
 *   --- in the child, inside the namespaces:
 *   mount SRC DST TYPE FLAGS DATA   mount -t TYPE -o ... SRC DST   (FLAGS: MS_* as a number)
 *   remount DST FLAGS    mount -o remount,bind,ro DST  (keeping the flags DST has)
 *   mkdir PATH           mkdir -p PATH
 *   touch PATH           [ -e PATH ] || : > PATH  (never opened when there: on overlay, opening
 *                        a lower file for writing copies it up into the container's layer)
 *   mknod PATH MODE T MAJ MIN       mknod -m MODE PATH T MAJ MIN
 *   symlink TARGET PATH  ln -s TARGET PATH
 *   hostname NAME        hostname NAME
 *   mask PATH            an empty read-only tmpfs over a directory, /dev/null over a file
 *   readonly PATH        mount --bind PATH PATH && mount -o remount,bind,ro PATH
 *   lo-up                ip link set lo up
 *   seccomp BPFHEX       kept for become(): the filter loaded just before the exec
 *   env K=V...           the container's environment
 *   init ROOT FLAGS... -- COMMAND   cd ROOT && dockling-init FLAGS -- COMMAND (become(), above)
 *
 * Why one program and not forty: each command costs a fork and an exec (1–3 ms each); the
 * recipe has about forty. The plan is still data, written by planner.ts, and each record is one
 * step of the recipe the trace shows; only who carries it out changed.
 *
 * The parent stays on the host side of the pid namespace. Under dockling-shim it writes
 * "pid N" (pid 1's number on the host) on the readiness pipe and exits: the shim, a subreaper,
 * inherits pid 1 and waits for it. Run on its own, it waits for pid 1 and ends the way it
 * ended: the same exit status, or killed by the same signal (SIGKILL included, which util-linux
 * unshare cannot re-raise).
 *
 * Fd 3, when open, is the readiness pipe from dockling-shim (--ready): the child writes nothing
 * to it when the container's command has been exec'd (close-on-exec closes it: EOF), and one
 * line, "STATUS message", when a step or the exec failed. */

#define MAX_FIELDS 4096
static char *fields[MAX_FIELDS];
static int nfields;
static const char *step_name = "plan";

/* A step failed: say which, and why, on the readiness pipe (or stderr), and exit. */
static void step_fail(int code, const char *what, const char *path) {
	const char *why = strerror(errno);
	if (ready_fd >= 0) dprintf(ready_fd, "%d step \"%s\" failed: %s: %s: %s\n", code, step_name, what, path, why);
	dprintf(2, "dockling: step \"%s\" failed: %s: %s: %s\n", step_name, what, path, why);
	_exit(code);
}

/* The plan file: NUL-terminated fields. Each record is NAME, OP, COUNT, then COUNT arguments. */
static void read_plan(const char *path) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) step_fail(125, "open", path);
	static char buf[1 << 20];
	size_t len = 0;
	ssize_t n;
	while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)n;
	if (n < 0) step_fail(125, "read", path);
	close(fd);
	buf[len] = 0;
	for (size_t i = 0; i < len && nfields < MAX_FIELDS; i += strlen(buf + i) + 1) fields[nfields++] = buf + i;
}

static int ns_flag(const char *type) {
	static const struct { const char *name; int flag; } t[] = {
		{ "pid", CLONE_NEWPID }, { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS }, { "ipc", CLONE_NEWIPC },
		{ "uts", CLONE_NEWUTS }, { "cgroup", CLONE_NEWCGROUP }, { "user", CLONE_NEWUSER },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) if (!strcmp(t[i].name, type)) return t[i].flag;
	errno = EINVAL;
	step_fail(125, "namespace type", type);
	return 0;
}

/* mkdir -p: every missing component, 0755 like mkdir(1). */
static void mkdir_p(const char *path) {
	char p[4096];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0755) != 0 && errno != EEXIST) step_fail(125, "mkdir", p);
			*s = c;
			if (!c) break;
		}
	}
}

/* mount -o remount,bind,FLAGS: a bind remount sets the per-mount flags to exactly those given,
 * so the ones the mount already has (nosuid, nodev, noexec, atime) are read and kept. */
static void remount(const char *target, unsigned long add) {
	struct statvfs sv;
	if (statvfs(target, &sv) != 0) step_fail(125, "statvfs", target);
	unsigned long keep = 0;
	if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME) keep |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) keep |= MS_RELATIME;
	if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | keep | add, NULL) != 0) step_fail(125, "mount -o remount,bind", target);
}

static const char *or_null(const char *s) { return *s ? s : NULL; }

/* One record of the inner part. Returns after the step is done . */
static void do_step(const char *op, char **a, int n) {
	struct stat st;
	if (!strcmp(op, "mount") && n == 5) {
		/* A source under /proc/self/fd/ (the console: our terminal) is read as the path it names,
		 * as mount(8) canonicalizes it: the open file itself lives in the host's mount namespace,
		 * and the kernel refuses to bind a mount of another namespace (EINVAL). */
		char source[4096];
		const char *src = a[0];
		if (!strncmp(src, "/proc/self/fd/", 14)) {
			ssize_t len = readlink(src, source, sizeof source - 1);
			if (len < 0) step_fail(125, "readlink", src);
			source[len] = 0;
			src = source;
		}
		if (mount(or_null(src), a[1], or_null(a[2]), strtoul(a[3], NULL, 0), or_null(a[4])) != 0) step_fail(125, "mount", a[1]);
	} else if (!strcmp(op, "remount") && n == 2) {
		remount(a[0], strtoul(a[1], NULL, 0));
	} else if (!strcmp(op, "mkdir") && n == 1) {
		mkdir_p(a[0]);
	} else if (!strcmp(op, "touch") && n == 1) {
		struct stat st;
		if (lstat(a[0], &st) != 0) {
			int fd = open(a[0], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd < 0 && errno != EEXIST) step_fail(125, "touch", a[0]);
			if (fd >= 0) close(fd);
		}
	} else if (!strcmp(op, "mknod") && n == 5) {
		mode_t mode = (mode_t)strtoul(a[1], NULL, 8);
		mode_t type = a[2][0] == 'b' ? S_IFBLK : a[2][0] == 'p' ? S_IFIFO : S_IFCHR;
		if (mknod(a[0], mode | type, makedev(strtoul(a[3], NULL, 10), strtoul(a[4], NULL, 10))) != 0) step_fail(125, "mknod", a[0]);
		if (chmod(a[0], mode) != 0) step_fail(125, "chmod", a[0]); /* exactly MODE, whatever the umask */
	} else if (!strcmp(op, "symlink") && n == 2) {
		if (symlink(a[0], a[1]) != 0) step_fail(125, "symlink", a[1]);
	} else if (!strcmp(op, "hostname") && n == 1) {
		if (sethostname(a[0], strlen(a[0])) != 0) step_fail(125, "sethostname", a[0]);
	} else if (!strcmp(op, "mask") && n == 1) {
		if (stat(a[0], &st) != 0) return; /* this kernel has no such path: nothing to hide */
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", a[0], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) step_fail(125, "mount tmpfs", a[0]);
		} else if (mount("/dev/null", a[0], NULL, MS_BIND, NULL) != 0) step_fail(125, "mount --bind /dev/null", a[0]);
	} else if (!strcmp(op, "readonly") && n == 1) {
		if (stat(a[0], &st) != 0) return;
		if (mount(a[0], a[0], NULL, MS_BIND | MS_REC, NULL) != 0) step_fail(125, "mount --bind", a[0]);
		remount(a[0], MS_RDONLY);
	} else if (!strcmp(op, "lo-up") && n == 0) {
		/* ip link set lo up: SIOCSIFFLAGS on any socket of this network namespace. */
		struct ifreq ifr = { 0 };
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		strcpy(ifr.ifr_name, "lo");
		if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) step_fail(125, "SIOCGIFFLAGS", "lo");
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) step_fail(125, "SIOCSIFFLAGS", "lo");
		close(s);
	} else {
		errno = EINVAL;
		step_fail(125, "unknown plan record", op);
	}
}

/* Ends the way the child ended: its exit status, or its signal re-raised on ourselves. */
static void mirror(int status) {
	if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
	int sig = WTERMSIG(status);
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core); /* lowering is always allowed; no core file of ours */
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	kill(getpid(), sig);
	_exit(128 + sig); /* only reached for a signal that does not kill by default */
}

static int run_plan(const char *path) {
	/* fd 3 from the shim, if open: the readiness pipe. It must not reach the user's command. */
	find_ready_fd();
	read_plan(path);
	int traced = getenv("DOCKLING_TRACE_STEPS") && !strcmp(getenv("DOCKLING_TRACE_STEPS"), "1");
	char **env = NULL;
	int forked = 0;
	for (int i = 0; i + 2 < nfields; ) {
		const char *previous = step_name;
		step_name = fields[i];
		const char *op = fields[i + 1];
		int n = atoi(fields[i + 2]);
		char **a = fields + i + 3;
		if (n < 0 || i + 3 + n > nfields) { errno = EINVAL; step_fail(125, "truncated plan record", op); }
		i += 3 + n;
		if (traced && strcmp(previous, step_name)) dprintf(2, "dockling-step: %s\n", step_name); /* once per step */
		if (!strcmp(op, "cgroup") && n == 1) {
			int fd = open(a[0], O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, "0", 1) != 1) step_fail(125, "enter cgroup", a[0]);
			close(fd);
		} else if (!strcmp(op, "setns") && n == 2) {
			int fd = open(a[1], O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, ns_flag(a[0])) != 0) step_fail(125, "setns", a[1]);
			close(fd);
		} else if (!strcmp(op, "unshare") && !forked) {
			int flags = 0;
			for (int k = 0; k < n; k++) flags |= ns_flag(a[k]);
			if (unshare(flags) != 0) step_fail(125, "unshare", "namespaces");
			/* The parent stays outside the new pid namespace; its child is pid 1 there. The pipe
			 * lets the parent wait until pid 1 holds the terminal (below) before it leaves. */
			int held[2];
			if (pipe2(held, O_CLOEXEC) != 0) step_fail(125, "pipe2", "terminal hand-over");
			pid_t child = fork();
			if (child < 0) step_fail(125, "fork", "pid 1");
			forked = 1;
			if (child == 0) close(held[0]);
			if (child == 0 && isatty(0)) {
				/* With a terminal (-t), pid 1 must own it: a session of its own with the terminal
				 * as its controlling tty, so that a resize reaches it as SIGWINCH and ^C as SIGINT.
				 * The parent had it (the shim gave it one); it is taken over (1: steal, which
				 * CAP_SYS_ADMIN allows) because the parent is about to leave. */
				if (setsid() < 0 || ioctl(0, TIOCSCTTY, 1) != 0) step_fail(125, "TIOCSCTTY", "the terminal");
			}
			if (child == 0) close(held[1]); /* "the terminal is mine" (or there is none) */
			if (child > 0) {
				/* Wait for that EOF: a parent that left while pid 1 was taking the terminal over
				 * could leave it with no foreground group, and ^C or a resize would reach nobody. */
				char c;
				close(held[1]);
				while (read(held[0], &c, 1) < 0 && errno == EINTR) {}
				close(held[0]);
			}
			if (child > 0 && ready_fd >= 0) {
				/* Under dockling-shim (it gave us fd 3 and is a subreaper), the parent's work is
				 * done: it names pid 1 on the host and leaves. pid 1 is re-parented to the shim,
				 * which waits for it itself — one process less per container, and none of ours
				 * counted in the container's pids limit. */
				dprintf(ready_fd, "pid %d\n", (int)child);
				_exit(0);
			}
			if (child > 0) {
				signal(SIGINT, SIG_IGN), signal(SIGTERM, SIG_IGN), signal(SIGHUP, SIG_IGN);
				int status;
				while (waitpid(child, &status, 0) < 0) if (errno != EINTR) step_fail(125, "waitpid", "pid 1");
				mirror(status);
			}
		} else if (!strcmp(op, "seccomp") && n == 1) {
			seccomp_hex = a[0];
		} else if (!strcmp(op, "env")) {
			env = memcpy(calloc(n + 1, sizeof *env), a, n * sizeof *env);
		} else if (!strcmp(op, "init") && n >= 1) {
			if (chdir(a[0]) != 0) step_fail(125, "chdir", a[0]);
			static char *argv[MAX_FIELDS + 2];
			argv[0] = "dockling-init";
			for (int k = 1; k < n; k++) argv[k] = a[k];
			argv[n] = NULL;
			if (env) environ = env;
			return become(n, argv);
		} else do_step(op, a, n);
	}
	errno = EINVAL;
	step_fail(125, "plan", "no init record");
	return 125;
}

int main(int argc, char **argv) {
	if (argc == 3 && !strcmp(argv[1], "--plan")) return run_plan(argv[2]);
	return become(argc, argv);
}
