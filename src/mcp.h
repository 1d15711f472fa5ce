/*
 * mcp.h - a Model Context Protocol server on newline-delimited JSON-RPC 2.0.
 *
 * Knows JSON-RPC and the MCP lifecycle (protocol versions 2025-11-25 down
 * to 2024-11-05) and offers one tool, intelligent_code_gen, which runs
 * route_record() on a worker thread. Nothing here knows a wire format of a
 * backend. The output carries protocol messages only, one per line.
 */
#ifndef AR_MCP_H
#define AR_MCP_H
#include <stdio.h>

#include "config.h"
#include "err.h"
#include "route.h"

#define MCP_TOOL	"intelligent_code_gen"
#define MCP_WORKERS	8	/* tool calls served at once; more wait */

struct mcp_opts {
	const struct config *cfg;	/* borrowed; outlives mcp_serve() */
	struct route_opts route;
	int workers;		/* 1..MCP_WORKERS; 0 means MCP_WORKERS */
};

/*
 * Serves one MCP session: reads messages from in_fd, writes to out (each
 * message flushed, writes serialised). Returns when in_fd reaches end of
 * input or when stop_fd (a pipe a signal handler writes to; -1 for none)
 * becomes readable: calls in flight are then cancelled, their backend
 * requests aborted and none is answered. Returns 0, or -1 with e set when
 * reading in_fd or writing out failed or no thread could be started.
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
