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
 *
 * This file is the server: the libmicrohttpd callbacks, the checks every
 * request passes (path, Origin and Host, the bearer token, the limits),
 * DELETE, and serving until SIGTERM. A POST is handled in
 * mcp_http_post.c, the sessions are kept in mcp_http_session.c, the
 * channel and its SSE stream are in mcp_http_sse.c.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "mcp.h"
#include "mcp_http.h"
#include "mcp_http_int.h"
#include "xalloc.h"

#define HTTP_PATH	"/mcp"

/* -------------------------------------------------------- responses */

enum MHD_Result
mcp_http_respond(struct MHD_Connection *conn, unsigned status, const char *type,
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
enum MHD_Result
mcp_http_respond_json(struct MHD_Connection *conn, unsigned status,
    struct json *m, const char *session)
{
	struct buf b = BUF_INIT;
	enum MHD_Result ret;

	json_write(&b, m);
	json_free(m);
	ret = mcp_http_respond(conn, status, "application/json", buf_str(&b),
	    b.len, session);
	buf_free(&b);
	return ret;
}

/* An HTTP error with a JSON-RPC error body, with the request's id when
 * it is known (msg may be NULL). */
enum MHD_Result
mcp_http_respond_error_id(struct MHD_Connection *conn, unsigned status,
    const struct json *msg, int code, const char *message)
{
	const struct json *id = msg != NULL && msg->type == JSON_OBJECT ?
	    json_obj_get(msg, "id") : NULL;

	log_debug("HTTP %u: %s", status, message);
	if (id != NULL && id->type != JSON_STRING && id->type != JSON_NUMBER)
		id = NULL;
	return mcp_http_respond_json(conn, status,
	    mcp_error_msg(id, code, message), NULL);
}

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

/* ---------------------------------------------------------- handler */

static enum MHD_Result
on_delete(struct http *h, struct MHD_Connection *conn)
{
	const char *sid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Mcp-Session-Id");
	struct hsession *hs;

	if (sid == NULL)
		return mcp_http_respond_error(conn, MHD_HTTP_BAD_REQUEST,
		    MCP_INVALID_REQUEST, "Bad Request: Mcp-Session-Id header "
		    "is required");
	if ((hs = mcp_http_session_get(h, sid)) == NULL)
		return mcp_http_respond_error(conn, MHD_HTTP_NOT_FOUND,
		    MCP_INVALID_REQUEST, "Session not found");
	mcp_http_session_end(h, hs);
	mcp_http_session_put(h, hs);
	log_debug("session %.8s... ended by the client", sid);
	return mcp_http_respond(conn, MHD_HTTP_OK, NULL, "", 0, NULL);
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
		*ret = mcp_http_respond_error(conn, MHD_HTTP_NOT_FOUND,
		    MCP_INVALID_REQUEST, "Not Found: the MCP endpoint is "
		    HTTP_PATH);
	else if (check_origin(h, conn) == -1)
		*ret = mcp_http_respond_error(conn, MHD_HTTP_FORBIDDEN,
		    MCP_INVALID_REQUEST, "Forbidden: Origin or Host not "
		    "allowed");
	else if (check_token(h, conn) == -1)
		*ret = mcp_http_respond_error(conn, MHD_HTTP_UNAUTHORIZED,
		    MCP_INVALID_REQUEST, "Unauthorized: a valid "
		    "Authorization: Bearer token is required");
	else if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
		*ret = on_delete(h, conn);
	else if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		*ret = mcp_http_respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    MCP_INVALID_REQUEST, "Method Not Allowed: this server "
		    "opens no stream on GET");
	else if (len != NULL && strtoull(len, NULL, 10) > h->ho->max_body)
		*ret = mcp_http_respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
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
	return mcp_http_post(conn, r);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)conn;
	(void)why;
	if (*con_cls != NULL)
		mcp_http_post_free(*con_cls);
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
		mcp_http_session_expire(h, h->ho->idle_s);
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
	mcp_http_session_expire(&h, -1);
	mcp_server_free(h.srv);
	pthread_mutex_destroy(&h.mu);
	return 0;
}
