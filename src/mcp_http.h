/*
 * mcp_http.h - the MCP server on Streamable HTTP (libmicrohttpd): POST,
 * GET and DELETE on /mcp, both protocol eras, sessions (Mcp-Session-Id)
 * for the legacy era, SSE for calls that ask for progress.
 */
#ifndef AR_MCP_HTTP_H
#define AR_MCP_HTTP_H
#include <stddef.h>

#include "err.h"
#include "mcp.h"

#define MCP_HTTP_MAX_BODY	(4u << 20)	/* bytes of one POST body */
#define MCP_HTTP_MAX_CONNS	64	/* connections at once */
#define MCP_HTTP_MAX_SESSIONS	1024	/* legacy sessions at once */
#define MCP_HTTP_IDLE_S		1800	/* a session idle longer ends */

struct mcp_http_opts {
	const char *addr;	/* "[HOST:]PORT"; HOST defaults to 127.0.0.1 */
	const char *token;	/* required as "Authorization: Bearer"; or NULL */
	size_t max_body;	/* 0: MCP_HTTP_MAX_BODY */
	int max_conns;		/* 0: MCP_HTTP_MAX_CONNS */
	int idle_s;		/* 0: MCP_HTTP_IDLE_S */
	int drain_s;		/* how long SIGTERM waits for calls in flight */
	void (*on_listen)(const char *url);	/* once listening; may be NULL */
};

/*
 * Serves MCP over HTTP until stop_fd (mcp_stop_on_signals()) becomes
 * readable; then stops accepting, lets the calls in flight finish (at
 * most drain_s seconds; the rest are cancelled) and returns 0. Returns -1
 * with e set when it cannot serve: code config_error for a bad address, a
 * non-loopback address without a token, or a port it cannot bind.
 */
int mcp_http_serve(const struct mcp_http_opts *ho, int stop_fd,
    const struct mcp_opts *opts, struct ar_err *e);

#endif
