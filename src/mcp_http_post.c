/*
 * mcp_http_post.c - one POST on /mcp: its message is legacy (the session
 * initialize created, named by Mcp-Session-Id) or modern (the version in
 * params._meta, the headers equal to the body, a session of its own that
 * ends with the request). The connection's thread waits for the answer
 * and sends it as JSON, or streams the messages as SSE when the call
 * asked for progress (mcp_http_sse.c); a client that hangs up meanwhile
 * cancels its calls.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "mcp.h"
#include "mcp_http.h"
#include "mcp_http_int.h"

/* ----------------------------------------------------------- requests */

/* The session the message went to. */
static struct mcp_session *
hreq_session(struct hreq *r)
{
	return r->own != NULL ? r->own : r->hs != NULL ? r->hs->ss : NULL;
}

/* Cancels the calls of r that are not answered yet. */
static void
hreq_cancel(struct hreq *r)
{
	struct mcp_session *ss = hreq_session(r);
	const struct json *id;
	size_t i, n;

	if (ss == NULL || r->msg == NULL)
		return;
	n = r->msg->type == JSON_ARRAY ? r->msg->n : 1;
	for (i = 0; i < n; i++) {
		id = json_obj_get(r->msg->type == JSON_ARRAY ?
		    r->msg->items[i] : r->msg, "id");
		if (id != NULL)
			mcp_session_cancel(ss, id);
	}
}

void
mcp_http_post_free(struct hreq *r)
{
	int pending = 0;

	if (r->ch != NULL) {
		pthread_mutex_lock(&r->ch->mu);
		pending = r->ch->pending;
		pthread_mutex_unlock(&r->ch->mu);
	}
	if (pending > 0 && !r->answered) {
		log_debug("client went away: its call is cancelled");
		hreq_cancel(r);
	}
	if (r->ch != NULL) {
		pthread_mutex_lock(&r->ch->mu);
		mcp_http_chan_unref_locked(r->ch);
	}
	if (r->hs != NULL)
		mcp_http_session_put(r->h, r->hs);
	mcp_session_free(r->own);
	json_free(r->msg);
	buf_free(&r->body);
	buf_free(&r->sse);
	pthread_mutex_lock(&r->h->mu);
	r->h->inflight--;
	pthread_mutex_unlock(&r->h->mu);
	free(r);
}

/* Nonzero when the peer closed its end (or the server must stop). */
int
mcp_http_post_peer_gone(struct hreq *r)
{
	struct pollfd p = { r->fd, POLLRDHUP, 0 };

	if (r->h->stopping)
		return 1;
	return poll(&p, 1, 0) > 0 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* ------------------------------------------------------------- checks */

/* Nonzero when the header value list (Accept) names type, or any. */
static int
accepts(const char *accept, const char *type)
{
	return accept == NULL || strstr(accept, type) != NULL ||
	    strstr(accept, "*/*") != NULL;
}

/* ------------------------------------------------------- the message */

/* The first request in msg (an object, or a batch's), or NULL. */
static const struct json *
first_request(const struct json *msg)
{
	size_t i;

	if (msg->type == JSON_OBJECT)
		return json_obj_get(msg, "id") != NULL &&
		    json_obj_get(msg, "method") != NULL ? msg : NULL;
	for (i = 0; msg->type == JSON_ARRAY && i < msg->n; i++)
		if (first_request(msg->items[i]) != NULL)
			return msg->items[i];
	return NULL;
}

/* The modern version of msg (a single request's _meta), or NULL. */
static const struct json *
modern_version(const struct json *msg)
{
	const struct json *meta;

	if (msg->type != JSON_OBJECT ||
	    (meta = mcp_meta(json_obj_get(msg, "params"))) == NULL)
		return NULL;
	return json_obj_get(meta, MCP_META_VERSION);
}

/* Nonzero when header value hv, without surrounding blanks, is v. */
static int
header_is(const char *hv, const char *v)
{
	size_t len;

	if (hv == NULL || v == NULL)
		return 0;
	hv += strspn(hv, " \t");
	for (len = strlen(hv); len > 0 && strchr(" \t", hv[len - 1]); len--)
		;
	return len == strlen(v) && memcmp(hv, v, len) == 0;
}

/* The headers a modern POST must carry, equal to its body. Returns NULL
 * when they match, else what is wrong. */
static const char *
modern_headers(struct MHD_Connection *conn, const struct json *msg,
    const struct json *version)
{
	const char *hv = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "MCP-Protocol-Version");
	const char *hm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Mcp-Method");
	const char *hn = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Mcp-Name");
	const char *method = json_obj_str(msg, "method", NULL);
	const char *name = json_obj_str(json_obj_get(msg, "params"), "name",
	    NULL);

	if (version->type != JSON_STRING || !header_is(hv, version->s))
		return "Header mismatch: MCP-Protocol-Version must equal "
		    "the version in _meta";
	if (!header_is(hm, method))
		return "Header mismatch: Mcp-Method must equal the method";
	if (strcmp(method, "tools/call") == 0 && !header_is(hn, name))
		return "Header mismatch: Mcp-Name must equal params.name";
	return NULL;
}

/* A legacy POST's MCP-Protocol-Version, when present, must be one the
 * server speaks. */
static int
legacy_version_ok(struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "MCP-Protocol-Version");

	return v == NULL || mcp_version_known(v);
}

/* ------------------------------------------------------------ POST */

/* Waits until every call of r was answered. Returns 0, or -1 when the
 * peer left first (the calls are then cancelled by mcp_http_post_free). */
static int
wait_answered(struct hreq *r)
{
	struct chan *ch = r->ch;
	int gone = 0;

	pthread_mutex_lock(&ch->mu);
	while (ch->pending > 0 && !gone) {
		mcp_http_chan_nap(ch);
		gone = ch->pending > 0 && mcp_http_post_peer_gone(r);
	}
	pthread_mutex_unlock(&ch->mu);
	return gone ? -1 : 0;
}

/* The HTTP status of a modern single answer: 404 for an unknown method,
 * 400 for an unsupported version, else 200. */
static unsigned
modern_status(const struct json *answer)
{
	const struct json *err = json_obj_get(answer, "error");
	double code;

	if (err == NULL || !json_obj_num(err, "code", &code))
		return MHD_HTTP_OK;
	if (code == MCP_METHOD_NOT_FOUND)
		return MHD_HTTP_NOT_FOUND;
	if (code == MCP_UNSUPPORTED_VERSION || code == MCP_HEADER_MISMATCH)
		return MHD_HTTP_BAD_REQUEST;
	return MHD_HTTP_OK;
}

/* Answers once the calls are done: the response (or the batch's array)
 * as JSON; progress notifications are dropped. */
static enum MHD_Result
respond_answer(struct MHD_Connection *conn, struct hreq *r)
{
	struct chan *ch = r->ch;
	struct json *answer = NULL;
	const char *session = NULL;
	size_t i;

	if (wait_answered(r) == -1)
		return MHD_NO;
	pthread_mutex_lock(&ch->mu);
	for (i = 0; i < ch->msgs->n && answer == NULL; i++)
		if (json_obj_get(ch->msgs->items[i], "method") == NULL)
			answer = json_copy(ch->msgs->items[i]);
	pthread_mutex_unlock(&ch->mu);
	if (answer == NULL)	/* cancelled, or only notifications */
		return mcp_http_respond(conn, MHD_HTTP_ACCEPTED, NULL, "", 0,
		    NULL);
	if (r->created && mcp_session_version(r->hs->ss) != NULL)
		session = r->hs->id;
	else if (r->created)	/* initialize failed: no session */
		mcp_http_session_end(r->h, r->hs);
	return mcp_http_respond_json(conn, r->own != NULL ?
	    modern_status(answer) : MHD_HTTP_OK, answer, session);
}

/* Finds or makes the legacy session of a POST. Returns 0, or answers
 * (400/404/503) and returns -1 (*ret set). */
static int
legacy_session(struct MHD_Connection *conn, struct hreq *r,
    enum MHD_Result *ret)
{
	const char *sid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Mcp-Session-Id");
	const char *method = json_obj_str(r->msg, "method", NULL);

	if (method != NULL && strcmp(method, "initialize") == 0) {
		if ((r->hs = mcp_http_session_new(r->h)) == NULL) {
			*ret = mcp_http_respond_error(conn,
			    MHD_HTTP_SERVICE_UNAVAILABLE, MCP_INVALID_REQUEST,
			    "Too many sessions");
			return -1;
		}
		r->created = 1;
		return 0;
	}
	if (sid == NULL) {
		*ret = mcp_http_respond_error(conn, MHD_HTTP_BAD_REQUEST,
		    MCP_INVALID_REQUEST, "Bad Request: Mcp-Session-Id header "
		    "is required (send initialize first)");
		return -1;
	}
	if ((r->hs = mcp_http_session_get(r->h, sid)) == NULL) {
		*ret = mcp_http_respond_error(conn, MHD_HTTP_NOT_FOUND,
		    MCP_INVALID_REQUEST, "Session not found");
		return -1;
	}
	if (!legacy_version_ok(conn)) {
		*ret = mcp_http_respond_error(conn, MHD_HTTP_BAD_REQUEST,
		    MCP_INVALID_REQUEST, "Bad Request: unsupported "
		    "MCP-Protocol-Version");
		return -1;
	}
	return 0;
}

/* The session of a modern POST: _meta and headers checked, a session of
 * its own. Returns 0, or answers 400 and returns -1 (*ret set). */
static int
modern_session(struct MHD_Connection *conn, struct hreq *r,
    const struct json *version, enum MHD_Result *ret)
{
	const struct json *meta = mcp_meta(json_obj_get(r->msg, "params"));
	const struct json *caps = json_obj_get(meta, MCP_META_CAPS);
	int request = first_request(r->msg) != NULL;
	const char *bad = NULL;
	int code = MCP_INVALID_PARAMS;

	if (request && version == NULL)
		bad = "Invalid params: _meta must carry " MCP_META_VERSION;
	else if (version != NULL && version->type == JSON_STRING &&
	    strcmp(version->s, MCP_MODERN) == 0 &&
	    (caps == NULL || caps->type != JSON_OBJECT))
		bad = "Invalid params: _meta must carry " MCP_META_CAPS
		    " as an object";
	else if (version != NULL &&
	    (bad = modern_headers(conn, r->msg, version)) != NULL)
		code = MCP_HEADER_MISMATCH;
	if (bad != NULL) {
		*ret = mcp_http_respond_error_id(conn, MHD_HTTP_BAD_REQUEST,
		    r->msg, code, bad);
		return -1;
	}
	r->own = mcp_session_new(r->h->srv);
	return 0;
}

/* Whether a POST is legacy: initialize, a session, or a legacy version
 * header; else it is modern (the version belongs in _meta). */
static int
is_legacy(struct MHD_Connection *conn, const struct json *msg)
{
	const char *method = json_obj_str(msg, "method", NULL);
	const char *hv = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "MCP-Protocol-Version");

	if (modern_version(msg) != NULL)
		return 0;
	if (msg->type == JSON_ARRAY || (method != NULL &&
	    strcmp(method, "initialize") == 0) ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Mcp-Session-Id") != NULL)
		return 1;
	return hv == NULL || (legacy_version_ok(conn) &&
	    strcmp(hv, MCP_MODERN) != 0);
}

enum MHD_Result
mcp_http_post(struct MHD_Connection *conn, struct hreq *r)
{
	const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *accept = MHD_lookup_connection_value(conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	const struct json *version, *req;
	struct json_error jerr;
	enum MHD_Result ret;
	int queued;

	if (r->too_big)
		return mcp_http_respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    MCP_INVALID_REQUEST, "Payload Too Large");
	if (type == NULL || strncasecmp(type, "application/json", 16) != 0)
		return mcp_http_respond_error(conn,
		    MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, MCP_INVALID_REQUEST,
		    "Unsupported Media Type: "
		    "Content-Type must be application/json");
	if (!accepts(accept, "application/json") ||
	    !accepts(accept, "text/event-stream"))
		return mcp_http_respond_error(conn, MHD_HTTP_NOT_ACCEPTABLE,
		    MCP_INVALID_REQUEST, "Not Acceptable: Accept must list "
		    "application/json and text/event-stream");
	if ((r->msg = json_parse(buf_str(&r->body), r->body.len,
	    r->h->ho->max_body, &jerr)) == NULL)
		return mcp_http_respond_error(conn, MHD_HTTP_BAD_REQUEST,
		    MCP_PARSE_ERROR, "Parse error");
	version = modern_version(r->msg);
	if (!is_legacy(conn, r->msg)) {
		if (modern_session(conn, r, version, &ret) == -1)
			return ret;
	} else if (legacy_session(conn, r, &ret) == -1)
		return ret;
	r->ch = mcp_http_chan_new();
	req = first_request(r->msg);
	queued = mcp_session_message(hreq_session(r), r->msg, &r->ch->out);
	mcp_http_chan_hold(r->ch, queued);
	if (req == NULL && queued == 0)
		return mcp_http_respond(conn, MHD_HTTP_ACCEPTED, NULL, "", 0,
		    NULL);
	if (queued > 0 && accepts(accept, "text/event-stream") &&
	    mcp_meta(json_obj_get(req, "params")) != NULL &&
	    json_obj_get(mcp_meta(json_obj_get(req, "params")),
	    "progressToken") != NULL)
		return mcp_http_sse_respond(conn, r);
	return respond_answer(conn, r);
}
