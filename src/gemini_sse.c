/*
 * gemini_sse.c - the Gemini SSE event parser: data lines gathered into
 * events, each a GenerateContentResponse (text parts, usage, finish and
 * block reasons) or a raw error object; and Google's error bodies,
 * digested for the retry policy in gemini.c.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "defaults.h"
#include "gemini_sse.h"
#include "http.h"
#include "json.h"

/* Copies the string s (NULL for none) into dst[0..size) as one line. */
static void
gemini_copy(char *dst, size_t size, const char *s)
{
	buf_oneline(dst, size, s ? s : "", s ? strlen(s) : 0);
}

int
gemini_fail_set(struct gemini_fail *f, const char *code, const char *fmt, ...)
{
	va_list ap;
	struct ar_err e;

	va_start(ap, fmt);
	err_vset(&e, code, fmt, ap);
	va_end(ap);
	f->code = code;
	gemini_copy(f->what, sizeof f->what, e.msg);
	return 1;
}

double
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

void
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
	else			/* its start only */
		buf_oneline(ae->message, AR_MAX_QUOTE + 4, s, len);
	json_free(root);
}

/* Stops the try with a final failure; returns 1 for on_line. */
static int
gemini_stop(struct gemini_stream *st, const char *code, const char *what)
{
	if (st->fail->code == NULL)
		gemini_fail_set(st->fail, code, "%s", what);
	return 1;
}

static void
gemini_usage(struct gemini_stream *st, const struct json *ev)
{
	const struct json *u = gemini_member(ev, "usageMetadata", JSON_OBJECT);

	if (u == NULL)
		return;
	st->res->input_tokens = json_obj_count(u, "promptTokenCount");
	st->res->output_tokens = json_obj_count(u, "candidatesTokenCount");
	st->res->thinking_tokens = json_obj_count(u, "thoughtsTokenCount");
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

/* Appends the text parts of the candidate, thought parts skipped (they
 * are never the answer, but count as activity). Returns nonzero when a
 * part carried text of either kind. */
static int
gemini_parts(struct gemini_stream *st, const struct json *cand)
{
	const struct json *content, *parts, *p, *th;
	const char *text;
	size_t i, len;
	int active = 0;

	content = gemini_member(cand, "content", JSON_OBJECT);
	if ((parts = gemini_member(content, "parts", JSON_ARRAY)) == NULL)
		return 0;
	for (i = 0; i < parts->n; i++) {
		p = parts->items[i];
		if (p->type != JSON_OBJECT ||
		    (text = json_obj_str(p, "text", &len)) == NULL || len == 0)
			continue;
		active = 1;
		th = gemini_member(p, "thought", JSON_BOOL);
		if (th == NULL || !th->b)
			buf_add(&st->res->output, text, len);
	}
	return active;
}

/* The candidate with index 0 (an absent index is 0, as proto3 leaves
 * zeros out), wherever it is listed; NULL when there is none. */
static const struct json *
gemini_candidate0(const struct json *cands)
{
	const struct json *c;
	size_t i;
	double ix;

	for (i = 0; i < cands->n; i++) {
		c = cands->items[i];
		if (c->type != JSON_OBJECT)
			continue;
		if (json_obj_get(c, "index") == NULL ||
		    (json_obj_num(c, "index", &ix) && ix == 0))
			return c;
	}
	return NULL;
}

/* Notes the arrival of text: first token time and progress. */
static void
gemini_progress(struct gemini_stream *st)
{
	st->events++;
	if (st->res->first_token_ms < 0)
		st->res->first_token_ms = clock_now_ms() - st->t0;
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
	if ((c0 = gemini_candidate0(cands)) == NULL)
		return 0;
	if ((fr = gemini_str(c0, "finishReason")) != NULL)
		gemini_copy(st->res->finish, sizeof st->res->finish, fr);
	if (gemini_parts(st, c0))
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
		buf_oneline(q, sizeof q, st->data.s, st->data.len);
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

/* Stops the try on raw text that does not make a JSON object. */
static int
gemini_not_sse(struct gemini_stream *st)
{
	char q[AR_MAX_QUOTE + 4], m[400];

	buf_oneline(q, sizeof q, st->raw.s, st->raw.len);
	snprintf(m, sizeof m, "Gemini sent text that is not an SSE event: "
	    "\"%s\"", q);
	return gemini_stop(st, AR_E_BAD_RESPONSE, m);
}

/* Collects a raw (not data:-prefixed) JSON object, e.g. {"error":...},
 * until its brackets close, then parses it once: each line is scanned
 * once, so a long body costs linear time. */
static int
gemini_raw_line(struct gemini_stream *st, const char *line, size_t len)
{
	struct json_nest *n = &st->raw_nest;
	struct json_error je;
	struct json *v;
	char m[80];
	int rc;

	buf_add(&st->raw, line, len);
	buf_addc(&st->raw, '\n');
	json_nest_feed(n, line, len);
	if (n->deep) {
		snprintf(m, sizeof m, "Gemini sent JSON nested deeper than %d "
		    "levels", AR_MAX_DEPTH);
		return gemini_stop(st, AR_E_BAD_RESPONSE, m);
	}
	if (st->raw.len > AR_MAX_ERROR_BODY || n->unbalanced)
		return gemini_not_sse(st);
	if (n->depth > 0)
		return 0;	/* not complete yet */
	if ((v = json_parse(st->raw.s, st->raw.len, AR_MAX_ERROR_BODY,
	    &je)) == NULL)
		return gemini_not_sse(st);
	buf_reset(&st->raw);
	memset(n, 0, sizeof *n);
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

/* After an event: HTTP_LINE_DONE once it carried the finishReason, which
 * only the last event of a stream does (with the usage), else 0. */
static int
gemini_done(const struct gemini_stream *st)
{
	return st->res->finish[0] != '\0' ? HTTP_LINE_DONE : 0;
}

int
gemini_stream_line(void *ctx, const char *line, size_t len)
{
	struct gemini_stream *st = ctx;
	size_t i = 0;

	if (!st->started) {
		st->started = 1;
		if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
			line += 3, len -= 3;
	}
	if (st->raw.len > 0)
		return gemini_raw_line(st, line, len);
	if (len == 0)
		return gemini_dispatch(st) != 0 ? 1 : gemini_done(st);
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

static void
gemini_result_reset(struct gen_result *r)
{
	buf_reset(&r->output);
	r->model[0] = '\0';
	r->input_tokens = r->output_tokens = 0;
	r->thinking_tokens = -1;
	r->first_token_ms = -1;
	r->total_ms = r->tokens_per_s = 0;
	r->finish[0] = '\0';
}

/* Starts one try's SSE state over an emptied res. */
void
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

void
gemini_stream_free(struct gemini_stream *st)
{
	buf_free(&st->data);
	buf_free(&st->raw);
}

int
gemini_stream_end(struct gemini_stream *st)
{
	static const char *const safety[] = { "SAFETY", "RECITATION",
	    "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", NULL };
	struct gen_result *r = st->res;
	char m[400];
	int i;

	if (gemini_dispatch(st) != 0)
		return -1;
	if (st->raw.len > 0)
		return -gemini_not_sse(st);
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
