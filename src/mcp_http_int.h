/*
 * mcp_http_int.h - what the parts of the MCP server on Streamable HTTP
 * share: mcp_http.c is the server (libmicrohttpd callbacks, the Origin,
 * Host and bearer checks, the limits, serving and draining);
 * mcp_http_post.c handles a POST (its era, its session, its answer);
 * mcp_http_session.c keeps the legacy sessions (Mcp-Session-Id);
 * mcp_http_sse.c has the channel a POST's messages go to and its SSE
 * stream.
 */
#ifndef AR_MCP_HTTP_INT_H
#define AR_MCP_HTTP_INT_H
#include <microhttpd.h>
#include <pthread.h>
#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "mcp.h"
#include "mcp_http.h"

/* The messages one POST caused, until the connection is done with them.
 * refs: the connection, plus each call still to answer. */
struct chan {
	struct mcp_out out;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct json *msgs;	/* array, in the order sent */
	size_t next;		/* SSE: the first message not yet streamed */
	int pending;		/* calls not yet released */
	int refs;
};

struct hsession {
	struct hsession *next;
	char id[33];		/* 128 random bits in hex */
	struct mcp_session *ss;
	double last_ms;		/* last request */
	int refs;		/* requests using it */
	int dead;		/* deleted or expired: freed at refs 0 */
};

struct http {
	const struct mcp_http_opts *ho;
	struct mcp_server *srv;
	int loopback;		/* bound to a loopback address */
	volatile int stopping;	/* drain time is over: cancel the rest */
	pthread_mutex_t mu;	/* guards sessions, nsessions, inflight */
	struct hsession *sessions;
	int nsessions;
	int inflight;		/* requests being handled */
};

/* One HTTP request, from its first header to its completion. */
struct hreq {
	struct http *h;
	struct buf body;
	int too_big;
	int fd;			/* the connection's socket */
	struct chan *ch;	/* NULL until a message was handled */
	struct json *msg;	/* the parsed message; owned */
	struct hsession *hs;	/* legacy: a ref on its session */
	int created;		/* initialize made hs */
	struct mcp_session *own;	/* modern: its own session */
	struct buf sse;		/* SSE bytes not yet handed out */
	size_t sse_off;
	int answered;		/* the response went out: end the stream */
};

/* ------------------------------------------------- mcp_http.c: responses */

/* Answers with status and body (copied); type and session (the
 * Mcp-Session-Id header) may be NULL. */
enum MHD_Result mcp_http_respond(struct MHD_Connection *conn,
    unsigned status, const char *type, const char *body, size_t len,
    const char *session);

/* Answers with the JSON message m (taken). */
enum MHD_Result mcp_http_respond_json(struct MHD_Connection *conn,
    unsigned status, struct json *m, const char *session);

/* An HTTP error with a JSON-RPC error body, with the request's id when
 * it is known (msg may be NULL). */
enum MHD_Result mcp_http_respond_error_id(struct MHD_Connection *conn,
    unsigned status, const struct json *msg, int code, const char *message);

#define mcp_http_respond_error(conn, status, code, message) \
	mcp_http_respond_error_id((conn), (status), NULL, (code), (message))

/* ------------------------------------------------------ mcp_http_post.c */

/* Handles a POST whose body was read. */
enum MHD_Result mcp_http_post(struct MHD_Connection *conn, struct hreq *r);

/* Ends r: calls not yet answered are cancelled (the client went away). */
void mcp_http_post_free(struct hreq *r);

/* Nonzero when the peer closed its end (or the server must stop). */
int mcp_http_post_peer_gone(struct hreq *r);

/* --------------------------------------------------- mcp_http_session.c */

/* A new session in the table, with one ref; NULL when it is full. */
struct hsession *mcp_http_session_new(struct http *h);

/* The live session with this id, with a ref taken; NULL when unknown. */
struct hsession *mcp_http_session_get(struct http *h, const char *id);

/* Drops a ref; a dead session is freed with its last one. */
void mcp_http_session_put(struct http *h, struct hsession *hs);

/* Ends hs (DELETE): its calls are cancelled, it is freed once unused. */
void mcp_http_session_end(struct http *h, struct hsession *hs);

/* Ends the sessions idle for longer than idle_s seconds (all when idle_s
 * is negative). */
void mcp_http_session_expire(struct http *h, int idle_s);

/* ------------------------------------------------------- mcp_http_sse.c */

/* A new channel, with the caller's ref. */
struct chan *mcp_http_chan_new(void);

/* Counts n calls that will answer through ch (taking a ref each). */
void mcp_http_chan_hold(struct chan *ch, int n);

/* Drops a ref and unlocks ch->mu (held by the caller); frees ch with its
 * last ref. */
void mcp_http_chan_unref_locked(struct chan *ch);

/* Waits up to HTTP_POLL_MS for news on ch. Under ch->mu. */
void mcp_http_chan_nap(struct chan *ch);

/* Answers r with an SSE stream of its channel's messages. */
enum MHD_Result mcp_http_sse_respond(struct MHD_Connection *conn,
    struct hreq *r);

#endif
