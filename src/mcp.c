/*
 * mcp.c - the MCP server: JSON-RPC framing (messages out, ids, parse
 * errors, batches) and the dispatch of each message of a session to its
 * method, its notification or its response handler. The methods of both
 * protocol eras are in mcp_era.c, the tool calls and the workers that run
 * them in mcp_pool.c, the client's roots in mcp_roots.c, the stdio loop
 * in mcp_stdio.c; the tool itself in mcp_tool.c, the HTTP transport in
 * mcp_http.c.
 *
 * The transport's thread handles every message at once, except a
 * tools/call, which it queues for a pool of workers (mcp_pool.c).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "confine.h"
#include "json.h"
#include "mcp.h"
#include "mcp_int.h"
#include "xalloc.h"

/* ------------------------------------------------------------ output */

/* {"jsonrpc":"2.0","id":id}; id omitted when NULL. */
struct json *
mcp_msg_new(const struct json *id)
{
	struct json *m = json_object();

	json_obj_set(m, "jsonrpc", json_stringz("2.0"));
	if (id != NULL)
		json_obj_set(m, "id", json_copy(id));
	return m;
}

/* Sends the response {id, result} (result taken) to out. */
void
mcp_send_result(struct mcp_out *out, const struct json *id, struct json *result,
    int modern)
{
	struct json *m = mcp_msg_new(id);

	if (modern)
		mcp_era_result_modern(result);
	json_obj_set(m, "result", result);
	out->send(out, m);
}

void
mcp_reply(struct req *rq, struct json *result)
{
	mcp_send_result(rq->out, rq->id, result, rq->modern);
}

struct json *
mcp_error_msg(const struct json *id, int code, const char *message)
{
	struct json *m = mcp_msg_new(id), *err = json_object();

	/* JSON-RPC 2.0: an id that could not be read is null. */
	if (id == NULL)
		json_obj_set(m, "id", json_null());
	json_obj_set(err, "code", json_int(code));
	json_obj_set(err, "message", json_stringz(message));
	json_obj_set(m, "error", err);
	return m;
}

/* Sends an error response; data (taken) may be NULL. */
void
mcp_send_error(struct mcp_out *out, const struct json *id, int code,
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

/* --------------------------------------------------------------- ids */

/* A request id is a string or an integer (never null, bool or float). */
int
mcp_id_valid(const struct json *id)
{
	if (id->type == JSON_STRING)
		return 1;
	return id->type == JSON_NUMBER && strpbrk(id->s, ".eE") == NULL;
}

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

/* notifications/cancelled: aborts the call with params.requestId. */
static void
on_cancelled(struct mcp_session *ss, const struct json *params)
{
	const struct json *rid = json_obj_get(params, "requestId");

	if (rid != NULL && mcp_id_valid(rid))
		mcp_session_cancel(ss, rid);
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
		mcp_roots_ask(ss, out);
}

static void
on_request(struct req *rq, const char *method)
{
	const struct json *meta = mcp_meta(rq->params), *version;
	const struct method *m;

	version = meta != NULL ? json_obj_get(meta, MCP_META_VERSION) : NULL;
	if (version != NULL) {
		rq->modern = 1;
		if (mcp_era_modern_check(rq, version) == -1)
			return;
	}
	for (m = rq->modern ? mcp_era_modern_methods : mcp_era_legacy_methods;
	    m->name != NULL; m++)
		if (strcmp(method, m->name) == 0)
			break;
	if (m->name == NULL)
		mcp_reply_error(rq, MCP_METHOD_NOT_FOUND,
		    "Method not found: %.128s", method);
	else if (m->needs_init && rq->ss->version[0] == '\0')
		mcp_reply_error(rq, MCP_INVALID_REQUEST, "Invalid Request: "
		    "not initialized (send initialize first)");
	else if (rq->params != NULL && rq->params->type != JSON_OBJECT)
		mcp_reply_error(rq, MCP_INVALID_PARAMS,
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
		mcp_send_error(out, NULL, MCP_INVALID_REQUEST, NULL,
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
		mcp_roots_response(ss, msg);
		return 0;
	}
	if (rq.id != NULL && !mcp_id_valid(rq.id))
		mcp_send_error(out, NULL, MCP_INVALID_REQUEST, NULL, "Invalid "
		    "Request: id must be a string or an integer");
	else if (version == NULL || strcmp(version, "2.0") != 0) {
		if (rq.id != NULL || method == NULL)
			mcp_reply_error(&rq, MCP_INVALID_REQUEST,
			    "Invalid Request: jsonrpc must be \"2.0\"");
	} else if (method == NULL || method->type != JSON_STRING) {
		if (rq.id != NULL || method == NULL)
			mcp_reply_error(&rq, MCP_INVALID_REQUEST,
			    "Invalid Request: method must be a string");
	} else if (rq.id == NULL) {
		if (rq.params == NULL || rq.params->type == JSON_OBJECT)
			on_notification(ss, method->s, rq.params, out);
	} else
		on_request(&rq, method->s);
	return rq.queued;
}

/* ------------------------------------------------------------ batches */

/* The one legacy version that requires JSON-RPC batches. */
#define MCP_BATCH_VERSION	"2025-03-26"

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
		mcp_send_error(out, NULL, MCP_INVALID_REQUEST, NULL,
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
	if (ss == NULL)
		return;
	mcp_pool_session_end(ss);
	confine_free(&ss->roots);
	pthread_mutex_destroy(&ss->mu);
	free(ss);
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
		mcp_send_error(out, NULL, MCP_PARSE_ERROR, NULL,
		    "Parse error: %s at byte %zu", jerr.msg, jerr.off);
		return 0;
	}
	n = mcp_session_message(ss, msg, out);
	json_free(msg);
	return n;
}
