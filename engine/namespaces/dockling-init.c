/* dockling-init, chapter 3: the last step of starting a container, the one that cannot be a
 * host command. The recipe (recipe.ts) has made the namespaces and mounted the container's world
 * under ./ ; this helper, started with cwd = the new root, does in order:
 *   1. pivot_root(".", ".") and detach the old root     — the host's files disappear
 *   2. drop the capability bounding set to the mask      — no later exec can regain the rest
 *   3. setgroups, setgid, setuid                         — become the image's user
 *   4. capset effective/permitted/inheritable            — what the process holds right now
 *   5. no_new_privs                                      — setuid binaries cannot raise it again
 *   6. chdir(cwd), exec the user's command (PATH looked up inside the container)
 * Why C: after pivot_root the host's dynamically linked tools cannot start (their libraries are
 * gone), and busybox's setpriv cannot drop the bounding set. Built static: `cc -static`.
 *
 * Usage: dockling-init [--no-pivot] --uid U --gid G [--groups G1,G2] [--cwd DIR] --caps HEX
 *                      [--effective HEX] [--no-new-privs] -- COMMAND [ARG...]
 * --no-pivot is `exec` mode (exec.ts): the process was put into a running container's namespaces
 * by nsenter, and its root is already the container's root, so step 1 is skipped (see below).
 * The environment it is started with is the container's (recipe: `env -i K=V ... dockling-init`).
 * Exit codes before the exec, as Docker's: 127 command not found, 126 not executable, 125 setup. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Errors name the step, the path (or value) and errno, like `pivot_root: .: Invalid argument`. */
static void die(const char *step, const char *what, int code) {
	fprintf(stderr, "dockling-init: %s: %s: %s\n", step, what, strerror(errno));
	exit(code);
}

static void usage(const char *why) {
	fprintf(stderr, "dockling-init: %s\nusage: dockling-init [--no-pivot] --uid U --gid G [--groups A,B] [--cwd DIR] "
	        "--caps HEX [--effective HEX] [--no-new-privs] -- COMMAND [ARG...]\n", why);
	exit(125);
}

int main(int argc, char **argv) {
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

	/* 6. the working directory, then the user's command, looked up in the container's PATH. */
	if (chdir(cwd) != 0) die("chdir", cwd, 125);
	execvp(command[0], command);
	die("exec", command[0], errno == ENOENT ? 127 : 126);
	return 125;
}
