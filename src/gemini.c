/*
 * gemini.c - the Gemini backend: streamGenerateContent?alt=sse through the
 * http module, and the retry policy; the SSE parser and Google's error
 * bodies are in gemini_sse.c. The API key lives only in one header
 * string, zeroed after use.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "defaults.h"
#include "flow.h"
#include "gemini.h"
#include "gemini_sse.h"
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
		f->retry = st == 500 || st == 502 || st == 503 || st == 504;
	} else
		gemini_fail_set(f, AR_E_HTTP, "Gemini answered %s", sw);
	ra = gemini_duration(hr->retry_after);
	f->hint_s = ae.retry_delay > ra ? ae.retry_delay : ra;
	if (f->hint_s < 0)
		f->hint_s = 0;
}

/* A line of the stream passed AR_MAX_LINE: final, whatever the tries. */
static void
gemini_too_large(struct gemini_fail *f)
{
	f->counted = 0;
	gemini_fail_set(f, AR_E_TOO_LARGE, "a Gemini SSE event is over %u "
	    "bytes", AR_MAX_LINE);
}

/* Classifies a transfer that failed below HTTP (the code: flow_fail_code). */
static void
gemini_transport_fail(const struct config *cfg, const struct http_res *hr,
    double remaining_ms, struct gemini_fail *f)
{
	const char *code = flow_fail_code(hr->fail, hr->status);

	f->counted = 1;
	buf_oneline(f->gmsg, sizeof f->gmsg, hr->errmsg, strlen(hr->errmsg));
	if (strcmp(code, AR_E_CONNECT) == 0)
		/* Nothing listens there: waiting will not change that, and
		 * ar-route must answer at once when every backend is down. */
		gemini_fail_set(f, code, "cannot connect to Gemini "
		    "at %.100s", cfg->gemini_base_url);
	else if (strcmp(code, AR_E_RESOLVE) == 0)
		gemini_fail_set(f, code, "cannot resolve the host of "
		    "%.100s", cfg->gemini_base_url);
	else if (strcmp(code, AR_E_TIMEOUT) == 0) {
		gemini_fail_set(f, code, "Gemini did not answer "
		    "within the %g s budget (AR_TIMEOUT)", cfg->timeout);
		f->retry = remaining_ms > 1000;
	} else if (strcmp(code, AR_E_TOO_LARGE) == 0)
		gemini_too_large(f);
	else if (strcmp(code, AR_E_CUT) == 0) {
		f->counted = 0;
		gemini_fail_set(f, code, "the Gemini stream was "
		    "cut: %.150s", hr->errmsg);
		f->gmsg[0] = '\0';
	} else {
		gemini_fail_set(f, code, "transport error "
		    "talking to Gemini");
		f->retry = 1;
	}
}

/* Fills the timing of a finished answer. */
static void
gemini_timing(const struct gemini_call *c, double try0, struct gen_result *r)
{
	double now = clock_now_ms(), s;

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
	double try0 = clock_now_ms();
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
	hq.on_line = gemini_stream_line, hq.cancel = rq->cancel;
	hq.any_eol = 1;
	hq.ctx = &st;
	rc = http_do(g->http, &hq, &hr);
	if (rc == -1 && hr.fail == HTTP_ABORTED && f->code == NULL)
		gemini_fail_set(f, AR_E_CANCELLED, "the request was cancelled");
	else if (rc == -1 && f->code == NULL)
		gemini_transport_fail(g->cfg, &hr,
		    c->budget_ms - (clock_now_ms() - c->t0), f);
	else if (rc == 0 && (hr.status < 200 || hr.status >= 300))
		gemini_status_fail(g->cfg, &hr, f);
	else if (rc == 0 && gemini_stream_end(&st) == 0) {
		if (res->model[0] == '\0')
			buf_oneline(res->model, sizeof res->model,
			    g->cfg->cloud_model, strlen(g->cfg->cloud_model));
		gemini_timing(c, try0, res);
	}
	http_res_free(&hr);
	gemini_stream_free(&st);
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
	buf_oneline(e->msg, sizeof e->msg, m, strlen(m));
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

/* generationConfig.thinkingConfig from AR_CLOUD_THINKING: thinkingLevel
 * for a level, thinkingBudget for a number; NULL when unset. */
static struct json *
gemini_thinking(const char *thinking)
{
	struct json *tc;
	char level[16];
	size_t i;

	if (thinking == NULL)
		return NULL;
	tc = json_object();
	if (thinking[0] == '-' || (thinking[0] >= '0' && thinking[0] <= '9')) {
		json_obj_set(tc, "thinkingBudget", json_int(strtol(thinking,
		    NULL, 10)));
		return tc;
	}
	for (i = 0; thinking[i] != '\0' && i + 1 < sizeof level; i++)
		level[i] = (char)toupper((unsigned char)thinking[i]);
	level[i] = '\0';
	json_obj_set(tc, "thinkingLevel", json_stringz(level));
	return tc;
}

static char *
gemini_body(const struct config *cfg, const struct gen_request *rq,
    size_t *len)
{
	struct json *tc = gemini_thinking(cfg->cloud_thinking);
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
	if (tc != NULL)
		json_obj_set(gc, "thinkingConfig", tc);
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
	c->t0 = clock_now_ms();
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
	c->body = gemini_body(cfg, rq, &c->bodylen);
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
	left = (c->budget_ms - (clock_now_ms() - c->t0)) / 1000.0;
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
		if (http_wait(g->http, wait_s, rq->cancel) == -1) {
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
	struct http_lines lines;
	enum http_fail fail;

	memset(&f, 0, sizeof f);
	gemini_stream_init(&st, &none, res, clock_now_ms(), &f);
	http_lines_init(&lines, AR_MAX_LINE, gemini_stream_line, &st);
	http_lines_any_eol(&lines);
	if ((fail = http_lines_feed(&lines, data, len)) == HTTP_OK)
		fail = http_lines_end(&lines);
	if (fail == HTTP_TOO_LARGE)
		gemini_too_large(&f);
	else if (fail == HTTP_OK)
		gemini_stream_end(&st);
	http_lines_free(&lines);
	gemini_stream_free(&st);
	if (f.code == NULL)
		return 0;
	gemini_final(&f, 1, e);
	return -1;
}
