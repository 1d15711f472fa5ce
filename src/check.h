/*
 * check.h - the user's check command (AR_CHECK, --check): a linter,
 * compiler, type checker or test command run on each candidate answer.
 *
 * The command runs as `sh -c CMD` with "{}" in CMD replaced by the path of
 * a temporary file holding the code (with the language's usual extension),
 * else with that path appended; in a private temporary directory (its
 * working directory and TMPDIR, removed afterwards), with an empty stdin
 * and without any API key or token in its environment. It is started by
 * sandbox.h, as the syntax checkers are: its own process group, an
 * address space of mem_mb MiB (AR_CHECK_MEM_MB), and where the kernel has
 * Landlock it writes only in its private directory (and /dev/null) and
 * reads only there, in the system's directories (/usr, /lib*, /bin, /sbin,
 * /opt, /etc, a few /dev files) and in each directory of PATH with the
 * prefix it lies in, unless that is / or holds $HOME or aurarouter's
 * configuration, state or cache. After the time limit, or once the cancel
 * flag is set, its whole process group is killed and the check fails.
 */
#ifndef AR_CHECK_H
#define AR_CHECK_H

#include "err.h"
#include "validate.h"

/* A check command and its limits. */
struct check_opts {
	const char *cmd;		/* AR_CHECK; NULL: no check */
	double timeout_s;		/* AR_CHECK_TIMEOUT */
	long mem_mb;			/* AR_CHECK_MEM_MB, address space */
	const volatile int *cancel;	/* may be NULL: once set (cancel.h)
					 * the command's group is killed */
};

struct check_result {
	int passed;		/* exited 0 in time */
	int timed_out;		/* killed at the time limit */
	int cancelled;		/* killed because *cancel was set */
	const char *why;	/* "memory limit" when it failed for want of
				 * memory, else NULL; static */
	char *output;		/* stdout and stderr, at most AR_MAX_CHECK_OUTPUT
				 * bytes (owned, NUL-terminated, never NULL) */
};

/*
 * Runs cmd on code[0..len) for language (may be NULL: extension ".txt").
 * Returns 0 with res filled (passed or not), or -1 with e set when the
 * command could not be run at all (no temporary directory, fork failed).
 * Thread-safe. Free res with check_result_free().
 */
int check_run(const struct check_opts *o, const char *code, size_t len,
    const char *language, struct check_result *res, struct ar_err *e);
void check_result_free(struct check_result *res);

/* The usual file name extension of language (".py" for "python"), or
 * ".txt". Static string. */
const char *check_extension(const char *language);

/*
 * Runs cmd on the code of a valid vr and, when it does not pass, makes vr
 * invalid with the reason "check failed: <its output>" (or "check failed:
 * <why it could not run>", or "check timed out: killed after N s" when it
 * was killed at the time limit). Does nothing when vr is invalid already
 * or cmd is NULL.
 */
void check_validate(const struct check_opts *o, const char *language,
    struct validate_result *vr);

#endif
