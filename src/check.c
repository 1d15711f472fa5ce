/*
 * check.c - running the user's check command on a candidate answer.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "clock.h"
#include "defaults.h"
#include "xalloc.h"

extern char **environ;

/* Variables a check command never sees, besides any whose name holds
 * "API_KEY" (as for the syntax checkers). */
static const char *const check_secret_vars[] = {
	"GOOGLE_API_KEY", "GEMINI_API_KEY", "OPENAI_API_KEY", "AR_MCP_TOKEN",
	NULL
};

static const struct {
	const char *lang, *ext;
} check_exts[] = {
	{ "bash", ".sh" }, { "c", ".c" }, { "c++", ".cpp" },
	{ "cpp", ".cpp" }, { "cs", ".cs" }, { "csharp", ".cs" },
	{ "css", ".css" }, { "go", ".go" }, { "h", ".h" },
	{ "html", ".html" }, { "java", ".java" }, { "javascript", ".js" },
	{ "js", ".js" }, { "json", ".json" }, { "kotlin", ".kt" },
	{ "lua", ".lua" }, { "perl", ".pl" }, { "php", ".php" },
	{ "py", ".py" }, { "python", ".py" }, { "python3", ".py" },
	{ "rb", ".rb" }, { "ruby", ".rb" }, { "rust", ".rs" },
	{ "sh", ".sh" }, { "shell", ".sh" }, { "sql", ".sql" },
	{ "swift", ".swift" }, { "ts", ".ts" }, { "typescript", ".ts" },
	{ "yaml", ".yaml" }, { "zsh", ".sh" },
};

const char *
check_extension(const char *language)
{
	size_t i;

	for (i = 0; language != NULL && i < sizeof check_exts /
	    sizeof check_exts[0]; i++)
		if (strcasecmp(language, check_exts[i].lang) == 0)
			return check_exts[i].ext;
	return ".txt";
}

void
check_result_free(struct check_result *res)
{
	free(res->output);
	res->output = NULL;
}

/* The command line: cmd with every "{}" replaced by the quoted path, or
 * the path appended. path holds no quote (we made it). Owned. */
static char *
check_command(const char *cmd, const char *path)
{
	struct buf b = BUF_INIT;
	const char *p = cmd, *q;

	if (strstr(cmd, "{}") == NULL) {
		buf_printf(&b, "%s '%s'", cmd, path);
		return buf_detach(&b);
	}
	while ((q = strstr(p, "{}")) != NULL) {
		buf_add(&b, p, (size_t)(q - p));
		buf_printf(&b, "'%s'", path);
		p = q + 2;
	}
	buf_adds(&b, p);
	return buf_detach(&b);
}

static int
is_secret(const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t i, n;

	if (eq != NULL && memmem(entry, (size_t)(eq - entry), "API_KEY", 7))
		return 1;
	for (i = 0; check_secret_vars[i] != NULL; i++) {
		n = strlen(check_secret_vars[i]);
		if (strncmp(entry, check_secret_vars[i], n) == 0 &&
		    entry[n] == '=')
			return 1;
	}
	return 0;
}

/* The environment less the secrets, built before fork (the child of a
 * threaded process may only call async-signal-safe functions). The array
 * is owned, its strings borrowed from environ. */
static char **
check_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 1, sizeof *env);
	for (n = 0; environ[n] != NULL; n++)
		if (!is_secret(environ[n]))
			env[k++] = environ[n];
	return env;
}

/* In the child: its own process group, no blocked or ignored signals,
 * output into the pipe, the private directory as working directory, then
 * the shell. Only async-signal-safe calls: the parent may have threads. */
static void
check_child(int outfd, const char *dir, const char *line, char **env)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction dfl;
	sigset_t none;
	char *argv[] = { "sh", "-c", (char *)line, NULL };
	size_t i;
	int null;

	setpgid(0, 0);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	null = open("/dev/null", O_RDONLY);
	if (null == -1 || dup2(null, 0) == -1 || dup2(outfd, 1) == -1 ||
	    dup2(outfd, 2) == -1 || chdir(dir) == -1)
		_exit(127);
	closefrom(3);
	execve("/bin/sh", argv, env);
	_exit(127);
}

/* Reads the child's output until it ends or the deadline; keeps at most
 * AR_MAX_CHECK_OUTPUT bytes. Returns 1 when the deadline came first. */
static int
check_read(int fd, double deadline, struct buf *out)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char chunk[4096];
	double left;
	ssize_t n;

	for (;;) {
		left = deadline - clock_now_ms();
		if (left <= 0)
			return 1;
		if (poll(&pfd, 1, left > 1e6 ? 1000000 : (int)left + 1) == -1) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (pfd.revents == 0)
			continue;
		if ((n = read(fd, chunk, sizeof chunk)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (out->len < AR_MAX_CHECK_OUTPUT)
			buf_add(out, chunk, (size_t)n < AR_MAX_CHECK_OUTPUT -
			    out->len ? (size_t)n : AR_MAX_CHECK_OUTPUT - out->len);
	}
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Writes code into dir/code.EXT; returns 0 or -1. */
static int
check_write(const char *path, const char *code, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t n;
	size_t off = 0;

	if (fd == -1)
		return -1;
	while (off < len) {
		if ((n = write(fd, code + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

/* Forks the command in dir, waits for it (at most timeout_s) and fills
 * res. Returns 0, or -1 with e set. */
static int
check_spawn(const char *line, const char *dir, double timeout_s,
    struct check_result *res, struct ar_err *e)
{
	struct buf out = BUF_INIT;
	char **env = check_env();
	int fds[2], status = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		free(env);
		return err_set(e, AR_E_CHECK, "check: pipe: %s", strerror(errno));
	}
	if ((pid = fork()) == 0)
		check_child(fds[1], dir, line, env);
	free(env);
	close(fds[1]);
	if (pid == -1) {
		close(fds[0]);
		return err_set(e, AR_E_CHECK, "check: fork: %s", strerror(errno));
	}
	setpgid(pid, pid);	/* also here, so the kill below cannot miss */
	res->timed_out = check_read(fds[0], clock_now_ms() + timeout_s * 1e3,
	    &out);
	close(fds[0]);
	kill(-pid, SIGKILL);	/* anything it left behind */
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	res->passed = !res->timed_out && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
	res->output = buf_detach(&out);
	return 0;
}

int
check_run(const char *cmd, const char *code, size_t len, const char *language,
    double timeout_s, struct check_result *res, struct ar_err *e)
{
	const char *tmp = getenv("TMPDIR");
	struct buf dir = BUF_INIT, path = BUF_INIT;
	char *line;
	int rv;

	memset(res, 0, sizeof *res);
	buf_printf(&dir, "%s/ar-check.XXXXXX", tmp != NULL && *tmp == '/' ?
	    tmp : "/tmp");
	if (mkdtemp(dir.s) == NULL) {
		rv = err_set(e, AR_E_CHECK, "check: cannot make a temporary "
		    "directory: %s", strerror(errno));
		buf_free(&dir);
		return rv;
	}
	buf_printf(&path, "%s/code%s", dir.s, check_extension(language));
	if (check_write(path.s, code, len) == -1)
		rv = err_set(e, AR_E_CHECK, "check: cannot write %s: %s",
		    path.s, strerror(errno));
	else {
		line = check_command(cmd, path.s);
		rv = check_spawn(line, dir.s, timeout_s, res, e);
		free(line);
	}
	nftw(dir.s, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	buf_free(&dir);
	buf_free(&path);
	return rv;
}

/* Adds a reason to vr, making it invalid. */
static void
check_reason(struct validate_result *vr, struct buf *why)
{
	vr->reasons = xrealloc(vr->reasons,
	    (vr->n_reasons + 1) * sizeof *vr->reasons);
	vr->reasons[vr->n_reasons++] = buf_detach(why);
	vr->valid = 0;
}

void
check_validate(const char *cmd, double timeout_s, const char *language,
    struct validate_result *vr)
{
	struct check_result cr;
	struct ar_err e;
	struct buf why = BUF_INIT;
	const char *lang = vr->language != NULL ? vr->language : language;

	if (cmd == NULL || !vr->valid)
		return;
	if (check_run(cmd, vr->code, strlen(vr->code), lang, timeout_s, &cr,
	    &e) == -1) {
		buf_printf(&why, "check failed: %s", e.msg);
		check_reason(vr, &why);
		return;
	}
	if (cr.timed_out)	/* no diagnostics: not for a repair */
		buf_printf(&why, "check timed out: killed after %g s "
		    "(AR_CHECK_TIMEOUT)%s%s", timeout_s, *cr.output ? ": " : "",
		    cr.output);
	else if (!cr.passed)
		buf_printf(&why, "check failed: %s", *cr.output ? cr.output :
		    "exit status not 0, no output");
	while (why.len > 0 && (why.s[why.len - 1] == '\n' ||
	    why.s[why.len - 1] == ' ' || why.s[why.len - 1] == '\r'))
		why.s[--why.len] = '\0';
	if (why.len)
		check_reason(vr, &why);
	check_result_free(&cr);
}
