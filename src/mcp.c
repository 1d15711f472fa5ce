/*
 * mcp.c - the MCP server: JSON-RPC framing, both protocol eras, the
 * workers that run tool calls, progress and cancellation, and the stdio
 * loop. The tool itself (its schema, arguments and result) is in
 * mcp_tool.c; the HTTP transport in mcp_http.c.
 *
 * The transport's thread handles every message at once, except a
 * tools/call, which it queues for a pool of workers (each with its own
 * struct route, so backend connections stay alive). A worker sends the
 * call's progress notifications and then its response through the call's
 * struct mcp_out. A cancelled call is aborted through route_hooks.cancel
 * and never answered.
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
#include "cancel.h"
#include "clock.h"
#include "confine.h"
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

#define MCP_MAX_MESSAGE	AR_MAX_RECORD	/* one incoming line, bytes */
#define MCP_PROGRESS_MS	250.0	/* at most one token update per this */
#define MCP_LIST_TTL_MS	3600000	/* ttlMs of tools/list: the tool is fixed */

/* Supported legacy protocol versions, newest first: a client asking for
 * one of them gets it back; any other gets the first. */
static const char *const mcp_versions[] = {
	"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL
};

/* The one legacy version that requires JSON-RPC batches. */
#define MCP_BATCH_VERSION	"2025-03-26"

/* logging/setLevel's levels, in RFC 5424 order. */
static const char *const mcp_levels[] = {
	"debug", "info", "notice", "warning", "error", "critical", "alert",
	"emergency", NULL
};

static const char mcp_instructions[] =
    "AuraRouter writes code. Call intelligent_code_gen whenever you need "
    "new code written (a function, a class, a script, a test, a fix or "
    "rewrite of a snippet): describe the task in plain words, name the "
    "language, and pass any existing code the task refers to as "
    "file_context, or its paths as files. It runs a local model first, "
    "checks the answer (syntax, truncation, refusals) and falls back to "
    "Gemini in the cloud when the local model is unavailable, too slow or "
    "wrong. It returns only the code, without prose or Markdown fences; "
    "pass write_to to have it written to that file instead, which saves "
    "repeating the code.";

enum call_state { CALL_QUEUED, CALL_RUNNING };

/* One tools/call from the time it is queued until it is answered. */
struct call {
	struct call *next;
	struct mcp_server *srv;
	struct mcp_session *ss;	/* for ids only; NULL once it is freed */
	struct mcp_out *out;	/* borrowed until out->release() */
	struct json *id;	/* owned copy of the request id */
	struct json *token;	/* owned copy of _meta.progressToken, or NULL */
	struct mcp_tool_call tc;	/* owned: the record routed, write_to */
	int modern;		/* answer with the modern result fields */
	enum call_state state;
	volatile int cancel;	/* route_hooks.cancel; set under srv->mu */
	long progress;		/* the last progress value sent */
	const char *phase;	/* the last phase sent */
	double sent_ms;		/* when the last progress was sent */
};

struct mcp_server {
	const struct mcp_opts *opts;
	struct json *tool;	/* owned: mcp_tool_def() */
	struct confine roots;	/* where files and write_to may be */
	pthread_mutex_t mu;	/* guards calls, state, cancel, stopping */
	pthread_cond_t cv;	/* a call was queued, or stopping */
	struct call *calls;	/* in arrival order */
	int stopping;
	pthread_t workers[MCP_WORKERS];
	int nworkers;
};

struct mcp_session {
	struct mcp_server *srv;
	char version[16];	/* negotiated by initialize; "" before */
	char level[16];		/* set by logging/setLevel */
	int roots_cap;		/* the client offers roots/list */
	long roots_asked;	/* roots/list requests sent */
	pthread_mutex_t mu;	/* guards roots */
	struct confine roots;	/* cwd and the client's roots; n 0: none */
};

/* The id prefix of this server's roots/list requests. */
#define MCP_ROOTS_ID	"aurarouter-roots-"

/* One request being handled. */
struct req {
	struct mcp_session *ss;
	struct mcp_out *out;
	const struct json *id;
	const struct json *params;
	int modern;		/* came with the modern _meta */
	int queued;		/* calls queued for workers */
};

/* ------------------------------------------------------------ output */

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

/* The serverInfo object. */
static struct json *
server_info(void)
{
	struct json *info = json_object();

	json_obj_set(info, "name", json_stringz("aurarouter"));
	json_obj_set(info, "title", json_stringz("AuraRouter"));
	json_obj_set(info, "version", json_stringz(PACKAGE_VERSION));
	return info;
}

/* Adds what every modern result carries: resultType and serverInfo. */
static void
result_modern(struct json *r)
{
	struct json *meta = json_obj_get(r, "_meta");

	json_obj_set(r, "resultType", json_stringz("complete"));
	if (meta == NULL) {
		meta = json_object();
		json_obj_set(r, "_meta", meta);
	}
	json_obj_set(meta, MCP_META_SERVER, server_info());
}

/* Sends the response {id, result} (result taken) to out. */
static void
send_result(struct mcp_out *out, const struct json *id, struct json *result,
    int modern)
{
	struct json *m = msg_new(id);

	if (modern)
		result_modern(result);
	json_obj_set(m, "result", result);
	out->send(out, m);
}

static void
reply(struct req *rq, struct json *result)
{
	send_result(rq->out, rq->id, result, rq->modern);
}

struct json *
mcp_error_msg(const struct json *id, int code, const char *message)
{
	struct json *m = msg_new(id), *err = json_object();

	/* JSON-RPC 2.0: an id that could not be read is null. */
	if (id == NULL)
		json_obj_set(m, "id", json_null());
	json_obj_set(err, "code", json_int(code));
	json_obj_set(err, "message", json_stringz(message));
	json_obj_set(m, "error", err);
	return m;
}

/* Sends an error response; data (taken) may be NULL. */
static void __attribute__((format(printf, 5, 6)))
send_error(struct mcp_out *out, const struct json *id, int code,
    struct json *data, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	struct json *m;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	m = mcp_error_msg(id, code, buf_str(&msg));
	if (data != NULL)
		json_obj_set(json_obj_get(m, "error"), "data", data);
	out->send(out, m);
	buf_free(&msg);
}

#define reply_error(rq, code, ...) \
	send_error((rq)->out, (rq)->id, (code), NULL, __VA_ARGS__)

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
call_new(struct req *rq, const struct json *token, struct mcp_tool_call *tc)
{
	struct call *c = xcalloc(1, sizeof *c);

	c->srv = rq->ss->srv;
	c->ss = rq->ss;
	c->out = rq->out;
	c->id = json_copy(rq->id);
	c->token = token != NULL ? json_copy(token) : NULL;
	c->tc = *tc;	/* taken */
	c->modern = rq->modern;
	c->state = CALL_QUEUED;
	return c;
}

static void
call_free(struct call *c)
{
	json_free(c->id);
	json_free(c->token);
	mcp_tool_call_free(&c->tc);
	free(c);
}

/* The live call of session ss with this id, or NULL. Under srv->mu. */
static struct call *
call_find(struct mcp_server *s, const struct mcp_session *ss,
    const struct json *id)
{
	struct call *c;

	for (c = s->calls; c != NULL; c = c->next)
		if (c->ss == ss && id_equal(c->id, id))
			return c;
	return NULL;
}

/* Removes c from the list of live calls. Under srv->mu. */
static void
call_unlink(struct mcp_server *s, struct call *c)
{
	struct call **pp;

	for (pp = &s->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

/* Appends c to the live calls and wakes a worker. Returns -1 (and does
 * not take c) when a live call of the session already has that id. */
static int
call_queue(struct mcp_server *s, struct call *c)
{
	struct call **pp;

	pthread_mutex_lock(&s->mu);
	if (call_find(s, c->ss, c->id) != NULL) {
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

/* Cancels c: a queued call is dropped (its out released), a running one
 * is aborted by its worker and not answered. Under srv->mu. */
static void
call_cancel(struct mcp_server *s, struct call *c)
{
	/* Atomic, and wakes the worker's transfer or wait at once. */
	cancel_set(&c->cancel);
	if (c->state == CALL_QUEUED) {
		call_unlink(s, c);
		c->out->release(c->out);
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
	c->out->send(c->out, m);
	buf_free(&text);
}

/* ------------------------------------------------------------ workers */

/* The oldest queued call, now running; NULL when stopping. */
static struct call *
call_next(struct mcp_server *s)
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
call_run(struct mcp_server *s, struct route *r, struct call *c)
{
	struct route_hooks h = { call_phase, c, &c->cancel };
	struct buf id = BUF_INIT;
	int cancelled;

	route_record(r, c->tc.rec, &h);
	pthread_mutex_lock(&s->mu);
	call_unlink(s, c);
	cancelled = c->cancel;
	pthread_mutex_unlock(&s->mu);
	if (!cancelled)
		send_result(c->out, c->id, mcp_tool_outcome(&c->tc),
		    c->modern);
	else {
		json_write(&id, c->id);
		log_debug("call %s cancelled, not answered", buf_str(&id));
		buf_free(&id);
	}
	c->out->release(c->out);
	call_free(c);
}

static void *
worker_main(void *arg)
{
	struct mcp_server *s = arg;
	struct route *r = route_new(s->opts->cfg, &s->opts->route);
	struct call *c;

	while ((c = call_next(s)) != NULL)
		call_run(s, r, c);
	route_free(r);
	return NULL;
}

/* Cancels every live call and joins the workers. */
static void
workers_stop(struct mcp_server *s)
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
do_initialize(struct req *rq)
{
	const char *want = json_obj_str(rq->params, "protocolVersion", NULL);
	struct json *r, *caps, *tools;
	size_t i;

	if (want == NULL) {
		reply_error(rq, MCP_INVALID_PARAMS, "Invalid params: "
		    "protocolVersion must be a string");
		return;
	}
	for (i = 0; mcp_versions[i] != NULL; i++)
		if (strcmp(want, mcp_versions[i]) == 0)
			break;
	snprintf(rq->ss->version, sizeof rq->ss->version, "%s",
	    mcp_versions[i] ? mcp_versions[i] : mcp_versions[0]);
	rq->ss->roots_cap = json_obj_get(json_obj_get(rq->params,
	    "capabilities"), "roots") != NULL;
	r = json_object();
	json_obj_set(r, "protocolVersion", json_stringz(rq->ss->version));
	caps = json_object();
	tools = json_object();
	json_obj_set(tools, "listChanged", json_bool(0));
	json_obj_set(caps, "tools", tools);
	json_obj_set(caps, "logging", json_object());
	json_obj_set(r, "capabilities", caps);
	json_obj_set(r, "serverInfo", server_info());
	json_obj_set(r, "instructions", json_stringz(mcp_instructions));
	log_debug("initialize: client asked for %.32s", want);
	reply(rq, r);
}

static void
do_ping(struct req *rq)
{
	reply(rq, json_object());
}

static void
do_set_level(struct req *rq)
{
	const char *level = json_obj_str(rq->params, "level", NULL);
	size_t i;

	for (i = 0; level != NULL && mcp_levels[i] != NULL; i++)
		if (strcmp(level, mcp_levels[i]) == 0)
			break;
	if (level == NULL || mcp_levels[i] == NULL) {
		reply_error(rq, MCP_INVALID_PARAMS, "Invalid params: level "
		    "must be one of debug, info, notice, warning, error, "
		    "critical, alert, emergency");
		return;
	}
	snprintf(rq->ss->level, sizeof rq->ss->level, "%s", level);
	reply(rq, json_object());
}

/* Adds the modern era's caching hints of a list result. */
static void
cache_hints(struct json *r)
{
	json_obj_set(r, "ttlMs", json_int(MCP_LIST_TTL_MS));
	json_obj_set(r, "cacheScope", json_stringz("public"));
}

static void
do_discover(struct req *rq)
{
	struct json *r = json_object(), *versions = json_array();
	struct json *caps = json_object();

	json_arr_push(versions, json_stringz(MCP_MODERN));
	json_obj_set(r, "supportedVersions", versions);
	json_obj_set(caps, "tools", json_object());
	json_obj_set(r, "capabilities", caps);
	json_obj_set(r, "instructions", json_stringz(mcp_instructions));
	cache_hints(r);
	/* A DiscoverResult is modern, whichever era asked. */
	rq->modern = 1;
	reply(rq, r);
}

static void
do_tools_list(struct req *rq)
{
	struct json *r, *tools;

	if (json_obj_get(rq->params, "cursor") != NULL) {
		reply_error(rq, MCP_INVALID_PARAMS,
		    "Invalid params: unknown cursor");
		return;
	}
	tools = json_array();
	json_arr_push(tools, json_copy(rq->ss->srv->tool));
	r = json_object();
	json_obj_set(r, "tools", tools);
	if (rq->modern)
		cache_hints(r);
	reply(rq, r);
}

/* params._meta.progressToken when it is a string or an integer. */
static const struct json *
progress_token(const struct json *params)
{
	const struct json *meta = mcp_meta(params), *t;

	if (meta == NULL || (t = json_obj_get(meta, "progressToken")) == NULL)
		return NULL;
	return id_valid(t) ? t : NULL;
}

/* mcp_tool_prepare() within the session's roots (or the server's). */
static struct json *
session_prepare(struct mcp_session *ss, const struct json *args,
    struct mcp_tool_call *tc)
{
	struct json *bad;

	pthread_mutex_lock(&ss->mu);
	bad = mcp_tool_prepare(args, ss->roots.n > 0 ? &ss->roots :
	    &ss->srv->roots, tc);
	pthread_mutex_unlock(&ss->mu);
	return bad;
}

static void
do_tools_call(struct req *rq)
{
	const char *name = json_obj_str(rq->params, "name", NULL);
	const struct json *args = json_obj_get(rq->params, "arguments");
	struct mcp_session *ss = rq->ss;
	struct mcp_tool_call tc;
	struct json *bad;
	struct call *c;

	if (name == NULL)
		reply_error(rq, MCP_INVALID_PARAMS,
		    "Invalid params: name must be a string");
	else if (strcmp(name, MCP_TOOL) != 0)
		reply_error(rq, MCP_INVALID_PARAMS, "Unknown tool: %.128s",
		    name);
	else if (args != NULL && args->type != JSON_OBJECT)
		reply_error(rq, MCP_INVALID_PARAMS,
		    "Invalid params: arguments must be an object");
	else if ((bad = session_prepare(ss, args, &tc)) != NULL)
		reply(rq, bad);
	else {
		c = call_new(rq, progress_token(rq->params), &tc);
		if (call_queue(rq->ss->srv, c) == -1) {
			call_free(c);
			reply_error(rq, MCP_INVALID_REQUEST, "Invalid "
			    "Request: a call with this id is in progress");
		} else
			rq->queued++;
	}
}

struct method {
	const char *name;
	int needs_init;
	void (*fn)(struct req *);
};

static const struct method legacy_methods[] = {
	{ "initialize", 0, do_initialize },
	{ "logging/setLevel", 1, do_set_level },
	{ "ping", 0, do_ping },
	{ "server/discover", 0, do_discover },
	{ "tools/call", 1, do_tools_call },
	{ "tools/list", 1, do_tools_list },
	{ NULL, 0, NULL }
};

/* Under the modern _meta, initialize, ping and logging/setLevel are
 * unknown methods. */
static const struct method modern_methods[] = {
	{ "server/discover", 0, do_discover },
	{ "tools/call", 0, do_tools_call },
	{ "tools/list", 0, do_tools_list },
	{ NULL, 0, NULL }
};

/* --------------------------------------------------------- dispatch */

const struct json *
mcp_meta(const struct json *params)
{
	const struct json *meta;

	if (params == NULL || params->type != JSON_OBJECT ||
	    (meta = json_obj_get(params, "_meta")) == NULL ||
	    meta->type != JSON_OBJECT)
		return NULL;
	return meta;
}

/* A modern request's _meta: the version must be ours (else -32022) and
 * the client capabilities an object (else -32602). Returns 0 when it is
 * good, else -1 after answering. */
static int
modern_check(struct req *rq, const struct json *version)
{
	const struct json *meta = mcp_meta(rq->params), *caps, *client;
	struct json *data, *sup;

	if (version->type != JSON_STRING || strcmp(version->s,
	    MCP_MODERN) != 0) {
		data = json_object();
		sup = json_array();
		json_arr_push(sup, json_stringz(MCP_MODERN));
		json_obj_set(data, "supported", sup);
		json_obj_set(data, "requested", json_copy(version));
		send_error(rq->out, rq->id, MCP_UNSUPPORTED_VERSION, data,
		    "Unsupported protocol version: this server speaks "
		    MCP_MODERN " (and 2025-11-25 to 2024-11-05 through "
		    "initialize)");
		return -1;
	}
	caps = json_obj_get(meta, MCP_META_CAPS);
	if (caps == NULL || caps->type != JSON_OBJECT) {
		reply_error(rq, MCP_INVALID_PARAMS, "Invalid params: _meta "
		    "must carry " MCP_META_CAPS " as an object");
		return -1;
	}
	client = json_obj_get(meta, MCP_META_CLIENT);
	log_debug("modern request from %.64s",
	    client != NULL && json_obj_str(client, "name", NULL) != NULL ?
	    json_obj_str(client, "name", NULL) : "an unnamed client");
	return 0;
}

/* notifications/cancelled: aborts the call with params.requestId. */
static void
on_cancelled(struct mcp_session *ss, const struct json *params)
{
	const struct json *rid = json_obj_get(params, "requestId");

	if (rid != NULL && id_valid(rid))
		mcp_session_cancel(ss, rid);
}

/* Asks the client for its roots, when it offers them and out can carry
 * a request. */
static void
ask_roots(struct mcp_session *ss, struct mcp_out *out)
{
	struct json *m;
	char id[48];

	if (!ss->roots_cap || !out->requests)
		return;
	snprintf(id, sizeof id, MCP_ROOTS_ID "%ld", ++ss->roots_asked);
	m = msg_new(NULL);
	json_obj_set(m, "id", json_stringz(id));
	json_obj_set(m, "method", json_stringz("roots/list"));
	out->send(out, m);
}

/* A file:// URI's path, percent-decoded (owned), or NULL. */
static char *
uri_path(const char *uri)
{
	struct buf b = BUF_INIT;
	unsigned v;

	if (strncmp(uri, "file://", 7) != 0)
		return NULL;
	uri += 7;
	if (*uri != '/')	/* file://host/... */
		uri = strchr(uri, '/');
	for (; uri != NULL && *uri != '\0'; uri++)
		if (*uri == '%' && sscanf(uri + 1, "%2x", &v) == 1 &&
		    v != 0) {
			buf_addc(&b, (char)v);
			uri += 2;
		} else
			buf_addc(&b, *uri);
	return b.len > 0 ? buf_detach(&b) : (buf_free(&b), NULL);
}

/* The result of roots/list: the session's roots become the working
 * directory and each existing file:// root. */
static void
on_roots(struct mcp_session *ss, const struct json *result)
{
	const struct json *roots = json_obj_get(result, "roots");
	struct confine c;
	struct ar_err e;
	char *path;
	size_t i;

	if (roots == NULL || roots->type != JSON_ARRAY ||
	    confine_init_cwd(&c, &e) == -1)
		return;
	for (i = 0; i < roots->n; i++) {
		path = uri_path(json_obj_str(roots->items[i], "uri", NULL) ?
		    json_obj_str(roots->items[i], "uri", NULL) : "");
		if (path != NULL && confine_add_root(&c, path, &e) == -1)
			log_debug("root skipped: %s", e.msg);
		free(path);
	}
	pthread_mutex_lock(&ss->mu);
	confine_free(&ss->roots);
	ss->roots = c;
	pthread_mutex_unlock(&ss->mu);
	log_debug("%d roots", c.n);
}

/* A response: only the answers to this server's roots/list count. */
static void
on_response(struct mcp_session *ss, const struct json *msg)
{
	const char *id = json_obj_str(msg, "id", NULL);
	const struct json *result = json_obj_get(msg, "result");

	if (id != NULL && strncmp(id, MCP_ROOTS_ID, strlen(MCP_ROOTS_ID)) ==
	    0 && result != NULL && result->type == JSON_OBJECT)
		on_roots(ss, result);
}

/* A notification never gets a response, not even an error. */
static void
on_notification(struct mcp_session *ss, const char *method,
    const struct json *params, struct mcp_out *out)
{
	if (strcmp(method, "notifications/cancelled") == 0)
		on_cancelled(ss, params);
	else if (strcmp(method, "notifications/initialized") == 0 ||
	    strcmp(method, "notifications/roots/list_changed") == 0)
		ask_roots(ss, out);
}

static void
on_request(struct req *rq, const char *method)
{
	const struct json *meta = mcp_meta(rq->params), *version;
	const struct method *m;

	version = meta != NULL ? json_obj_get(meta, MCP_META_VERSION) : NULL;
	if (version != NULL) {
		rq->modern = 1;
		if (modern_check(rq, version) == -1)
			return;
	}
	for (m = rq->modern ? modern_methods : legacy_methods;
	    m->name != NULL; m++)
		if (strcmp(method, m->name) == 0)
			break;
	if (m->name == NULL)
		reply_error(rq, MCP_METHOD_NOT_FOUND,
		    "Method not found: %.128s", method);
	else if (m->needs_init && rq->ss->version[0] == '\0')
		reply_error(rq, MCP_INVALID_REQUEST, "Invalid Request: "
		    "not initialized (send initialize first)");
	else if (rq->params != NULL && rq->params->type != JSON_OBJECT)
		reply_error(rq, MCP_INVALID_PARAMS,
		    "Invalid params: params must be an object");
	else
		m->fn(rq);
}

/* Handles one message that is not a batch; returns the calls queued. */
static int
on_single(struct mcp_session *ss, const struct json *msg,
    struct mcp_out *out)
{
	struct req rq = { ss, out, NULL, NULL, 0, 0 };
	const struct json *method;
	const char *version;

	if (msg->type != JSON_OBJECT) {
		send_error(out, NULL, MCP_INVALID_REQUEST, NULL,
		    "Invalid Request: %s", msg->type == JSON_ARRAY ?
		    "batches are not supported" :
		    "a message must be a JSON object");
		return 0;
	}
	rq.id = json_obj_get(msg, "id");
	rq.params = json_obj_get(msg, "params");
	method = json_obj_get(msg, "method");
	version = json_obj_str(msg, "jsonrpc", NULL);
	if (method == NULL && (json_obj_get(msg, "result") != NULL ||
	    json_obj_get(msg, "error") != NULL)) {
		on_response(ss, msg);
		return 0;
	}
	if (rq.id != NULL && !id_valid(rq.id))
		send_error(out, NULL, MCP_INVALID_REQUEST, NULL, "Invalid "
		    "Request: id must be a string or an integer");
	else if (version == NULL || strcmp(version, "2.0") != 0) {
		if (rq.id != NULL || method == NULL)
			reply_error(&rq, MCP_INVALID_REQUEST,
			    "Invalid Request: jsonrpc must be \"2.0\"");
	} else if (method == NULL || method->type != JSON_STRING) {
		if (rq.id != NULL || method == NULL)
			reply_error(&rq, MCP_INVALID_REQUEST,
			    "Invalid Request: method must be a string");
	} else if (rq.id == NULL) {
		if (rq.params == NULL || rq.params->type == JSON_OBJECT)
			on_notification(ss, method->s, rq.params, out);
	} else
		on_request(&rq, method->s);
	return rq.queued;
}

/* ------------------------------------------------------------ batches */

/*
 * A JSON-RPC batch (2025-03-26 only): its responses are collected and go
 * out as one array once the last of its calls is done; notifications
 * (progress) pass straight through. refs counts the dispatcher and each
 * queued call.
 */
struct batch {
	struct mcp_out out;
	struct mcp_out *parent;
	pthread_mutex_t mu;
	struct json *replies;
	int refs;
	int held;		/* a call holds parent: release it at the end */
};

static void
batch_send(struct mcp_out *o, struct json *msg)
{
	struct batch *b = (struct batch *)o;

	if (json_obj_get(msg, "method") != NULL) {
		b->parent->send(b->parent, msg);
		return;
	}
	pthread_mutex_lock(&b->mu);
	json_arr_push(b->replies, msg);
	pthread_mutex_unlock(&b->mu);
}

static void
batch_release(struct mcp_out *o)
{
	struct batch *b = (struct batch *)o;
	int last;

	pthread_mutex_lock(&b->mu);
	last = --b->refs == 0;
	pthread_mutex_unlock(&b->mu);
	if (!last)
		return;
	if (b->replies->n > 0)
		b->parent->send(b->parent, b->replies);
	else
		json_free(b->replies);
	if (b->held)
		b->parent->release(b->parent);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

/* Handles a batch; returns 1 when calls of it answer later through out. */
static int
on_batch(struct mcp_session *ss, const struct json *msg, struct mcp_out *out)
{
	struct batch *b;
	size_t i;
	int n;

	if (msg->n == 0) {
		send_error(out, NULL, MCP_INVALID_REQUEST, NULL,
		    "Invalid Request: an empty batch");
		return 0;
	}
	b = xcalloc(1, sizeof *b);
	b->out.send = batch_send;
	b->out.release = batch_release;
	b->out.requests = out->requests;
	b->parent = out;
	b->replies = json_array();
	b->refs = 1;
	pthread_mutex_init(&b->mu, NULL);
	for (i = 0; i < msg->n; i++) {
		pthread_mutex_lock(&b->mu);
		b->refs++;
		pthread_mutex_unlock(&b->mu);
		n = on_single(ss, msg->items[i], &b->out);
		pthread_mutex_lock(&b->mu);
		if (n == 0)
			b->refs--;
		else
			b->held = 1;
		pthread_mutex_unlock(&b->mu);
	}
	n = b->held;
	batch_release(&b->out);
	return n;
}

/* ----------------------------------------------------------- sessions */

struct mcp_session *
mcp_session_new(struct mcp_server *srv)
{
	struct mcp_session *ss = xcalloc(1, sizeof *ss);

	ss->srv = srv;
	pthread_mutex_init(&ss->mu, NULL);
	return ss;
}

void
mcp_session_free(struct mcp_session *ss)
{
	struct mcp_server *s;
	struct call *c, *next;

	if (ss == NULL)
		return;
	s = ss->srv;
	pthread_mutex_lock(&s->mu);
	for (c = s->calls; c != NULL; c = next) {
		next = c->next;
		if (c->ss != ss)
			continue;
		c->ss = NULL;	/* its address may be a new session's */
		call_cancel(s, c);
	}
	pthread_mutex_unlock(&s->mu);
	confine_free(&ss->roots);
	pthread_mutex_destroy(&ss->mu);
	free(ss);
}

void
mcp_session_cancel(struct mcp_session *ss, const struct json *id)
{
	struct mcp_server *s = ss->srv;
	struct call *c;

	struct call *next;

	pthread_mutex_lock(&s->mu);
	if (id != NULL) {
		if ((c = call_find(s, ss, id)) != NULL)
			call_cancel(s, c);
	} else
		for (c = s->calls; c != NULL; c = next) {
			next = c->next;
			if (c->ss == ss)
				call_cancel(s, c);
		}
	pthread_mutex_unlock(&s->mu);
}

const char *
mcp_session_version(const struct mcp_session *ss)
{
	return ss->version[0] != '\0' ? ss->version : NULL;
}

int
mcp_session_message(struct mcp_session *ss, const struct json *msg,
    struct mcp_out *out)
{
	if (msg->type == JSON_ARRAY &&
	    strcmp(ss->version, MCP_BATCH_VERSION) == 0)
		return on_batch(ss, msg, out);
	return on_single(ss, msg, out);
}

int
mcp_session_line(struct mcp_session *ss, const char *line, size_t len,
    struct mcp_out *out)
{
	struct json_error jerr;
	struct json *msg;
	size_t i;
	int n;

	for (i = 0; i < len && strchr(" \t\r", line[i]) != NULL; i++)
		;
	if (i == len)
		return 0;	/* blank line */
	if ((msg = json_parse(line, len, MCP_MAX_MESSAGE, &jerr)) == NULL) {
		send_error(out, NULL, MCP_PARSE_ERROR, NULL, "Parse error: %s "
		    "at byte %zu", jerr.msg, jerr.off);
		return 0;
	}
	n = mcp_session_message(ss, msg, out);
	json_free(msg);
	return n;
}

/* ------------------------------------------------------------ servers */

struct mcp_server *
mcp_server_new(const struct mcp_opts *opts, struct ar_err *e)
{
	struct mcp_server *s = xcalloc(1, sizeof *s);
	int i, n = opts->workers > 0 && opts->workers < MCP_WORKERS ?
	    opts->workers : MCP_WORKERS;

	s->opts = opts;
	if (confine_init_cwd(&s->roots, e) == -1) {
		free(s);
		return NULL;
	}
	if ((s->tool = mcp_tool_def(e)) == NULL) {
		confine_free(&s->roots);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	for (i = 0; i < n; i++) {
		if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
			break;
		s->nworkers++;
	}
	if (s->nworkers == 0) {
		err_set(e, AR_E_CONFIG, "cannot start a worker thread");
		mcp_server_free(s);
		return NULL;
	}
	return s;
}

void
mcp_server_free(struct mcp_server *s)
{
	if (s == NULL)
		return;
	workers_stop(s);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	json_free(s->tool);
	confine_free(&s->roots);
	free(s);
}

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
			send_error(&so.out, NULL, MCP_PARSE_ERROR, NULL,
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
