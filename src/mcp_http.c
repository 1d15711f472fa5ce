/*
 * mcp_http.c - the MCP server on Streamable HTTP, on libmicrohttpd with a
 * thread per connection.
 *
 * POST /mcp carries one JSON-RPC message (or a batch). A legacy message
 * belongs to the session initialize created (Mcp-Session-Id); a modern
 * one (the version in params._meta) is served on a session of its own
 * that ends with the request. What the message causes goes to a channel
 * (struct chan, a struct mcp_out): the connection's thread waits on it
 * and answers with JSON, or streams it as SSE when the call asked for
 * progress. While it waits it watches the socket: a client that hangs up
 * cancels its call, which frees the backend.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "mcp.h"
#include "mcp_http.h"
#include "xalloc.h"

#define HTTP_PATH	"/mcp"
#define HTTP_POLL_MS	200	/* how often a waiting request checks its peer */

/* ----------------------------------------------------------- channels */

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

static void
chan_unref_locked(struct chan *ch)
{
	int last = --ch->refs == 0;

	pthread_mutex_unlock(&ch->mu);
	if (!last)
		return;
	json_free(ch->msgs);
	pthread_cond_destroy(&ch->cv);
	pthread_mutex_destroy(&ch->mu);
	free(ch);
}

static void
chan_send(struct mcp_out *o, struct json *msg)
{
	struct chan *ch = (struct chan *)o;

	pthread_mutex_lock(&ch->mu);
	json_arr_push(ch->msgs, msg);
	pthread_cond_broadcast(&ch->cv);
	pthread_mutex_unlock(&ch->mu);
}

static void
chan_release(struct mcp_out *o)
{
	struct chan *ch = (struct chan *)o;

	pthread_mutex_lock(&ch->mu);
	ch->pending--;
	pthread_cond_broadcast(&ch->cv);
	chan_unref_locked(ch);
}

static struct chan *
chan_new(void)
{
	struct chan *ch = xcalloc(1, sizeof *ch);

	ch->out.send = chan_send;
	ch->out.release = chan_release;
	pthread_mutex_init(&ch->mu, NULL);
	pthread_cond_init(&ch->cv, NULL);
	ch->msgs = json_array();
	ch->refs = 1;
	return ch;
}

/* Counts n calls that will answer through ch (taking a ref each). */
static void
chan_hold(struct chan *ch, int n)
{
	pthread_mutex_lock(&ch->mu);
	ch->pending += n;
	ch->refs += n;
	pthread_mutex_unlock(&ch->mu);
}

/* Waits up to HTTP_POLL_MS for news on ch. Under ch->mu. */
static void
chan_nap(struct chan *ch)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += HTTP_POLL_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&ch->cv, &ch->mu, &ts);
}

/* ----------------------------------------------------------- sessions */

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

static void
hsession_free(struct hsession *hs)
{
	mcp_session_free(hs->ss);
	free(hs);
}

/* A new session in the table, with one ref; NULL when it is full. */
static struct hsession *
hsession_new(struct http *h)
{
	unsigned char rnd[16];
	struct hsession *hs;
	size_t i, got = 0;
	ssize_t n;

	while (got < sizeof rnd) {
		if ((n = getrandom(rnd + got, sizeof rnd - got, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		got += (size_t)n;
	}
	hs = xcalloc(1, sizeof *hs);
	for (i = 0; i < sizeof rnd; i++)
		snprintf(hs->id + 2 * i, 3, "%02x", rnd[i]);
	hs->ss = mcp_session_new(h->srv);
	hs->last_ms = clock_now_ms();
	hs->refs = 1;
	pthread_mutex_lock(&h->mu);
	if (h->nsessions >= MCP_HTTP_MAX_SESSIONS) {
		pthread_mutex_unlock(&h->mu);
		hsession_free(hs);
		return NULL;
	}
	hs->next = h->sessions;
	h->sessions = hs;
	h->nsessions++;
	pthread_mutex_unlock(&h->mu);
	return hs;
}

/* The live session with this id, with a ref taken; NULL when unknown. */
static struct hsession *
hsession_get(struct http *h, const char *id)
{
	struct hsession *hs;

	pthread_mutex_lock(&h->mu);
	for (hs = h->sessions; hs != NULL; hs = hs->next)
		if (!hs->dead && strcmp(hs->id, id) == 0) {
			hs->refs++;
			hs->last_ms = clock_now_ms();
			break;
		}
	pthread_mutex_unlock(&h->mu);
	return hs;
}

/* Unlinks hs. Under h->mu. */
static void
hsession_unlink(struct http *h, struct hsession *hs)
{
	struct hsession **pp;

	for (pp = &h->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == hs) {
			*pp = hs->next;
			h->nsessions--;
			return;
		}
}

/* Drops a ref; a dead session is freed with its last one. */
static void
hsession_put(struct http *h, struct hsession *hs)
{
	int gone;

	pthread_mutex_lock(&h->mu);
	hs->last_ms = clock_now_ms();
	gone = --hs->refs == 0 && hs->dead;
	if (gone)
		hsession_unlink(h, hs);
	pthread_mutex_unlock(&h->mu);
	if (gone)
		hsession_free(hs);
}

/* Ends hs (DELETE): its calls are cancelled, it is freed once unused. */
static void
hsession_end(struct http *h, struct hsession *hs)
{
	pthread_mutex_lock(&h->mu);
	hs->dead = 1;
	pthread_mutex_unlock(&h->mu);
	mcp_session_cancel(hs->ss, NULL);
}

/* Ends the sessions idle for longer than the limit (all when idle_s is
 * negative). */
static void
hsession_expire(struct http *h, int idle_s)
{
	struct hsession *hs, *next, *dead = NULL;
	double now = clock_now_ms();

	pthread_mutex_lock(&h->mu);
	for (hs = h->sessions; hs != NULL; hs = next) {
		next = hs->next;
		if (hs->refs == 0 && (idle_s < 0 ||
		    now - hs->last_ms > idle_s * 1000.0)) {
			hsession_unlink(h, hs);
			hs->next = dead;
			dead = hs;
		}
	}
	pthread_mutex_unlock(&h->mu);
	for (hs = dead; hs != NULL; hs = next) {
		next = hs->next;
		log_debug("session %.8s... ended (idle)", hs->id);
		hsession_free(hs);
	}
}

/* ----------------------------------------------------------- requests */

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

static void
hreq_free(struct hreq *r)
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
		chan_unref_locked(r->ch);
	}
	if (r->hs != NULL)
		hsession_put(r->h, r->hs);
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
static int
peer_gone(struct hreq *r)
{
	struct pollfd p = { r->fd, POLLRDHUP, 0 };

	if (r->h->stopping)
		return 1;
	return poll(&p, 1, 0) > 0 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* -------------------------------------------------------- responses */

static enum MHD_Result
respond(struct MHD_Connection *conn, unsigned status, const char *type,
    const char *body, size_t len, const char *session)
{
	struct MHD_Response *rs;
	enum MHD_Result ret;

	rs = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (rs == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(rs, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (session != NULL)
		MHD_add_response_header(rs, "Mcp-Session-Id", session);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(rs, MHD_HTTP_HEADER_ALLOW,
		    "POST, DELETE");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(rs, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer");
	ret = MHD_queue_response(conn, status, rs);
	MHD_destroy_response(rs);
	return ret;
}

/* Answers with the JSON message m (taken). */
static enum MHD_Result
respond_json(struct MHD_Connection *conn, unsigned status, struct json *m,
    const char *session)
{
	struct buf b = BUF_INIT;
	enum MHD_Result ret;

	json_write(&b, m);
	json_free(m);
	ret = respond(conn, status, "application/json", buf_str(&b), b.len,
	    session);
	buf_free(&b);
	return ret;
}

/* An HTTP error with a JSON-RPC error body, with the request's id when
 * it is known (msg may be NULL). */
static enum MHD_Result
respond_error_id(struct MHD_Connection *conn, unsigned status,
    const struct json *msg, int code, const char *message)
{
	const struct json *id = msg != NULL && msg->type == JSON_OBJECT ?
	    json_obj_get(msg, "id") : NULL;

	log_debug("HTTP %u: %s", status, message);
	if (id != NULL && id->type != JSON_STRING && id->type != JSON_NUMBER)
		id = NULL;
	return respond_json(conn, status, mcp_error_msg(id, code, message),
	    NULL);
}

#define respond_error(conn, status, code, message) \
	respond_error_id((conn), (status), NULL, (code), (message))

/* ------------------------------------------------------------- checks */

/* Nonzero when host (of a Host header or an origin, port allowed) is
 * localhost, 127.0.0.1 or [::1]. */
static int
host_is_loopback(const char *host, size_t len)
{
	static const char *const names[] = {
		"localhost", "127.0.0.1", "[::1]", NULL
	};
	size_t i, n;

	for (i = 0; names[i] != NULL; i++) {
		n = strlen(names[i]);
		if (len >= n && strncasecmp(host, names[i], n) == 0 &&
		    (len == n || host[n] == ':'))
			return 1;
	}
	return 0;
}

/* Origin and Host against DNS rebinding: an Origin must name a loopback
 * host or this server's Host; on a loopback bind the Host must be a
 * loopback name. Returns 0 when they pass. */
static int
check_origin(struct http *h, struct MHD_Connection *conn)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Host");
	const char *p;

	if (h->loopback && host != NULL &&
	    !host_is_loopback(host, strlen(host)))
		return -1;
	if (origin == NULL)
		return 0;
	if ((p = strstr(origin, "://")) == NULL)
		return -1;
	p += 3;
	if (host_is_loopback(p, strcspn(p, "/")))
		return 0;
	return host != NULL && strlen(host) == strcspn(p, "/") &&
	    strncasecmp(p, host, strlen(host)) == 0 ? 0 : -1;
}

/* Compares without stopping early, so timing tells nothing. */
static int
token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

static int
check_token(struct http *h, struct MHD_Connection *conn)
{
	const char *auth;

	if (h->ho->token == NULL)
		return 0;
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return -1;
	return token_equal(auth + 7, h->ho->token) ? 0 : -1;
}

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
	static const char *const known[] = {
		"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL
	};
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "MCP-Protocol-Version");
	size_t i;

	for (i = 0; v != NULL && known[i] != NULL; i++)
		if (strcmp(v, known[i]) == 0)
			return 1;
	return v == NULL;
}

/* ------------------------------------------------------------ SSE */

/* Fills r->sse with the next message as an SSE event; waits for one.
 * Returns 1 when there is one, 0 at the end, -1 when the peer left. */
static int
sse_next(struct hreq *r)
{
	struct chan *ch = r->ch;
	struct json *m = NULL;

	if (r->answered)
		return 0;
	pthread_mutex_lock(&ch->mu);
	for (;;) {
		if (ch->next < ch->msgs->n) {
			m = ch->msgs->items[ch->next++];
			break;
		}
		if (ch->pending == 0)
			break;
		chan_nap(ch);
		if (ch->next == ch->msgs->n && ch->pending > 0 &&
		    peer_gone(r)) {
			pthread_mutex_unlock(&ch->mu);
			return -1;
		}
	}
	if (m != NULL) {
		/* A single request's response is the last of its stream. */
		r->answered = r->msg->type == JSON_OBJECT &&
		    json_obj_get(m, "method") == NULL;
		buf_reset(&r->sse);
		r->sse_off = 0;
		buf_adds(&r->sse, "event: message\ndata: ");
		json_write(&r->sse, m);
		buf_adds(&r->sse, "\n\n");
	}
	pthread_mutex_unlock(&ch->mu);
	return m != NULL;
}

static ssize_t
sse_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct hreq *r = cls;
	size_t n;
	int st;

	(void)pos;
	if (r->sse_off == r->sse.len) {
		if ((st = sse_next(r)) == 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (st == -1)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	n = r->sse.len - r->sse_off;
	if (n > max)
		n = max;
	memcpy(out, r->sse.s + r->sse_off, n);
	r->sse_off += n;
	return (ssize_t)n;
}

static enum MHD_Result
respond_sse(struct MHD_Connection *conn, struct hreq *r)
{
	struct MHD_Response *rs;
	enum MHD_Result ret;

	rs = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
	    sse_reader, r, NULL);
	if (rs == NULL)
		return MHD_NO;
	MHD_add_response_header(rs, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/event-stream");
	MHD_add_response_header(rs, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-cache");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, rs);
	MHD_destroy_response(rs);
	return ret;
}

/* ------------------------------------------------------------ POST */

/* Waits until every call of r was answered. Returns 0, or -1 when the
 * peer left first (the calls are then cancelled by hreq_free). */
static int
wait_answered(struct hreq *r)
{
	struct chan *ch = r->ch;
	int gone = 0;

	pthread_mutex_lock(&ch->mu);
	while (ch->pending > 0 && !gone) {
		chan_nap(ch);
		gone = ch->pending > 0 && peer_gone(r);
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
		return respond(conn, MHD_HTTP_ACCEPTED, NULL, "", 0, NULL);
	if (r->created && mcp_session_version(r->hs->ss) != NULL)
		session = r->hs->id;
	else if (r->created)	/* initialize failed: no session */
		hsession_end(r->h, r->hs);
	return respond_json(conn, r->own != NULL ? modern_status(answer) :
	    MHD_HTTP_OK, answer, session);
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
		if ((r->hs = hsession_new(r->h)) == NULL) {
			*ret = respond_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
			    MCP_INVALID_REQUEST, "Too many sessions");
			return -1;
		}
		r->created = 1;
		return 0;
	}
	if (sid == NULL) {
		*ret = respond_error(conn, MHD_HTTP_BAD_REQUEST,
		    MCP_INVALID_REQUEST, "Bad Request: Mcp-Session-Id header "
		    "is required (send initialize first)");
		return -1;
	}
	if ((r->hs = hsession_get(r->h, sid)) == NULL) {
		*ret = respond_error(conn, MHD_HTTP_NOT_FOUND,
		    MCP_INVALID_REQUEST, "Session not found");
		return -1;
	}
	if (!legacy_version_ok(conn)) {
		*ret = respond_error(conn, MHD_HTTP_BAD_REQUEST,
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
		*ret = respond_error_id(conn, MHD_HTTP_BAD_REQUEST, r->msg, code,
		    bad);
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

static enum MHD_Result
on_post(struct MHD_Connection *conn, struct hreq *r)
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
		return respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    MCP_INVALID_REQUEST, "Payload Too Large");
	if (type == NULL || strncasecmp(type, "application/json", 16) != 0)
		return respond_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    MCP_INVALID_REQUEST, "Unsupported Media Type: "
		    "Content-Type must be application/json");
	if (!accepts(accept, "application/json") ||
	    !accepts(accept, "text/event-stream"))
		return respond_error(conn, MHD_HTTP_NOT_ACCEPTABLE,
		    MCP_INVALID_REQUEST, "Not Acceptable: Accept must list "
		    "application/json and text/event-stream");
	if ((r->msg = json_parse(buf_str(&r->body), r->body.len,
	    r->h->ho->max_body, &jerr)) == NULL)
		return respond_error(conn, MHD_HTTP_BAD_REQUEST,
		    MCP_PARSE_ERROR, "Parse error");
	version = modern_version(r->msg);
	if (!is_legacy(conn, r->msg)) {
		if (modern_session(conn, r, version, &ret) == -1)
			return ret;
	} else if (legacy_session(conn, r, &ret) == -1)
		return ret;
	r->ch = chan_new();
	req = first_request(r->msg);
	queued = mcp_session_message(hreq_session(r), r->msg, &r->ch->out);
	chan_hold(r->ch, queued);
	if (req == NULL && queued == 0)
		return respond(conn, MHD_HTTP_ACCEPTED, NULL, "", 0, NULL);
	if (queued > 0 && accepts(accept, "text/event-stream") &&
	    mcp_meta(json_obj_get(req, "params")) != NULL &&
	    json_obj_get(mcp_meta(json_obj_get(req, "params")),
	    "progressToken") != NULL)
		return respond_sse(conn, r);
	return respond_answer(conn, r);
}

/* ---------------------------------------------------------- handler */

static enum MHD_Result
on_delete(struct http *h, struct MHD_Connection *conn)
{
	const char *sid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Mcp-Session-Id");
	struct hsession *hs;

	if (sid == NULL)
		return respond_error(conn, MHD_HTTP_BAD_REQUEST,
		    MCP_INVALID_REQUEST, "Bad Request: Mcp-Session-Id header "
		    "is required");
	if ((hs = hsession_get(h, sid)) == NULL)
		return respond_error(conn, MHD_HTTP_NOT_FOUND,
		    MCP_INVALID_REQUEST, "Session not found");
	hsession_end(h, hs);
	hsession_put(h, hs);
	log_debug("session %.8s... ended by the client", sid);
	return respond(conn, MHD_HTTP_OK, NULL, "", 0, NULL);
}

/* The checks before the body is read: path, method, origin, token.
 * Returns 0 to go on, else answers and returns -1 (*ret set). */
static int
check_request(struct http *h, struct MHD_Connection *conn, const char *url,
    const char *method, enum MHD_Result *ret)
{
	const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (strcmp(url, HTTP_PATH) != 0)
		*ret = respond_error(conn, MHD_HTTP_NOT_FOUND,
		    MCP_INVALID_REQUEST, "Not Found: the MCP endpoint is "
		    HTTP_PATH);
	else if (check_origin(h, conn) == -1)
		*ret = respond_error(conn, MHD_HTTP_FORBIDDEN,
		    MCP_INVALID_REQUEST, "Forbidden: Origin or Host not "
		    "allowed");
	else if (check_token(h, conn) == -1)
		*ret = respond_error(conn, MHD_HTTP_UNAUTHORIZED,
		    MCP_INVALID_REQUEST, "Unauthorized: a valid "
		    "Authorization: Bearer token is required");
	else if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
		*ret = on_delete(h, conn);
	else if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		*ret = respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    MCP_INVALID_REQUEST, "Method Not Allowed: this server "
		    "opens no stream on GET");
	else if (len != NULL && strtoull(len, NULL, 10) > h->ho->max_body)
		*ret = respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    MCP_INVALID_REQUEST, "Payload Too Large");
	else
		return 0;
	return -1;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct hreq *r = *con_cls;
	const union MHD_ConnectionInfo *ci;
	enum MHD_Result ret;

	(void)version;
	if (r == NULL) {
		if (check_request(h, conn, url, method, &ret) == -1)
			return ret;
		r = xcalloc(1, sizeof *r);
		r->h = h;
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		r->fd = ci != NULL ? ci->connect_fd : -1;
		pthread_mutex_lock(&h->mu);
		h->inflight++;
		pthread_mutex_unlock(&h->mu);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (r->body.len + *upload_size > h->ho->max_body)
			r->too_big = 1;
		else
			buf_add(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return on_post(conn, r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)conn;
	(void)why;
	if (*con_cls != NULL)
		hreq_free(*con_cls);
	*con_cls = NULL;
}

/* ---------------------------------------------------------- serving */

/* Parses "[HOST:]PORT" into a socket address. Returns 0, or -1 with e
 * set. *loopback says whether it is a loopback address. */
static int
parse_addr(const char *arg, struct sockaddr_storage *sa, int *loopback,
    struct ar_err *e)
{
	struct addrinfo hints, *ai;
	char host[256];
	const char *colon = strrchr(arg, ':'), *port = colon ? colon + 1 : arg;
	size_t hl = colon ? (size_t)(colon - arg) : 0;
	char *end;
	long p = strtol(port, &end, 10);
	int rc;

	if (*port == '\0' || *end != '\0' || p < 0 || p > 65535)
		return err_set(e, AR_E_CONFIG, "--http %.64s: the port must be "
		    "a number from 0 to 65535", arg);
	if (hl >= 2 && arg[0] == '[' && arg[hl - 1] == ']') {
		arg++;
		hl -= 2;
	}
	if (hl >= sizeof host)
		return err_set(e, AR_E_CONFIG, "--http: host name too long");
	if (hl == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	else
		snprintf(host, sizeof host, "%.*s", (int)hl, arg);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		return err_set(e, AR_E_CONFIG, "--http %.64s: %s", host,
		    gai_strerror(rc));
	memcpy(sa, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (sa->ss_family == AF_INET)
		*loopback = (ntohl(((struct sockaddr_in *)sa)->sin_addr.s_addr)
		    >> 24) == 127;
	else
		*loopback = IN6_IS_ADDR_LOOPBACK(
		    &((struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

/* The URL clients use, from the bound address and port. */
static void
listen_url(const struct sockaddr_storage *sa, unsigned port, char *url,
    size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    ip, sizeof ip);
	else
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, ip,
		    sizeof ip);
	snprintf(url, size, sa->ss_family == AF_INET6 ?
	    "http://[%s]:%u" HTTP_PATH : "http://%s:%u" HTTP_PATH, ip, port);
}

static struct MHD_Daemon *
daemon_start(struct http *h, struct sockaddr_storage *sa, struct ar_err *e)
{
	struct mcp_http_opts *ho = (struct mcp_http_opts *)h->ho;
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	char url[128];

	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
	    (sa->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
	    on_access, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)ho->max_conns,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_END);
	if (d == NULL) {
		err_set(e, AR_E_CONFIG, "--http %.64s: cannot listen there "
		    "(address in use or not local?)", ho->addr);
		return NULL;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	listen_url(sa, di != NULL ? di->port : 0, url, sizeof url);
	log_info("listening on %s", url);
	if (ho->on_listen != NULL)
		ho->on_listen(url);
	return d;
}

/* Waits for stop_fd, ending idle sessions every second. */
static void
wait_stop(struct http *h, int stop_fd)
{
	struct pollfd p = { stop_fd, POLLIN, 0 };

	while (poll(&p, 1, 1000) != 1 || (p.revents & POLLIN) == 0)
		hsession_expire(h, h->ho->idle_s);
}

/* After SIGTERM: no new connections; calls in flight may finish. */
static void
drain(struct http *h, struct MHD_Daemon *d)
{
	double end = clock_now_ms() + h->ho->drain_s * 1000.0;
	MHD_socket ls = MHD_quiesce_daemon(d);
	int busy;

	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	for (;;) {
		pthread_mutex_lock(&h->mu);
		busy = h->inflight;
		pthread_mutex_unlock(&h->mu);
		if (busy == 0 || clock_now_ms() >= end)
			break;
		usleep(50000);
	}
	log_debug("stopping: %d requests still in flight", busy);
	h->stopping = 1;	/* the rest give up and cancel */
}

int
mcp_http_serve(const struct mcp_http_opts *hopts, int stop_fd,
    const struct mcp_opts *opts, struct ar_err *e)
{
	struct mcp_http_opts ho = *hopts;
	struct sockaddr_storage sa;
	struct MHD_Daemon *d;
	struct http h;

	err_clear(e);
	if (ho.max_body == 0)
		ho.max_body = MCP_HTTP_MAX_BODY;
	if (ho.max_conns <= 0)
		ho.max_conns = MCP_HTTP_MAX_CONNS;
	if (ho.idle_s <= 0)
		ho.idle_s = MCP_HTTP_IDLE_S;
	memset(&h, 0, sizeof h);
	h.ho = &ho;
	if (parse_addr(ho.addr, &sa, &h.loopback, e) == -1)
		return -1;
	if (!h.loopback && (ho.token == NULL || ho.token[0] == '\0'))
		return err_set(e, AR_E_CONFIG, "--http %.64s: not a loopback "
		    "address, and AR_MCP_TOKEN is not set: refusing to serve "
		    "the network without a token", ho.addr);
	if ((h.srv = mcp_server_new(opts, e)) == NULL)
		return -1;
	pthread_mutex_init(&h.mu, NULL);
	if ((d = daemon_start(&h, &sa, e)) == NULL) {
		mcp_server_free(h.srv);
		pthread_mutex_destroy(&h.mu);
		return -1;
	}
	wait_stop(&h, stop_fd);
	drain(&h, d);
	MHD_stop_daemon(d);
	hsession_expire(&h, -1);
	mcp_server_free(h.srv);
	pthread_mutex_destroy(&h.mu);
	return 0;
}
