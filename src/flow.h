/*
 * flow.h - the clock and counters of one streamed local generation,
 * shared by the backends that stream tokens (ollama.c, openai.c): the
 * first-token timeout, the whole timeout, the tokens/s floor,
 * cancellation, the answer bound, the timing of the result, and the one
 * mapping from transport failures to error codes. Knows no wire format.
 */
#ifndef AR_FLOW_H
#define AR_FLOW_H
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "gen.h"
#include "http.h"

struct flow {
	const struct config *cfg;	/* timeouts; NULL: no clock (parsers) */
	const struct gen_request *rq;
	struct gen_result *res;
	struct ar_err *e;
	const char *who;	/* "Ollama", for messages */
	double t0;		/* request start, ms */
	double tfirst;		/* first token or thinking, ms; 0 before it */
	long tokens;		/* chunks with answer text */
	long thinking;		/* chunks with reasoning text */
	int done;		/* the stream's end arrived */
	int failed;		/* a callback set e */
};

void flow_init(struct flow *f, const struct config *cfg,
    const struct gen_request *rq, struct gen_result *res, struct ar_err *e,
    const char *who);
/* Fails the stream from a callback: sets e, returns -1 (abort). */
int flow_fail(struct flow *f, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* -1 (failed with "cancelled") once the request's cancel flag is set. */
int flow_cancelled(struct flow *f);
/* A chunk of reasoning text: activity for the clock, never the answer. */
void flow_thinking(struct flow *f);
/* A piece of the answer: appended, counted, reported as progress.
 * Returns 0, or -1 (too_large) past AR_MAX_ANSWER. */
int flow_token(struct flow *f, const char *s, size_t len);
/* http_req.on_tick (ctx is the struct flow): the clocks and cancel;
 * lowers *wait_ms to the time left before the next deadline (the first
 * token, the whole timeout, the tokens/s floor), so each fires when due. */
int flow_tick(void *ctx, long *wait_ms);
/* Fills res's timing; eval_count and eval_ns are the engine's own
 * figures when it reports them (0 otherwise). */
void flow_timing(const struct flow *f, long eval_count, double eval_ns);
/*
 * The one mapping of a transport failure to its error code, for every
 * backend and status check: HTTP_REFUSED connect_failed, HTTP_RESOLVE
 * resolve_failed, HTTP_TIMEOUT timeout, HTTP_TOO_LARGE too_large,
 * HTTP_ABORTED cancelled; else stream_cut when a 2xx status had come, or
 * transport_error (TLS, a reset...): never connect_failed.
 */
const char *flow_fail_code(enum http_fail fail, long status);

/*
 * The error of a transfer that did not complete (hr->fail != HTTP_OK),
 * for the server at url: connect_failed (with hint, may be NULL),
 * resolve_failed, timeout, too_large, cancelled, stream_cut when a 2xx
 * stream broke, transport_error (TLS and the rest). Returns -1.
 */
int flow_transport_err(const struct flow *f, const struct http_res *hr,
    const char *url, const char *hint);

/*
 * After http_do(): -1 when the stream failed in a callback or the
 * transfer did not complete (e set, as flow_transport_err), 1 when a
 * non-2xx status came (the backend maps its body), 0 when a 2xx stream
 * arrived whole (the backend judges its end).
 */
int flow_result(const struct flow *f, const struct http_res *hr,
    const char *url, const char *hint);

/* Splits a whole body held in memory into lines for on_line (ctx) as
 * http_do() splits a stream (any_eol: as Server-Sent Events), then sets
 * the timing. Returns 0, or -1 with f->e set (too_large) when a line
 * passed AR_MAX_LINE. For the backends' *_parse_stream(). */
int flow_parse(struct flow *f, const char *data, size_t len, int any_eol,
    int (*on_line)(void *ctx, const char *line, size_t len), void *ctx);

/* The streamed POST of a local backend's generation. */
struct flow_post {
	const char *url;
	const char *body;
	size_t bodylen;
	const char *const *headers;	/* NULL-terminated; may be NULL */
	int any_eol;			/* lines as Server-Sent Events split */
	int (*on_line)(void *ctx, const char *line, size_t len);
	void *ctx;			/* on_line's; its struct flow first */
	const char *shown;		/* the server as messages name it */
	const char *hint;		/* for connect_failed; may be NULL */
};

/*
 * Sends p on h as f's request: f's clocks on every tick (flow_tick), the
 * transfer's own budget a backstop past cfg->timeout. Returns as
 * flow_result(): -1 (e set), 1 for a non-2xx status (hr holds its body
 * for the backend to map), 0 for a 2xx stream that arrived whole. hr is
 * the caller's to free (http_res_free) in every case.
 */
int flow_post(struct flow *f, struct http *h, const struct flow_post *p,
    struct http_res *hr);

/*
 * GETs url on h with a status check's short timeouts, headers (may be
 * NULL) and cancel (may be NULL: stops the request once set). Returns
 * 0 when an answer came, whatever its status, or -1 when none did:
 * hr->fail tells why (flow_fail_code()). hr is the caller's to free.
 */
int flow_get(struct http *h, const char *url, const char *const *headers,
    const volatile int *cancel, struct http_res *hr);

/* Appends as one line the message a server's error body gave (msg,
 * msglen; NULL when it gave none), at most max bytes, else the start of
 * the body, else "(empty body)". */
void flow_error_text(const struct buf *body, const char *msg, size_t msglen,
    size_t max, struct buf *out);

/* The estimated tokens of rq's system and user prompt: one per
 * AR_CTX_BYTES_PER_TOKEN bytes, plus AR_CTX_OVERHEAD. */
long flow_prompt_tokens(const struct gen_request *rq);
/* The tokens kept free for the answer in a context of ctx tokens:
 * AR_CTX_ANSWER_ROOM, or a quarter of ctx when that is less. */
long flow_answer_room(long ctx);

#endif
