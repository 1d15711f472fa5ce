/*
 * flow.c - the clock and counters of one streamed local generation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cancel.h"
#include "clock.h"
#include "defaults.h"
#include "flow.h"

/* The transfer's own budget past cfg->timeout: flow_tick enforces the
 * timeout, this is a backstop. */
#define FLOW_BACKSTOP_S		5.0
/* Status checks must answer fast. */
#define FLOW_STATUS_CONNECT_S	2.0
#define FLOW_STATUS_TIMEOUT_S	5.0

void
flow_init(struct flow *f, const struct config *cfg,
    const struct gen_request *rq, struct gen_result *res, struct ar_err *e,
    const char *who)
{
	memset(f, 0, sizeof *f);
	f->cfg = cfg;
	f->rq = rq;
	f->res = res;
	f->e = e;
	f->who = who;
	f->t0 = clock_now_ms();
}

int
flow_fail(struct flow *f, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(f->e, code, fmt, ap);
	va_end(ap);
	f->failed = 1;
	return -1;
}

int
flow_cancelled(struct flow *f)
{
	if (!cancel_is_set(f->rq->cancel))
		return 0;
	return flow_fail(f, AR_E_CANCELLED, "the request was cancelled");
}

void
flow_thinking(struct flow *f)
{
	if (f->tokens == 0 && f->thinking == 0)
		f->tfirst = clock_now_ms();
	f->thinking++;
}

int
flow_token(struct flow *f, const char *s, size_t len)
{
	if (len == 0)
		return 0;
	if (f->res->output.len + len > AR_MAX_ANSWER)
		return flow_fail(f, AR_E_TOO_LARGE,
		    "%s's answer is over %u bytes (the answer limit)", f->who,
		    (unsigned)AR_MAX_ANSWER);
	if (f->tokens == 0 && f->thinking == 0)
		f->tfirst = clock_now_ms();
	buf_add(&f->res->output, s, len);
	f->tokens++;
	if (f->rq->on_progress != NULL)
		f->rq->on_progress(f->rq->progress_ctx, f->tokens);
	return 0;
}

/* Lowers *due to the time t (ms) when t is sooner. */
static void
flow_due(double *due, double t)
{
	if (t < *due)
		*due = t;
}

/* When flow_tick() must look again (ms on the clock), as the deadlines of
 * f stand at now: the first token, the whole timeout, and the moment the
 * tokens/s rate would fall under the floor if no token came meanwhile. */
static double
flow_next_due(const struct flow *f, double now)
{
	const struct config *cfg = f->cfg;
	long active = f->tokens + f->thinking;
	double due = now + HTTP_TICK_MS, floor_s;

	if (active == 0 && cfg->first_token_timeout > 0)
		flow_due(&due, f->t0 + cfg->first_token_timeout * 1e3);
	if (cfg->timeout > 0)
		flow_due(&due, f->t0 + cfg->timeout * 1e3);
	if (active > 0 && cfg->min_tps > 0) {
		floor_s = (double)active / cfg->min_tps;
		flow_due(&due, f->tfirst + (floor_s > AR_RATE_GRACE_S ?
		    floor_s : AR_RATE_GRACE_S) * 1e3);
	}
	return due;
}

/* The clocks at now: 0, or -1 with f failed (timeout, too_slow). */
static int
flow_clocks(struct flow *f, double now)
{
	const struct config *cfg = f->cfg;
	double since, rate;
	long active = f->tokens + f->thinking;

	if (active == 0 && cfg->first_token_timeout > 0 &&
	    now - f->t0 >= cfg->first_token_timeout * 1e3)
		return flow_fail(f, AR_E_TIMEOUT,
		    "no first token within %gs (AR_FIRST_TOKEN_TIMEOUT)",
		    cfg->first_token_timeout);
	if (cfg->timeout > 0 && now - f->t0 >= cfg->timeout * 1e3)
		return flow_fail(f, AR_E_TIMEOUT,
		    "no complete answer within %gs (AR_TIMEOUT)", cfg->timeout);
	if (active == 0 || cfg->min_tps <= 0)
		return 0;
	since = (now - f->tfirst) / 1e3;
	if (since < AR_RATE_GRACE_S)
		return 0;
	rate = (double)active / since;
	if (rate < cfg->min_tps)
		return flow_fail(f, AR_E_TOO_SLOW, "%.2f tokens/s, under "
		    "the floor of %g (AR_MIN_TPS)", rate, cfg->min_tps);
	return 0;
}

int
flow_tick(void *ctx, long *wait_ms)
{
	struct flow *f = ctx;
	double now = clock_now_ms(), left;

	if (flow_cancelled(f) == -1)
		return -1;
	if (f->done || f->cfg == NULL)
		return 0;
	if (flow_clocks(f, now) == -1)
		return -1;
	/* Rounded up: a wake-up a fraction early would find nothing due. */
	left = flow_next_due(f, now) - now;
	if (left < *wait_ms)
		*wait_ms = left > 0 ? (long)left + 1 : 0;
	return 0;
}

void
flow_timing(const struct flow *f, long eval_count, double eval_ns)
{
	struct gen_result *res = f->res;
	double now = clock_now_ms(), since;
	long active = f->tokens + f->thinking;

	res->total_ms = now - f->t0;
	res->first_token_ms = active ? f->tfirst - f->t0 : -1;
	res->output_tokens = eval_count ? eval_count : active;
	since = active ? (now - f->tfirst) / 1e3 : 0;
	if (eval_count > 0 && eval_ns > 0)
		res->tokens_per_s = (double)eval_count / eval_ns * 1e9;
	else if (since > 0)
		res->tokens_per_s = (double)active / since;
	else
		res->tokens_per_s = 0;
}

static int
flow_too_large(const struct flow *f)
{
	return err_set(f->e, AR_E_TOO_LARGE, "a line of %s's answer is over "
	    "%u bytes", f->who, (unsigned)AR_MAX_LINE);
}

const char *
flow_fail_code(enum http_fail fail, long status)
{
	switch (fail) {
	case HTTP_REFUSED:
		return AR_E_CONNECT;
	case HTTP_RESOLVE:
		return AR_E_RESOLVE;
	case HTTP_TIMEOUT:
		return AR_E_TIMEOUT;
	case HTTP_TOO_LARGE:
		return AR_E_TOO_LARGE;
	case HTTP_ABORTED:
		return AR_E_CANCELLED;
	default:
		return status >= 200 && status < 300 ? AR_E_CUT :
		    AR_E_TRANSPORT;
	}
}

int
flow_transport_err(const struct flow *f, const struct http_res *hr,
    const char *url, const char *hint)
{
	struct ar_err *e = f->e;
	const char *code = flow_fail_code(hr->fail, hr->status);

	if (strcmp(code, AR_E_CONNECT) == 0)
		return err_set(e, code, "cannot connect to %s at %s%s%s "
		    "(%s)", f->who, url, hint ? ": " : "", hint ? hint : "",
		    hr->errmsg);
	if (strcmp(code, AR_E_RESOLVE) == 0)
		return err_set(e, code, "cannot resolve the host of "
		    "%s (%s)", url, hr->errmsg);
	if (strcmp(code, AR_E_TOO_LARGE) == 0)
		return flow_too_large(f);
	if (strcmp(code, AR_E_CANCELLED) == 0)
		return err_set(e, code, "the request was stopped");
	if (strcmp(code, AR_E_CUT) == 0)
		return err_set(e, code, "%s's stream broke after "
		    "%ld tokens: %s", f->who, f->tokens, hr->errmsg);
	return err_set(e, code, "%s at %s: %s", f->who, url, hr->errmsg);
}

int
flow_result(const struct flow *f, const struct http_res *hr,
    const char *url, const char *hint)
{
	if (f->failed)
		return -1;
	if (hr->fail != HTTP_OK)
		return flow_transport_err(f, hr, url, hint);
	return hr->status < 200 || hr->status >= 300 ? 1 : 0;
}

int
flow_parse(struct flow *f, const char *data, size_t len, int any_eol,
    int (*on_line)(void *ctx, const char *line, size_t len), void *ctx)
{
	struct http_lines lines;
	enum http_fail fail;

	http_lines_init(&lines, AR_MAX_LINE, on_line, ctx);
	if (any_eol)
		http_lines_any_eol(&lines);
	if ((fail = http_lines_feed(&lines, data, len)) == HTTP_OK)
		fail = http_lines_end(&lines);
	http_lines_free(&lines);
	return fail == HTTP_TOO_LARGE ? flow_too_large(f) : 0;
}

long
flow_prompt_tokens(const struct gen_request *rq)
{
	size_t bytes = strlen(rq->prompt) +
	    (rq->system != NULL ? strlen(rq->system) : 0);

	return (long)((bytes + AR_CTX_BYTES_PER_TOKEN - 1) /
	    AR_CTX_BYTES_PER_TOKEN) + AR_CTX_OVERHEAD;
}

long
flow_answer_room(long ctx)
{
	return ctx / 4 < AR_CTX_ANSWER_ROOM ? ctx / 4 : AR_CTX_ANSWER_ROOM;
}

int
flow_post(struct flow *f, struct http *h, const struct flow_post *p,
    struct http_res *hr)
{
	const struct config *cfg = f->cfg;
	struct http_req hq;

	memset(&hq, 0, sizeof hq);
	hq.method = "POST";
	hq.url = p->url;
	hq.body = p->body;
	hq.bodylen = p->bodylen;
	hq.headers = p->headers;
	hq.any_eol = p->any_eol;
	hq.timeout = cfg->timeout > 0 ? cfg->timeout + FLOW_BACKSTOP_S : 0;
	hq.on_line = p->on_line;
	hq.on_tick = flow_tick;
	hq.ctx = p->ctx;
	hq.cancel = f->rq->cancel;
	http_do(h, &hq, hr);
	return flow_result(f, hr, p->shown, p->hint);
}

int
flow_get(struct http *h, const char *url, const char *const *headers,
    const volatile int *cancel, struct http_res *hr)
{
	struct http_req hq;

	memset(hr, 0, sizeof *hr);	/* http_do() is not called when cancelled */
	if (cancel_is_set(cancel)) {
		hr->fail = HTTP_ABORTED;
		return -1;
	}
	memset(&hq, 0, sizeof hq);
	hq.method = "GET";
	hq.url = url;
	hq.headers = headers;
	hq.connect_timeout = FLOW_STATUS_CONNECT_S;
	hq.timeout = FLOW_STATUS_TIMEOUT_S;
	hq.cancel = cancel;
	return http_do(h, &hq, hr);
}

void
flow_error_text(const struct buf *body, const char *msg, size_t msglen,
    size_t max, struct buf *out)
{
	if (msg != NULL)
		buf_add_oneline(out, msg, msglen, max);
	else if (body->len)
		buf_add_oneline(out, body->s, body->len, AR_MAX_QUOTE);
	else
		buf_adds(out, "(empty body)");
}
