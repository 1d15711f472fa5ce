/*
 * mcp_int.h - what the parts of the MCP server share: the server, a
 * session, a request being handled and the method table. mcp.c frames
 * and dispatches messages, mcp_era.c has the methods of both protocol
 * eras, mcp_pool.c the tool calls and their workers, mcp_roots.c the
 * client's roots, mcp_stdio.c the stdio loop. The transports use mcp.h.
 */
#ifndef AR_MCP_INT_H
#define AR_MCP_INT_H
#include <pthread.h>

#include "confine.h"
#include "defaults.h"
#include "json.h"
#include "mcp.h"

#define MCP_MAX_MESSAGE	AR_MAX_RECORD	/* one incoming line, bytes */

struct call;
struct mcp_tool_call;

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
	struct route *route;	/* mcp_server_run_queued()'s, or NULL */
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

/* One request being handled. */
struct req {
	struct mcp_session *ss;
	struct mcp_out *out;
	const struct json *id;
	const struct json *params;
	int modern;		/* came with the modern _meta */
	int queued;		/* calls queued for workers */
};

/* A method: its name, whether it needs initialize first, its handler. */
struct method {
	const char *name;
	int needs_init;
	void (*fn)(struct req *);
};

/* ------------------------------------------------------ mcp.c: output */

/* {"jsonrpc":"2.0","id":id}; id omitted when NULL. Owned. */
struct json *mcp_msg_new(const struct json *id);

/* Sends the response {id, result} (result taken) to out; with the modern
 * result fields when modern. */
void mcp_send_result(struct mcp_out *out, const struct json *id,
    struct json *result, int modern);

/* Answers rq with result (taken). */
void mcp_reply(struct req *rq, struct json *result);

/* Sends an error response; data (taken) may be NULL. */
void mcp_send_error(struct mcp_out *out, const struct json *id, int code,
    struct json *data, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define mcp_reply_error(rq, code, ...) \
	mcp_send_error((rq)->out, (rq)->id, (code), NULL, __VA_ARGS__)

/* A request id is a string or an integer (never null, bool or float). */
int mcp_id_valid(const struct json *id);

/* ------------------------------------------------------ mcp_era.c */

/* Adds what every modern result carries: resultType and serverInfo. */
void mcp_era_result_modern(struct json *r);

/* Checks a modern request's _meta (version is its protocol version):
 * returns 0 when it is good, else -1 after answering (-32022, -32602). */
int mcp_era_modern_check(struct req *rq, const struct json *version);

/* The methods of each era, ended by a NULL name. */
extern const struct method mcp_era_legacy_methods[];
extern const struct method mcp_era_modern_methods[];

/* ------------------------------------------------------ mcp_pool.c */

/* tools/call: queues the call for a worker (rq->queued counts it). */
void mcp_pool_tools_call(struct req *rq);

/* Cancels the live calls of ss (none is answered) and detaches them from
 * it, before it is freed. */
void mcp_pool_session_end(struct mcp_session *ss);

/* ------------------------------------------------------ mcp_roots.c */

/* Asks the client for its roots, when it offers them and out can carry
 * a request. */
void mcp_roots_ask(struct mcp_session *ss, struct mcp_out *out);

/* A response from the client: only the answers to this server's
 * roots/list count. */
void mcp_roots_response(struct mcp_session *ss, const struct json *msg);

/* mcp_tool_prepare() within the session's roots (or the server's). */
struct json *mcp_roots_prepare(struct mcp_session *ss,
    const struct json *args, struct mcp_tool_call *tc);

#endif
