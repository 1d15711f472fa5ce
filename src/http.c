/*
 * http.c - HTTP over libcurl: one reused easy handle per struct http, run
 * by its multi handle, responses streamed through callbacks into bounded
 * buffers.
 */
#include <ctype.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>

#include "cancel.h"
#include "clock.h"
#include "defaults.h"
#include "http.h"
#include "xalloc.h"

/* After the answer is complete, how long the rest of the response (its
 * last chunk, usually in the same packet) may take before the transfer is
 * cut, ms: a response that ends keeps its connection for the next one. */
#define HTTP_DONE_GRACE_MS	100

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

struct http {
	CURLM *multi;		/* runs curl; holds the connection cache */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

/* The state of one transfer, shared by the callbacks. */
struct xfer {
	CURL *curl;
	const struct http_req *rq;
	struct http_res *res;
	int streaming;		/* -1 unknown yet, 0 collect body, 1 lines */
	size_t bound;		/* body bound once the status is known */
	struct http_lines lines;
	enum http_fail why;	/* set when a callback stopped the transfer */
	int truncated;		/* an error body hit its bound: stop, not fail */
	int done;		/* on_line said the answer is complete */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc;

static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int
http_global_init(void)
{
	pthread_once(&global_once, global_init);
	return global_rc;
}

struct http *
http_new(void)
{
	struct http *h = xcalloc(1, sizeof *h);

	if (http_global_init() == -1) {
		fputs("aurarouter: cannot initialise libcurl\n", stderr);
		exit(2);
	}

	/* curl_easy_init() fails only when memory runs out: die as
	 * xmalloc() does, so callers need no NULL check. */
	if ((h->curl = curl_easy_init()) == NULL ||
	    (h->multi = curl_multi_init()) == NULL) {
		fputs("aurarouter: cannot create a libcurl handle\n", stderr);
		exit(2);
	}
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	curl_multi_cleanup(h->multi);
	free(h);
}

void
http_res_free(struct http_res *res)
{
	buf_free(&res->body);
}

void
http_lines_init(struct http_lines *l, size_t max,
    int (*on_line)(void *ctx, const char *line, size_t len), void *ctx)
{
	memset(l, 0, sizeof *l);
	l->on_line = on_line;
	l->ctx = ctx;
	l->max = max ? max : AR_MAX_LINE;
}

void
http_lines_any_eol(struct http_lines *l)
{
	l->any_eol = 1;
}

/* The next line end in b->s[from..b->len): a '\n', or with any_eol a
 * '\r' too; NULL when there is none yet. */
static char *
lines_eol(const struct http_lines *l, const struct buf *b, size_t from)
{
	char *p = b->s + from, *end = b->s + b->len;

	if (!l->any_eol)
		return memchr(p, '\n', (size_t)(end - p));
	for (; p < end; p++)
		if (*p == '\n' || *p == '\r')
			return p;
	return NULL;
}

enum http_fail
http_lines_feed(struct http_lines *l, const char *p, size_t n)
{
	struct buf *b = &l->line;
	size_t start = 0, len;
	char *nl;
	int cr, rc;

	if (l->done)
		return HTTP_OK;
	if (l->skip_lf && n > 0) {
		l->skip_lf = 0;
		if (*p == '\n')
			p++, n--;
	}
	buf_add(b, p, n);
	while ((nl = lines_eol(l, b, l->scanned)) != NULL) {
		if ((len = (size_t)(nl - (b->s + start))) > l->max)
			return HTTP_TOO_LARGE;
		cr = *nl == '\r';
		if (!cr && len > 0 && b->s[start + len - 1] == '\r')
			len--;
		b->s[start + len] = '\0';	/* lines are C strings too */
		if ((rc = l->on_line(l->ctx, b->s + start, len)) ==
		    HTTP_LINE_DONE) {
			l->done = 1;
			buf_reset(b);
			return HTTP_OK;
		}
		if (rc != 0)
			return HTTP_ABORTED;
		start = (size_t)(nl - b->s) + 1;
		if (cr && start < b->len && b->s[start] == '\n')
			start++;		/* "\r\n" is one line end */
		else if (cr && start == b->len)
			l->skip_lf = 1;		/* its '\n' may come next */
		l->scanned = start;
	}
	buf_consume(b, start);
	l->scanned = b->len;
	return b->len > l->max ? HTTP_TOO_LARGE : HTTP_OK;
}

enum http_fail
http_lines_end(struct http_lines *l)
{
	size_t len = l->line.len;

	if (len == 0 || l->done)
		return HTTP_OK;
	if (l->line.s[len - 1] == '\r')
		l->line.s[--len] = '\0';
	switch (l->on_line(l->ctx, l->line.s, len)) {
	case 0:
		return HTTP_OK;
	case HTTP_LINE_DONE:
		l->done = 1;
		return HTTP_OK;
	default:
		return HTTP_ABORTED;
	}
}

void
http_lines_free(struct http_lines *l)
{
	buf_free(&l->line);
}

/* Decides, at the first body byte, whether the body is split into lines. */
static void
xfer_start(struct xfer *x)
{
	long status = 0;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	x->res->status = status;
	if (status >= 200 && status < 300) {
		x->streaming = x->rq->on_line != NULL;
		x->bound = x->rq->max_body ? x->rq->max_body : AR_MAX_ANSWER;
	} else {
		x->streaming = 0;
		x->bound = AR_MAX_ERROR_BODY;
	}
}

/* The caller's clocks and cancel; sets *wait_ms to the longest wait
 * before they must be looked at again. Returns -1 to stop the transfer. */
static int
xfer_tick(struct xfer *x, long *wait_ms)
{
	*wait_ms = HTTP_TICK_MS;
	if (cancel_is_set(x->rq->cancel) || (x->rq->on_tick != NULL &&
	    x->rq->on_tick(x->rq->ctx, wait_ms) != 0)) {
		x->why = HTTP_ABORTED;
		return -1;
	}
	if (*wait_ms < 0)
		*wait_ms = 0;
	return 0;
}

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	struct buf *body = &x->res->body;
	size_t len = size * n;
	long wait;

	if (x->streaming == -1)
		xfer_start(x);
	if (x->done)
		return len;	/* after the answer: ignored until removed */
	if (x->streaming) {
		if ((x->why = http_lines_feed(&x->lines, p, len)) != HTTP_OK)
			return 0;
		x->done = x->lines.done;
	} else if (body->len + len > x->bound) {
		if (x->res->status >= 200 && x->res->status < 300) {
			x->why = HTTP_TOO_LARGE;
			return 0;
		}
		buf_add(body, p, x->bound - body->len);
		x->truncated = 1;
		return 0;
	} else
		buf_add(body, p, len);
	return xfer_tick(x, &wait) == -1 ? 0 : len;
}

static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, vlen;
	static const char name[] = "retry-after:";

	if (len > 5 && strncmp(p, "HTTP/", 5) == 0)
		x->res->retry_after[0] = '\0';	/* a new response begins */
	if (len < sizeof name - 1 || strncasecmp(p, name, sizeof name - 1))
		return len;
	p += sizeof name - 1;
	len -= sizeof name - 1;
	while (len > 0 && isspace((unsigned char)*p))
		p++, len--;
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	vlen = len < sizeof x->res->retry_after ? len :
	    sizeof x->res->retry_after - 1;
	memcpy(x->res->retry_after, p, vlen);
	x->res->retry_after[vlen] = '\0';
	return size * n;
}

static long
secs_to_ms(double s)
{
	if (s <= 0)
		return 0;		/* none */
	if (s > 1e9)
		s = 1e9;
	/* A positive budget never rounds down to 0, which means none. */
	return s < 0.001 ? 1 : (long)(s * 1000.0 + 0.5);
}

/* Nonzero when host (no brackets) names this machine's loopback. */
static int
host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0 ||
	    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return 0;
	if (IN6_IS_ADDR_LOOPBACK(&a6))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

int
http_is_loopback(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	size_t n;
	int rv = 0;

	if (u == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
	    CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) ==
	    CURLUE_OK) {
		n = strlen(host);
		if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
			host[n - 1] = '\0';
			rv = host_is_loopback(host + 1);
		} else
			rv = host_is_loopback(host);
	}
	curl_free(host);
	curl_url_cleanup(u);
	return rv;
}

/* Sets every option of one request on the (reset) handle. */
static struct curl_slist *
http_setup(struct http *h, const struct http_req *rq, struct xfer *x)
{
	CURL *c = h->curl;
	struct curl_slist *hl = NULL;
	const char *const *hp;
	int typed = 0;
	double ct = rq->connect_timeout > 0 ? rq->connect_timeout :
	    AR_CONNECT_TIMEOUT_S;

	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "aurarouter/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, secs_to_ms(ct));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, secs_to_ms(rq->timeout));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	/* "" turns every proxy off, the proxy variables included; other
	 * hosts keep libcurl's reading of http_proxy, no_proxy... */
	if (http_is_loopback(rq->url))
		curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(rq->body ? rq->bodylen : 0));
		hl = curl_slist_append(hl, "Expect:");
	} else if (strcmp(rq->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	for (hp = rq->headers; hp != NULL && *hp != NULL; hp++) {
		if (strncasecmp(*hp, "content-type:", 13) == 0)
			typed = 1;
		hl = curl_slist_append(hl, *hp);
	}
	if (rq->body != NULL && !typed)
		hl = curl_slist_append(hl, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	return hl;
}

static enum http_fail
http_fail_of(CURLcode rc, const struct xfer *x)
{
	if (x->truncated || x->done)
		return HTTP_OK;
	if (x->why != HTTP_OK)
		return x->why;
	switch (rc) {
	case CURLE_OK:
		return HTTP_OK;
	case CURLE_COULDNT_CONNECT:
		return HTTP_REFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return HTTP_RESOLVE;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_TIMEOUT;
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_WRITE_ERROR:
		return rc == CURLE_ABORTED_BY_CALLBACK ? HTTP_ABORTED :
		    HTTP_TRANSPORT;
	default:
		return HTTP_TRANSPORT;
	}
}

/* Passes the last line, unterminated, to on_line. */
static enum http_fail
http_finish_lines(struct xfer *x)
{
	if (x->streaming != 1 || x->done)
		return HTTP_OK;
	x->why = http_lines_end(&x->lines);
	return x->why;
}

static void
http_errmsg(struct http *h, CURLcode rc, const struct xfer *x,
    struct http_res *res)
{
	const char *m = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);

	if (res->fail == HTTP_TOO_LARGE)
		m = "response over its size limit";
	else if (res->fail == HTTP_ABORTED && x->why == HTTP_ABORTED)
		m = "stopped by the caller";
	snprintf(res->errmsg, sizeof res->errmsg, "%s", m);
}

/* Set once a curl_multi_wakeup() failed (a libcurl built without the
 * wakeup): waits are then cut to HTTP_NOWAKE_MS so a cancel is still
 * seen in time. */
static int http_no_wakeup;
#define HTTP_NOWAKE_MS	50

static void
http_wake(void *multi)
{
	if (curl_multi_wakeup(multi) != CURLM_OK)
		__atomic_store_n(&http_no_wakeup, 1, __ATOMIC_RELAXED);
}

/* Polls h->multi for at most wait_ms, or until a cancel_set() wakes it.
 * A poll that fails sleeps instead, so a caller's loop never spins. */
static void
http_poll(struct http *h, long wait_ms)
{
	int ms = wait_ms > INT_MAX ? INT_MAX : wait_ms < 0 ? 0 : (int)wait_ms;

	if (__atomic_load_n(&http_no_wakeup, __ATOMIC_RELAXED) &&
	    ms > HTTP_NOWAKE_MS)
		ms = HTTP_NOWAKE_MS;
	if (curl_multi_poll(h->multi, NULL, 0, ms, NULL) != CURLM_OK)
		poll(NULL, 0, ms < HTTP_NOWAKE_MS ? ms : HTTP_NOWAKE_MS);
}

/* The result of h's transfer once libcurl ended it, CURLE_OK if it did
 * not (a callback, the caller's clock or a cancel stopped it first). */
static CURLcode
http_result(struct http *h)
{
	CURLMsg *m;
	CURLcode rc = CURLE_OK;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE && m->easy_handle == h->curl)
			rc = m->data.result;
	return rc;
}

/* How long to wait before the next step of x (see xfer_tick), or -1 when
 * x is to stop: after the answer is complete, only for the end of the
 * response, HTTP_DONE_GRACE_MS at most. */
static long
xfer_wait(struct xfer *x, double *done_at)
{
	long wait;

	if (!x->done)
		return xfer_tick(x, &wait) == -1 ? -1 : wait;
	if (*done_at == 0)
		*done_at = clock_now_ms();
	wait = (long)(*done_at + HTTP_DONE_GRACE_MS - clock_now_ms());
	return wait > 0 && !cancel_is_set(x->rq->cancel) ? wait : -1;
}

/*
 * Runs the transfer set up on h->curl: until it ends, a callback stops
 * it, the caller's clock fires or its cancel is set, or shortly after
 * on_line said the answer is complete. The wait between two steps is the
 * time left to the caller's next deadline, cut short by data or by
 * cancel_set().
 */
static CURLcode
http_run(struct http *h, struct xfer *x)
{
	struct cancel_watch w;
	CURLMcode mc;
	CURLcode rc;
	int running = 1;
	long wait;
	double done_at = 0;

	if ((mc = curl_multi_add_handle(h->multi, h->curl)) != CURLM_OK) {
		snprintf(h->errbuf, sizeof h->errbuf, "%s",
		    curl_multi_strerror(mc));
		return CURLE_FAILED_INIT;
	}
	cancel_watch(&w, x->rq->cancel, http_wake, h->multi);
	for (;;) {
		if ((mc = curl_multi_perform(h->multi, &running)) != CURLM_OK) {
			snprintf(h->errbuf, sizeof h->errbuf, "%s",
			    curl_multi_strerror(mc));
			break;
		}
		if (!running || x->why != HTTP_OK ||
		    (wait = xfer_wait(x, &done_at)) == -1)
			break;
		http_poll(h, wait);
	}
	cancel_unwatch(&w);
	rc = mc != CURLM_OK ? CURLE_FAILED_INIT : http_result(h);
	/* A transfer stopped early closes its connection here. */
	curl_multi_remove_handle(h->multi, h->curl);
	return rc;
}

int
http_wait(struct http *h, double s, const volatile int *cancel)
{
	struct cancel_watch w;
	double end = clock_now_ms() + s * 1e3, left;

	cancel_watch(&w, cancel, http_wake, h->multi);
	while (!cancel_is_set(cancel) && (left = end - clock_now_ms()) > 0)
		http_poll(h, (long)left + 1);
	cancel_unwatch(&w);
	return cancel_is_set(cancel) ? -1 : 0;
}

int
http_do(struct http *h, const struct http_req *rq, struct http_res *res)
{
	struct xfer x;
	struct curl_slist *hl;
	CURLcode rc;
	long status = 0;

	memset(res, 0, sizeof *res);
	memset(&x, 0, sizeof x);
	x.curl = h->curl;
	x.rq = rq;
	x.res = res;
	x.streaming = -1;
	http_lines_init(&x.lines, rq->max_line, rq->on_line, rq->ctx);
	if (rq->any_eol)
		http_lines_any_eol(&x.lines);
	x.why = HTTP_OK;
	h->errbuf[0] = '\0';

	curl_easy_reset(h->curl);
	hl = http_setup(h, rq, &x);
	rc = http_run(h, &x);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	res->status = status;
	res->fail = http_fail_of(rc, &x);
	if (res->fail == HTTP_OK && !x.truncated)
		res->fail = http_finish_lines(&x);
	if (res->fail != HTTP_OK)
		http_errmsg(h, rc, &x, res);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	http_lines_free(&x.lines);
	return res->fail == HTTP_OK ? 0 : -1;
}

void
http_url_public(const char *url, char *dst, size_t size)
{
	const char *host = strstr(url, "://"), *end, *at;
	struct buf b = BUF_INIT;

	host = host != NULL ? host + 3 : url;
	end = host + strcspn(host, "/?#");
	/* The user information ends at the authority's last '@': a password
	 * may hold one of its own. */
	for (at = end; at > host && at[-1] != '@'; at--)
		;
	buf_add(&b, url, (size_t)(host - url));
	host = at;
	buf_add(&b, host, strcspn(host, "?#"));
	snprintf(dst, size, "%s", buf_str(&b));
	buf_free(&b);
}
