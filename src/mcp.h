/*
 * mcp.h - a Model Context Protocol server: JSON-RPC 2.0 messages in both
 * protocol eras, independent of the transport.
 *
 * Legacy era: initialize negotiates 2025-11-25 down to 2024-11-05 for the
 * session (JSON-RPC batches when 2025-03-26 was negotiated). Modern era
 * (2026-07-28): server/discover, and any request whose params._meta
 * carries the protocol version is served on its own, statelessly.
 *
 * A server owns the workers that run the one tool, intelligent_code_gen
 * (route_record() on a worker thread); a session is one client's state
 * (negotiated version, its calls by id, the roots it declared: where a
 * call's files and write_to may be, besides the working directory; asked
 * with roots/list when the client has the roots capability and the
 * transport carries requests to it). Messages go out through a
 * struct mcp_out the transport provides per incoming message, so the
 * stdio loop (mcp_serve) and the HTTP transport (mcp_http.c) share it.
 */
#ifndef AR_MCP_H
#define AR_MCP_H
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "err.h"
#include "json.h"
#include "route.h"

#define MCP_TOOL	"intelligent_code_gen"
#define MCP_WORKERS	8	/* tool calls served at once; more wait */
#define MCP_MODERN	"2026-07-28"	/* the modern era's version */

/* The _meta keys of a modern request and result. */
#define MCP_META_VERSION	"io.modelcontextprotocol/protocolVersion"
#define MCP_META_CAPS		"io.modelcontextprotocol/clientCapabilities"
#define MCP_META_CLIENT		"io.modelcontextprotocol/clientInfo"
#define MCP_META_SERVER		"io.modelcontextprotocol/serverInfo"

/* JSON-RPC and MCP error codes. */
#define MCP_PARSE_ERROR		-32700
#define MCP_INVALID_REQUEST	-32600
#define MCP_METHOD_NOT_FOUND	-32601
#define MCP_INVALID_PARAMS	-32602
#define MCP_HEADER_MISMATCH	-32020
#define MCP_UNSUPPORTED_VERSION	-32022

struct mcp_opts {
	const struct config *cfg;	/* borrowed; outlives the server */
	struct route_opts route;
	int workers;		/* 1..MCP_WORKERS; 0 means MCP_WORKERS; -1
				 * none: see mcp_server_run_queued() */
};

/*
 * Where the messages caused by one incoming message go. send() takes msg
 * and may be called from worker threads; release() is called once for
 * every call mcp_session_message() reported queued, after its last send
 * (or with no send at all when the call was cancelled).
 */
struct mcp_out {
	void (*send)(struct mcp_out *o, struct json *msg);
	void (*release)(struct mcp_out *o);
	int requests;	/* can carry requests to the client (roots/list) */
};

struct mcp_server;
struct mcp_session;

/* Starts the workers. Returns the server, or NULL with e set. */
struct mcp_server *mcp_server_new(const struct mcp_opts *opts,
    struct ar_err *e);

/* Cancels every live call (none is answered) and frees srv. */
void mcp_server_free(struct mcp_server *srv);

/*
 * Runs the calls queued on srv on the calling thread, one after another,
 * each answered (and its out released) before it returns. For a server
 * started with workers -1, whose sessions are fed one message at a time
 * without threads (the fuzz harness). Returns the number of calls run.
 */
int mcp_server_run_queued(struct mcp_server *srv);

/* A new session of srv (not yet initialized); mcp_session_free() it. */
struct mcp_session *mcp_session_new(struct mcp_server *srv);

/* Cancels the session's live calls (not answered) and frees it. */
void mcp_session_free(struct mcp_session *ss);

/* Cancels the session's call with this id, if it is live; every live
 * call of the session when id is NULL. */
void mcp_session_cancel(struct mcp_session *ss, const struct json *id);

/* The version initialize negotiated (borrowed), or NULL before. */
const char *mcp_session_version(const struct mcp_session *ss);

/*
 * Handles one parsed message (an object, or an array: a batch) and sends
 * what it causes to out. Returns the number of tool calls it queued: each
 * answers later through out and then releases it.
 */
int mcp_session_message(struct mcp_session *ss, const struct json *msg,
    struct mcp_out *out);

/* Handles one input line: a parse error is answered with -32700. */
int mcp_session_line(struct mcp_session *ss, const char *line, size_t len,
    struct mcp_out *out);

/* Nonzero when v names a protocol version of the 2025 era that the server
 * speaks (initialize's answer, and Streamable HTTP's MCP-Protocol-Version). */
int mcp_version_known(const char *v);

/* The error message {"jsonrpc":"2.0","error":{code,message}} (id
 * omitted when NULL); owned. */
struct json *mcp_error_msg(const struct json *id, int code,
    const char *message);

/* params._meta of a message's params, or NULL. Borrowed. */
const struct json *mcp_meta(const struct json *params);

/*
 * Serves one MCP session on stdio: reads messages from in_fd, writes to
 * out (each message flushed, writes serialised). Returns when in_fd
 * reaches end of input or when stop_fd (a pipe a signal handler writes
 * to; -1 for none) becomes readable: calls in flight are then cancelled,
 * their backend requests aborted and none is answered. Returns 0, or -1
 * with e set when reading in_fd or writing out failed or no thread could
 * be started.
 */
int mcp_serve(int in_fd, int stop_fd, FILE *out, const struct mcp_opts *opts,
    struct ar_err *e);

/*
 * Makes SIGTERM and SIGINT stop the server cleanly: their handler writes to
 * a pipe whose read end is returned, for mcp_serve()'s stop_fd. Also
 * ignores SIGPIPE, so a client that went away is a write error. Returns the
 * fd, or -1 with e set.
 */
int mcp_stop_on_signals(struct ar_err *e);

#endif
