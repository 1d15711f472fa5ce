/*
 * mcp_roots.c - the client's roots: where a call's files and write_to may
 * be, besides the working directory. Asked with roots/list when the client
 * has the roots capability and the transport carries requests to it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "confine.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "mcp.h"
#include "mcp_int.h"
#include "mcp_tool.h"

/* The id prefix of this server's roots/list requests. */
#define MCP_ROOTS_ID	"aurarouter-roots-"

/* Asks the client for its roots, when it offers them and out can carry
 * a request. */
void
mcp_roots_ask(struct mcp_session *ss, struct mcp_out *out)
{
	struct json *m;
	char id[48];

	if (!ss->roots_cap || !out->requests)
		return;
	snprintf(id, sizeof id, MCP_ROOTS_ID "%ld", ++ss->roots_asked);
	m = mcp_msg_new(NULL);
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
void
mcp_roots_response(struct mcp_session *ss, const struct json *msg)
{
	const char *id = json_obj_str(msg, "id", NULL);
	const struct json *result = json_obj_get(msg, "result");

	if (id != NULL && strncmp(id, MCP_ROOTS_ID, strlen(MCP_ROOTS_ID)) ==
	    0 && result != NULL && result->type == JSON_OBJECT)
		on_roots(ss, result);
}

/* mcp_tool_prepare() within the session's roots (or the server's). */
struct json *
mcp_roots_prepare(struct mcp_session *ss, const struct json *args,
    struct mcp_tool_call *tc)
{
	struct json *bad;

	pthread_mutex_lock(&ss->mu);
	bad = mcp_tool_prepare(args, ss->roots.n > 0 ? &ss->roots :
	    &ss->srv->roots, tc);
	pthread_mutex_unlock(&ss->mu);
	return bad;
}
