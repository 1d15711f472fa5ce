/*
 * ollama.c - the Ollama backend: POST /api/generate streamed as NDJSON,
 * and the status check over /api/version, /api/tags and /api/ps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "clock.h"
#include "defaults.h"
#include "flow.h"
#include "http.h"
#include "json.h"
#include "ollama.h"
#include "xalloc.h"

/* Bytes of Ollama's own error text kept in a message. */
#define OLLAMA_MAX_MESSAGE	296

struct ollama {
	const struct config *cfg;
	struct http *http;
};

/* The state of one streamed generation, shared by the callbacks. */
struct ollama_stream {
	struct flow f;		/* first: flow_tick gets the stream */
	long num_ctx;		/* the num_ctx asked for; 0: unknown */
	long eval_count;
	double eval_ns;
};

struct ollama *
ollama_new(const struct config *cfg)
{
	struct ollama *o = xcalloc(1, sizeof *o);

	o->cfg = cfg;
	o->http = http_new();
	return o;
}

void
ollama_free(struct ollama *o)
{
	if (o == NULL)
		return;
	http_free(o->http);
	free(o);
}

/* The "think" value of AR_LOCAL_THINK: a bool or a level. */
static struct json *
ollama_think(const char *think)
{
	if (strcmp(think, "true") == 0 || strcmp(think, "false") == 0)
		return json_bool(think[0] == 't');
	return json_stringz(think);
}

static char *
ollama_body(const struct config *cfg, const struct gen_request *rq,
    long num_ctx, size_t *len)
{
	struct json *req = json_object(), *opts = json_object();
	struct buf b = BUF_INIT;

	json_obj_set(req, "model", json_stringz(cfg->local_model));
	json_obj_set(req, "prompt", json_stringz(rq->prompt));
	if (rq->system != NULL && rq->system[0] != '\0')
		json_obj_set(req, "system", json_stringz(rq->system));
	json_obj_set(req, "stream", json_bool(1));
	if (cfg->local_think != NULL)
		json_obj_set(req, "think", ollama_think(cfg->local_think));
	json_obj_set(opts, "num_ctx", json_int(num_ctx));
	json_obj_set(opts, "temperature", json_double(AR_TEMPERATURE));
	json_obj_set(req, "options", opts);
	json_write(&b, req);
	json_free(req);
	*len = b.len;
	return buf_detach(&b);
}

/* Takes the metrics of the done:true line; absent fields stay 0. */
static void
stream_final(struct ollama_stream *st, const struct json *v)
{
	const char *reason = json_obj_str(v, "done_reason", NULL);
	double d;

	st->f.done = 1;
	if (reason != NULL)
		snprintf(st->f.res->finish, sizeof st->f.res->finish, "%s", reason);
	st->f.res->input_tokens = json_obj_count(v, "prompt_eval_count");
	st->eval_count = json_obj_count(v, "eval_count");
	if (json_obj_num(v, "eval_duration", &d))
		st->eval_ns = d;
}

/* The engine cut the prompt when it filled the whole context. */
static int
stream_prompt_cut(struct ollama_stream *st)
{
	long n = st->f.res->input_tokens;

	if (st->num_ctx <= 0 || n + AR_CTX_CUT_SLACK < st->num_ctx)
		return 0;
	return err_set(st->f.e, AR_E_CONTEXT, "Ollama cut the prompt: "
	    "prompt_eval_count %ld fills num_ctx %ld, so the start of the "
	    "prompt (the task) was dropped; raise AR_MAX_CTX", n, st->num_ctx);
}

/* A chunk's "thinking" text: activity for the clock, never the answer. */
static void
stream_thinking(struct ollama_stream *st, const struct json *v)
{
	size_t len;

	if (json_obj_str(v, "thinking", &len) != NULL && len > 0)
		flow_thinking(&st->f);
}

/* One line of the stream: a chunk, the final line, or an error. */
static int
stream_line(void *ctx, const char *line, size_t len)
{
	struct ollama_stream *st = ctx;
	struct json_error jerr;
	struct json *v, *err;
	const char *resp, *msg;
	size_t rlen;
	char q[AR_MAX_QUOTE + 4], m[400];
	int rc = 0;

	if (flow_cancelled(&st->f) == -1)
		return -1;
	if (st->f.done || len == strspn(line, " \t\r"))
		return 0;
	v = json_parse(line, len, AR_MAX_LINE, &jerr);
	if (v == NULL || v->type != JSON_OBJECT) {
		json_free(v);
		buf_oneline(q, sizeof q, line, len);
		return flow_fail(&st->f, AR_E_BAD_RESPONSE,
		    "Ollama sent a line that is not a JSON object: %s", q);
	}
	if ((err = json_obj_get(v, "error")) != NULL) {
		msg = err->type == JSON_STRING ? err->s : "error in the stream";
		buf_oneline(m, sizeof m, msg, strlen(msg));
		rc = flow_fail(&st->f, AR_E_STREAM, "Ollama: %s", m);
	} else {
		stream_thinking(st, v);
		if ((resp = json_obj_str(v, "response", &rlen)) != NULL)
			rc = flow_token(&st->f, resp, rlen);
		if (rc == 0 && (err = json_obj_get(v, "done")) != NULL &&
		    err->type == JSON_BOOL && err->b) {
			stream_final(st, v);
			rc = HTTP_LINE_DONE;	/* whatever the server holds */
		}
	}
	json_free(v);
	return rc;
}

static void
stream_init(struct ollama_stream *st, const struct config *cfg,
    const struct gen_request *rq, struct gen_result *res, struct ar_err *e)
{
	memset(st, 0, sizeof *st);
	flow_init(&st->f, cfg, rq, res, e, "Ollama");
}

/* Judges a stream whose body arrived whole. Returns 0 or -1 with e set. */
static int
stream_end(struct ollama_stream *st)
{
	if (st->f.failed)
		return -1;
	if (!st->f.done)
		return err_set(st->f.e, AR_E_CUT, "Ollama's stream ended without "
		    "done:true after %ld tokens", st->f.tokens);
	return stream_prompt_cut(st);
}

/* Appends Ollama's {"error": "..."} text of an error body, else its
 * start, as one line. */
static void
ollama_error_text(const struct buf *body, struct buf *out)
{
	struct json_error jerr;
	struct json *v;
	const char *msg;
	size_t len = 0;

	v = body->len ? json_parse(body->s, body->len, AR_MAX_ERROR_BODY,
	    &jerr) : NULL;
	msg = v != NULL && v->type == JSON_OBJECT ? json_obj_str(v, "error",
	    &len) : NULL;
	flow_error_text(body, msg, len, OLLAMA_MAX_MESSAGE, out);
	json_free(v);
}

static int
ollama_status_err(const struct config *cfg, const struct http_res *hr,
    struct ar_err *e)
{
	struct buf msg = BUF_INIT;
	int rc;

	ollama_error_text(&hr->body, &msg);
	if (hr->status == 404)
		rc = err_set(e, AR_E_MODEL, "%s (try `ollama pull %s`)",
		    buf_str(&msg), cfg->local_model);
	else if (hr->status >= 500)
		rc = err_set(e, AR_E_SERVER, "Ollama answered HTTP %ld: %s",
		    hr->status, buf_str(&msg));
	else
		rc = err_set(e, AR_E_HTTP, "Ollama answered HTTP %ld: %s",
		    hr->status, buf_str(&msg));
	buf_free(&msg);
	return rc;
}

int
ollama_num_ctx(const struct config *cfg, const struct gen_request *rq,
    long *num_ctx, struct ar_err *e)
{
	long need = flow_prompt_tokens(rq) + flow_answer_room(cfg->num_ctx);
	long max = config_max_ctx(cfg);

	if (need <= cfg->num_ctx) {
		*num_ctx = cfg->num_ctx;
		return 0;
	}
	if (need > max)
		return err_set(e, AR_E_CONTEXT, "the prompt needs about %ld "
		    "tokens with room for the answer; num_ctx is %ld and "
		    "AR_MAX_CTX allows %ld", need, cfg->num_ctx, max);
	*num_ctx = (need + AR_CTX_STEP - 1) / AR_CTX_STEP * AR_CTX_STEP;
	if (*num_ctx > max)
		*num_ctx = max;
	return 0;
}

int
ollama_generate(struct ollama *o, const struct gen_request *rq,
    struct gen_result *res, struct ar_err *e)
{
	const struct config *cfg = o->cfg;
	struct ollama_stream st;
	struct flow_post fp;
	char *body;
	struct http_res hr;
	struct buf url = BUF_INIT;
	int rc = 0;

	stream_init(&st, cfg, rq, res, e);
	snprintf(res->model, sizeof res->model, "%s", cfg->local_model);
	if (ollama_num_ctx(cfg, rq, &st.num_ctx, e) == -1)
		return -1;
	buf_printf(&url, "%s/api/generate", cfg->ollama_url);
	memset(&fp, 0, sizeof fp);
	fp.url = buf_str(&url);
	fp.body = body = ollama_body(cfg, rq, st.num_ctx, &fp.bodylen);
	fp.on_line = stream_line;
	fp.ctx = &st;
	fp.shown = cfg->ollama_url;
	fp.hint = "is `ollama serve` running?";
	rc = flow_post(&st.f, o->http, &fp, &hr);
	flow_timing(&st.f, st.eval_count, st.eval_ns);
	if (rc == 1)
		rc = ollama_status_err(cfg, &hr, e);
	else if (rc == 0)
		rc = stream_end(&st);
	http_res_free(&hr);
	buf_free(&url);
	free(body);
	return rc;
}

int
ollama_parse_stream(const char *data, size_t len, struct gen_result *res,
    struct ar_err *e)
{
	static const struct gen_request none;
	struct ollama_stream st;

	stream_init(&st, NULL, &none, res, e);
	if (flow_parse(&st.f, data, len, 0, stream_line, &st) == -1)
		return -1;
	flow_timing(&st.f, st.eval_count, st.eval_ns);
	return stream_end(&st);
}

/* GETs base + path with the status check's short timeouts; returns the
 * parsed JSON object (owned) or NULL with why set. cancel may be NULL. */
static struct json *
ollama_get(struct ollama *o, const char *path, const volatile int *cancel,
    struct ollama_status *st)
{
	struct http_res hr;
	struct buf url = BUF_INIT;
	struct json_error jerr;
	struct json *v = NULL;

	buf_printf(&url, "%s%s", o->cfg->ollama_url, path);
	if (flow_get(o->http, buf_str(&url), NULL, cancel, &hr) == -1 &&
	    cancel_is_set(cancel)) {
		st->error_code = AR_E_CANCELLED;
		snprintf(st->error, sizeof st->error, "the status check was "
		    "cancelled");
	} else if (hr.fail != HTTP_OK) {
		st->error_code = flow_fail_code(hr.fail, hr.status);
		snprintf(st->error, sizeof st->error, "cannot connect to "
		    "Ollama at %.100s: %.120s", o->cfg->ollama_url, hr.errmsg);
	} else if (hr.status != 200) {
		st->error_code = hr.status >= 500 ? AR_E_SERVER : AR_E_HTTP;
		snprintf(st->error, sizeof st->error, "%.100s answered HTTP "
		    "%ld to %s", o->cfg->ollama_url, hr.status, path);
	} else if ((v = json_parse(hr.body.s ? hr.body.s : "", hr.body.len,
	    AR_MAX_ANSWER, &jerr)) == NULL || v->type != JSON_OBJECT) {
		st->error_code = AR_E_BAD_RESPONSE;
		snprintf(st->error, sizeof st->error, "%.100s sent a bad "
		    "answer to %s", o->cfg->ollama_url, path);
		json_free(v);
		v = NULL;
	}
	http_res_free(&hr);
	buf_free(&url);
	return v;
}

/* A model name with its tag: a name without one means ":latest". */
static char *
ollama_full_name(const char *name)
{
	const char *slash = strrchr(name, '/');
	struct buf b = BUF_INIT;

	buf_adds(&b, name);
	if (strchr(slash ? slash : name, ':') == NULL)
		buf_adds(&b, ":latest");
	return buf_detach(&b);
}

/* The entry of list->models naming cfg->local_model, or NULL. */
static const struct json *
ollama_find_model(const struct json *list, const char *model)
{
	const struct json *models = json_obj_get(list, "models");
	const char *keys[] = { "name", "model" }, *s;
	char *want, *have;
	size_t i, k;
	int found;

	if (models == NULL || models->type != JSON_ARRAY)
		return NULL;
	want = ollama_full_name(model);
	for (i = 0; i < models->n; i++) {
		for (k = 0; k < 2; k++) {
			if ((s = json_obj_str(models->items[i], keys[k],
			    NULL)) == NULL)
				continue;
			have = ollama_full_name(s);
			found = strcmp(have, want) == 0;
			free(have);
			if (found) {
				free(want);
				return models->items[i];
			}
		}
	}
	free(want);
	return NULL;
}

static void
ollama_status_ps(const struct json *ps, const char *model,
    struct ollama_status *st)
{
	const struct json *m = ollama_find_model(ps, model);
	double size = 0, vram = 0;

	if (m == NULL)
		return;
	st->model_loaded = 1;
	if (json_obj_num(m, "size", &size) && size > 0 &&
	    json_obj_num(m, "size_vram", &vram))
		st->vram_fraction = vram / size;
}

int
ollama_status(struct ollama *o, struct ollama_status *st)
{
	struct json *v;
	const char *ver;

	memset(st, 0, sizeof *st);
	if ((v = ollama_get(o, "/api/version", NULL, st)) == NULL)
		return -1;
	st->reachable = 1;
	if ((ver = json_obj_str(v, "version", NULL)) != NULL)
		snprintf(st->version, sizeof st->version, "%s", ver);
	json_free(v);
	if ((v = ollama_get(o, "/api/tags", NULL, st)) != NULL) {
		st->model_pulled = ollama_find_model(v, o->cfg->local_model)
		    != NULL;
		json_free(v);
	}
	if ((v = ollama_get(o, "/api/ps", NULL, st)) != NULL) {
		ollama_status_ps(v, o->cfg->local_model, st);
		json_free(v);
	}
	return 0;
}

int
ollama_check(struct ollama *o, const volatile int *cancel,
    struct ollama_status *st)
{
	struct json *v;
	const struct json *m;
	const char *digest;

	memset(st, 0, sizeof *st);
	if ((v = ollama_get(o, "/api/tags", cancel, st)) == NULL)
		return -1;
	st->reachable = 1;
	m = ollama_find_model(v, o->cfg->local_model);
	st->model_pulled = m != NULL;
	if (m != NULL && (digest = json_obj_str(m, "digest", NULL)) != NULL)
		snprintf(st->digest, sizeof st->digest, "%s", digest);
	json_free(v);
	return 0;
}

struct json *
ollama_status_record(const struct ollama *o, const struct ollama_status *st)
{
	struct json *r = json_object();

	json_obj_set(r, "backend", json_stringz("ollama"));
	json_obj_set(r, "host", json_stringz(o->cfg->ollama_url));
	json_obj_set(r, "model", json_stringz(o->cfg->local_model));
	json_obj_set(r, "reachable", json_bool(st->reachable));
	json_obj_set(r, "version", st->version[0] ?
	    json_stringz(st->version) : json_null());
	json_obj_set(r, "model_pulled", json_bool(st->model_pulled));
	json_obj_set(r, "model_loaded", json_bool(st->model_loaded));
	json_obj_set(r, "vram_fraction", json_double(st->vram_fraction));
	if (st->error[0])
		json_obj_set(r, "error", json_stringz(st->error));
	return r;
}
