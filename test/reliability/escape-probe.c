/* escape-probe (issue 9, test/reliability/escape.test.ts): run inside a container as root, it
 * tries what a process breaking out would try, one system call each, and prints one line per
 * attempt: "NAME ok" or "NAME ERRNO-NAME". Nothing it does can harm the host when it succeeds
 * (it reads 512 bytes of a disk at most, and every namespace it makes dies with it).
 * Built static by the test: gcc -static -o escape-probe escape-probe.c
 * Usage: escape-probe MAJOR:MINOR   (a block device of the host, e.g. its root disk) */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *name, long rc) {
	printf("%s %s\n", name, rc >= 0 ? "ok" : strerrorname_np(errno));
	fflush(stdout);
}

/* Runs fn in a child, so that a namespace it makes (or a crash) is the child's alone. */
static void in_child(const char *name, long (*fn)(void)) {
	int p[2];
	if (pipe(p) != 0) return;
	pid_t pid = fork();
	if (pid == 0) {
		long rc = fn();
		int e = rc >= 0 ? 0 : errno;
		if (write(p[1], &e, sizeof e) != sizeof e) _exit(1);
		_exit(0);
	}
	int e = -1;
	close(p[1]);
	if (read(p[0], &e, sizeof e) != sizeof e) e = ECHILD;
	close(p[0]);
	waitpid(pid, NULL, 0);
	errno = e;
	say(name, e == 0 ? 0 : -1);
}

static long new_user_ns(void) { return unshare(CLONE_NEWUSER); }
static long new_mount_ns(void) { return unshare(CLONE_NEWNS); }
static long clone_new_user(void) {
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) _exit(0);
	if (pid > 0) waitpid((pid_t)pid, NULL, 0);
	return pid;
}

static void *thread_body(void *arg) { return arg; }

int main(int argc, char **argv) {
	unsigned maj = 8, min = 0;
	if (argc > 1) sscanf(argv[1], "%u:%u", &maj, &min);

	/* What ordinary programs do: a thread. glibc tries clone3 first; the filter says ENOSYS, and
	 * glibc falls back to clone, whose flags make no namespace. */
	pthread_t t;
	int te = pthread_create(&t, NULL, thread_body, NULL);
	if (te == 0) pthread_join(t, NULL);
	errno = te;
	say("thread", te == 0 ? 0 : -1);

	say("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 1));
	say("add_key", syscall(SYS_add_key, "user", "dockling-probe", "x", 1, -2 /* process keyring */));
	in_child("unshare-user", new_user_ns);
	in_child("unshare-mount", new_mount_ns);
	in_child("clone-newuser", clone_new_user);
	mkdir("/probe-mnt", 0755);
	say("mount-tmpfs", mount("tmpfs", "/probe-mnt", "tmpfs", 0, NULL));

	/* ptrace: a process of our own, same uid. Allowed, as in Docker since kernel 4.8; a process
	 * outside the container is out of sight (the pid namespace), so out of reach. */
	pid_t victim = fork();
	if (victim == 0) { pause(); _exit(0); }
	long rc = ptrace(PTRACE_ATTACH, victim, 0, 0);
	say("ptrace", rc);
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);

	char image[64] = { 0 };
	say("init_module", syscall(SYS_init_module, image, sizeof image, ""));
	say("finit_module", syscall(SYS_finit_module, -1, "", 0));
	say("delete_module", syscall(SYS_delete_module, "ext4", O_NONBLOCK));
	say("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
	say("bpf", syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, NULL, 0));
	say("userfaultfd", syscall(SYS_userfaultfd, 0));
	say("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, O_RDONLY));
	say("personality-no-aslr", personality(ADDR_NO_RANDOMIZE));
	say("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL));
	say("clock_settime", syscall(SYS_clock_settime, 0 /* CLOCK_REALTIME */, NULL));
	say("swapon", syscall(SYS_swapon, "/nonexistent", 0));

	/* The allow-list fails closed. 400 is in the x86_64 table's gap (no such call: the kernel
	 * says ENOSYS, the filter EPERM); 452 is fchmodat2 (Linux 6.6), newer than the profile's
	 * table: the filter says ENOSYS, so that libc would fall back to fchmodat. */
	say("unlisted-call", syscall(400, 0, 0, 0));
	int f = open("/probe-file", O_CREAT | O_WRONLY, 0644);
	if (f >= 0) close(f);
	say("newer-call", syscall(452, AT_FDCWD, "/probe-file", 0600, 0));
	/* Socket families Docker refuses; the last hides AF_VSOCK in the high half, which the
	 * kernel drops (it reads an int) but a filter comparing 64 bits sees. */
	int s = socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
	say("socket-vsock", s);
	if (s >= 0) close(s);
	s = socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0);
	say("socket-alg", s);
	if (s >= 0) close(s);
	long hs = syscall(SYS_socket, (1UL << 32) | 40, SOCK_STREAM, 0);
	say("socket-vsock-high", hs);
	if (hs >= 0) close((int)hs);

	/* /proc/self/exe: writing through it would change the binary every later exec runs (CVE-2019-5736). */
	say("write-proc-self-exe", open("/proc/self/exe", O_WRONLY));
	/* Raw devices: the host's disk by number, and /dev/mem. */
	say("open-dev-mem", open("/dev/mem", O_RDONLY));
	rc = mknod("/dev/probe-disk", S_IFBLK | 0600, makedev(maj, min));
	say("mknod-block", rc);
	if (rc == 0) {
		char sector[512];
		int fd = open("/dev/probe-disk", O_RDONLY);
		say("read-block", fd >= 0 ? read(fd, sector, sizeof sector) : -1);
		unlink("/dev/probe-disk");
	}
	rc = mknod("/dev/probe-mem", S_IFCHR | 0600, makedev(1, 1));
	say("mknod-mem", rc);
	if (rc == 0) {
		say("open-mem", open("/dev/probe-mem", O_RDONLY));
		unlink("/dev/probe-mem");
	}
	return 0;
}
