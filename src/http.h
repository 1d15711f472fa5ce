/*
 * http.h - HTTP over libcurl, one module for every backend.
 *
 * One struct http wraps one reused easy handle run by its own multi handle
 * (whose connection cache keeps a connection to the same host alive between
 * requests). A transfer waits in curl_multi_poll() until the socket, the
 * caller's next deadline (http_req.on_tick) or a cancel wakes it, so every
 * deadline is met when it is due, to a few milliseconds. A struct http is not shared
 * between threads: make one per thread. libcurl is initialised once, by
 * the first http_new().
 *
 * Every transfer has a connect timeout, a total budget, an error buffer
 * and CURLOPT_NOSIGNAL. A request to a loopback host (127.0.0.0/8, ::1,
 * localhost) never goes through a proxy; other hosts follow libcurl's
 * usual proxy variables (http_proxy, https_proxy, all_proxy, no_proxy). Response bodies are streamed through callbacks and
 * bounded; nothing here knows any wire format beyond lines.
 */
#ifndef AR_HTTP_H
#define AR_HTTP_H
#include <stddef.h>

#include "buf.h"
#include "err.h"

struct http;

/* Why a transfer stopped. */
enum http_fail {
	HTTP_OK = 0,		/* the whole response arrived (any status) */
	HTTP_REFUSED,		/* connection refused / host unreachable */
	HTTP_RESOLVE,		/* name did not resolve */
	HTTP_TIMEOUT,		/* connect timeout or total budget */
	HTTP_ABORTED,		/* a callback asked to stop */
	HTTP_TOO_LARGE,		/* a line or the body passed its bound */
	HTTP_TRANSPORT		/* any other transport failure (reset, TLS...) */
};

struct http_req {
	const char *method;		/* "GET", "POST" or "HEAD" */
	const char *url;
	const char *body;		/* POST body, or NULL */
	size_t bodylen;
	const char *const *headers;	/* NULL-terminated "Name: value" list */
	double connect_timeout;		/* seconds; 0 means AR_CONNECT_TIMEOUT_S */
	double timeout;			/* seconds for the whole transfer; 0 = none */
	size_t max_line;		/* on_line bound; 0 means AR_MAX_LINE */
	size_t max_body;		/* body bound; 0 means AR_MAX_ANSWER */
	int any_eol;			/* lines end at "\r\n", "\n" or a bare
					 * "\r", as Server-Sent Events do */

	/*
	 * For a 2xx response with on_line set, the body is split into lines
	 * ('\n' ends a line; a trailing '\r' is removed) and each is passed to
	 * on_line, the last one even without its '\n'. Otherwise, and always
	 * for a non-2xx status, the body is collected in http_res.body (for an
	 * error status, at most AR_MAX_ERROR_BODY bytes are kept).
	 * on_line returns 0 to go on, HTTP_LINE_DONE when the line completed
	 * the answer (the transfer then ends at once as a success, whatever
	 * the server still sends or holds back), or any other value to abort
	 * the transfer (HTTP_ABORTED).
	 */
	int (*on_line)(void *ctx, const char *line, size_t len);
	/* The clocks of the caller: called before every wait and after
	 * every chunk while the transfer runs. Returns nonzero to abort;
	 * may lower *wait_ms (at most HTTP_TICK_MS on entry) to the
	 * milliseconds left before its next deadline, so that it is called
	 * again when that is due. */
	int (*on_tick)(void *ctx, long *wait_ms);
	void *ctx;
	/* When *cancel (may be NULL) is set with cancel_set(), the transfer
	 * stops at once (HTTP_ABORTED): it is woken, not polled. */
	const volatile int *cancel;
};

/* on_line's "the answer is complete" (see http_req.on_line). */
#define HTTP_LINE_DONE	2
/* The longest wait between two calls of on_tick, ms. */
#define HTTP_TICK_MS	1000

struct http_res {
	long status;		/* HTTP status, 0 if none was received */
	enum http_fail fail;
	struct buf body;	/* see http_req.on_line; owned, http_res_free */
	char retry_after[64];	/* the Retry-After header, "" if absent */
	char errmsg[256];	/* libcurl's error text for a failure */
};

/* Initialises libcurl once per process (pthread_once; http_new() calls
 * it too, so callers need not). Returns 0 or -1. */
int http_global_init(void);
/* A new client; never NULL (exits like xmalloc when libcurl cannot
 * allocate a handle). */
struct http *http_new(void);
void http_free(struct http *h);

/*
 * Performs rq. Returns 0 when a response arrived (res->fail == HTTP_OK, any
 * status), or -1 with res->fail and res->errmsg set. res is initialised
 * here; free it with http_res_free() in both cases.
 */
int http_do(struct http *h, const struct http_req *rq, struct http_res *res);
void http_res_free(struct http_res *res);
/* Waits s seconds on h (no transfer), or less when *cancel (may be NULL)
 * is set by cancel_set(): returns 0 after the whole wait, -1 when
 * cancelled. */
int http_wait(struct http *h, double s, const volatile int *cancel);

/*
 * The line splitter http_do() runs on a streamed body, for parsing a body
 * held in memory exactly as the live path does: '\n' ends a line, a '\r'
 * before it is removed, and each line goes to on_line as a NUL-terminated
 * string (the last one by http_lines_end(), even without its '\n').
 * A line over max bytes stops the split.
 */
struct http_lines {
	int (*on_line)(void *ctx, const char *line, size_t len);
	void *ctx;
	size_t max;		/* longest line; 0 means AR_MAX_LINE */
	int any_eol;		/* a bare '\r' ends a line too (SSE) */
	int skip_lf;		/* any_eol: the last line ended at a '\r' */
	int done;		/* on_line said HTTP_LINE_DONE: the rest is
				 * not split */
	struct buf line;	/* the unfinished line; owned */
	size_t scanned;		/* bytes of line known to hold no line end */
};

void http_lines_init(struct http_lines *l, size_t max,
    int (*on_line)(void *ctx, const char *line, size_t len), void *ctx);
/* Makes l split as Server-Sent Events are split: "\r\n", "\n" and a bare
 * "\r" each end a line (a "\r\n" cut between two feeds is one end). */
void http_lines_any_eol(struct http_lines *l);
/* Nonzero when the host of url is a loopback address or name: 127.0.0.0/8,
 * ::1 (also as ::ffff:127.x.y.z), "localhost" or a name under
 * ".localhost". */
int http_is_loopback(const char *url);
/* Splits p[0..len) on. Returns HTTP_OK (also once on_line said
 * HTTP_LINE_DONE: l->done is then set and later bytes are ignored),
 * HTTP_ABORTED when on_line returned another nonzero value, or
 * HTTP_TOO_LARGE when a line passed the bound. */
enum http_fail http_lines_feed(struct http_lines *l, const char *p,
    size_t len);
/* Passes the last, unterminated line, if any (none once l->done).
 * Returns HTTP_OK or HTTP_ABORTED. */
enum http_fail http_lines_end(struct http_lines *l);
void http_lines_free(struct http_lines *l);

/*
 * Copies url into dst[0..size) as it may be shown: without "user:pass@"
 * credentials, query or fragment (an endpoint in attempts and the
 * ledger). Always NUL-terminated.
 */
void http_url_public(const char *url, char *dst, size_t size);

#endif
