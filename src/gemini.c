/*
 * gemini.c - the Gemini backend: streamGenerateContent?alt=sse through the
 * http module, the SSE event parser, Google's error bodies and the retry
 * policy. The API key lives only in one header string, zeroed after use.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "defaults.h"
#include "gemini.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "xalloc.h"

struct gemini {
	const struct config *cfg;	/* borrowed */
	struct http *http;
	uint32_t rng;			/* xorshift32 state, for jitter */
};

/* One gemini_generate call: what every try sends, and the budget. */
struct gemini_call {
	char *url;
	char *body;
	size_t bodylen;
	char *keyhdr;			/* "x-goog-api-key: KEY": SECRET */
	const char *headers[3];
	double t0;			/* start, ms */
	double budget_ms;
};

/* Why one try failed, and whether another try may help. */
struct gemini_fail {
	const char *code;
	char what[300];			/* the message, or its start */
	char gmsg[320];			/* Google's message, "" if none */
	int counted;			/* the message states the tries */
	int retry;
	double hint_s;			/* wait at least this long, 0 if none */
	char note[160];			/* why a retryable failure was final */
};

/* The SSE state of one try. */
struct gemini_stream {
	const struct gen_request *rq;
	struct gen_result *res;
	double t0;			/* start of gemini_generate, ms */
	struct buf data;		/* data lines of the pending event */
	int has_data;
	struct buf raw;			/* a raw JSON object, spread over lines */
	long events;			/* events that carried text */
	int candidates;			/* some event had candidates */
	char block[64];			/* promptFeedback.blockReason */
	char block_msg[256];
	struct gemini_fail *fail;	/* set when a callback stops the try */
};

/* Google's {"error":{code,message,status,details}} body, digested. */
struct gemini_apierr {
	char status[64];
	char message[320];
	char reason[64];		/* ErrorInfo.reason */
	double retry_delay;		/* RetryInfo.retryDelay, s; -1 if none */
	int daily;			/* a QuotaFailure quotaId with PerDay */
};

/*
 * Copies at most dstsz-1 bytes of s[0..len) to dst as one printable line:
 * control characters become spaces, a cut never splits a UTF-8 sequence,
 * and "..." marks a cut.
 */
static void
gemini_quote(char *dst, size_t dstsz, const char *s, size_t len)
{
	size_t n = len, i, j;
	char c;

	if (dstsz < 4) {
		dst[0] = '\0';
		return;
	}
	if (n > dstsz - 1) {
		n = dstsz - 4;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = j = 0; i < n; i++) {
		c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
		if (c != ' ' || j == 0 || dst[j - 1] != ' ')
			dst[j++] = c;	/* runs of blanks become one */
	}
	if (n < len)
		memcpy(dst + j, "...", 3), j += 3;
	dst[j] = '\0';
	if (!json_utf8_valid(dst, j))
		for (i = 0; i < j; i++)
			if ((unsigned char)dst[i] >= 0x80)
				dst[i] = '?';
}

static void
gemini_copy(char *dst, size_t dstsz, const char *s)
{
	gemini_quote(dst, dstsz, s ? s : "", s ? strlen(s) : 0);
}

/* Seconds from a protobuf Duration ("1s", "0.5s", "250ms") or a
 * Retry-After value ("3"); -1 if it is neither. */
static double
gemini_duration(const char *s)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v < 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "ms") == 0)
		return v / 1000.0;
	return -1;
}

static const char *
gemini_str(const struct json *obj, const char *key)
{
	return obj != NULL && obj->type == JSON_OBJECT ?
	    json_obj_str(obj, key, NULL) : NULL;
}

static const struct json *
gemini_member(const struct json *obj, const char *key, enum json_type t)
{
	const struct json *v;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	v = json_obj_get(obj, key);
	return v != NULL && v->type == t ? v : NULL;
}

static int
gemini_endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads one entry of error.details: ErrorInfo, RetryInfo, QuotaFailure. */
static void
gemini_apierr_detail(const struct json *d, struct gemini_apierr *ae)
{
	const char *type = gemini_str(d, "@type"), *q;
	const struct json *vs;
	size_t i;

	if (type == NULL)
		return;
	if (gemini_endswith(type, ".ErrorInfo"))
		gemini_copy(ae->reason, sizeof ae->reason,
		    gemini_str(d, "reason"));
	else if (gemini_endswith(type, ".RetryInfo"))
		ae->retry_delay = gemini_duration(gemini_str(d, "retryDelay"));
	else if (gemini_endswith(type, ".QuotaFailure") &&
	    (vs = gemini_member(d, "violations", JSON_ARRAY)) != NULL)
		for (i = 0; i < vs->n; i++)
			if ((q = gemini_str(vs->items[i], "quotaId")) != NULL &&
			    strstr(q, "PerDay") != NULL)
				ae->daily = 1;
}

/* Digests an error object {"code","message","status","details"}. */
static void
gemini_apierr_obj(const struct json *err, struct gemini_apierr *ae)
{
	const struct json *ds;
	size_t i;

	if (err->type == JSON_STRING) {
		gemini_copy(ae->message, sizeof ae->message, err->s);
		return;
	}
	gemini_copy(ae->status, sizeof ae->status, gemini_str(err, "status"));
	gemini_copy(ae->message, sizeof ae->message,
	    gemini_str(err, "message"));
	if ((ds = gemini_member(err, "details", JSON_ARRAY)) != NULL)
		for (i = 0; i < ds->n; i++)
			gemini_apierr_detail(ds->items[i], ae);
}

/* Digests an error body; a body that is not Google's JSON is quoted. */
static void
gemini_apierr_parse(const char *s, size_t len, struct gemini_apierr *ae)
{
	struct json_error je;
	struct json *root;
	const struct json *obj, *err;

	memset(ae, 0, sizeof *ae);
	ae->retry_delay = -1;
	root = json_parse(s, len, AR_MAX_ERROR_BODY, &je);
	obj = root;
	if (obj != NULL && obj->type == JSON_ARRAY && obj->n > 0)
		obj = obj->items[0];	/* some endpoints wrap it: [{...}] */
	if (obj != NULL && obj->type == JSON_OBJECT &&
	    (err = json_obj_get(obj, "error")) != NULL)
		gemini_apierr_obj(err, ae);
	else
		gemini_quote(ae->message, sizeof ae->message, s,
		    len < AR_MAX_QUOTE ? len : AR_MAX_QUOTE);
	json_free(root);
}

static int
gemini_fail_set(struct gemini_fail *f, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static int
gemini_fail_set(struct gemini_fail *f, const char *code, const char *fmt, ...)
{
	va_list ap;
	char m[1024];

	f->code = code;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	gemini_copy(f->what, sizeof f->what, m);
	return 1;
}

/* Classifies an HTTP error status and Google's body. */
static void
gemini_status_fail(const struct config *cfg, const struct http_res *hr,
    struct gemini_fail *f)
{
	struct gemini_apierr ae;
	long st = hr->status;
	char sw[80];
	double ra;

	gemini_apierr_parse(hr->body.s ? hr->body.s : "", hr->body.len, &ae);
	snprintf(sw, sizeof sw, "HTTP %ld%s%s", st, ae.status[0] ? " " : "",
	    ae.status);
	memcpy(f->gmsg, ae.message, sizeof f->gmsg);
	f->counted = 1;
	if ((st == 400 && strcmp(ae.reason, "API_KEY_INVALID") == 0) ||
	    st == 401 || st == 403)
		gemini_fail_set(f, AR_E_AUTH, "Gemini rejected the API key "
		    "from %s (%s)", cfg->api_key_var ? cfg->api_key_var :
		    "the environment", sw);
	else if (st == 404)
		gemini_fail_set(f, AR_E_MODEL, "Gemini model '%.60s' not "
		    "found (%s)", cfg->cloud_model, sw);
	else if (st == 429) {
		gemini_fail_set(f, AR_E_RATE_LIMIT, "Gemini rate limit (%s)",
		    sw);
		if (ae.daily)
			snprintf(f->note, sizeof f->note,
			    "daily quota exhausted, not retried");
		f->retry = !ae.daily;
	} else if (st >= 500) {
		gemini_fail_set(f, AR_E_SERVER, "Gemini server error (%s)", sw);
		f->retry = st == 500 || st == 503 || st == 504;
	} else
		gemini_fail_set(f, AR_E_HTTP, "Gemini answered %s", sw);
	ra = gemini_duration(hr->retry_after);
	f->hint_s = ae.retry_delay > ra ? ae.retry_delay : ra;
	if (f->hint_s < 0)
		f->hint_s = 0;
}

/* Classifies a transfer that failed below HTTP. */
static void
gemini_transport_fail(const struct config *cfg, const struct http_res *hr,
    double remaining_ms, struct gemini_fail *f)
{
	f->counted = 1;
	gemini_copy(f->gmsg, sizeof f->gmsg, hr->errmsg);
	switch (hr->fail) {
	case HTTP_REFUSED:
		/* Nothing listens there: waiting will not change that, and
		 * ar-route must answer at once when every backend is down. */
		gemini_fail_set(f, AR_E_CONNECT, "cannot connect to Gemini "
		    "at %.100s", cfg->gemini_base_url);
		break;
	case HTTP_RESOLVE:
		gemini_fail_set(f, AR_E_RESOLVE, "cannot resolve the host of "
		    "%.100s", cfg->gemini_base_url);
		break;
	case HTTP_TIMEOUT:
		gemini_fail_set(f, AR_E_TIMEOUT, "Gemini did not answer "
		    "within the %g s budget (AR_TIMEOUT)", cfg->timeout);
		f->retry = remaining_ms > 1000;
		break;
	case HTTP_TOO_LARGE:
		f->counted = 0;
		gemini_fail_set(f, AR_E_TOO_LARGE, "a Gemini SSE event is "
		    "over %u bytes", AR_MAX_LINE);
		break;
	default:
		if (hr->status >= 200 && hr->status < 300) {
			f->counted = 0;
			gemini_fail_set(f, AR_E_CUT, "the Gemini stream was "
			    "cut: %.150s", hr->errmsg);
			f->gmsg[0] = '\0';
		} else {
			gemini_fail_set(f, AR_E_TRANSPORT, "transport error "
			    "talking to Gemini");
			f->retry = 1;
		}
	}
}

/* Stops the try with a final failure; returns 1 for on_line. */
static int
gemini_stop(struct gemini_stream *st, const char *code, const char *what)
{
	if (st->fail->code == NULL)
		gemini_fail_set(st->fail, code, "%s", what);
	return 1;
}

/* A token count: 0 when absent, negative or too large for a long. */
static long
gemini_count(const struct json *obj, const char *key)
{
	double v;

	if (!json_obj_num(obj, key, &v) || !(v >= 0) || v >= (double)LONG_MAX)
		return 0;
	return (long)v;
}

static void
gemini_usage(struct gemini_stream *st, const struct json *ev)
{
	const struct json *u = gemini_member(ev, "usageMetadata", JSON_OBJECT);

	if (u == NULL)
		return;
	st->res->input_tokens = gemini_count(u, "promptTokenCount");
	st->res->output_tokens = gemini_count(u, "candidatesTokenCount");
}

static void
gemini_feedback(struct gemini_stream *st, const struct json *ev)
{
	const struct json *pf = gemini_member(ev, "promptFeedback",
	    JSON_OBJECT);
	const char *s;

	if ((s = gemini_str(pf, "blockReason")) != NULL)
		gemini_copy(st->block, sizeof st->block, s);
	if ((s = gemini_str(pf, "blockReasonMessage")) != NULL)
		gemini_copy(st->block_msg, sizeof st->block_msg, s);
	if ((s = gemini_str(ev, "modelVersion")) != NULL)
		gemini_copy(st->res->model, sizeof st->res->model, s);
}

/* Appends the text parts of candidates[0], thought parts skipped.
 * Returns the number of bytes added. */
static size_t
gemini_parts(struct gemini_stream *st, const struct json *cand)
{
	const struct json *content, *parts, *p, *th;
	const char *text;
	size_t i, len, added = 0;

	content = gemini_member(cand, "content", JSON_OBJECT);
	if ((parts = gemini_member(content, "parts", JSON_ARRAY)) == NULL)
		return 0;
	for (i = 0; i < parts->n; i++) {
		p = parts->items[i];
		th = gemini_member(p, "thought", JSON_BOOL);
		if (th != NULL && th->b)
			continue;
		if (p->type != JSON_OBJECT ||
		    (text = json_obj_str(p, "text", &len)) == NULL)
			continue;
		buf_add(&st->res->output, text, len);
		added += len;
	}
	return added;
}

/* Notes the arrival of text: first token time and progress. */
static void
gemini_progress(struct gemini_stream *st)
{
	st->events++;
	if (st->res->first_token_ms < 0)
		st->res->first_token_ms = http_now_ms() - st->t0;
	if (st->rq->on_progress != NULL)
		st->rq->on_progress(st->rq->progress_ctx, st->events);
}

/* Handles one GenerateContentResponse (or a raw error). Returns 0, or 1
 * to stop the try. */
static int
gemini_event(struct gemini_stream *st, const struct json *ev)
{
	const struct json *err, *cands, *c0;
	struct gemini_apierr ae;
	const char *fr;
	char m[400];

	if (ev->type != JSON_OBJECT)
		return gemini_stop(st, AR_E_BAD_RESPONSE,
		    "a Gemini event is not a JSON object");
	if ((err = json_obj_get(ev, "error")) != NULL) {
		memset(&ae, 0, sizeof ae);
		gemini_apierr_obj(err, &ae);
		gemini_stop(st, AR_E_STREAM, "Gemini sent an error mid-stream");
		snprintf(m, sizeof m, "%s%s%s", ae.status,
		    ae.status[0] ? ": " : "", ae.message);
		gemini_copy(st->fail->gmsg, sizeof st->fail->gmsg, m);
		return 1;
	}
	gemini_usage(st, ev);
	gemini_feedback(st, ev);
	cands = gemini_member(ev, "candidates", JSON_ARRAY);
	if (cands == NULL || cands->n == 0)
		return 0;
	st->candidates = 1;
	c0 = cands->items[0];
	if ((fr = gemini_str(c0, "finishReason")) != NULL)
		gemini_copy(st->res->finish, sizeof st->res->finish, fr);
	if (gemini_parts(st, c0) > 0)
		gemini_progress(st);
	if (st->res->output.len > AR_MAX_ANSWER)
		return gemini_stop(st, AR_E_TOO_LARGE,
		    "the Gemini answer is over its size limit");
	return 0;
}

/* Parses and handles the pending data event. */
static int
gemini_dispatch(struct gemini_stream *st)
{
	struct json_error je;
	struct json *ev;
	char q[AR_MAX_QUOTE + 4], m[400];
	int rc;

	if (!st->has_data)
		return 0;
	st->has_data = 0;
	ev = json_parse(st->data.s, st->data.len, AR_MAX_LINE, &je);
	if (ev == NULL) {
		gemini_quote(q, sizeof q, st->data.s, st->data.len);
		snprintf(m, sizeof m, "Gemini sent an event that is not "
		    "JSON (%s): \"%s\"", je.msg, q);
		buf_reset(&st->data);
		return gemini_stop(st, AR_E_BAD_RESPONSE, m);
	}
	buf_reset(&st->data);
	rc = gemini_event(st, ev);
	json_free(ev);
	return rc;
}

/* Collects a raw (not data:-prefixed) JSON object, e.g. {"error":...},
 * until it parses. */
static int
gemini_raw_line(struct gemini_stream *st, const char *line, size_t len)
{
	struct json_error je;
	struct json *v;
	char q[AR_MAX_QUOTE + 4], m[400];
	int rc;

	buf_add(&st->raw, line, len);
	buf_addc(&st->raw, '\n');
	if (st->raw.len > AR_MAX_ERROR_BODY) {
		gemini_quote(q, sizeof q, st->raw.s, st->raw.len);
		snprintf(m, sizeof m, "Gemini sent text that is not an SSE "
		    "event: \"%s\"", q);
		return gemini_stop(st, AR_E_BAD_RESPONSE, m);
	}
	if ((v = json_parse(st->raw.s, st->raw.len, AR_MAX_ERROR_BODY,
	    &je)) == NULL)
		return 0;	/* not complete yet */
	buf_reset(&st->raw);
	rc = gemini_event(st, v);
	json_free(v);
	return rc;
}

static int
gemini_data_line(struct gemini_stream *st, const char *p, size_t len)
{
	if (len > 0 && *p == ' ')
		p++, len--;
	if (st->has_data)
		buf_addc(&st->data, '\n');
	buf_add(&st->data, p, len);
	st->has_data = 1;
	if (st->data.len > AR_MAX_LINE)
		return gemini_stop(st, AR_E_TOO_LARGE,
		    "a Gemini SSE event is over its size limit");
	return 0;
}

/* http's on_line: the SSE parser. */
static int
gemini_on_line(void *ctx, const char *line, size_t len)
{
	struct gemini_stream *st = ctx;
	size_t i = 0;

	if (st->raw.len > 0)
		return gemini_raw_line(st, line, len);
	if (len == 0)
		return gemini_dispatch(st);
	if (line[0] == ':')
		return 0;		/* a comment */
	if (len >= 5 && memcmp(line, "data:", 5) == 0)
		return gemini_data_line(st, line + 5, len - 5);
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && (line[i] == '{' || line[i] == '[')) {
		if (gemini_dispatch(st) != 0)
			return 1;
		return gemini_raw_line(st, line, len);
	}
	return 0;			/* event:, id:, retry: and the like */
}

static int
gemini_on_tick(void *ctx)
{
	struct gemini_stream *st = ctx;

	return gen_cancelled(st->rq->cancel);
}

static void
gemini_result_reset(struct gen_result *r)
{
	buf_reset(&r->output);
	r->model[0] = '\0';
	r->input_tokens = r->output_tokens = 0;
	r->first_token_ms = -1;
	r->total_ms = r->tokens_per_s = 0;
	r->finish[0] = '\0';
}

/* Starts one try's SSE state over an emptied res. */
static void
gemini_stream_init(struct gemini_stream *st, const struct gen_request *rq,
    struct gen_result *res, double t0, struct gemini_fail *f)
{
	memset(st, 0, sizeof *st);
	st->rq = rq;
	st->res = res;
	st->t0 = t0;
	st->fail = f;
	gemini_result_reset(res);
}

/* Judges a complete 200 stream. Returns 0 if it holds an answer. */
static int
gemini_stream_end(struct gemini_stream *st)
{
	static const char *const safety[] = { "SAFETY", "RECITATION",
	    "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", NULL };
	struct gen_result *r = st->res;
	char q[AR_MAX_QUOTE + 4], m[400];
	int i;

	if (gemini_dispatch(st) != 0)
		return -1;
	if (st->raw.len > 0) {
		gemini_quote(q, sizeof q, st->raw.s, st->raw.len);
		snprintf(m, sizeof m, "Gemini sent text that is not an SSE "
		    "event: \"%s\"", q);
		return -gemini_stop(st, AR_E_BAD_RESPONSE, m);
	}
	if (!st->candidates && st->block[0]) {
		snprintf(m, sizeof m, "prompt blocked: %s%s%s", st->block,
		    st->block_msg[0] ? ": " : "", st->block_msg);
		return -gemini_stop(st, AR_E_BLOCKED, m);
	}
	if (r->finish[0] == '\0')
		return -gemini_stop(st, AR_E_CUT,
		    "the Gemini stream ended without a finishReason");
	if (r->output.len > 0)
		return 0;
	for (i = 0; safety[i] != NULL; i++)
		if (strcmp(r->finish, safety[i]) == 0) {
			snprintf(m, sizeof m, "answer blocked: finishReason "
			    "%s", r->finish);
			return -gemini_stop(st, AR_E_BLOCKED, m);
		}
	if (strcmp(r->finish, "STOP") == 0)
		return -gemini_stop(st, AR_E_EMPTY,
		    "Gemini returned an empty answer");
	snprintf(m, sizeof m, "Gemini returned an empty answer (finishReason "
	    "%s)", r->finish);
	return -gemini_stop(st, AR_E_EMPTY, m);
}

/* Fills the timing of a finished answer. */
static void
gemini_timing(const struct gemini_call *c, double try0, struct gen_result *r)
{
	double now = http_now_ms(), s;

	r->total_ms = now - c->t0;
	s = (now - (c->t0 + r->first_token_ms)) / 1000.0;
	if (s < 0.001)
		s = (now - try0) / 1000.0;
	r->tokens_per_s = s > 0 ? (double)r->output_tokens / s : 0;
}

/* One try. Returns 0 with res filled, or -1 with f filled. */
static int
gemini_try(struct gemini *g, const struct gemini_call *c,
    const struct gen_request *rq, struct gen_result *res,
    struct gemini_fail *f)
{
	struct gemini_stream st;
	struct http_req hq;
	struct http_res hr;
	double try0 = http_now_ms();
	double left = c->budget_ms - (try0 - c->t0);
	int rc;

	if (left < 1.0) {
		/* A zero timeout would mean none to libcurl. */
		gemini_fail_set(f, AR_E_TIMEOUT, "Gemini did not answer "
		    "within the %g s budget (AR_TIMEOUT)", g->cfg->timeout);
		return -1;
	}
	gemini_stream_init(&st, rq, res, c->t0, f);
	memset(&hq, 0, sizeof hq);
	hq.method = "POST", hq.url = c->url, hq.headers = c->headers;
	hq.body = c->body, hq.bodylen = c->bodylen;
	hq.timeout = left / 1000.0;
	hq.on_line = gemini_on_line, hq.on_tick = gemini_on_tick;
	hq.ctx = &st;
	rc = http_do(g->http, &hq, &hr);
	if (rc == -1 && hr.fail == HTTP_ABORTED && f->code == NULL)
		gemini_fail_set(f, AR_E_CANCELLED, "the request was cancelled");
	else if (rc == -1 && f->code == NULL)
		gemini_transport_fail(g->cfg, &hr,
		    c->budget_ms - (http_now_ms() - c->t0), f);
	else if (rc == 0 && (hr.status < 200 || hr.status >= 300))
		gemini_status_fail(g->cfg, &hr, f);
	else if (rc == 0 && gemini_stream_end(&st) == 0) {
		if (res->model[0] == '\0')
			gemini_copy(res->model, sizeof res->model,
			    g->cfg->cloud_model);
		gemini_timing(c, try0, res);
	}
	http_res_free(&hr);
	buf_free(&st.data);
	buf_free(&st.raw);
	return f->code == NULL ? 0 : -1;
}

static double
gemini_rand01(struct gemini *g)
{
	uint32_t x = g->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	g->rng = x;
	return (double)(x >> 8) / (double)(1u << 24);
}

/* The wait before try number next (2, 3...), in seconds. */
static double
gemini_backoff(struct gemini *g, int next, double hint_s)
{
	double b = AR_GEMINI_BACKOFF_S;
	int i;

	for (i = 2; i < next && b < AR_GEMINI_BACKOFF_MAX_S; i++)
		b *= 2;
	if (b > AR_GEMINI_BACKOFF_MAX_S)
		b = AR_GEMINI_BACKOFF_MAX_S;
	if (hint_s > b)
		b = hint_s;
	return b * (1.0 + 0.2 * gemini_rand01(g));
}

static int
gemini_cancelled(const struct gen_request *rq)
{
	return gen_cancelled(rq->cancel);
}

/* Sleeps s seconds in small slices; returns -1 if cancelled. */
static int
gemini_sleep(const struct gen_request *rq, double s)
{
	double end = http_now_ms() + s * 1000.0, left;
	struct timespec ts;

	while ((left = end - http_now_ms()) > 0) {
		if (gemini_cancelled(rq))
			return -1;
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e6);
		nanosleep(&ts, NULL);
	}
	return gemini_cancelled(rq) ? -1 : 0;
}

/* Masks every copy of the key in msg (defence in depth: no message
 * is built from the key, but a server might echo it). */
static void
gemini_redact(char *msg, const char *key)
{
	size_t kl = key ? strlen(key) : 0;
	char *p;

	if (kl < 4)
		return;
	while ((p = strstr(msg, key)) != NULL) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + kl, strlen(p + kl) + 1);
	}
}

/* Writes the final error: the failure, the tries, Google's message. */
static void
gemini_final(const struct gemini_fail *f, int tries, struct ar_err *e)
{
	char t[200], m[1024];

	t[0] = '\0';
	if (f->counted)
		snprintf(t, sizeof t, " (%d %s%s%s)", tries,
		    tries == 1 ? "try" : "tries", f->note[0] ? "; " : "",
		    f->note);
	snprintf(m, sizeof m, "%s%s%s%s", f->what, t, f->gmsg[0] ? ": " : "",
	    f->gmsg);
	e->code = f->code;
	gemini_copy(e->msg, sizeof e->msg, m);
}

static void
gemini_url_model(struct buf *b, const char *model)
{
	static const char ok[] = "-._~:@!$&'()*+,;=";
	const unsigned char *p;

	if (strncmp(model, "models/", 7) == 0)
		model += 7;
	for (p = (const unsigned char *)model; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(ok, *p) != NULL)
			buf_addc(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
}

static char *
gemini_url(const struct config *cfg)
{
	struct buf b = BUF_INIT;
	const char *base = cfg->gemini_base_url;
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	buf_add(&b, base, n);
	buf_adds(&b, "/v1beta/models/");
	gemini_url_model(&b, cfg->cloud_model);
	buf_adds(&b, ":streamGenerateContent?alt=sse");
	return buf_detach(&b);
}

/* {"role": role, "parts": [{"text": text}]}; role may be NULL. */
static struct json *
gemini_content(const char *role, const char *text)
{
	struct json *c = json_object(), *parts = json_array();
	struct json *part = json_object();

	if (role != NULL)
		json_obj_set(c, "role", json_stringz(role));
	json_obj_set(part, "text", json_stringz(text));
	json_arr_push(parts, part);
	json_obj_set(c, "parts", parts);
	return c;
}

static char *
gemini_body(const struct gen_request *rq, size_t *len)
{
	struct json *root = json_object(), *contents = json_array();
	struct json *gc = json_object();
	struct buf b = BUF_INIT;

	json_arr_push(contents, gemini_content("user", rq->prompt));
	json_obj_set(root, "contents", contents);
	if (rq->system != NULL && *rq->system != '\0')
		json_obj_set(root, "systemInstruction",
		    gemini_content(NULL, rq->system));
	json_obj_set(gc, "temperature", json_double(AR_TEMPERATURE));
	json_obj_set(gc, "candidateCount", json_int(1));
	json_obj_set(root, "generationConfig", gc);
	json_write(&b, root);
	json_free(root);
	*len = b.len;
	return buf_detach(&b);
}

static int
gemini_call_init(struct gemini_call *c, const struct config *cfg,
    const struct gen_request *rq, struct ar_err *e)
{
	const char *k = cfg->api_key;
	static const char name[] = "x-goog-api-key: ";

	memset(c, 0, sizeof *c);
	c->t0 = http_now_ms();
	c->budget_ms = cfg->timeout * 1000.0;
	if (k == NULL || *k == '\0')
		return err_set(e, AR_E_NO_KEY, "no Gemini API key: set "
		    "GOOGLE_API_KEY or GEMINI_API_KEY");
	for (; *k; k++)
		if ((unsigned char)*k < 0x20 || *k == 0x7f)
			return err_set(e, AR_E_CONFIG, "the API key in %s "
			    "holds a control character", cfg->api_key_var ?
			    cfg->api_key_var : "the environment");
	c->keyhdr = xmalloc(sizeof name + strlen(cfg->api_key));
	memcpy(c->keyhdr, name, sizeof name - 1);
	strcpy(c->keyhdr + sizeof name - 1, cfg->api_key);
	c->headers[0] = "Content-Type: application/json";
	c->headers[1] = c->keyhdr;
	c->headers[2] = NULL;
	c->url = gemini_url(cfg);
	c->body = gemini_body(rq, &c->bodylen);
	return 0;
}

static void
gemini_call_free(struct gemini_call *c)
{
	if (c->keyhdr != NULL) {
		explicit_bzero(c->keyhdr, strlen(c->keyhdr));
		free(c->keyhdr);
	}
	free(c->url);
	free(c->body);
	memset(c, 0, sizeof *c);
}

/* Decides whether failure f after try `tries` gets another try; fills
 * *wait_s, or f->note when it does not. */
static int
gemini_should_retry(struct gemini *g, const struct gemini_call *c,
    int tries, struct gemini_fail *f, double *wait_s)
{
	double left;

	if (!f->retry)
		return 0;
	if (tries >= AR_GEMINI_MAX_TRIES)
		return 0;
	*wait_s = gemini_backoff(g, tries + 1, f->hint_s);
	left = (c->budget_ms - (http_now_ms() - c->t0)) / 1000.0;
	if (*wait_s >= left) {
		if (f->hint_s > 0)
			snprintf(f->note, sizeof f->note, "retry delay %g s "
			    "passes the %g s budget (AR_TIMEOUT)", f->hint_s,
			    g->cfg->timeout);
		else if (strcmp(f->code, AR_E_TIMEOUT) != 0)
			snprintf(f->note, sizeof f->note, "no time left in "
			    "the %g s budget (AR_TIMEOUT)", g->cfg->timeout);
		return 0;
	}
	return 1;
}

int
gemini_generate(struct gemini *g, const struct gen_request *rq,
    struct gen_result *res, struct ar_err *e)
{
	struct gemini_call c;
	struct gemini_fail f;
	double wait_s = 0;
	int tries, rc = -1;

	err_clear(e);
	if (gemini_call_init(&c, g->cfg, rq, e) == -1) {
		gemini_call_free(&c);
		return -1;
	}
	for (tries = 1;; tries++) {
		memset(&f, 0, sizeof f);
		log_debug("gemini: POST %s (try %d of %d)", c.url, tries,
		    AR_GEMINI_MAX_TRIES);
		if ((rc = gemini_try(g, &c, rq, res, &f)) == 0)
			break;
		if (!gemini_should_retry(g, &c, tries, &f, &wait_s)) {
			gemini_final(&f, tries, e);
			break;
		}
		log_info("%s; retrying in %.1f s (try %d of %d)", f.what,
		    wait_s, tries + 1, AR_GEMINI_MAX_TRIES);
		if (gemini_sleep(rq, wait_s) == -1) {
			err_set(e, AR_E_CANCELLED, "the request was cancelled");
			break;
		}
	}
	gemini_call_free(&c);
	gemini_redact(e->msg, g->cfg->api_key);
	return rc == 0 ? 0 : -1;
}

struct gemini *
gemini_new(const struct config *cfg)
{
	struct gemini *g = xcalloc(1, sizeof *g);

	g->cfg = cfg;
	g->http = http_new();
	g->rng = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^
	    (uint32_t)(uintptr_t)g;
	if (g->rng == 0)
		g->rng = 0x9E3779B9u;
	return g;
}

void
gemini_free(struct gemini *g)
{
	if (g == NULL)
		return;
	http_free(g->http);
	free(g);
}

int
gemini_parse_stream(const char *data, size_t len, struct gen_result *res,
    struct ar_err *e)
{
	static const struct gen_request none;
	struct gemini_stream st;
	struct gemini_fail f;
	struct buf line = BUF_INIT;
	const char *p = data, *end = data + len, *nl;
	size_t n;
	int rc = 0;

	memset(&f, 0, sizeof f);
	gemini_stream_init(&st, &none, res, http_now_ms(), &f);
	while (rc == 0 && p < end) {	/* lines as http.h splits them */
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > AR_MAX_LINE) {
			rc = gemini_stop(&st, AR_E_TOO_LARGE, "a Gemini SSE "
			    "event is over its size limit");
			break;
		}
		buf_reset(&line);
		buf_add(&line, p, n);
		if (n > 0 && line.s[n - 1] == '\r')
			line.s[--line.len] = '\0';
		rc = gemini_on_line(&st, line.s, line.len);
		p = nl != NULL ? nl + 1 : end;
	}
	if (rc == 0)
		gemini_stream_end(&st);
	buf_free(&line);
	buf_free(&st.data);
	buf_free(&st.raw);
	if (f.code == NULL)
		return 0;
	gemini_final(&f, 1, e);
	return -1;
}
