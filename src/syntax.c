/*
 * syntax.c - the syntax checkers: the first of a language's checkers found
 * in PATH runs without a shell on a temporary file holding the code, with
 * stdin from /dev/null, its output captured (bounded), no API key in its
 * environment, in its own process group, killed at the time limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "defaults.h"
#include "log.h"
#include "syntax.h"
#include "xalloc.h"

extern char **environ;

#define SYNTAX_OUT_MAX	4096		/* bytes of checker output kept */

/* Stands for the temporary file in a checker's argv. */
static const char syntax_file_arg[] = "FILE";
#define SYNTAX_FILE syntax_file_arg

#define SYNTAX_PY_CHECK \
	"import sys\n" \
	"p = sys.argv[1]\n" \
	"try:\n" \
	"    compile(open(p, 'rb').read(), p, 'exec', dont_inherit=True)\n" \
	"except (SyntaxError, ValueError) as e:\n" \
	"    sys.stderr.write('%s:%s: %s: %s\\n' % (p, " \
	"getattr(e, 'lineno', None) or '?', type(e).__name__, " \
	"getattr(e, 'msg', None) or e))\n" \
	"    sys.exit(1)\n"

struct checker {
	const char *lang;
	const char *suffix;
	const char *progs[4];		/* the first found in PATH is used */
	const char *args[6];		/* after the program name */
};

static const struct checker checkers[] = {
	{ "c", ".c", { "cc", "gcc", "clang", NULL },
	    { "-fsyntax-only", "-x", "c", SYNTAX_FILE, NULL } },
	{ "cpp", ".cpp", { "c++", "g++", "clang++", NULL },
	    { "-fsyntax-only", "-x", "c++", SYNTAX_FILE, NULL } },
	{ "python", ".py", { "python3", NULL },
	    { "-c", SYNTAX_PY_CHECK, SYNTAX_FILE, NULL } },
	{ "sh", ".sh", { "sh", NULL }, { "-n", SYNTAX_FILE, NULL } },
	{ "bash", ".sh", { "bash", NULL }, { "-n", SYNTAX_FILE, NULL } },
	{ "zsh", ".zsh", { "zsh", NULL }, { "-n", SYNTAX_FILE, NULL } },
	{ "javascript", ".js", { "node", "nodejs", NULL },
	    { "--check", SYNTAX_FILE, NULL } },
};

/* The full path of an executable prog found in $PATH, owned; or NULL. */
static char *
syntax_which(const char *prog)
{
	const char *path = getenv("PATH"), *p, *colon;
	struct buf b = BUF_INIT;
	struct stat st;
	size_t n;

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = colon + 1) {
		colon = strchr(p, ':');
		n = colon ? (size_t)(colon - p) : strlen(p);
		buf_reset(&b);
		if (n == 0)
			buf_addc(&b, '.');
		else
			buf_add(&b, p, n);
		buf_printf(&b, "/%s", prog);
		if (stat(buf_str(&b), &st) == 0 && S_ISREG(st.st_mode) &&
		    access(buf_str(&b), X_OK) == 0)
			return buf_detach(&b);
		if (colon == NULL)
			break;
	}
	buf_free(&b);
	return NULL;
}

/* The child's environment: ours, less any API key, in the C locale.
 * The array is owned; its strings are borrowed. */
static char **
syntax_env(void)
{
	char **env;
	size_t i, n = 0;

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		;
	env = xcalloc(i + 2, sizeof *env);
	for (i = 0; environ != NULL && environ[i] != NULL; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t k = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);

		if (memmem(environ[i], k, "API_KEY", 7) != NULL ||
		    (k == 6 && !memcmp(environ[i], "LC_ALL", 6)))
			continue;
		env[n++] = environ[i];
	}
	env[n++] = "LC_ALL=C";
	env[n] = NULL;
	return env;
}

/* Reads fd until EOF or the deadline (ms), keeping SYNTAX_OUT_MAX bytes.
 * Returns 0 at EOF, 1 at the deadline. */
static int
syntax_drain(int fd, struct buf *out, double deadline)
{
	struct pollfd pfd;
	char tmp[4096];
	double left;
	ssize_t n;
	int r;

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if ((left = deadline - clock_now_ms()) <= 0)
			return 1;
		r = poll(&pfd, 1, (int)left + 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 1 : 0;
		n = read(fd, tmp, sizeof tmp);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return 0;
		if (out->len < SYNTAX_OUT_MAX)
			buf_add(out, tmp, (size_t)n < SYNTAX_OUT_MAX - out->len ?
			    (size_t)n : SYNTAX_OUT_MAX - out->len);
	}
}

/* Waits for pid until the deadline (ms). Returns 0 (status set) or 1. */
static int
syntax_wait(pid_t pid, int *status, double deadline)
{
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1 && errno != EINTR) {
			*status = -1;
			return 0;
		}
		if (clock_now_ms() >= deadline)
			return 1;
		usleep(10000);
	}
}

static int
syntax_spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr,
    int outfd)
{
	sigset_t none, def;

	posix_spawn_file_actions_init(fa);
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, outfd, 1);
	posix_spawn_file_actions_adddup2(fa, outfd, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	posix_spawn_file_actions_addclosefrom_np(fa, 3);
#endif
	posix_spawnattr_init(attr);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &def);
	posix_spawnattr_setpgroup(attr, 0);
	return posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
}

/* fd itself when it is above stderr, else a close-on-exec copy that is
 * (so the child's dup2 onto 0, 1 and 2 cannot clobber it). */
static int
syntax_high_fd(int fd)
{
	int n;

	if (fd > 2)
		return fd;
	n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return n;
}

/*
 * Runs path with argv (no shell), stdin from /dev/null, stdout and stderr
 * into out. Returns 0 when it finished (*status from waitpid), 1 when it
 * ran out of time (killed), -1 when it could not be started.
 */
static int
syntax_run(const char *path, char *const argv[], struct buf *out, int *status)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	double deadline = clock_now_ms() + AR_SYNTAX_TIMEOUT_S * 1e3;
	char **env;
	pid_t pid;
	int fds[2], rc, late;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	fds[0] = syntax_high_fd(fds[0]);
	fds[1] = syntax_high_fd(fds[1]);
	if (fds[0] == -1 || fds[1] == -1) {
		if (fds[0] != -1)
			close(fds[0]);
		if (fds[1] != -1)
			close(fds[1]);
		return -1;
	}
	syntax_spawn_setup(&fa, &attr, fds[1]);
	env = syntax_env();
	rc = posix_spawn(&pid, path, &fa, &attr, argv, env);
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return -1;
	}
	late = syntax_drain(fds[0], out, deadline);
	close(fds[0]);
	if (!late)
		late = syntax_wait(pid, status, deadline);
	if (late) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, status, 0) == -1 && errno == EINTR)
			;
	}
	return late;
}

/* Writes s[0..len) and a newline to a new temporary file with suffix;
 * returns its fd-less path (owned) or NULL. */
static char *
syntax_tempfile(const char *s, size_t len, const char *suffix)
{
	const char *dir = getenv("TMPDIR");
	struct buf b = BUF_INIT;
	size_t off = 0;
	ssize_t n;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	buf_printf(&b, "%s/ar-validate-XXXXXX%s", dir, suffix);
	if ((fd = mkostemps(b.s, (int)strlen(suffix), O_CLOEXEC)) == -1) {
		buf_free(&b);
		return NULL;
	}
	while (off <= len) {
		n = off < len ? write(fd, s + off, len - off) : write(fd, "\n", 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (close(fd) == -1 || off <= len) {
		unlink(b.s);
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static const struct checker *
syntax_checker_for(const char *lang, char **path)
{
	size_t i, k;

	*path = NULL;
	for (i = 0; i < sizeof checkers / sizeof checkers[0]; i++) {
		if (strcmp(lang, checkers[i].lang) != 0)
			continue;
		for (k = 0; checkers[i].progs[k] != NULL; k++)
			if ((*path = syntax_which(checkers[i].progs[k])) != NULL)
				return &checkers[i];
	}
	return NULL;
}

/* node reads a .js file as CommonJS; ES module syntax needs .mjs. */
static const char *
syntax_suffix(const struct checker *c, const char *code)
{
	const char *p;

	if (strcmp(c->lang, "javascript") != 0)
		return c->suffix;
	for (p = code; p != NULL; p = strchr(p, '\n')) {
		p += *p == '\n';
		if (!strncmp(p, "import ", 7) || !strncmp(p, "export ", 7) ||
		    !strncmp(p, "import{", 7))
			return ".mjs";
	}
	return c->suffix;
}

/* A C compiler stops at a missing header: the code could not be checked. */
static int
syntax_missing_header(const struct checker *c, const struct buf *out)
{
	return (!strcmp(c->lang, "c") || !strcmp(c->lang, "cpp")) &&
	    out->len > 0 && strstr(out->s, "fatal error:") != NULL &&
	    strstr(out->s, "No such file or directory") != NULL;
}

/* Runs checker c (at path) on code in a temporary file. Returns what
 * syntax_run() returns; the output is in out, the file's name in *tmp. */
static int
syntax_run_checker(const struct checker *c, const char *path, const char *code,
    size_t len, struct buf *out, int *status, char **tmp)
{
	char *argv[8];
	size_t i, k = 0;
	int rc;

	if ((*tmp = syntax_tempfile(code, len, syntax_suffix(c, code))) == NULL)
		return -1;
	argv[k++] = strrchr(path, '/') + 1;
	for (i = 0; c->args[i] != NULL; i++)
		argv[k++] = (char *)(c->args[i] == SYNTAX_FILE ? *tmp : c->args[i]);
	argv[k] = NULL;
	rc = syntax_run(path, argv, out, status);
	unlink(*tmp);
	return rc;
}

/* Replaces every copy of the temporary file's name in out with "<code>":
 * the name means nothing to the reader of a reason. */
static void
syntax_hide_path(struct buf *out, const char *tmp)
{
	struct buf clean = BUF_INIT;
	const char *s, *p;
	size_t tl = strlen(tmp);

	for (s = buf_str(out); (p = strstr(s, tmp)) != NULL; s = p + tl) {
		buf_add(&clean, s, (size_t)(p - s));
		buf_adds(&clean, "<code>");
	}
	buf_adds(&clean, s);
	buf_free(out);
	*out = clean;
}

int
syntax_check(const char *lang, const char *code, size_t len,
    struct syntax_result *sr)
{
	const struct checker *c;
	char *path, *tmp = NULL;
	const char *skip = NULL;
	int status = 0, rc;

	memset(sr, 0, sizeof *sr);
	if ((c = syntax_checker_for(lang, &path)) == NULL)
		return 0;
	snprintf(sr->prog, sizeof sr->prog, "%s", strrchr(path, '/') + 1);
	rc = syntax_run_checker(c, path, code, len, &sr->out, &status, &tmp);
	if (rc == 1)
		skip = "timed out";
	else if (rc == -1)
		skip = "could not run it";
	else if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
		skip = "it did not finish normally";
	else if (syntax_missing_header(c, &sr->out))
		skip = "a header is missing";
	if (skip != NULL)
		log_debug("syntax check by %s skipped: %s", sr->prog, skip);
	else if ((sr->status = WEXITSTATUS(status)) != 0)
		syntax_hide_path(&sr->out, tmp);
	free(tmp);
	free(path);
	return skip == NULL && sr->status != 0;
}

void
syntax_result_free(struct syntax_result *sr)
{
	buf_free(&sr->out);
}
