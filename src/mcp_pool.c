/*
 * mcp_pool.c - the tool calls of the MCP server: tools/call queues a call,
 * a pool of workers runs the calls (each worker with its own struct route,
 * so backend connections stay alive), sends their progress notifications
 * and then their responses through each call's struct mcp_out. A
 * cancelled call is aborted through route_hooks.cancel and never
 * answered.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cancel.h"
#include "clock.h"
#include "confine.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "mcp.h"
#include "mcp_int.h"
#include "mcp_tool.h"
#include "route.h"
#include "xalloc.h"

#define MCP_PROGRESS_MS	250.0	/* at most one token update per this */

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

/* --------------------------------------------------------------- ids */

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
	m = mcp_msg_new(NULL);
	json_obj_set(m, "method", json_stringz("notifications/progress"));
	json_obj_set(m, "params", params);
	c->out->send(c->out, m);
	buf_free(&text);
}

/* ------------------------------------------------------------ workers */

/* The oldest queued call, now running; NULL when none is queued. Under
 * srv->mu. */
static struct call *
call_take(struct mcp_server *s)
{
	struct call *c;

	for (c = s->calls; c != NULL; c = c->next)
		if (c->state == CALL_QUEUED) {
			c->state = CALL_RUNNING;
			break;
		}
	return c;
}

/* The oldest queued call, now running; NULL when stopping. */
static struct call *
call_next(struct mcp_server *s)
{
	struct call *c = NULL;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping && (c = call_take(s)) == NULL)
		pthread_cond_wait(&s->cv, &s->mu);
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
		mcp_send_result(c->out, c->id, mcp_tool_outcome(&c->tc),
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

/* ------------------------------------------------------- tools/call */

/* params._meta.progressToken when it is a string or an integer. */
static const struct json *
progress_token(const struct json *params)
{
	const struct json *meta = mcp_meta(params), *t;

	if (meta == NULL || (t = json_obj_get(meta, "progressToken")) == NULL)
		return NULL;
	return mcp_id_valid(t) ? t : NULL;
}

void
mcp_pool_tools_call(struct req *rq)
{
	const char *name = json_obj_str(rq->params, "name", NULL);
	const struct json *args = json_obj_get(rq->params, "arguments");
	struct mcp_session *ss = rq->ss;
	struct mcp_tool_call tc;
	struct json *bad;
	struct call *c;

	if (name == NULL)
		mcp_reply_error(rq, MCP_INVALID_PARAMS,
		    "Invalid params: name must be a string");
	else if (strcmp(name, MCP_TOOL) != 0)
		mcp_reply_error(rq, MCP_INVALID_PARAMS, "Unknown tool: %.128s",
		    name);
	else if (args != NULL && args->type != JSON_OBJECT)
		mcp_reply_error(rq, MCP_INVALID_PARAMS,
		    "Invalid params: arguments must be an object");
	else if ((bad = mcp_roots_prepare(ss, args, &tc)) != NULL)
		mcp_reply(rq, bad);
	else {
		c = call_new(rq, progress_token(rq->params), &tc);
		if (call_queue(rq->ss->srv, c) == -1) {
			call_free(c);
			mcp_reply_error(rq, MCP_INVALID_REQUEST, "Invalid "
			    "Request: a call with this id is in progress");
		} else
			rq->queued++;
	}
}

/* ----------------------------------------------------------- sessions */

void
mcp_pool_session_end(struct mcp_session *ss)
{
	struct mcp_server *s = ss->srv;
	struct call *c, *next;

	pthread_mutex_lock(&s->mu);
	for (c = s->calls; c != NULL; c = next) {
		next = c->next;
		if (c->ss != ss)
			continue;
		c->ss = NULL;	/* its address may be a new session's */
		call_cancel(s, c);
	}
	pthread_mutex_unlock(&s->mu);
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

/* ------------------------------------------------------------ servers */

struct mcp_server *
mcp_server_new(const struct mcp_opts *opts, struct ar_err *e)
{
	struct mcp_server *s = xcalloc(1, sizeof *s);
	int i, n = opts->workers < 0 ? 0 : opts->workers > 0 &&
	    opts->workers < MCP_WORKERS ? opts->workers : MCP_WORKERS;

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
	if (n > 0 && s->nworkers == 0) {
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
	route_free(s->route);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	json_free(s->tool);
	confine_free(&s->roots);
	free(s);
}

int
mcp_server_run_queued(struct mcp_server *s)
{
	struct call *c;
	int n = 0;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		c = call_take(s);
		pthread_mutex_unlock(&s->mu);
		if (c == NULL)
			return n;
		if (s->route == NULL)
			s->route = route_new(s->opts->cfg, &s->opts->route);
		call_run(s, s->route, c);
		n++;
	}
}
