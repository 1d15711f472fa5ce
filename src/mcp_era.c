/*
 * mcp_era.c - the methods of both MCP protocol eras. Legacy (2025-11-25
 * down to 2024-11-05): initialize negotiates the session's version, then
 * ping, logging/setLevel, tools/list and tools/call. Modern (2026-07-28):
 * server/discover, and requests that carry their version, capabilities
 * and client info in params._meta (checked here: -32022 for another
 * version); every modern result has resultType and serverInfo in _meta,
 * and a list result the caching hints ttlMs and cacheScope.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "mcp.h"
#include "mcp_int.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define MCP_LIST_TTL_MS	3600000	/* ttlMs of tools/list: the tool is fixed */

/* Supported legacy protocol versions, newest first: a client asking for
 * one of them gets it back; any other gets the first. */
static const char *const mcp_versions[] = {
	"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL
};

int
mcp_version_known(const char *v)
{
	size_t i;

	for (i = 0; mcp_versions[i] != NULL; i++)
		if (strcmp(v, mcp_versions[i]) == 0)
			return 1;
	return 0;
}

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

/* ------------------------------------------------------------ output */

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
void
mcp_era_result_modern(struct json *r)
{
	struct json *meta = json_obj_get(r, "_meta");

	json_obj_set(r, "resultType", json_stringz("complete"));
	if (meta == NULL) {
		meta = json_object();
		json_obj_set(r, "_meta", meta);
	}
	json_obj_set(meta, MCP_META_SERVER, server_info());
}

/* ------------------------------------------------------------ methods */

static void
do_initialize(struct req *rq)
{
	const char *want = json_obj_str(rq->params, "protocolVersion", NULL);
	struct json *r, *caps, *tools;
	size_t i;

	if (want == NULL) {
		mcp_reply_error(rq, MCP_INVALID_PARAMS, "Invalid params: "
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
	mcp_reply(rq, r);
}

static void
do_ping(struct req *rq)
{
	mcp_reply(rq, json_object());
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
		mcp_reply_error(rq, MCP_INVALID_PARAMS, "Invalid params: level "
		    "must be one of debug, info, notice, warning, error, "
		    "critical, alert, emergency");
		return;
	}
	snprintf(rq->ss->level, sizeof rq->ss->level, "%s", level);
	mcp_reply(rq, json_object());
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
	mcp_reply(rq, r);
}

static void
do_tools_list(struct req *rq)
{
	struct json *r, *tools;

	if (json_obj_get(rq->params, "cursor") != NULL) {
		mcp_reply_error(rq, MCP_INVALID_PARAMS,
		    "Invalid params: unknown cursor");
		return;
	}
	tools = json_array();
	json_arr_push(tools, json_copy(rq->ss->srv->tool));
	r = json_object();
	json_obj_set(r, "tools", tools);
	if (rq->modern)
		cache_hints(r);
	mcp_reply(rq, r);
}

const struct method mcp_era_legacy_methods[] = {
	{ "initialize", 0, do_initialize },
	{ "logging/setLevel", 1, do_set_level },
	{ "ping", 0, do_ping },
	{ "server/discover", 0, do_discover },
	{ "tools/call", 1, mcp_pool_tools_call },
	{ "tools/list", 1, do_tools_list },
	{ NULL, 0, NULL }
};

/* Under the modern _meta, initialize, ping and logging/setLevel are
 * unknown methods. */
const struct method mcp_era_modern_methods[] = {
	{ "server/discover", 0, do_discover },
	{ "tools/call", 0, mcp_pool_tools_call },
	{ "tools/list", 0, do_tools_list },
	{ NULL, 0, NULL }
};

/* --------------------------------------------------------- requests */

/* A modern request's _meta: the version must be ours (else -32022) and
 * the client capabilities an object (else -32602). Returns 0 when it is
 * good, else -1 after answering. */
int
mcp_era_modern_check(struct req *rq, const struct json *version)
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
		mcp_send_error(rq->out, rq->id, MCP_UNSUPPORTED_VERSION, data,
		    "Unsupported protocol version: this server speaks "
		    MCP_MODERN " (and 2025-11-25 to 2024-11-05 through "
		    "initialize)");
		return -1;
	}
	caps = json_obj_get(meta, MCP_META_CAPS);
	if (caps == NULL || caps->type != JSON_OBJECT) {
		mcp_reply_error(rq, MCP_INVALID_PARAMS, "Invalid params: _meta "
		    "must carry " MCP_META_CAPS " as an object");
		return -1;
	}
	client = json_obj_get(meta, MCP_META_CLIENT);
	log_debug("modern request from %.64s",
	    client != NULL && json_obj_str(client, "name", NULL) != NULL ?
	    json_obj_str(client, "name", NULL) : "an unnamed client");
	return 0;
}
