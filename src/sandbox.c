/*
 * sandbox.c - starting a helper in its own process group with limits and,
 * where the kernel has it, a Landlock domain that lets it read and run
 * only the files under the directories it is given.
 *
 * The child is forked, and between fork and exec does only
 * async-signal-safe work (setpgid, dup2, setrlimit, prctl, the Landlock
 * syscalls): everything else (argv, environment, the ruleset) is ready
 * before the fork, as the program has other threads.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LINUX_LANDLOCK_H
#include <linux/landlock.h>
#endif

#include "clock.h"
#include "sandbox.h"
#include "xalloc.h"

extern char **environ;

/* The process groups started and not reaped yet, for sandbox_kill_all(). */
#define SANDBOX_SLOTS 256
static pid_t live[SANDBOX_SLOTS];

static void
live_add(pid_t pid)
{
	size_t i;
	pid_t zero;

	for (i = 0; i < SANDBOX_SLOTS; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(&live[i], &zero, pid, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
}

static void
live_del(pid_t pid)
{
	size_t i;
	pid_t p;

	for (i = 0; i < SANDBOX_SLOTS; i++) {
		p = pid;
		if (__atomic_compare_exchange_n(&live[i], &p, 0, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
}

void
sandbox_kill_all(void)
{
	size_t i;
	pid_t p;

	for (i = 0; i < SANDBOX_SLOTS; i++)
		if ((p = __atomic_load_n(&live[i], __ATOMIC_SEQ_CST)) > 0)
			kill(-p, SIGKILL);
}

/* ---- Landlock ------------------------------------------------------- */

#if defined(HAVE_LINUX_LANDLOCK_H) && defined(SYS_landlock_create_ruleset)
#define LL_READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE_V1 (LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)
#ifdef LANDLOCK_ACCESS_FS_REFER
#define LL_REFER LANDLOCK_ACCESS_FS_REFER
#else
#define LL_REFER 0
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
#define LL_TRUNCATE LANDLOCK_ACCESS_FS_TRUNCATE
#else
#define LL_TRUNCATE 0
#endif
/* The rights a rule on a file (not a directory) may hold. */
#define LL_FILE (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_WRITE_FILE | LL_TRUNCATE)

int
sandbox_landlock_abi(const char **why)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);

	if (abi >= 1)
		return (int)abi;
	*why = errno == EOPNOTSUPP ? "Landlock is disabled in this kernel" :
	    "this kernel has no Landlock";
	return 0;
}

/* The writing rights Landlock ABI abi knows. */
static __u64
landlock_write(int abi)
{
	return LL_WRITE_V1 | (abi >= 2 ? LL_REFER : 0) |
	    (abi >= 3 ? LL_TRUNCATE : 0);
}

/* Lets the domain do what access says under path, if path exists. */
static void
landlock_allow(int rfd, const char *path, __u64 access)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1)
		return;
	memset(&pb, 0, sizeof pb);
	pb.parent_fd = fd;
	pb.allowed_access = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ?
	    access : access & LL_FILE;
	syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(fd);
}

/* A ruleset that handles reading and running files, and writing when o
 * has a work_dir, and allows them under o's directories only; its fd
 * (close-on-exec), or -1 without Landlock. */
static int
landlock_ruleset(const struct sandbox_opts *o, const char **why)
{
	struct landlock_ruleset_attr ra;
	const char *const *dirs;
	__u64 write;
	int rfd, abi;

	if ((abi = sandbox_landlock_abi(why)) == 0)
		return -1;
	write = o->work_dir != NULL ? landlock_write(abi) : 0;
	memset(&ra, 0, sizeof ra);
	ra.handled_access_fs = LL_READ | write;
	if ((rfd = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof ra,
	    0)) == -1) {
		*why = "Landlock refused a ruleset";
		return -1;
	}
	for (dirs = o->read_dirs; dirs != NULL && *dirs != NULL; dirs++)
		landlock_allow(rfd, *dirs, LL_READ);
	if (o->work_dir != NULL) {
		landlock_allow(rfd, o->work_dir, LL_READ | write);
		landlock_allow(rfd, "/dev/null", LL_READ | write);
	}
	return rfd;
}

/* In the child: enters the domain. Async-signal-safe. */
static int
landlock_enter(int rfd)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	return (int)syscall(SYS_landlock_restrict_self, rfd, 0);
}
#else
int
sandbox_landlock_abi(const char **why)
{
	*why = "built without <linux/landlock.h>";
	return 0;
}

static int
landlock_ruleset(const struct sandbox_opts *o, const char **why)
{
	(void)o;
	return sandbox_landlock_abi(why) - 1;
}

static int
landlock_enter(int rfd)
{
	(void)rfd;
	return -1;
}
#endif

/* ---- the child ------------------------------------------------------ */

/* Variables a helper never sees, besides any whose name holds API_KEY. */
static const char *const secret_vars[] = { "AR_MCP_TOKEN", NULL };

/* Whether the environment entry name[0..len) is left out of a child's. */
static int
env_dropped(const char *name, size_t len, const struct sandbox_opts *o)
{
	size_t i;

	if (memmem(name, len, "API_KEY", 7) != NULL ||
	    (o->c_locale && len == 6 && !memcmp(name, "LC_ALL", 6)) ||
	    (o->work_dir != NULL && len == 6 && !memcmp(name, "TMPDIR", 6)))
		return 1;
	for (i = 0; secret_vars[i] != NULL; i++)
		if (strlen(secret_vars[i]) == len &&
		    memcmp(name, secret_vars[i], len) == 0)
			return 1;
	return 0;
}

/* The child's environment: ours, less the secrets; LC_ALL=C and TMPDIR
 * as o says. The array and *tmpdir are owned; the other strings are
 * borrowed. */
static char **
child_env(const struct sandbox_opts *o, char **tmpdir)
{
	char **env;
	size_t i, n = 0;

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		;
	env = xcalloc(i + 3, sizeof *env);
	for (i = 0; environ != NULL && environ[i] != NULL; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t k = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);

		if (!env_dropped(environ[i], k, o))
			env[n++] = environ[i];
	}
	if (o->c_locale)
		env[n++] = "LC_ALL=C";
	*tmpdir = NULL;
	if (o->work_dir != NULL) {
		*tmpdir = xmalloc(strlen(o->work_dir) + 8);
		strcpy(*tmpdir, "TMPDIR=");
		strcat(*tmpdir, o->work_dir);
		env[n++] = *tmpdir;
	}
	env[n] = NULL;
	return env;
}

static void
child_limit(int res, rlim_t soft, rlim_t hard)
{
	struct rlimit rl;

	rl.rlim_cur = soft;
	rl.rlim_max = hard;
	setrlimit(res, &rl);
}

/* After fork, in the child: never returns. Async-signal-safe only. */
static void
child_exec(const char *path, char *const argv[], char **env,
    const struct sandbox_opts *o, int in, int out, int rfd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGPIPE, SIGHUP };
	struct sigaction sa;
	sigset_t none;
	size_t i;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1 ||
	    (o->work_dir != NULL && chdir(o->work_dir) == -1))
		_exit(127);
	child_limit(RLIMIT_CORE, 0, 0);
	child_limit(RLIMIT_AS, (rlim_t)o->mem_mb << 20, (rlim_t)o->mem_mb << 20);
	if (o->cpu_s > 0)
		child_limit(RLIMIT_CPU, (rlim_t)o->cpu_s, (rlim_t)o->cpu_s + 1);
	if (rfd != -1 && landlock_enter(rfd) == -1)
		_exit(127);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == -1)
#endif
		for (i = 3; i < 1024; i++)
			close((int)i);
	execve(path, argv, env);
	_exit(127);
}

/* ---- the parent ----------------------------------------------------- */

/* Words a helper stopped by the memory limit says. */
static int
out_of_memory(const char *out, size_t len)
{
	static const char *const words[] = { "out of memory", "Out of memory",
	    "memory exhausted", "Cannot allocate memory", "MemoryError",
	    "bad_alloc", "heap out of memory", NULL };
	size_t i;

	for (i = 0; words[i] != NULL && len > 0; i++)
		if (memmem(out, len, words[i], strlen(words[i])))
			return 1;
	return 0;
}

const char *
sandbox_stopped(int status, int cpu_limited, const char *out, size_t len)
{
	if (cpu_limited && status != -1 && WIFSIGNALED(status) &&
	    (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL))
		return "CPU limit";
	if (out_of_memory(out, len))
		return "memory limit";
	return NULL;
}

/* fd moved above stderr (close-on-exec), so the child's dup2 onto 0-2
 * cannot clobber it; -1 on failure (fd closed). */
static int
high_fd(int fd)
{
	int n;

	if (fd > 2)
		return fd;
	n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return n;
}

static void
close_pair(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
}

/* Two socket pairs: in[0] ours, in[1] the child's stdin; out likewise.
 * Sockets, so that writing to a child that died is EPIPE with
 * MSG_NOSIGNAL, never SIGPIPE. */
static int
make_pipes(int in[2], int out[2])
{
	int i;

	in[0] = in[1] = out[0] = out[1] = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) == -1)
		goto fail;
	for (i = 0; i < 2; i++)
		if ((in[i] = high_fd(in[i])) == -1 ||
		    (out[i] = high_fd(out[i])) == -1)
			goto fail;
	shutdown(in[1], SHUT_WR);
	shutdown(out[0], SHUT_WR);
	return 0;
fail:
	close_pair(in);
	close_pair(out);
	return -1;
}

int
sandbox_start(const char *path, char *const argv[],
    const struct sandbox_opts *o, struct sandbox_proc *sp, int *confined,
    const char **why)
{
	int in[2], out[2], rfd;
	char **env, *tmpdir;
	pid_t pid;

	memset(sp, 0, sizeof *sp);
	sp->in = sp->out = -1;
	*why = NULL;
	if (make_pipes(in, out) == -1) {
		*why = "no pipe for the checker";
		return -1;
	}
	rfd = landlock_ruleset(o, why);
	*confined = rfd != -1;
	env = child_env(o, &tmpdir);
	pid = fork();
	if (pid == 0)
		child_exec(path, argv, env, o, in[1], out[1], rfd);
	free(env);
	free(tmpdir);
	if (rfd != -1)
		close(rfd);
	close(in[1]);
	close(out[1]);
	if (pid == -1) {
		close(in[0]);
		close(out[0]);
		*why = "cannot fork";
		return -1;
	}
	setpgid(pid, pid);	/* the child does too: whoever runs first */
	live_add(pid);
	sp->pid = pid;
	sp->in = in[0];
	sp->out = out[0];
	return 0;
}

static void
close_fds(struct sandbox_proc *sp)
{
	if (sp->in != -1)
		close(sp->in);
	if (sp->out != -1)
		close(sp->out);
	sp->in = sp->out = -1;
}

static int
reap(struct sandbox_proc *sp)
{
	int status = -1;

	live_del(sp->pid);
	while (waitpid(sp->pid, &status, 0) == -1 && errno == EINTR)
		;
	sp->pid = 0;
	return status;
}

int
sandbox_kill(struct sandbox_proc *sp)
{
	if (sp->pid <= 0)
		return -1;
	kill(-sp->pid, SIGKILL);
	kill(sp->pid, SIGKILL);
	close_fds(sp);
	return reap(sp);
}

int
sandbox_end(struct sandbox_proc *sp, double wait_ms)
{
	double deadline = clock_now_ms() + wait_ms;
	siginfo_t si;
	int r;

	if (sp->pid <= 0)
		return -1;
	close_fds(sp);
	for (;;) {
		memset(&si, 0, sizeof si);
		r = waitid(P_PID, (id_t)sp->pid, &si, WEXITED | WNOHANG |
		    WNOWAIT);
		if (r == 0 && si.si_pid == sp->pid) {
			/* Ended, not reaped yet: its group id is still
			 * ours to kill what it left behind. */
			kill(-sp->pid, SIGKILL);
			return reap(sp);
		}
		if (r == -1 && errno != EINTR) {
			live_del(sp->pid);
			sp->pid = 0;
			return -1;
		}
		if (clock_now_ms() >= deadline) {
			sandbox_kill(sp);
			return -1;
		}
		usleep(5000);
	}
}
