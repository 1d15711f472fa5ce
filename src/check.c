/*
 * check.c - running the user's check command on a candidate answer.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "cancel.h"
#include "check.h"
#include "clock.h"
#include "defaults.h"
#include "log.h"
#include "sandbox.h"
#include "xdg.h"
#include "xalloc.h"

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

/* What a check command may read (and run), besides its private
 * directory: the system's directories and /etc, and each directory of
 * PATH with the prefix it lies in (~/.pyenv for ~/.pyenv/shims), unless
 * that directory is / or holds the home directory or aurarouter's own
 * files (the key file, the cache, the ledger): check_dir_ok(). */
static const char *const check_system[] = {
	"/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin",
	"/opt", "/etc", "/dev/null", "/dev/zero", "/dev/urandom",
	"/dev/random",
};
#define CHECK_NSYSTEM (sizeof check_system / sizeof check_system[0])

/* Nonzero when dir (a real path) is path or one of its parents. */
static int
check_holds(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (path == NULL)
		return 0;
	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(dir, path, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/');
}

/* May a check command read dir (a real path)? Not when it is the root,
 * or holds the home directory or one of guard[] (NULL-ended). */
static int
check_dir_ok(const char *dir, char *const *guard)
{
	size_t i;

	if (*dir == '\0' || strcmp(dir, "/") == 0)
		return 0;
	for (i = 0; guard[i] != NULL; i++)
		if (check_holds(dir, guard[i]))
			return 0;
	return 1;
}

/* The real path of the xdg_dir() (var, fallback), or of the nearest of
 * its parents that exists; owned, or NULL. */
static char *
check_real_xdg(const char *var, const char *fallback)
{
	char *d = xdg_dir(var, fallback), *r = NULL, *slash;

	while (d != NULL && (r = realpath(d, NULL)) == NULL &&
	    (slash = strrchr(d, '/')) != NULL && slash != d)
		*slash = '\0';
	free(d);
	return r;
}

/* The list of what a check command may read: NULL-terminated, owned, and
 * so are its strings from PATH (free with check_dirs_free()). */
static char **
check_dirs(void)
{
	const char *path = getenv("PATH"), *home = getenv("HOME"), *p, *colon;
	char *guard[5] = { NULL }, *d, *up;
	size_t n = 0, cap = CHECK_NSYSTEM + 1, i, g = 0;
	char **v;

	if (home != NULL && (guard[g] = realpath(home, NULL)) != NULL)
		g++;
	if ((guard[g] = check_real_xdg("XDG_CONFIG_HOME", ".config")) != NULL)
		g++;
	if ((guard[g] = check_real_xdg("XDG_STATE_HOME", ".local/state")) !=
	    NULL)
		g++;
	if ((guard[g] = check_real_xdg("XDG_CACHE_HOME", ".cache")) != NULL)
		g++;
	for (p = path; p != NULL && *p != '\0'; p++)
		cap += *p == ':' ? 2 : 0;
	v = xcalloc(cap + 2, sizeof *v);
	for (i = 0; i < CHECK_NSYSTEM; i++)
		v[n++] = xstrdup(check_system[i]);
	for (p = path; p != NULL && *p != '\0'; p = colon + 1) {
		colon = strchr(p, ':');
		d = xstrndup(p, colon ? (size_t)(colon - p) : strlen(p));
		up = d[0] == '/' ? realpath(d, NULL) : NULL;
		if (up != NULL && check_dir_ok(up, guard)) {
			v[n++] = xstrdup(up);
			*strrchr(up, '/') = '\0';
			if (!check_dir_ok(up, guard)) {
				free(up);
				up = NULL;
			}
		} else {
			free(up);
			up = NULL;
		}
		if (up != NULL)
			v[n++] = up;
		free(d);
		if (colon == NULL)
			break;
	}
	v[n] = NULL;
	for (i = 0; i < g; i++)
		free(guard[i]);
	return v;
}

static void
check_dirs_free(char **v)
{
	size_t i;

	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Reads the child's output until it ends, the deadline or *cancel (may
 * be NULL, looked at every CHECK_POLL_MS); keeps at most
 * AR_MAX_CHECK_OUTPUT bytes. Returns 1 when the deadline came first, 2
 * when the cancel did, else 0. */
#define CHECK_POLL_MS 50
static int
check_read(int fd, double deadline, const volatile int *cancel,
    struct buf *out)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char chunk[4096];
	double left;
	ssize_t n;

	for (;;) {
		if (cancel_is_set(cancel))
			return 2;
		left = deadline - clock_now_ms();
		if (left <= 0)
			return 1;
		if (cancel != NULL && left > CHECK_POLL_MS)
			left = CHECK_POLL_MS;
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

/* Runs the command in dir under sandbox.h (its own process group, no
 * key, the memory limit, and where Landlock is there reading only
 * check_dirs() and writing only in dir), waits for it (at most
 * timeout_s) and fills res. Returns 0, or -1 with e set. */
static int
check_spawn(const struct check_opts *co, const char *line, const char *dir,
    struct check_result *res, struct ar_err *e)
{
	char *argv[] = { "sh", "-c", (char *)line, NULL };
	double deadline = clock_now_ms() + co->timeout_s * 1e3;
	struct buf out = BUF_INIT;
	struct sandbox_opts o;
	struct sandbox_proc sp;
	char **dirs = check_dirs();
	const char *why;
	int confined, status = -1, stop;

	memset(&o, 0, sizeof o);
	o.read_dirs = (const char *const *)dirs;
	o.work_dir = dir;
	o.mem_mb = co->mem_mb;
	if (sandbox_start("/bin/sh", argv, &o, &sp, &confined, &why) == -1) {
		check_dirs_free(dirs);
		return err_set(e, AR_E_CHECK, "check: %s", why);
	}
	check_dirs_free(dirs);
	if (!confined)
		log_debug("check command runs with limits but unconfined: %s",
		    why);
	shutdown(sp.in, SHUT_WR);	/* its standard input is empty */
	if ((stop = check_read(sp.out, deadline, co->cancel, &out)) != 0) {
		res->timed_out = stop == 1;
		res->cancelled = stop == 2;
		sandbox_kill(&sp);
	}
	else if ((status = sandbox_end(&sp, deadline - clock_now_ms())) == -1)
		res->timed_out = 1;	/* it closed its output, kept on */
	res->passed = !stop && !res->timed_out && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
	if (!res->passed && !res->timed_out && !res->cancelled)
		res->why = sandbox_stopped(status, 0, out.s, out.len);
	res->output = buf_detach(&out);
	return 0;
}

int
check_run(const struct check_opts *o, const char *code, size_t len,
    const char *language, struct check_result *res, struct ar_err *e)
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
		line = check_command(o->cmd, path.s);
		rv = check_spawn(o, line, dir.s, res, e);
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
check_validate(const struct check_opts *o, const char *language,
    struct validate_result *vr)
{
	struct check_result cr;
	struct ar_err e;
	struct buf why = BUF_INIT;
	const char *lang = vr->language != NULL ? vr->language : language;

	if (o->cmd == NULL || !vr->valid)
		return;
	if (check_run(o, vr->code, strlen(vr->code), lang, &cr, &e) == -1) {
		buf_printf(&why, "check failed: %s", e.msg);
		check_reason(vr, &why);
		return;
	}
	if (cr.cancelled)
		buf_printf(&why, "check cancelled");
	else if (cr.timed_out)	/* no diagnostics: not for a repair */
		buf_printf(&why, "check timed out: killed after %g s "
		    "(AR_CHECK_TIMEOUT)%s%s", o->timeout_s, *cr.output ? ": " : "",
		    cr.output);
	else if (cr.why != NULL)
		/* Its output says so; the code it ran may say it too. */
		buf_printf(&why, "check failed: it may have hit the %s "
		    "(%ld MiB): %s",
		    cr.why, o->mem_mb, *cr.output ? cr.output :
		    "no output");
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
