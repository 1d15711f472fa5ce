/*
 * mcp.c - the MCP server: JSON-RPC framing, lifecycle, the workers that
 * run tool calls, progress and cancellation. The tool itself (its schema,
 * arguments and result) is in mcp_tool.c.
 *
 * The calling thread reads stdin and answers every message at once, except
 * a tools/call, which it queues for a pool of workers (each with its own
 * struct route, so backend connections stay alive). A worker sends the
 * call's progress notifications and then its response; every write takes
 * the output lock, so messages never interleave. A cancelled call is
 * aborted through route_hooks.cancel and never answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "defaults.h"
#include "err.h"
#include "json.h"
#include "lines.h"
#include "log.h"
#include "mcp.h"
#include "mcp_tool.h"
#include "record.h"
#include "route.h"
#include "xalloc.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* JSON-RPC error codes. */
#define RPC_PARSE_ERROR		-32700
#define RPC_INVALID_REQUEST	-32600
#define RPC_METHOD_NOT_FOUND	-32601
#define RPC_INVALID_PARAMS	-32602

#define MCP_MAX_MESSAGE	AR_MAX_RECORD	/* one incoming line, bytes */
#define MCP_PROGRESS_MS	250.0	/* at most one token update per this */

/* Supported protocol versions, newest first: a client asking for one of
 * them gets it back; any other gets the first. */
static const char *const mcp_versions[] = {
	"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL
};

static const char mcp_instructions[] =
    "AuraRouter writes code. Call intelligent_code_gen whenever you need "
    "new code written (a function, a class, a script, a test, a fix or "
    "rewrite of a snippet): describe the task in plain words, name the "
    "language, and pass any existing code the task refers to as "
    "file_context. It runs a local model first, checks the answer (syntax, "
    "truncation, refusals) and falls back to Gemini in the cloud when the "
    "local model is unavailable, too slow or wrong. It returns only the "
    "code, without prose or Markdown fences, ready to write to a file.";

enum call_state { CALL_QUEUED, CALL_RUNNING };

/* One tools/call from the time it is queued until it is answered. */
struct call {
	struct call *next;
	struct server *srv;
	struct json *id;	/* owned copy of the request id */
	struct json *token;	/* owned copy of _meta.progressToken, or NULL */
	struct json *rec;	/* owned: the record routed */
	enum call_state state;
	volatile int cancel;	/* route_hooks.cancel; set under srv->mu */
	long progress;		/* the last progress value sent */
	const char *phase;	/* the last phase sent */
	double sent_ms;		/* when the last progress was sent */
};

struct server {
	const struct mcp_opts *opts;
	struct json *tool;	/* owned: mcp_tool_def() */
	int initialized;	/* reader thread only */

	pthread_mutex_t out_mu;	/* guards out and out_failed */
	FILE *out;
	int out_failed;		/* errno of the failed write, or 0 */

	pthread_mutex_t mu;	/* guards calls, state, cancel, stopping */
	pthread_cond_t cv;	/* a call was queued, or stopping */
	struct call *calls;	/* in arrival order */
	int stopping;
	pthread_t workers[MCP_WORKERS];
	int nworkers;
};

/* ------------------------------------------------------------ output */

/* Writes msg (taken) as one line and flushes, under the output lock. */
static void
send_msg(struct server *s, struct json *msg)
{
	pthread_mutex_lock(&s->out_mu);
	if (!s->out_failed && record_write(s->out, msg) == -1)
		s->out_failed = errno ? errno : EIO;
	pthread_mutex_unlock(&s->out_mu);
	json_free(msg);
}

static int
out_failed(struct server *s)
{
	int failed;

	pthread_mutex_lock(&s->out_mu);
	failed = s->out_failed;
	pthread_mutex_unlock(&s->out_mu);
	return failed;
}

/* {"jsonrpc":"2.0","id":id}; id omitted when NULL. */
static struct json *
msg_new(const struct json *id)
{
	struct json *m = json_object();

	json_obj_set(m, "jsonrpc", json_stringz("2.0"));
	if (id != NULL)
		json_obj_set(m, "id", json_copy(id));
	return m;
}

static void
reply(struct server *s, const struct json *id, struct json *result)
{
	struct json *m = msg_new(id);

	json_obj_set(m, "result", result);
	send_msg(s, m);
}

static void __attribute__((format(printf, 4, 5)))
reply_error(struct server *s, const struct json *id, int code,
    const char *fmt, ...)
{
	struct json *m = msg_new(id), *err = json_object();
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	json_obj_set(err, "code", json_int(code));
	json_obj_set(err, "message", json_string(buf_str(&msg), msg.len));
	json_obj_set(m, "error", err);
	send_msg(s, m);
	buf_free(&msg);
}

/* --------------------------------------------------------------- ids */

/* A request id is a string or an integer (never null, bool or float). */
static int
id_valid(const struct json *id)
{
	if (id->type == JSON_STRING)
		return 1;
	return id->type == JSON_NUMBER && strpbrk(id->s, ".eE") == NULL;
}

/* Same JSON type and same text: 7 and "7" are different ids. */
static int
id_equal(const struct json *a, const struct json *b)
{
	return a->type == b->type && a->len == b->len &&
	    memcmp(a->s, b->s, a->len) == 0;
}

/* ------------------------------------------------------------- calls */

static struct call *
call_new(struct server *s, const struct json *id, const struct json *token,
    struct json *rec)
{
	struct call *c = xcalloc(1, sizeof *c);

	c->srv = s;
	c->id = json_copy(id);
	c->token = token != NULL ? json_copy(token) : NULL;
	c->rec = rec;
	c->state = CALL_QUEUED;
	return c;
}

static void
call_free(struct call *c)
{
	json_free(c->id);
	json_free(c->token);
	json_free(c->rec);
	free(c);
}

/* The live call with this id, or NULL. Under s->mu. */
static struct call *
call_find(struct server *s, const struct json *id)
{
	struct call *c;

	for (c = s->calls; c != NULL; c = c->next)
		if (id_equal(c->id, id))
			return c;
	return NULL;
}

/* Removes c from the list of live calls. Under s->mu. */
static void
call_unlink(struct server *s, struct call *c)
{
	struct call **pp;

	for (pp = &s->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

/* Appends c to the live calls and wakes a worker. Returns -1 (and does
 * not take c) when a live call already has that id. */
static int
call_queue(struct server *s, struct call *c)
{
	struct call **pp;

	pthread_mutex_lock(&s->mu);
	if (call_find(s, c->id) != NULL) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	for (pp = &s->calls; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = c;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* Cancels c: a queued call is dropped, a running one is aborted by its
 * worker and not answered. Under s->mu. */
static void
call_cancel(struct server *s, struct call *c)
{
	/* Atomic: the worker's backend reads it without the lock. */
	__atomic_store_n(&c->cancel, 1, __ATOMIC_SEQ_CST);
	if (c->state == CALL_QUEUED) {
		call_unlink(s, c);
		call_free(c);
	}
}

/* --------------------------------------------------------- progress */

/* route_hooks.phase: a progress notification, when the client asked for
 * them. Token updates within one phase are rate-limited. */
static void
call_phase(void *ctx, const char *phase, long tokens)
{
	struct call *c = ctx;
	double now = clock_now_ms();
	struct json *m, *params;
	struct buf text = BUF_INIT;

	if (c->token == NULL || __atomic_load_n(&c->cancel, __ATOMIC_SEQ_CST))
		return;
	if (phase == c->phase && tokens > 0 &&
	    now - c->sent_ms < MCP_PROGRESS_MS)
		return;
	c->phase = phase;
	c->sent_ms = now;
	buf_adds(&text, phase);
	if (tokens > 0)
		buf_printf(&text, " (%ld tokens)", tokens);
	params = json_object();
	json_obj_set(params, "progressToken", json_copy(c->token));
	json_obj_set(params, "progress", json_int(++c->progress));
	json_obj_set(params, "message", json_string(buf_str(&text), text.len));
	m = msg_new(NULL);
	json_obj_set(m, "method", json_stringz("notifications/progress"));
	json_obj_set(m, "params", params);
	send_msg(c->srv, m);
	buf_free(&text);
}

/* --------------------------------------------------------------- tool *//* ------------------------------------------------------------ workers */

/* The oldest queued call, now running; NULL when stopping. */
static struct call *
call_next(struct server *s)
{
	struct call *c = NULL;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		for (c = s->calls; c != NULL; c = c->next)
			if (c->state == CALL_QUEUED)
				break;
		if (c != NULL) {
			c->state = CALL_RUNNING;
			break;
		}
		pthread_cond_wait(&s->cv, &s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return c;
}

/* Routes c and answers it, unless it was cancelled meanwhile. */
static void
call_run(struct server *s, struct route *r, struct call *c)
{
	struct route_hooks h = { call_phase, c, &c->cancel };
	struct buf id = BUF_INIT;
	int cancelled;

	route_record(r, c->rec, &h);
	pthread_mutex_lock(&s->mu);
	call_unlink(s, c);
	cancelled = c->cancel;
	pthread_mutex_unlock(&s->mu);
	if (!cancelled)
		reply(s, c->id, mcp_tool_outcome(c->rec));
	else {
		json_write(&id, c->id);
		log_debug("call %s cancelled, not answered", buf_str(&id));
		buf_free(&id);
	}
	call_free(c);
}

static void *
worker_main(void *arg)
{
	struct server *s = arg;
	struct route *r = route_new(s->opts->cfg, &s->opts->route);
	struct call *c;

	while ((c = call_next(s)) != NULL)
		call_run(s, r, c);
	route_free(r);
	return NULL;
}

/* Cancels every live call and joins the workers. */
static void
workers_stop(struct server *s)
{
	struct call *c, *next;
	int i;

	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	for (c = s->calls; c != NULL; c = next) {
		next = c->next;
		call_cancel(s, c);
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i], NULL);
}

/* ------------------------------------------------------------ methods */

static void
do_initialize(struct server *s, const struct json *id,
    const struct json *params)
{
	const char *want = json_obj_str(params, "protocolVersion", NULL);
	struct json *r, *caps, *tools, *info;
	size_t i;

	if (want == NULL) {
		reply_error(s, id, RPC_INVALID_PARAMS, "Invalid params: "
		    "protocolVersion must be a string");
		return;
	}
	for (i = 0; mcp_versions[i] != NULL; i++)
		if (strcmp(want, mcp_versions[i]) == 0)
			break;
	r = json_object();
	json_obj_set(r, "protocolVersion", json_stringz(mcp_versions[i] ?
	    mcp_versions[i] : mcp_versions[0]));
	caps = json_object();
	tools = json_object();
	json_obj_set(tools, "listChanged", json_bool(0));
	json_obj_set(caps, "tools", tools);
	json_obj_set(r, "capabilities", caps);
	info = json_object();
	json_obj_set(info, "name", json_stringz("aurarouter"));
	json_obj_set(info, "title", json_stringz("AuraRouter"));
	json_obj_set(info, "version", json_stringz(PACKAGE_VERSION));
	json_obj_set(r, "serverInfo", info);
	json_obj_set(r, "instructions", json_stringz(mcp_instructions));
	s->initialized = 1;
	log_debug("initialize: client asked for %.32s", want);
	reply(s, id, r);
}

static void
do_ping(struct server *s, const struct json *id, const struct json *params)
{
	(void)params;
	reply(s, id, json_object());
}

static void
do_tools_list(struct server *s, const struct json *id,
    const struct json *params)
{
	struct json *r, *tools;

	if (json_obj_get(params, "cursor") != NULL) {
		reply_error(s, id, RPC_INVALID_PARAMS,
		    "Invalid params: unknown cursor");
		return;
	}
	tools = json_array();
	json_arr_push(tools, json_copy(s->tool));
	r = json_object();
	json_obj_set(r, "tools", tools);
	reply(s, id, r);
}

/* params._meta.progressToken when it is a string or an integer. */
static const struct json *
progress_token(const struct json *params)
{
	const struct json *meta = json_obj_get(params, "_meta"), *t;

	if (meta == NULL || meta->type != JSON_OBJECT ||
	    (t = json_obj_get(meta, "progressToken")) == NULL)
		return NULL;
	return id_valid(t) ? t : NULL;
}

static void
do_tools_call(struct server *s, const struct json *id,
    const struct json *params)
{
	const char *name = json_obj_str(params, "name", NULL);
	const struct json *args = json_obj_get(params, "arguments");
	struct json *bad;
	struct call *c;

	if (name == NULL)
		reply_error(s, id, RPC_INVALID_PARAMS,
		    "Invalid params: name must be a string");
	else if (strcmp(name, MCP_TOOL) != 0)
		reply_error(s, id, RPC_INVALID_PARAMS, "Unknown tool: %.128s",
		    name);
	else if (args != NULL && args->type != JSON_OBJECT)
		reply_error(s, id, RPC_INVALID_PARAMS,
		    "Invalid params: arguments must be an object");
	else if ((bad = mcp_tool_check(args)) != NULL)
		reply(s, id, bad);
	else {
		c = call_new(s, id, progress_token(params),
		    mcp_tool_record(args));
		if (call_queue(s, c) == -1) {
			call_free(c);
			reply_error(s, id, RPC_INVALID_REQUEST, "Invalid "
			    "Request: a call with this id is in progress");
		}
	}
}

static const struct method {
	const char *name;
	int needs_init;
	void (*fn)(struct server *, const struct json *, const struct json *);
} methods[] = {
	{ "initialize", 0, do_initialize },
	{ "ping", 0, do_ping },
	{ "tools/call", 1, do_tools_call },
	{ "tools/list", 1, do_tools_list },
	{ NULL, 0, NULL }
};

/* --------------------------------------------------------- dispatch */

/* notifications/cancelled: aborts the call with params.requestId. */
static void
on_cancelled(struct server *s, const struct json *params)
{
	const struct json *rid = json_obj_get(params, "requestId");
	struct call *c;

	if (rid == NULL || !id_valid(rid))
		return;
	pthread_mutex_lock(&s->mu);
	if ((c = call_find(s, rid)) != NULL)
		call_cancel(s, c);
	pthread_mutex_unlock(&s->mu);
}

/* A notification never gets a response, not even an error. */
static void
on_notification(struct server *s, const char *method,
    const struct json *params)
{
	if (strcmp(method, "notifications/cancelled") == 0)
		on_cancelled(s, params);
	else if (strcmp(method, "notifications/initialized") == 0)
		log_debug("client initialized");
}

static void
on_request(struct server *s, const struct json *id, const char *method,
    const struct json *params)
{
	const struct method *m;

	for (m = methods; m->name != NULL; m++)
		if (strcmp(method, m->name) == 0)
			break;
	if (m->name == NULL)
		reply_error(s, id, RPC_METHOD_NOT_FOUND,
		    "Method not found: %.128s", method);
	else if (m->needs_init && !s->initialized)
		reply_error(s, id, RPC_INVALID_REQUEST, "Invalid Request: "
		    "not initialized (send initialize first)");
	else if (params != NULL && params->type != JSON_OBJECT)
		reply_error(s, id, RPC_INVALID_PARAMS,
		    "Invalid params: params must be an object");
	else
		m->fn(s, id, params);
}

/* Handles one parsed message. */
static void
on_message(struct server *s, const struct json *msg)
{
	const struct json *id, *method, *params;
	const char *version;

	if (msg->type != JSON_OBJECT) {
		reply_error(s, NULL, RPC_INVALID_REQUEST, "Invalid Request: %s",
		    msg->type == JSON_ARRAY ? "batches are not supported" :
		    "a message must be a JSON object");
		return;
	}
	id = json_obj_get(msg, "id");
	method = json_obj_get(msg, "method");
	params = json_obj_get(msg, "params");
	version = json_obj_str(msg, "jsonrpc", NULL);
	if (method == NULL && (json_obj_get(msg, "result") != NULL ||
	    json_obj_get(msg, "error") != NULL))
		return;		/* a response: this server sends no requests */
	if (id != NULL && !id_valid(id))
		reply_error(s, NULL, RPC_INVALID_REQUEST, "Invalid Request: "
		    "id must be a string or an integer");
	else if (version == NULL || strcmp(version, "2.0") != 0) {
		if (id != NULL || method == NULL)
			reply_error(s, id, RPC_INVALID_REQUEST,
			    "Invalid Request: jsonrpc must be \"2.0\"");
	} else if (method == NULL || method->type != JSON_STRING) {
		if (id != NULL || method == NULL)
			reply_error(s, id, RPC_INVALID_REQUEST,
			    "Invalid Request: method must be a string");
	} else if (id == NULL) {
		if (params == NULL || params->type == JSON_OBJECT)
			on_notification(s, method->s, params);
	} else
		on_request(s, id, method->s, params);
}

/* Handles one input line (without its '\n'). */
static void
on_line(struct server *s, const char *line, size_t len)
{
	struct json_error jerr;
	struct json *msg;
	size_t i;

	for (i = 0; i < len && strchr(" \t\r", line[i]) != NULL; i++)
		;
	if (i == len)
		return;		/* blank line */
	if ((msg = json_parse(line, len, MCP_MAX_MESSAGE, &jerr)) == NULL) {
		reply_error(s, NULL, RPC_PARSE_ERROR, "Parse error: %s at "
		    "byte %zu", jerr.msg, jerr.off);
		return;
	}
	on_message(s, msg);
	json_free(msg);
}

/* ------------------------------------------------------------ serving */

static int
server_start(struct server *s, const struct mcp_opts *opts, FILE *out,
    struct ar_err *e)
{
	int i, n = opts->workers > 0 && opts->workers < MCP_WORKERS ?
	    opts->workers : MCP_WORKERS;

	memset(s, 0, sizeof *s);
	s->opts = opts;
	s->out = out;
	if ((s->tool = mcp_tool_def(e)) == NULL)
		return -1;
	pthread_mutex_init(&s->out_mu, NULL);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	for (i = 0; i < n; i++) {
		if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
			break;
		s->nworkers++;
	}
	if (s->nworkers == 0) {
		json_free(s->tool);
		return err_set(e, AR_E_CONFIG, "cannot start a worker thread");
	}
	return 0;
}

/* Stops the workers and frees s; returns nonzero if a write failed. */
static int
server_end(struct server *s)
{
	int failed;

	workers_stop(s);
	failed = out_failed(s);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->out_mu);
	json_free(s->tool);
	return failed;
}

int
mcp_serve(int in_fd, int stop_fd, FILE *out, const struct mcp_opts *opts,
    struct ar_err *e)
{
	struct server s;
	struct lines rd;
	const char *line;
	size_t len;
	enum lines_status st;
	int failed;

	err_clear(e);
	if (server_start(&s, opts, out, e) == -1)
		return -1;
	lines_init(&rd, in_fd, stop_fd, MCP_MAX_MESSAGE);
	while (!out_failed(&s) && (st = lines_next(&rd, &line, &len)) !=
	    LINES_END) {
		if (st == LINES_LONG)
			reply_error(&s, NULL, RPC_PARSE_ERROR, "Parse error: "
			    "a message is longer than %u bytes",
			    MCP_MAX_MESSAGE);
		else
			on_line(&s, line, len);
	}
	log_debug("%s; stopping", rd.stopped ? "stopped by a signal" :
	    "end of input");
	failed = server_end(&s);
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
