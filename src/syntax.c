/*
 * syntax.c - the syntax checkers: the first of a language's checkers found
 * in PATH runs without a shell (sandbox.c: own process group, no API key,
 * limits, Landlock), the code on its standard input, its output captured
 * (bounded). Python and JavaScript checkers stay up, one per thread, and
 * take one answer after the other: "LEN\n" and the code in, "\036AR
 * STATUS LEN\n" and the message out.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cancel.h"
#include "clock.h"
#include "defaults.h"
#include "log.h"
#include "sandbox.h"
#include "syntax.h"
#include "xalloc.h"

#define SYNTAX_OUT_MAX	4096		/* bytes of checker output kept */
#define SYNTAX_REPLY_MAX 65536		/* a server's reply, noise included */
#define SYNTAX_POLL_MS	50		/* cancel is looked at this often */

/* The reply header of a checker server. */
#define SYNTAX_MAGIC	"\036AR "

/* Python: compile() each answer, as `python3 -c` did per file. The CPU
 * limit is moved up before each answer, so it bounds each one. */
#define SYNTAX_PY_SERVER \
	"import resource, sys\n" \
	"r, w, lim = sys.stdin.buffer, sys.stdout.buffer, int(sys.argv[1])\n" \
	"while True:\n" \
	"    h = r.readline()\n" \
	"    if not h:\n" \
	"        break\n" \
	"    src = r.read(int(h))\n" \
	"    u = resource.getrusage(resource.RUSAGE_SELF)\n" \
	"    resource.setrlimit(resource.RLIMIT_CPU, " \
	"(int(u.ru_utime + u.ru_stime) + lim, resource.RLIM_INFINITY))\n" \
	"    st, msg = 0, ''\n" \
	"    try:\n" \
	"        compile(src, '<code>', 'exec', dont_inherit=True)\n" \
	"    except MemoryError:\n" \
	"        st, msg = 2, 'MemoryError'\n" \
	"    except Exception as e:\n" \
	"        st, msg = 1, '<code>:%s: %s: %s' % (getattr(e, 'lineno', " \
	"None) or '?', type(e).__name__, getattr(e, 'msg', None) or e)\n" \
	"    m = msg.encode('utf-8', 'replace')\n" \
	"    w.write(b'\\036AR %d %d\\n' % (st, len(m)) + m)\n" \
	"    w.flush()\n"

/* JavaScript: a script is compiled as node --check does (CommonJS, in
 * the module wrapper); code with import or export lines as a module. */
#define SYNTAX_JS_SERVER \
	"const vm = require('vm'), wrap = require('module').wrap;\n" \
	"let buf = Buffer.alloc(0);\n" \
	"function check(src) {\n" \
	"  try {\n" \
	"    if (/^(import[ {]|export )/m.test(src))\n" \
	"      new vm.SourceTextModule(src, { identifier: '<code>' });\n" \
	"    else\n" \
	"      new vm.Script(wrap(src), { filename: '<code>' });\n" \
	"    return [0, ''];\n" \
	"  } catch (e) {\n" \
	"    const m = /<code>:(\\d+)/.exec(String(e.stack));\n" \
	"    return [1, '<code>:' + (m ? m[1] : '?') + ': ' + e.name + ': ' +" \
	" e.message];\n" \
	"  }\n" \
	"}\n" \
	"process.stdin.on('data', (d) => {\n" \
	"  buf = Buffer.concat([buf, d]);\n" \
	"  for (;;) {\n" \
	"    const nl = buf.indexOf(10);\n" \
	"    if (nl < 0) return;\n" \
	"    const n = Number(buf.subarray(0, nl).toString());\n" \
	"    if (buf.length < nl + 1 + n) return;\n" \
	"    const [st, msg] = check(buf.subarray(nl + 1, nl + 1 + n)" \
	".toString());\n" \
	"    buf = buf.subarray(nl + 1 + n);\n" \
	"    const m = Buffer.from(msg);\n" \
	"    process.stdout.write('\\x1eAR ' + st + ' ' + m.length + '\\n');\n" \
	"    process.stdout.write(m);\n" \
	"  }\n" \
	"});\n"

/* Stands for the time limit in a server's argv. */
static const char syntax_limit_arg[] = "LIMIT";
#define SYNTAX_LIMIT syntax_limit_arg

struct checker {
	const char *lang;
	const char *progs[4];		/* the first found in PATH is used */
	const char *args[6];		/* after the program name */
	const char *name0;		/* argv[0] if not the program's name:
					 * shells name the code by it */
	int server;			/* index + 1 of its per-thread server */
};

static const struct checker checkers[] = {
	{ "c", { "cc", "gcc", "clang", NULL },
	    { "-fsyntax-only", "-x", "c", "-", NULL }, NULL, 0 },
	{ "cpp", { "c++", "g++", "clang++", NULL },
	    { "-fsyntax-only", "-x", "c++", "-", NULL }, NULL, 0 },
	{ "python", { "python3", NULL },
	    { "-c", SYNTAX_PY_SERVER, SYNTAX_LIMIT, NULL }, NULL, 1 },
	{ "sh", { "sh", NULL }, { "-n", NULL }, "<code>", 0 },
	{ "bash", { "bash", NULL }, { "-n", NULL }, "<code>", 0 },
	{ "zsh", { "zsh", NULL }, { "-n", NULL }, "<code>", 0 },
	{ "javascript", { "node", "nodejs", NULL },
	    { "--experimental-vm-modules", "-e", SYNTAX_JS_SERVER, NULL },
	    NULL, 2 },
};
#define NSERVERS 2

/* What a checker may read besides the code: the system's toolchain
 * directories, and the tree its program lives in (filled per checker). */
static const char *const system_dirs[] = {
	"/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin",
	"/etc/ld.so.cache", "/etc/alternatives", "/etc/ssl/openssl.cnf",
	"/dev/null", "/dev/urandom",
};
#define NSYSTEM (sizeof system_dirs / sizeof system_dirs[0])

void
syntax_kill_all(void)
{
	sandbox_kill_all();
}

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

/* The directory two levels above p ("/usr" for /usr/bin/cc), owned; NULL
 * when that is the root. */
static char *
syntax_prefix(const char *p)
{
	char *s = xstrdup(p), *slash;
	int up;

	for (up = 0; up < 2; up++)
		if ((slash = strrchr(s, '/')) != NULL)
			*slash = '\0';
	if (*s == '\0' || s[0] != '/') {
		free(s);
		return NULL;
	}
	return s;
}

/* A checker to run: its path, argv and what it may read. */
struct launch {
	char *argv[8];
	const char *dirs[NSYSTEM + 3];
	char *own[2];			/* owned entries of dirs */
	char limit[16];
};

static void
launch_init(struct launch *l, const struct checker *c, const char *path)
{
	char real[PATH_MAX];
	size_t i, k = 0, d = 0;

	memset(l, 0, sizeof *l);
	snprintf(l->limit, sizeof l->limit, "%d", (int)AR_SYNTAX_TIMEOUT_S);
	l->argv[k++] = (char *)(c->name0 ? c->name0 : strrchr(path, '/') + 1);
	for (i = 0; c->args[i] != NULL; i++)
		l->argv[k++] = c->args[i] == SYNTAX_LIMIT ? l->limit :
		    (char *)c->args[i];
	l->argv[k] = NULL;
	for (i = 0; i < NSYSTEM; i++)
		l->dirs[d++] = system_dirs[i];
	if ((l->own[0] = syntax_prefix(path)) != NULL)
		l->dirs[d++] = l->own[0];
	if (realpath(path, real) != NULL &&
	    (l->own[1] = syntax_prefix(real)) != NULL)
		l->dirs[d++] = l->own[1];
	l->dirs[d] = NULL;
}

static void
launch_free(struct launch *l)
{
	free(l->own[0]);
	free(l->own[1]);
}

/* Starts checker c at path. Returns 0 or -1. */
static int
syntax_start(const struct checker *c, const char *path, int cpu_limit,
    struct sandbox_proc *sp)
{
	struct launch l;
	struct sandbox_opts o;
	const char *why;
	int confined, rc;

	launch_init(&l, c, path);
	memset(&o, 0, sizeof o);
	o.read_dirs = l.dirs;
	o.mem_mb = AR_SYNTAX_MEM_MB;
	o.cpu_s = cpu_limit ? (long)AR_SYNTAX_TIMEOUT_S : 0;
	o.c_locale = 1;
	rc = sandbox_start(path, l.argv, &o, sp, &confined, &why);
	launch_free(&l);
	if (rc == -1)
		log_debug("syntax checker %s: %s", path, why);
	else if (!confined)
		log_debug("syntax checker %s runs with limits but unconfined: "
		    "%s", path, why);
	return rc;
}

/* ---- talking to a checker ------------------------------------------- */

enum xfer { X_DONE, X_EOF, X_LATE, X_CANCELLED };

/* A reply header's "STATUS LEN" (p[0..end)): STATUS 0, 1 or 2, LEN at
 * most SYNTAX_REPLY_MAX. Returns 0, or -1 when it is not one. */
static int
reply_header(const char *p, const char *end, int *st, size_t *n)
{
	size_t k = 0;

	if (end - p < 3 || p[0] < '0' || p[0] > '2' || p[1] != ' ')
		return -1;
	*st = p[0] - '0';
	*n = 0;
	for (p += 2; p < end && *p >= '0' && *p <= '9' && k < 8; p++, k++)
		*n = *n * 10 + (size_t)(*p - '0');
	return k == 0 || p != end || *n > SYNTAX_REPLY_MAX ? -1 : 0;
}

int
syntax_reply(const char *s, size_t len, int *st, size_t *at, size_t *mlen)
{
	const char *h = s, *end = s + len, *nl;
	size_t n;

	if (len < 4)
		return 0;
	while ((h = memmem(h, (size_t)(end - h), SYNTAX_MAGIC, 4)) != NULL) {
		if ((nl = memchr(h, '\n', (size_t)(end - h))) == NULL)
			return 0;	/* the header is not whole yet */
		if (reply_header(h + 4, nl, st, &n) == 0) {
			*at = (size_t)(nl + 1 - s);
			*mlen = n;
			return len - *at >= n;
		}
		h = nl + 1;		/* noise that looked like a header */
	}
	return 0;
}

/*
 * Writes in[0..inlen) to sp->in (shutting it afterwards when shut), and
 * reads sp->out into out (at most max bytes kept) until a whole reply
 * (server) or EOF, the deadline (ms) or cancel.
 */
static enum xfer
syntax_xfer(struct sandbox_proc *sp, const char *in, size_t inlen, int shut,
    int server, struct buf *out, size_t max, double deadline,
    const volatile int *cancel)
{
	struct pollfd p[2];
	char tmp[4096];
	size_t off = 0, at, mlen;
	double left;
	ssize_t n;
	int st, np;

	if (inlen == 0 && shut)
		shutdown(sp->in, SHUT_WR);
	for (;;) {
		if (cancel_is_set(cancel))
			return X_CANCELLED;
		if ((left = deadline - clock_now_ms()) <= 0)
			return X_LATE;
		p[0].fd = sp->out;
		p[0].events = POLLIN;
		np = 1;
		if (off < inlen) {
			p[1].fd = sp->in;
			p[1].events = POLLOUT;
			np = 2;
		}
		if (poll(p, (nfds_t)np, left < SYNTAX_POLL_MS ? (int)left + 1 :
		    SYNTAX_POLL_MS) == -1 && errno != EINTR)
			return X_EOF;
		if (np == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = send(sp->in, in + off, inlen - off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0 && (off += (size_t)n) == inlen && shut)
				shutdown(sp->in, SHUT_WR);
			if (n == -1 && errno != EINTR && errno != EAGAIN)
				off = inlen;	/* it died: read what it said */
		}
		if (!(p[0].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		if ((n = read(sp->out, tmp, sizeof tmp)) == -1 &&
		    (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return X_EOF;
		if (out->len < max)
			buf_add(out, tmp, (size_t)n < max - out->len ?
			    (size_t)n : max - out->len);
		if (server && syntax_reply(out->s, out->len, &st, &at, &mlen))
			return X_DONE;
	}
}

/* Why a checker that ended with status (out its output) was stopped by a
 * limit, or NULL if it was not. */
static const char *
syntax_stopped(int status, const struct buf *out)
{
	return sandbox_stopped(status, 1, out->s, out->len);
}

/* ---- one process per answer: C, C++, shells ------------------------- */

/* A C compiler stops at a missing header: the code could not be checked. */
static int
syntax_missing_header(const struct checker *c, const struct buf *out)
{
	return (!strcmp(c->lang, "c") || !strcmp(c->lang, "cpp")) &&
	    out->len > 0 && strstr(out->s, "fatal error:") != NULL &&
	    strstr(out->s, "No such file or directory") != NULL;
}

/* Shows the compiler's name for standard input as "<code>". */
static void
syntax_name_code(struct buf *out)
{
	struct buf clean = BUF_INIT;
	const char *s, *p;

	for (s = buf_str(out); (p = strstr(s, "<stdin>")) != NULL; s = p + 7) {
		buf_add(&clean, s, (size_t)(p - s));
		buf_adds(&clean, "<code>");
	}
	buf_adds(&clean, s);
	buf_free(out);
	*out = clean;
}

static enum syntax_outcome
syntax_once(const struct checker *c, const char *path, const char *code,
    size_t len, const volatile int *cancel, struct syntax_result *sr)
{
	struct sandbox_proc sp;
	double deadline = clock_now_ms() + AR_SYNTAX_TIMEOUT_S * 1e3;
	enum xfer x;
	int status;

	if (syntax_start(c, path, 1, &sp) == -1)
		return SYNTAX_PASS;
	x = syntax_xfer(&sp, code, len, 1, 0, &sr->out, SYNTAX_OUT_MAX,
	    deadline, cancel);
	if (x != X_EOF) {
		sandbox_kill(&sp);
		sr->why = "time limit";
		return x == X_CANCELLED ? SYNTAX_CANCELLED : SYNTAX_STOPPED;
	}
	status = sandbox_end(&sp, deadline - clock_now_ms());
	if (status == -1) {
		sr->why = "time limit";
		return SYNTAX_STOPPED;
	}
	if ((sr->why = syntax_stopped(status, &sr->out)) != NULL)
		return SYNTAX_STOPPED;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127 ||
	    syntax_missing_header(c, &sr->out)) {
		log_debug("syntax check by %s skipped: %s", sr->prog,
		    WIFEXITED(status) ? "it could not judge" :
		    "it did not finish normally");
		return SYNTAX_PASS;
	}
	if ((sr->status = WEXITSTATUS(status)) == 0)
		return SYNTAX_PASS;
	syntax_name_code(&sr->out);
	return SYNTAX_REJECTED;
}

/* ---- one server per thread: Python, JavaScript ---------------------- */

struct server {
	struct sandbox_proc sp;
	char *path;		/* the program it runs, owned */
};

static pthread_key_t servers_key;
static pthread_once_t servers_once = PTHREAD_ONCE_INIT;

static void
server_stop(struct server *s)
{
	if (s->sp.pid > 0)
		sandbox_kill(&s->sp);
	free(s->path);
	s->path = NULL;
}

/* At the end of a thread: its servers go with it. */
static void
servers_free(void *arg)
{
	struct server *s = arg;
	int i;

	for (i = 0; i < NSERVERS; i++)
		server_stop(&s[i]);
	free(s);
}

static void
servers_key_make(void)
{
	pthread_key_create(&servers_key, servers_free);
}

/* The calling thread's server of checker c at path, started if needed;
 * NULL if it cannot start. */
static struct server *
server_get(const struct checker *c, const char *path)
{
	struct server *all, *s;

	pthread_once(&servers_once, servers_key_make);
	if ((all = pthread_getspecific(servers_key)) == NULL) {
		all = xcalloc(NSERVERS, sizeof *all);
		pthread_setspecific(servers_key, all);
	}
	s = &all[c->server - 1];
	if (s->sp.pid > 0 && strcmp(s->path, path) != 0)
		server_stop(s);		/* PATH changed */
	if (s->sp.pid <= 0) {
		free(s->path);
		s->path = xstrdup(path);
		if (syntax_start(c, path, 0, &s->sp) == -1) {
			free(s->path);
			s->path = NULL;
			return NULL;
		}
	}
	return s;
}

/* Takes the server's reply out of out (noise before it dropped). */
static enum syntax_outcome
server_reply(struct syntax_result *sr, struct buf *out)
{
	size_t at, mlen;
	int st;

	syntax_reply(out->s, out->len, &st, &at, &mlen);
	buf_add(&sr->out, out->s + at, mlen < SYNTAX_OUT_MAX ? mlen :
	    SYNTAX_OUT_MAX);
	if (st == 2) {
		sr->why = "memory limit";
		return SYNTAX_STOPPED;
	}
	sr->status = st;
	return st == 0 ? SYNTAX_PASS : SYNTAX_REJECTED;
}

/* The server ended (or was stopped) without a reply: why. */
static enum syntax_outcome
server_died(struct server *s, enum xfer x, struct syntax_result *sr,
    const struct buf *out)
{
	int status;

	if (x == X_LATE || x == X_CANCELLED) {
		server_stop(s);
		sr->why = "time limit";
		return x == X_LATE ? SYNTAX_STOPPED : SYNTAX_CANCELLED;
	}
	status = sandbox_end(&s->sp, 1000);
	server_stop(s);
	if ((sr->why = syntax_stopped(status, out)) != NULL)
		return SYNTAX_STOPPED;
	log_debug("syntax check by %s skipped: it ended without an answer",
	    sr->prog);
	return SYNTAX_PASS;
}

static enum syntax_outcome
syntax_served(const struct checker *c, const char *path, const char *code,
    size_t len, const volatile int *cancel, struct syntax_result *sr)
{
	struct buf req = BUF_INIT, out = BUF_INIT;
	double deadline = clock_now_ms() + AR_SYNTAX_TIMEOUT_S * 1e3;
	enum syntax_outcome rv;
	struct server *s;
	enum xfer x;

	if ((s = server_get(c, path)) == NULL)
		return SYNTAX_PASS;
	buf_printf(&req, "%zu\n", len);
	buf_add(&req, code, len);
	x = syntax_xfer(&s->sp, req.s, req.len, 0, 1, &out, SYNTAX_REPLY_MAX,
	    deadline, cancel);
	if (x == X_DONE)
		rv = server_reply(sr, &out);
	else
		rv = server_died(s, x, sr, &out);
	buf_free(&req);
	buf_free(&out);
	return rv;
}

enum syntax_outcome
syntax_check(const char *lang, const char *code, size_t len,
    const volatile int *cancel, struct syntax_result *sr)
{
	const struct checker *c;
	enum syntax_outcome rv;
	char *path;

	memset(sr, 0, sizeof *sr);
	if ((c = syntax_checker_for(lang, &path)) == NULL)
		return SYNTAX_PASS;
	snprintf(sr->prog, sizeof sr->prog, "%s", strrchr(path, '/') + 1);
	if (c->server)
		rv = syntax_served(c, path, code, len, cancel, sr);
	else
		rv = syntax_once(c, path, code, len, cancel, sr);
	if (rv == SYNTAX_STOPPED)
		log_debug("syntax check by %s stopped: %s", sr->prog, sr->why);
	free(path);
	return rv;
}

void
syntax_result_free(struct syntax_result *sr)
{
	buf_free(&sr->out);
}
