/*
 * sandbox.h - running an untrusted-input helper (a syntax checker): its
 * own process group, no API key in its environment, limits on memory and
 * CPU, and on Linux a Landlock domain in which it can read and run only
 * the files under the directories it is given. Every group it starts is
 * known, so sandbox_kill_all() can end them all from a signal handler.
 */
#ifndef AR_SANDBOX_H
#define AR_SANDBOX_H
#include <stddef.h>
#include <sys/types.h>

struct sandbox_proc {
	pid_t pid;		/* also its process group; 0 when none */
	int in;			/* its standard input (we write), or -1 */
	int out;		/* its standard output and error (we read) */
};

struct sandbox_opts {
	const char *const *read_dirs;	/* NULL-terminated: what it may read */
	const char *work_dir;		/* NULL: writing is not restricted.
					 * Else its working directory and its
					 * TMPDIR, and the only place it may
					 * write (besides /dev/null) */
	long mem_mb;			/* RLIMIT_AS, MiB */
	long cpu_s;			/* RLIMIT_CPU soft limit, s; its hard
					 * limit is one more (0: no limit) */
	int c_locale;			/* run it with LC_ALL=C */
};

/*
 * Starts path with argv (no shell) in a new process group, stdin and
 * stdout/stderr on pipes (sp->in, sp->out), every other descriptor
 * closed, SIGINT/SIGTERM/SIGPIPE at their defaults, and no API key or
 * AR_MCP_TOKEN in its environment. Returns 0, or -1 with
 * *why set (static text). *confined tells whether Landlock confines it
 * (0 where the kernel lacks Landlock: then only the limits apply).
 */
int sandbox_start(const char *path, char *const argv[],
    const struct sandbox_opts *o, struct sandbox_proc *sp, int *confined,
    const char **why);

/* Kills sp's process group, closes its pipes and reaps it; returns its
 * wait status. */
int sandbox_kill(struct sandbox_proc *sp);

/* Closes sp's pipes and reaps it (it is expected to end); returns its
 * wait status, or -1 if it did not end within wait_ms (then killed). */
int sandbox_end(struct sandbox_proc *sp, double wait_ms);

/* Why a helper that ended with status (a wait status, or -1) having said
 * out[0..len) was stopped by a limit: "CPU limit" (cpu_limited: it runs
 * under a CPU limit, so SIGXCPU or SIGKILL is that limit) or "memory
 * limit" (it says it ran out); static. NULL when it was not. */
const char *sandbox_stopped(int status, int cpu_limited, const char *out,
    size_t len);

/* Kills every process group sandbox_start() started that is not reaped
 * yet. Async-signal-safe. */
void sandbox_kill_all(void);

/* Whether Landlock is there: its ABI version, or 0 (why says why). */
int sandbox_landlock_abi(const char **why);

#endif
