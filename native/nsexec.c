/*
 * strata nsexec: the namespace stage (stage 0) of the container's init.
 *
 * A .NET process is multi-threaded before Main runs, and the kernel refuses what the runtime must do
 * from such a process: unshare(CLONE_NEWUSER) and setns() into a user or mount namespace fail with
 * EINVAL, unshare(CLONE_NEWNS) would move only the calling thread, and managed code in a forked child
 * of a multi-threaded process can deadlock. This file is linked into the NativeAOT binary and runs as
 * an ELF constructor, before the .NET runtime starts. It does exactly what needs a single-threaded
 * process (the same split as runc's nsexec):
 *
 *   1. read the bootstrap message from the parent: namespaces to join (setns) and to create (unshare);
 *   2. join the given namespaces, then unshare the new ones. A new user namespace is unshared first
 *      and alone: the process then asks the parent to write its uid/gid maps ("usermap\n", answered by
 *      one byte once they are written; only the parent can, from outside the namespace, or through
 *      newuidmap/newgidmap when rootless), becomes root in it, and only then creates the other
 *      namespaces, so that they are owned by it. A new cgroup namespace is left to the init, which
 *      unshares it once the parent has moved it into the container's cgroups;
 *   3. fork: the child is the container's init (pid 1 when a pid namespace is new). This process
 *      reports the child's pid to the parent and exits; the child returns from the constructor, the
 *      .NET runtime starts inside the namespaces, and C# does everything else (rootfs, mounts, exec).
 *
 * The container's init comes to exist in one of three ways:
 *   - `strata-runtime create|run` as root: no stage 0 at all. This constructor, in the runtime's own
 *     process and before the .NET runtime starts, pre-forks the init in a new pid and mount namespace (prefork: unshare, fork,
 *     setns back), the two every rootful container has unless it shares them, so that the init's .NET
 *     runtime starts while the parent's does. The init also makes new network, IPC and UTS namespaces at
 *     once (speculate_namespaces), which nearly every container has. The parent finds it in
 *     _STRATA_PREFORKED and adopts it when config.json asks for nothing else of this stage: the init then
 *     keeps, joins or leaves those namespaces and makes the cgroup one itself, which a thread can do for
 *     itself. Otherwise the parent kills it and spawns stage 0 as below;
 *   - `strata-runtime create|run` otherwise (rootless: a user namespace, which only config.json can
 *     describe): stage 0 forked by this constructor as a zygote (start_zygote), waiting for the bootstrap while
 *     the runtime reads config.json; the parent finds it in _STRATA_ZYGOTE;
 *   - otherwise (exec, a mismatch above, or a runtime hosted by another program): stage 0 spawned as
 *     `strata-runtime init` with _STRATA_INITPIPE naming the bootstrap socket.
 *
 * The file also holds the signal handler a foreground `run` or `exec` forwards signals with
 * (strata_forward_signals): a handler cannot run managed code.
 *
 * Wire format (parent -> here): u32 length, then NUL-terminated "key=value" strings:
 *   flags=<decimal CLONE_* mask to unshare>
 *   join=<decimal CLONE_* type>:<path>          (repeated, in order)
 *   preload=<library soname>                     (dlopen'ed before any namespace is joined: after
 *                                                 setns into the container's mount namespace the host's
 *                                                 libraries are out of reach, e.g. libseccomp for exec)
 *   root=<path>                                  (a directory opened before any namespace is joined and
 *                                                 chroot'ed to after: exec into a container that has no
 *                                                 mount namespace of its own, whose init is chroot'ed)
 * Reply (here -> parent): one line "pid=<n>\n" or "error=<message>\n".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_JOIN 16
#define MAX_MSG (64 * 1024)

static int bootstrap_fd = -1;

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

__attribute__((noreturn, format(printf, 1, 2))) static void bail(const char *fmt, ...)
{
	char msg[1024];
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof msg)
		n = sizeof msg - 1;
	char line[1200];
	int m = snprintf(line, sizeof line, "error=nsexec: %.*s: %s\n", n, msg, strerror(saved));
	if (bootstrap_fd >= 0 && m > 0)
		write_all(bootstrap_fd, line, (size_t)m);
	_exit(1);
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct join {
	int type;
	int fd;
	char *path;
};

/*
 * Rewrites the command line in place to "strata-runtime init", as a spawned init has it: what ps and
 * /proc/PID/cmdline show of a created container's init, and the arguments Main receives. The strings
 * live in one block the kernel reports as the command line; the rest of it is cleared, and the
 * arguments past "init" become empty strings, since main's argc cannot change.
 */
static void become_init(int argc, char **argv)
{
	static const char title[] = "strata-runtime\0init";
	if (argc < 2)
		return;
	/* Only the layout the kernel makes: the strings back to back, in order. */
	for (int i = 1; i < argc; i++) {
		if (argv[i] != argv[i - 1] + strlen(argv[i - 1]) + 1)
			return;
	}
	char *start = argv[0];
	char *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
	if ((size_t)(end - start) < sizeof title)
		return;
	memset(start, 0, (size_t)(end - start));
	memcpy(start, title, sizeof title);
	argv[1] = start + strlen(start) + 1;
	for (int i = 2; i < argc; i++)
		argv[i] = end - 1;
}

/*
 * The namespace stage proper: reads the bootstrap from fd, joins and unshares, forks the init, reports its
 * pid and exits. Returns only in the forked init, which goes on into the .NET runtime. A zygote (see
 * start_zygote) whose parent never sends a bootstrap exits quietly.
 */
/* Ends a child forked here. */
static void discard(pid_t child)
{
	if (child <= 0)
		return;
	kill(child, SIGKILL);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
}

/* What an init forked here needs to go on into the .NET runtime: the environment and the command line
 * a spawned init has, and the channel to the parent (chan) as _STRATA_INITPIPE. */
static void become_forked_init(int chan, int argc, char **argv)
{
	char value[16];
	snprintf(value, sizeof value, "%d", chan);
	if (clearenv() != 0 || setenv("_STRATA_INITPIPE", value, 1) != 0)
		bail("environment of the init");
	become_init(argc, argv);
}

static void stage0(int fd, int chan, int argc, char **argv)
{
	int is_zygote = chan != fd;
	bootstrap_fd = fd;
	/* Until it execs the container's program this process is strata-runtime inside the container:
	 * non-dumpable, so container processes without CAP_SYS_PTRACE cannot open /proc/PID/exe or its
	 * fds (the CVE-2019-5736 class). execve makes the container's program dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		bail("prctl(PR_SET_DUMPABLE)");

	uint32_t len;
	if (read_full(bootstrap_fd, &len, sizeof len) < 0) {
		if (is_zygote)
			_exit(0);
		bail("read bootstrap length");
	}
	if (len == 0 || len > MAX_MSG)
		bail("bootstrap length %u out of range", len);
	char *msg = malloc(len + 1);
	if (msg == NULL)
		bail("malloc");
	if (read_full(bootstrap_fd, msg, len) < 0)
		bail("read bootstrap message");
	msg[len] = '\0';

	int flags = 0;
	struct join joins[MAX_JOIN];
	int njoin = 0;
	const char *root_path = NULL;
	for (char *p = msg; p < msg + len; p += strlen(p) + 1) {
		if (strncmp(p, "flags=", 6) == 0) {
			flags = atoi(p + 6);
		} else if (strncmp(p, "preload=", 8) == 0) {
			if (dlopen(p + 8, RTLD_NOW | RTLD_GLOBAL) == NULL)
				bail("dlopen %s: %s", p + 8, dlerror());
		} else if (strncmp(p, "join=", 5) == 0) {
			char *colon = strchr(p + 5, ':');
			if (colon == NULL || njoin == MAX_JOIN)
				bail("bad join entry %s", p);
			joins[njoin].type = atoi(p + 5);
			joins[njoin].path = colon + 1;
			njoin++;
		} else if (strncmp(p, "root=", 5) == 0) {
			root_path = p + 5;
		}
	}

	int root_fd = -1;
	if (root_path != NULL) {
		root_fd = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0)
			bail("open root %s", root_path);
	}

	/* Open every path before joining any namespace: after setns into a mount namespace the
	 * remaining paths would resolve in the container's view of the filesystem. */
	for (int i = 0; i < njoin; i++) {
		joins[i].fd = open(joins[i].path, O_RDONLY | O_CLOEXEC);
		if (joins[i].fd < 0)
			bail("open namespace %s", joins[i].path);
	}
	/* A user namespace is joined first so the others are entered with its privileges. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < njoin; i++) {
			int is_user = joins[i].type == CLONE_NEWUSER;
			if ((pass == 0) != is_user)
				continue;
			if (setns(joins[i].fd, joins[i].type) < 0)
				bail("setns %s", joins[i].path);
			close(joins[i].fd);
		}
	}
	if (root_fd >= 0) {
		if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
			bail("chroot to %s", root_path);
		close(root_fd);
	}

	int in_userns = 0;
	for (int i = 0; i < njoin; i++)
		in_userns |= joins[i].type == CLONE_NEWUSER;
	if (flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			bail("unshare user namespace");
		flags &= ~CLONE_NEWUSER;
		in_userns = 1;
		/* A non-dumpable process's /proc/PID files belong to root: an unprivileged parent could not
		 * open uid_map. Dumpable only while the parent writes the maps (as runc does). */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			bail("prctl(PR_SET_DUMPABLE)");
		write_all(bootstrap_fd, "usermap\n", 8);
		char ack;
		if (read_full(bootstrap_fd, &ack, 1) < 0)
			bail("wait for the uid/gid maps");
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			bail("prctl(PR_SET_DUMPABLE)");
	}
	if (in_userns) {
		/* Root of the user namespace, which owns every namespace created below. Host ids left over
		 * are unmapped there: file creation would fail with EOVERFLOW. */
		if (setresgid(0, 0, 0) < 0)
			bail("setresgid to the user namespace's root (is gid 0 mapped?)");
		if (setresuid(0, 0, 0) < 0)
			bail("setresuid to the user namespace's root (is uid 0 mapped?)");
		/* Refused (EPERM) when setgroups is "deny", as for a rootless single-id map: nothing to drop then. */
		if (setgroups(0, NULL) < 0 && errno != EPERM)
			bail("setgroups");
	}

	if (flags != 0 && unshare(flags) < 0)
		bail("unshare 0x%x", flags);

	pid_t child = fork();
	if (child < 0)
		bail("fork");
	if (child > 0) {
		char line[64];
		int m = snprintf(line, sizeof line, "pid=%d\n", child);
		write_all(bootstrap_fd, line, (size_t)m);
		_exit(0);
	}
	free(msg);
	if (is_zygote) {
		/* The init of a zygote talks to the parent on its own channel, not the bootstrap's. */
		close(bootstrap_fd);
		bootstrap_fd = -1;
		become_forked_init(chan, argc, argv);
	}
	/* The container's init continues into the .NET runtime; _STRATA_INITPIPE tells Main the fd. */
}

/* Joins the given mount and pid namespaces and restores root and cwd, which joining a mount namespace
 * resets to its root (so a runtime started chrooted stays so). */
static int return_to(int mntns, int pidns, int root, int cwd)
{
	if (setns(mntns, CLONE_NEWNS) < 0 || setns(pidns, CLONE_NEWPID) < 0 || fchdir(root) < 0 || chroot(".") < 0
	    || fchdir(cwd) < 0)
		return -1;
	return 0;
}

/*
 * Forks the init early, in a new pid and mount namespace, before config.json says what it needs, and
 * returns to the runtime's namespaces. Returns the init's pid; 0 in the init; -1 when there is none (the
 * runtime then has a zygote, or spawns stage 0).
 */
static pid_t prefork(void)
{
	int root = open("/", O_PATH | O_CLOEXEC);
	int cwd = open(".", O_PATH | O_CLOEXEC);
	int mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	int pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	pid_t child = -1;
	if (root < 0 || cwd < 0 || mntns < 0 || pidns < 0)
		goto out;
	/* The way back, tried first on the namespaces this process is in (the same permission checks a return
	 * from the new ones takes): if any step is refused (a policy, a missing capability), there is no
	 * pre-forked init, rather than a runtime stuck in the container's namespaces. */
	if (return_to(mntns, pidns, root, cwd) < 0 || unshare(CLONE_NEWPID | CLONE_NEWNS) < 0)
		goto out;
	child = fork();
	if (child == 0)
		goto out;
	/* Back where the runtime was: it goes on in its own namespaces. The dry run above makes a failure here
	 * as unlikely as an allocation failing; a runtime that cannot get back cannot go on. */
	if (return_to(mntns, pidns, root, cwd) < 0) {
		int saved = errno;
		discard(child);
		fprintf(stderr, "strata-runtime: return to the runtime's namespaces after pre-forking the init: %s\n", strerror(saved));
		_exit(1);
	}
out:
	if (root >= 0)
		close(root);
	if (cwd >= 0)
		close(cwd);
	if (mntns >= 0)
		close(mntns);
	if (pidns >= 0)
		close(pidns);
	return child;
}

/* The command is `create` or `run`: a container is about to be created, unless the command line is wrong.
 * What goes unused the runtime ends (Zygote.Discard); if the runtime dies first, it sees its socket close. */
static int creates_container(int argc, char **argv)
{
	/* The command is the first argument that is not a global flag; these global flags take a value
	 * (as in runc, with one dash or two, or as --flag=value). */
	static const char *const with_value[] = { "root", "log", "log-format", "rootless", "criu" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-')
			return strcmp(a, "create") == 0 || strcmp(a, "run") == 0;
		const char *name = a + (a[1] == '-' ? 2 : 1);
		if (strchr(name, '=') != NULL)
			continue;
		for (size_t j = 0; j < sizeof with_value / sizeof with_value[0]; j++) {
			if (strcmp(name, with_value[j]) == 0) {
				i++;
				break;
			}
		}
	}
	return 0;
}

/*
 * The zygote: stage 0 forked here, before the .NET runtime starts (a single-threaded process can fork
 * safely), instead of spawned later as `strata-runtime init`. It waits for the bootstrap while this
 * process starts .NET and reads config.json, so neither an exec nor the dynamic loader is on the way to
 * the container. The parent finds it in _STRATA_ZYGOTE ("bootstrap fd,pid,init channel fd").
 * Any failure here only means there is no zygote: create then spawns stage 0.
 */
/* A close-on-exec socketpair with both ends above 2: started with stdin, stdout or stderr closed, a socket
 * could take one of their numbers, and the container would be handed the channel as its stdio. */
static int socketpair_high(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (sv[i] > 2)
			continue;
		int high = fcntl(sv[i], F_DUPFD_CLOEXEC, 3);
		close(sv[i]);
		sv[i] = high;
	}
	if (sv[0] >= 0 && sv[1] >= 0)
		return 0;
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return -1;
}

static void start_zygote(int argc, char **argv)
{
	/* boot: parent and zygote (bootstrap, uid/gid maps, pid); chan: parent and the init. */
	int boot[2], chan[2];
	if (socketpair_high(boot) < 0)
		return;
	if (socketpair_high(chan) < 0) {
		close(boot[0]);
		close(boot[1]);
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(boot[0]);
		close(boot[1]);
		close(chan[0]);
		close(chan[1]);
		return;
	}
	if (pid == 0) {
		close(boot[0]);
		close(chan[0]);
		stage0(boot[1], chan[1], argc, argv);
		return; /* the container's init */
	}
	close(boot[1]);
	close(chan[1]);
	char value[48];
	snprintf(value, sizeof value, "%d,%d,%d", boot[0], (int)pid, chan[0]);
	if (setenv("_STRATA_ZYGOTE", value, 1) != 0) {
		/* the zygote sees EOF and exits */
		close(boot[0]);
		close(chan[0]);
	}
}

/*
 * In the initial user namespace (its inode number is fixed, PROC_USER_INIT_INO; a uid_map can be copied):
 * elsewhere root may not get back into a mount namespace owned by an ancestor. The zygote does the work there.
 */
static int in_initial_userns(void)
{
	struct stat st;
	return stat("/proc/self/ns/user", &st) == 0 && st.st_ino == 0xEFFFFFFDU;
}

/*
 * Where the pre-forked init starts (start_preforked): on another CPU than the runtime's, so that the two
 * .NET start-ups, each a few milliseconds of CPU, run side by side. Left to itself the scheduler may
 * put the child on the parent's CPU, where it preempts the parent at once, and leave it there while
 * another CPU idles (seen on a 2-CPU VM: the runtime, the critical path, stood still for ~4 ms). So,
 * when the runtime may use more than one CPU and runs SCHED_OTHER:
 *   - it forks as a task the new one cannot preempt: SCHED_FIFO with SCHED_RESET_ON_FORK, so that the
 *     child is SCHED_OTHER at nice 0 from the start (as root at nice 0: the reset would not pass another
 *     nice value on; unless a cgroup without real-time time refuses), else SCHED_BATCH, whose new tasks
 *     do not preempt (the child goes back to SCHED_OTHER itself). The parent returns to SCHED_OTHER;
 *   - the child's affinity leaves out the parent's CPU, set by the parent while the child is still
 *     queued. The parent gives the init the runtime's own affinity back when it adopts it
 *     (Zygote.TakePreforked), before the container's process exists, so nothing in the container sees
 *     the difference.
 */
enum fork_policy { AS_IS, FIFO_RESET_ON_FORK, BATCH };

struct placement {
	int cpu; /* the parent's CPU when spreading, else -1 */
	enum fork_policy policy;
	cpu_set_t others;
};

static void place_before_fork(struct placement *p)
{
	static const struct sched_param normal = { 0 };
	static const struct sched_param lowest_rt = { .sched_priority = 1 };
	p->cpu = -1;
	p->policy = AS_IS;
	int cpu = sched_getcpu();
	if (cpu < 0 || sched_getaffinity(0, sizeof p->others, &p->others) < 0 || CPU_COUNT(&p->others) < 2
	    || !CPU_ISSET(cpu, &p->others))
		return;
	CPU_CLR(cpu, &p->others);
	p->cpu = cpu;
	if (sched_getscheduler(0) != SCHED_OTHER)
		return;
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, 0);
	if (errno == 0 && nice == 0 && sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &lowest_rt) == 0)
		p->policy = FIFO_RESET_ON_FORK;
	else if (sched_setscheduler(0, SCHED_BATCH, &normal) == 0)
		p->policy = BATCH;
}

/* In both processes after the fork: child is the init's pid in the parent, 0 in the init. */
static void place_after_fork(const struct placement *p, pid_t child)
{
	static const struct sched_param normal = { 0 };
	/* Both try: whichever runs first moves the init (the parent's call moves it while it is still queued). */
	if (p->cpu >= 0 && child >= 0)
		sched_setaffinity(child, sizeof p->others, &p->others);
	/* The child of a SCHED_RESET_ON_FORK parent is SCHED_OTHER already. */
	if (p->policy == BATCH || (p->policy == FIFO_RESET_ON_FORK && child != 0))
		sched_setscheduler(0, SCHED_OTHER, &normal);
}

/*
 * In the pre-forked init, before its runtime starts: new network, IPC and UTS namespaces, which nearly every
 * container has besides pid and mount (runc's, docker's and podman's defaults). A network namespace alone takes
 * about a millisecond to set up, and here that overlaps the parent's start-up instead of following config.json.
 * The init keeps them, joins others, or goes back to the runtime's (InitProcess), through fds to the runtime's
 * own that it gets in _STRATA_INITNS as "net,ipc,uts". Returns 0, and creates nothing, when any step fails.
 */
static int speculate_namespaces(char *value, size_t size)
{
	static const char *const paths[3] = { "/proc/self/ns/net", "/proc/self/ns/ipc", "/proc/self/ns/uts" };
	int fds[3] = { -1, -1, -1 };
	for (int i = 0; i < 3; i++) {
		fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			goto fail;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		goto fail;
	snprintf(value, size, "%d,%d,%d", fds[0], fds[1], fds[2]);
	return 1;
fail:
	for (int i = 0; i < 3; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	return 0;
}

/*
 * As root: the init pre-forked (see prefork) with a channel of its own; the parent finds "pid,fd" in
 * _STRATA_PREFORKED. Returns 1 in both the parent and the init, 0 when there is none.
 */
static int start_preforked(int argc, char **argv)
{
	int chan[2];
	if (socketpair_high(chan) < 0)
		return 0;
	struct placement placement;
	place_before_fork(&placement);
	pid_t pid = prefork();
	place_after_fork(&placement, pid);
	if (pid == 0) {
		/* Non-dumpable until it execs the container's program (see stage0). */
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			_exit(1);
		close(chan[0]);
		char namespaces[48];
		int speculated = speculate_namespaces(namespaces, sizeof namespaces);
		become_forked_init(chan[1], argc, argv);
		if (speculated && setenv("_STRATA_INITNS", namespaces, 1) != 0)
			bail("environment of the init");
		return 1;
	}
	close(chan[1]);
	char value[32];
	snprintf(value, sizeof value, "%d,%d", (int)pid, chan[0]);
	if (pid < 0 || setenv("_STRATA_PREFORKED", value, 1) != 0) {
		discard(pid);
		close(chan[0]);
		return 0;
	}
	return 1;
}

/*
 * Signal forwarding for a foreground `run` or `exec`, as runc does: SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and
 * SIGUSR2 the runtime receives go to the container's process (NativeSignals in C#). An async-signal-safe handler
 * here, rather than .NET's PosixSignalRegistration, which starts a thread and a pipe for it and sets up the
 * terminal (about 2 ms of a `run` on a small VM). Until the container's process is known a signal cannot
 * kill a runtime half-way through creating the container: it is held, and delivered once the target is set,
 * as runc's buffered signal channel does (a signal that arrives while poststart hooks run, or just after the
 * process started, is not lost).
 */
static const int forwarded_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
static volatile sig_atomic_t forward_pid;
/* Bit n: signal n arrived while there was no target. Every forwarded signal is below 32. */
static unsigned int pending_signals;

static void forward_signal(int sig)
{
	int saved = errno;
	pid_t pid = __atomic_load_n(&forward_pid, __ATOMIC_SEQ_CST);
	if (pid > 0)
		kill(pid, sig);
	else
		__atomic_fetch_or(&pending_signals, 1u << sig, __ATOMIC_SEQ_CST);
	errno = saved;
}

/* Installs (enable != 0) or removes the handler; 0, or -errno. */
int strata_forward_signals(int enable)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = enable ? forward_signal : SIG_DFL;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (!enable) {
		__atomic_store_n(&forward_pid, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&pending_signals, 0, __ATOMIC_SEQ_CST);
	}
	for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++) {
		if (sigaction(forwarded_signals[i], &sa, NULL) < 0)
			return -errno;
	}
	return 0;
}

/*
 * The process forwarded signals go to from now on (0: hold them). Signals held so far go to it now, in
 * signal-number order: the target is published before the held set is taken, so a signal is either
 * forwarded by the handler or held and taken here, never both, never neither.
 */
void strata_forward_to(int pid)
{
	__atomic_store_n(&forward_pid, pid, __ATOMIC_SEQ_CST);
	if (pid <= 0)
		return;
	unsigned int held = __atomic_exchange_n(&pending_signals, 0, __ATOMIC_SEQ_CST);
	for (int sig = 1; held != 0 && sig < 32; sig++) {
		if (held & (1u << sig)) {
			held &= ~(1u << sig);
			kill(pid, sig);
		}
	}
}

/* glibc passes main's arguments to the constructors of the executable. */
__attribute__((constructor)) static void strata_nsexec(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *env = getenv("_STRATA_INITPIPE");
	if (env == NULL || *env == '\0') {
		/* Only this process's own zygote or init may be named there, not one an ancestor left in the
		 * environment. */
		unsetenv("_STRATA_ZYGOTE");
		unsetenv("_STRATA_PREFORKED");
		if (creates_container(argc, argv) && !(geteuid() == 0 && in_initial_userns() && start_preforked(argc, argv)))
			start_zygote(argc, argv);
		return;
	}
	int fd = atoi(env);
	if (fd < 3)
		bail("bad _STRATA_INITPIPE %s", env);
	stage0(fd, fd, argc, argv);
}
