/*
 * openai.c - the OpenAI-compatible backend: POST {base}/chat/completions
 * streamed as Server-Sent Events, and the status check over {base}/models
 * and llama-server's {root}/health.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "flow.h"
#include "http.h"
#include "json.h"
#include "openai.h"
#include "xalloc.h"

#define OPENAI_WHO		"the OpenAI-compatible server"
#define OPENAI_MAX_MESSAGE	296

struct openai {
	const struct config *cfg;
	char *base;		/* no trailing '/' */
	char *model;
	char *auth;		/* "Authorization: Bearer ..." or NULL; SECRET */
	struct http *http;
	long n_ctx;		/* the server's context for model; 0 unknown */
	int ctx_asked;		/* n_ctx came from an answering server */
};

/* The state of one streamed completion. */
struct openai_stream {
	struct flow f;		/* first: flow_tick gets the stream */
	int event_error;	/* the last "event:" line said error */
	long completion_tokens;	/* from the usage chunk; 0 if none */
};

struct openai *
openai_new(const struct config *cfg, const char *base, const char *model,
    const char *key)
{
	struct openai *o = xcalloc(1, sizeof *o);
	struct buf b = BUF_INIT;

	o->cfg = cfg;
	o->base = xstrdup(base);
	o->model = xstrdup(model);
	if (key != NULL && *key != '\0') {
		buf_printf(&b, "Authorization: Bearer %s", key);
		o->auth = buf_detach(&b);
	}
	o->http = http_new();
	return o;
}

void
openai_free(struct openai *o)
{
	if (o == NULL)
		return;
	http_free(o->http);
	if (o->auth != NULL) {
		explicit_bzero(o->auth, strlen(o->auth));
		free(o->auth);
	}
	free(o->base);
	free(o->model);
	free(o);
}

static struct json *
openai_message(const char *role, const char *content)
{
	struct json *m = json_object();

	json_obj_set(m, "role", json_stringz(role));
	json_obj_set(m, "content", json_stringz(content));
	return m;
}

/* AR_LOCAL_THINK as these servers take it: true and false as the chat
 * template's enable_thinking (vLLM, llama-server: Qwen3 and the like), a
 * level as the Chat Completions field reasoning_effort. */
static void
openai_think(struct json *req, const char *think)
{
	struct json *kw;

	if (strcmp(think, "true") == 0 || strcmp(think, "false") == 0) {
		kw = json_object();
		json_obj_set(kw, "enable_thinking", json_bool(think[0] == 't'));
		json_obj_set(req, "chat_template_kwargs", kw);
	} else
		json_obj_set(req, "reasoning_effort", json_stringz(think));
}

static char *
openai_body(const struct openai *o, const struct gen_request *rq,
    size_t *len)
{
	struct json *req = json_object(), *msgs = json_array();
	struct json *so = json_object();
	struct buf b = BUF_INIT;

	json_obj_set(req, "model", json_stringz(o->model));
	if (rq->system != NULL && rq->system[0] != '\0')
		json_arr_push(msgs, openai_message("system", rq->system));
	json_arr_push(msgs, openai_message("user", rq->prompt));
	json_obj_set(req, "messages", msgs);
	json_obj_set(req, "stream", json_bool(1));
	json_obj_set(so, "include_usage", json_bool(1));
	json_obj_set(req, "stream_options", so);
	json_obj_set(req, "temperature", json_double(AR_TEMPERATURE));
	if (o->cfg != NULL && o->cfg->local_think != NULL)
		openai_think(req, o->cfg->local_think);
	json_write(&b, req);
	json_free(req);
	*len = b.len;
	return buf_detach(&b);
}

/* The message of an error value: {"error":{"message"}}, {"error":"..."},
 * or a flat {"message"} (2024-era vLLM). NULL if none. */
static const char *
openai_error_message(const struct json *v, size_t *len)
{
	const struct json *err = json_obj_get(v, "error");
	const char *m;

	if (err != NULL && err->type == JSON_STRING) {
		*len = err->len;
		return err->s;
	}
	if (err != NULL && err->type == JSON_OBJECT &&
	    (m = json_obj_str(err, "message", len)) != NULL)
		return m;
	return json_obj_str(v, "message", len);
}

/* Does an error (its text, or its type) say the prompt does not fit? As
 * vLLM, llama-server, LM Studio and LiteLLM word it. */
static int
openai_is_context(const struct json *v, const char *msg)
{
	static const char *const words[] = {
		"maximum context length", "context size", "context length",
		"context window", NULL
	};
	const struct json *err = json_obj_get(v, "error");
	const char *type;
	size_t i;

	if (err != NULL && err->type == JSON_OBJECT &&
	    (type = json_obj_str(err, "type", NULL)) != NULL &&
	    strcmp(type, "exceed_context_size_error") == 0)
		return 1;
	for (i = 0; msg != NULL && words[i] != NULL; i++)
		if (strcasestr(msg, words[i]) != NULL)
			return 1;
	return 0;
}

/* One "data:" payload: a chunk, the usage chunk, an error or [DONE]. */
static int
stream_data(struct openai_stream *st, const char *p, size_t len)
{
	struct json_error jerr;
	struct json *v;
	const struct json *choices, *c, *delta, *usage, *det;
	const char *s, *msg;
	size_t n, mlen = 0;
	char q[AR_MAX_QUOTE + 4], m[400];
	int rc = 0;

	if (len == 6 && memcmp(p, "[DONE]", 6) == 0) {
		st->f.done = 1;
		return HTTP_LINE_DONE;
	}
	v = json_parse(p, len, AR_MAX_LINE, &jerr);
	if (v == NULL || v->type != JSON_OBJECT) {
		json_free(v);
		buf_oneline(q, sizeof q, p, len);
		return flow_fail(&st->f, AR_E_BAD_RESPONSE, "%s sent data that "
		    "is not a JSON object: %s", OPENAI_WHO, q);
	}
	if (st->event_error || json_obj_get(v, "error") != NULL) {
		msg = openai_error_message(v, &mlen);
		buf_oneline(m, sizeof m, msg ? msg : "error in the stream",
		    msg ? mlen : 19);
		rc = flow_fail(&st->f, openai_is_context(v, m) ? AR_E_CONTEXT :
		    AR_E_STREAM, "%s: %s", OPENAI_WHO, m);
		json_free(v);
		return rc;
	}
	if ((usage = json_obj_get(v, "usage")) != NULL &&
	    usage->type == JSON_OBJECT) {
		st->f.res->input_tokens = json_obj_count(usage, "prompt_tokens");
		st->completion_tokens = json_obj_count(usage,
		    "completion_tokens");
		if ((det = json_obj_get(usage, "completion_tokens_details")) !=
		    NULL && det->type == JSON_OBJECT &&
		    json_obj_get(det, "reasoning_tokens") != NULL)
			st->f.res->thinking_tokens = json_obj_count(det,
			    "reasoning_tokens");
	}
	choices = json_obj_get(v, "choices");
	if (choices != NULL && choices->type == JSON_ARRAY && choices->n > 0 &&
	    (c = choices->items[0])->type == JSON_OBJECT) {
		if ((delta = json_obj_get(c, "delta")) != NULL &&
		    delta->type == JSON_OBJECT) {
			if (((s = json_obj_str(delta, "reasoning_content",
			    &n)) != NULL && n > 0) || ((s = json_obj_str(delta,
			    "reasoning", &n)) != NULL && n > 0))
				flow_thinking(&st->f);
			if ((s = json_obj_str(delta, "content", &n)) != NULL)
				rc = flow_token(&st->f, s, n);
		}
		if ((s = json_obj_str(c, "finish_reason", NULL)) != NULL)
			snprintf(st->f.res->finish, sizeof st->f.res->finish,
			    "%s", s);
	}
	/* include_usage: the usage chunk follows the finish_reason chunk
	 * (or shares it) and is the last before [DONE]. */
	if (rc == 0 && usage != NULL && usage->type == JSON_OBJECT &&
	    st->f.res->finish[0] != '\0') {
		st->f.done = 1;
		rc = HTTP_LINE_DONE;
	}
	json_free(v);
	return rc;
}

/* One SSE line: "data: ...", "event: ...", a ":" comment or a blank. */
static int
stream_line(void *ctx, const char *line, size_t len)
{
	struct openai_stream *st = ctx;
	size_t skip;

	if (flow_cancelled(&st->f) == -1)
		return -1;
	if (st->f.done || len == 0 || line[0] == ':')
		return 0;
	if (len >= 6 && memcmp(line, "event:", 6) == 0) {
		skip = 6 + (len > 6 && line[6] == ' ');
		st->event_error = len - skip == 5 &&
		    memcmp(line + skip, "error", 5) == 0;
		return 0;
	}
	if (len < 5 || memcmp(line, "data:", 5) != 0)
		return 0;
	skip = 5 + (len > 5 && line[5] == ' ');
	return stream_data(st, line + skip, len - skip);
}

static int
stream_end(struct openai_stream *st)
{
	if (st->f.failed)
		return -1;
	if (!st->f.done)
		return err_set(st->f.e, AR_E_CUT, "%s's stream ended without "
		    "[DONE] after %ld tokens", OPENAI_WHO, st->f.tokens);
	return 0;
}

/* The error of a non-2xx answer, by its status and body. */
static int
openai_status_err(const struct openai *o, const struct http_res *hr,
    struct ar_err *e)
{
	struct json_error jerr;
	struct json *v;
	const char *msg = NULL, *code;
	size_t len = 0;
	struct buf m = BUF_INIT;
	int rc;

	v = hr->body.len ? json_parse(hr->body.s, hr->body.len,
	    AR_MAX_ERROR_BODY, &jerr) : NULL;
	if (v != NULL && v->type == JSON_OBJECT)
		msg = openai_error_message(v, &len);
	flow_error_text(&hr->body, msg, len, OPENAI_MAX_MESSAGE, &m);
	if (hr->status == 400 && openai_is_context(v, buf_str(&m)))
		code = AR_E_CONTEXT;
	else if (hr->status == 401 || hr->status == 403)
		code = AR_E_AUTH;
	else if (hr->status == 404)
		code = AR_E_MODEL;
	else if (hr->status == 429)
		code = AR_E_RATE_LIMIT;
	else if (hr->status >= 500)
		code = AR_E_SERVER;
	else
		code = AR_E_HTTP;
	rc = err_set(e, code, "%s answered HTTP %ld for model %.100s: %s",
	    OPENAI_WHO, hr->status, o->model, buf_str(&m));
	json_free(v);
	buf_free(&m);
	return rc;
}

/* GETs url with the status check's short timeouts and the key; cancel
 * (may be NULL) stops it. Returns the HTTP status, or -1 with st->error
 * set when no answer came; the body is left in hr (free it). */
static long
openai_get(struct openai *o, const char *url, const volatile int *cancel,
    struct http_res *hr, struct openai_status *st)
{
	const char *headers[2] = { o->auth, NULL };
	char shown[256];

	if (flow_get(o->http, url, headers, cancel, hr) == 0)
		return hr->status;
	http_url_public(url, shown, sizeof shown);
	st->error_code = flow_fail_code(hr->fail, hr->status);
	snprintf(st->error, sizeof st->error, "cannot reach %.100s: %.120s",
	    shown, hr->errmsg);
	return -1;
}

/* The body of hr as a JSON object (owned), or NULL. */
static struct json *
openai_body_json(const struct http_res *hr)
{
	struct json_error jerr;
	struct json *v;

	v = json_parse(hr->body.s ? hr->body.s : "", hr->body.len,
	    AR_MAX_ANSWER, &jerr);
	if (v != NULL && v->type != JSON_OBJECT) {
		json_free(v);
		v = NULL;
	}
	return v;
}

/* The entry of model in a /models list (borrowed from list), or NULL. */
static const struct json *
openai_model_entry(const struct json *list, const char *model)
{
	const struct json *data = list != NULL ? json_obj_get(list, "data") :
	    NULL;
	const char *id;
	size_t i;

	for (i = 0; data != NULL && data->type == JSON_ARRAY && i < data->n;
	    i++)
		if ((id = json_obj_str(data->items[i], "id", NULL)) != NULL &&
		    strcmp(id, model) == 0)
			return data->items[i];
	return NULL;
}

/* Is model an id in a /models list? */
static int
openai_listed(const struct http_res *hr, const char *model)
{
	struct json *v = openai_body_json(hr);
	int found = openai_model_entry(v, model) != NULL;

	json_free(v);
	return found;
}

/* Bytes of o->base that make the server's root (base without "/v1"). */
static int
openai_root_len(const struct openai *o)
{
	size_t root = strlen(o->base);

	if (root >= 3 && strcmp(o->base + root - 3, "/v1") == 0)
		root -= 3;
	return (int)root;
}

/* The number at obj.key (obj may be NULL) when it is a count > 0, else 0. */
static long
openai_size(const struct json *obj, const char *key)
{
	return obj != NULL && obj->type == JSON_OBJECT ?
	    json_obj_count(obj, key) : 0;
}

/*
 * The context the server serves o->model with, asked once per client:
 * vLLM's max_model_len in {base}/models, else llama-server's
 * default_generation_settings.n_ctx in {root}/props; 0 when neither
 * tells. A server that refused or failed at once is asked again next
 * time; one that answered or let the question time out is not.
 */
static long
openai_ctx(struct openai *o, const volatile int *cancel)
{
	struct openai_status ign;
	struct http_res hr;
	struct buf url = BUF_INIT;
	struct json *v;
	long status;

	if (o->ctx_asked)
		return o->n_ctx;
	memset(&ign, 0, sizeof ign);
	buf_printf(&url, "%s/models", o->base);
	status = openai_get(o, buf_str(&url), cancel, &hr, &ign);
	o->ctx_asked = status > 0 || hr.fail == HTTP_TIMEOUT;
	v = status == 200 ? openai_body_json(&hr) : NULL;
	o->n_ctx = openai_size(openai_model_entry(v, o->model),
	    "max_model_len");
	json_free(v);
	http_res_free(&hr);
	if (status == 200 && o->n_ctx == 0) {
		buf_reset(&url);
		buf_printf(&url, "%.*s/props", openai_root_len(o), o->base);
		v = openai_get(o, buf_str(&url), cancel, &hr, &ign) == 200 ?
		    openai_body_json(&hr) : NULL;
		o->n_ctx = openai_size(v != NULL ? json_obj_get(v,
		    "default_generation_settings") : NULL, "n_ctx");
		json_free(v);
		http_res_free(&hr);
	}
	buf_free(&url);
	return o->n_ctx;
}

/* Fails with context_overflow, before any request, when rq's estimated
 * prompt with room for the answer cannot fit the server's context
 * (openai_ctx), or AR_MAX_CTX when the server does not tell it. Neither
 * known: the server judges. */
static int
openai_fits(struct openai *o, const struct gen_request *rq, struct ar_err *e)
{
	long ctx = openai_ctx(o, rq->cancel), need;
	const char *from = "the server's context";

	if (ctx == 0 && o->cfg->max_ctx > 0) {
		ctx = o->cfg->max_ctx;
		from = "AR_MAX_CTX";
	}
	if (ctx == 0)
		return 0;
	need = flow_prompt_tokens(rq) + flow_answer_room(ctx);
	if (need <= ctx)
		return 0;
	return err_set(e, AR_E_CONTEXT, "the prompt needs about %ld tokens "
	    "with room for the answer; %s for model %.100s is %ld tokens",
	    need, from, o->model, ctx);
}

int
openai_generate(struct openai *o, const struct gen_request *rq,
    struct gen_result *res, struct ar_err *e)
{
	const struct config *cfg = o->cfg;
	struct openai_stream st;
	struct flow_post fp;
	char *body;
	struct http_res hr;
	struct buf url = BUF_INIT;
	const char *headers[3] = { "Content-Type: application/json", NULL,
	    NULL };
	char shown[256];
	int rc;

	snprintf(res->model, sizeof res->model, "%s", o->model);
	/* The attempt's clocks start before the context question: its time
	 * is the attempt's too. */
	memset(&st, 0, sizeof st);
	flow_init(&st.f, cfg, rq, res, e, OPENAI_WHO);
	if (openai_fits(o, rq, e) == -1)
		return -1;
	buf_printf(&url, "%s/chat/completions", o->base);
	headers[1] = o->auth;
	http_url_public(o->base, shown, sizeof shown);
	memset(&fp, 0, sizeof fp);
	fp.url = buf_str(&url);
	fp.body = body = openai_body(o, rq, &fp.bodylen);
	fp.headers = headers;
	fp.any_eol = 1;
	fp.on_line = stream_line;
	fp.ctx = &st;
	fp.shown = shown;
	rc = flow_post(&st.f, o->http, &fp, &hr);
	flow_timing(&st.f, st.completion_tokens, 0);
	if (rc == 1)
		rc = openai_status_err(o, &hr, e);
	else if (rc == 0)
		rc = stream_end(&st);
	http_res_free(&hr);
	buf_free(&url);
	free(body);
	return rc;
}

int
openai_parse_stream(const char *data, size_t len, struct gen_result *res,
    struct ar_err *e)
{
	static const struct gen_request none;
	struct openai_stream st;

	memset(&st, 0, sizeof st);
	flow_init(&st.f, NULL, &none, res, e, OPENAI_WHO);
	if (flow_parse(&st.f, data, len, 1, stream_line, &st) == -1)
		return -1;
	flow_timing(&st.f, st.completion_tokens, 0);
	return stream_end(&st);
}

int
openai_status(struct openai *o, struct openai_status *st)
{
	struct http_res hr;
	struct buf url = BUF_INIT;
	long status;

	memset(st, 0, sizeof *st);
	buf_printf(&url, "%s/models", o->base);
	status = openai_get(o, buf_str(&url), NULL, &hr, st);
	if (status == 200) {
		st->reachable = 1;
		st->model_present = openai_listed(&hr, o->model);
	} else if (status > 0) {
		st->reachable = 1;
		st->error_code = status >= 500 ? AR_E_SERVER : AR_E_HTTP;
		snprintf(st->error, sizeof st->error, "/models answered HTTP "
		    "%ld", status);
	}
	http_res_free(&hr);
	/* llama-server answers /health at its root with 503 while loading. */
	buf_reset(&url);
	buf_printf(&url, "%.*s/health", openai_root_len(o), o->base);
	if (st->reachable && openai_get(o, buf_str(&url), NULL, &hr, st) == 503 &&
	    hr.body.s != NULL && strstr(hr.body.s, "Loading model") != NULL)
		st->loading = 1;
	http_res_free(&hr);
	buf_free(&url);
	return st->reachable ? 0 : -1;
}

struct json *
openai_status_record(const struct openai *o, const struct openai_status *st)
{
	struct json *r = json_object();
	char shown[256];

	http_url_public(o->base, shown, sizeof shown);
	json_obj_set(r, "backend", json_stringz("openai"));
	json_obj_set(r, "endpoint", json_stringz(shown));
	json_obj_set(r, "model", json_stringz(o->model));
	json_obj_set(r, "reachable", json_bool(st->reachable));
	json_obj_set(r, "model_present", json_bool(st->model_present));
	json_obj_set(r, "loading", json_bool(st->loading));
	if (st->error[0])
		json_obj_set(r, "error", json_stringz(st->error));
	return r;
}
