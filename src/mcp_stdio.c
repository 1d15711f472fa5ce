/*
 * mcp_stdio.c - the MCP server on stdio: one session, a message per line
 * in and out; and the signals that stop a server (both transports).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "json.h"
#include "lines.h"
#include "log.h"
#include "mcp.h"
#include "mcp_int.h"
#include "record.h"

/* -------------------------------------------------------------- stdio */

/* stdout: every message one line, flushed, under a lock. */
struct stdio_out {
	struct mcp_out out;
	pthread_mutex_t mu;	/* guards fp and failed */
	FILE *fp;
	int failed;		/* errno of the failed write, or 0 */
};

static void
stdio_send(struct mcp_out *o, struct json *msg)
{
	struct stdio_out *so = (struct stdio_out *)o;

	pthread_mutex_lock(&so->mu);
	if (!so->failed && record_write(so->fp, msg) == -1)
		so->failed = errno ? errno : EIO;
	pthread_mutex_unlock(&so->mu);
	json_free(msg);
}

static void
stdio_release(struct mcp_out *o)
{
	(void)o;
}

static int
stdio_failed(struct stdio_out *so)
{
	int failed;

	pthread_mutex_lock(&so->mu);
	failed = so->failed;
	pthread_mutex_unlock(&so->mu);
	return failed;
}

int
mcp_serve(int in_fd, int stop_fd, FILE *out, const struct mcp_opts *opts,
    struct ar_err *e)
{
	struct stdio_out so = { { stdio_send, stdio_release, 1 },
	    PTHREAD_MUTEX_INITIALIZER, out, 0 };
	struct mcp_server *s;
	struct mcp_session *ss;
	struct lines rd;
	const char *line;
	size_t len;
	enum lines_status st;
	int failed;

	err_clear(e);
	if ((s = mcp_server_new(opts, e)) == NULL)
		return -1;
	ss = mcp_session_new(s);
	lines_init(&rd, in_fd, stop_fd, MCP_MAX_MESSAGE);
	while (!stdio_failed(&so) && (st = lines_next(&rd, &line, &len)) !=
	    LINES_END) {
		if (st == LINES_LONG)
			mcp_send_error(&so.out, NULL, MCP_PARSE_ERROR, NULL,
			    "Parse error: a message is longer than %u bytes",
			    MCP_MAX_MESSAGE);
		else
			mcp_session_line(ss, line, len, &so.out);
	}
	log_debug("%s; stopping", rd.stopped ? "stopped by a signal" :
	    "end of input");
	mcp_session_free(ss);
	mcp_server_free(s);
	failed = stdio_failed(&so);
	lines_free(&rd);
	if (rd.error)
		err_set(e, AR_E_BAD_INPUT, "read error on standard input");
	else if (failed)
		err_set(e, AR_E_BAD_INPUT, "write error on standard output: %s",
		    strerror(failed));
	return rd.error || failed ? -1 : 0;
}

/* SIGTERM and SIGINT write here; the server stops when it is readable. */
static int stop_pipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	/* A full pipe means a stop is pending anyway. */
	(void)!write(stop_pipe[1], &c, 1);
	errno = saved;
}

int
mcp_stop_on_signals(struct ar_err *e)
{
	struct sigaction sa;

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return err_set(e, AR_E_CONFIG, "pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return err_set(e, AR_E_CONFIG, "sigaction: %s",
		    strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	return stop_pipe[0];
}
