/*
 * route.c - local first, validated, cloud fallback.
 *
 * The local model is skipped at once when a cheap status check (one GET of
 * /api/tags, cached for AR_STATUS_TTL_S across the whole process) says
 * Ollama is unreachable or the model is not pulled. Any local failure, or
 * an answer that validation rejects, sends the same prompt to Gemini.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "check.h"
#include "clock.h"
#include "defaults.h"
#include "err.h"
#include "gemini.h"
#include "gen.h"
#include "http.h"
#include "log.h"
#include "ollama.h"
#include "record.h"
#include "repair.h"
#include "route.h"
#include "spend.h"
#include "xalloc.h"

#define STAGE "ar-route"
#define LOCAL_STAGE "ar-ollama"	/* its errors are failed local attempts */
#define STATUS_POLL_MS 50	/* a waiter looks at its cancel flag this often */
#define ROUTE_MAX_WHY 600	/* bytes of one reason in a message */

struct route {
	const struct config *cfg;
	const struct route_opts *opts;
	struct ollama *ollama;
	struct gemini *gemini;
};

/* The status check's cache, shared by every thread of the process. The
 * check itself runs without the lock; status_busy says one is running. */
static pthread_mutex_t status_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t status_cv = PTHREAD_COND_INITIALIZER;
static int status_busy;
static double status_at = -1;	/* when it was taken, ms; -1: never */
static int status_ok;
static struct ar_err status_err;

/* One backend attempt, as it goes into "attempts". */
struct attempt {
	const char *backend;
	char model[256];
	double ms;
	struct ar_err err;		/* code set when it failed outright */
	char code[64];			/* err.code when it came from a record */
	struct validate_result vr;	/* when it answered */
	char finish[64];		/* why the model stopped, "" unknown */
	int answered;
	int from_record;		/* the answer came on the record */
	int repair;			/* a repair of the attempt before */
	char endpoint[256];		/* the URL, without credentials */
	long in_tok, out_tok;		/* usage, when it answered */
	long think_tok;			/* -1 when the engine does not tell */
};

/* One record being routed: its request and the attempts so far. */
struct job {
	struct json *rec;		/* borrowed */
	const struct route_hooks *h;	/* borrowed; may be NULL */
	char *sys, *prompt;		/* owned */
	struct attempt a[2 + AR_MAX_REPAIRS];
	int n;				/* attempts started */
	struct gen_result res;		/* the last backend's answer */
	const char *lang_in;		/* rec's language as it came in */
};

struct route *
route_new(const struct config *cfg, const struct route_opts *opts)
{
	struct route *r = xcalloc(1, sizeof *r);

	r->cfg = cfg;
	r->opts = opts;
	return r;
}

/* The backend clients, made on first use: a record the cache answers
 * starts neither libcurl nor TLS. */
static struct ollama *
route_ollama(struct route *r)
{
	if (r->ollama == NULL)
		r->ollama = ollama_new(r->cfg);
	return r->ollama;
}

static struct gemini *
route_gemini(struct route *r)
{
	if (r->gemini == NULL)
		r->gemini = gemini_new(r->cfg);
	return r->gemini;
}

void
route_free(struct route *r)
{
	if (r == NULL)
		return;
	ollama_free(r->ollama);
	gemini_free(r->gemini);
	free(r);
}

static void
phase(const struct route_hooks *h, const char *what, long tokens)
{
	if (h != NULL && h->phase != NULL)
		h->phase(h->ctx, what, tokens);
}

static int
cancelled(const struct route_hooks *h)
{
	return h != NULL && gen_cancelled(h->cancel);
}

/* Records what a failed local call says about the server for the next
 * records: unreachable or model missing skips local until the TTL ends. */
static void
status_note(const struct ar_err *e)
{
	if (e->code == NULL || (strcmp(e->code, AR_E_CONNECT) != 0 &&
	    strcmp(e->code, AR_E_RESOLVE) != 0 &&
	    strcmp(e->code, AR_E_MODEL) != 0))
		return;
	pthread_mutex_lock(&status_mu);
	status_at = clock_now_ms();
	status_ok = 0;
	status_err = *e;
	pthread_mutex_unlock(&status_mu);
}

/* Waits, holding status_mu, while another thread takes the status.
 * Returns 0, or -1 as soon as the caller is cancelled. */
static int
status_wait(const struct route_hooks *h)
{
	struct timespec ts;

	while (status_busy && !cancelled(h)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += STATUS_POLL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&status_cv, &status_mu, &ts);
	}
	return cancelled(h) ? -1 : 0;
}

/* Takes the status: one GET of /api/tags, stopped when h cancels. */
static void
status_take(struct route *r, const struct route_hooks *h, struct ar_err *e)
{
	struct ollama_status st;

	err_clear(e);
	if (ollama_check(route_ollama(r), h != NULL ? h->cancel : NULL, &st) == -1)
		err_set(e, st.error_code, "%s%s", st.error,
		    strcmp(st.error_code, AR_E_CONNECT) == 0 ?
		    " (is `ollama serve` running?)" : "");
	else if (!st.model_pulled)
		err_set(e, AR_E_MODEL, "model %s is not pulled in Ollama "
		    "(ollama pull %s)", r->cfg->local_model,
		    r->cfg->local_model);
	else
		spend_note_digest(r->cfg, st.digest);
}

/* Returns 1 when the local model can be tried, else 0 with e set.
 * Concurrent records wait for one check instead of making their own; a
 * cancelled record stops waiting at once, and a cancelled check is not
 * cached. */
static int
local_available(struct route *r, const struct route_hooks *h,
    struct ar_err *e)
{
	struct ar_err fresh;
	int ok;

	pthread_mutex_lock(&status_mu);
	if (status_wait(h) == -1) {
		pthread_mutex_unlock(&status_mu);
		err_set(e, AR_E_CANCELLED, "cancelled during the status check");
		return 0;
	}
	if (status_at < 0 || clock_now_ms() - status_at >= AR_STATUS_TTL_S * 1e3) {
		status_busy = 1;
		pthread_mutex_unlock(&status_mu);
		status_take(r, h, &fresh);
		pthread_mutex_lock(&status_mu);
		status_busy = 0;
		pthread_cond_broadcast(&status_cv);
		if (fresh.code != NULL &&
		    strcmp(fresh.code, AR_E_CANCELLED) == 0) {
			pthread_mutex_unlock(&status_mu);
			*e = fresh;
			return 0;
		}
		status_err = fresh;
		status_ok = fresh.code == NULL;
		status_at = clock_now_ms();
	}
	ok = status_ok;
	*e = status_err;
	pthread_mutex_unlock(&status_mu);
	return ok;
}

int
route_takes_error(const struct json *rec)
{
	const struct json *err = json_obj_get(rec, "error");
	const char *stage;

	if (err == NULL || err->type != JSON_OBJECT ||
	    json_obj_str(err, "code", NULL) == NULL)
		return 0;
	stage = json_obj_str(err, "stage", NULL);
	return stage != NULL && strcmp(stage, LOCAL_STAGE) == 0;
}

/* Copies the record's text s (NULL for none) into dst as one line, so
 * that it cannot break a log line. */
static void
copy_oneline(char *dst, size_t size, const char *s)
{
	buf_oneline(dst, size, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

/* The record's timing.total_ms, 0 when it has none that makes sense. */
static double
record_ms(const struct json *rec)
{
	const struct json *timing = json_obj_get(rec, "timing");
	double ms;

	if (timing != NULL && timing->type == JSON_OBJECT &&
	    json_obj_num(timing, "total_ms", &ms) && ms >= 0 && ms < 1e12)
		return ms;
	return 0;
}

/* Makes the local attempt a from the ar-ollama error rec carries, and
 * removes that error from rec. */
static void
local_from_record(struct route *r, struct json *rec, struct attempt *a)
{
	const struct json *err = json_obj_get(rec, "error");
	const char *model = json_obj_str(rec, "model", NULL);
	const char *msg = json_obj_str(err, "message", NULL);

	a->backend = "ollama";
	copy_oneline(a->model, sizeof a->model, model != NULL ? model :
	    r->cfg->local_model);
	a->ms = record_ms(rec);
	copy_oneline(a->code, sizeof a->code, json_obj_str(err, "code", NULL));
	a->err.code = a->code;
	copy_oneline(a->err.msg, sizeof a->err.msg, msg);
	json_obj_del(rec, "error");
}

struct progress {
	const struct route_hooks *hooks;
	const char *phase;
};

static void
on_tokens(void *ctx, long tokens)
{
	struct progress *p = ctx;

	phase(p->hooks, p->phase, tokens);
}

/* Validates the answer in j->res as attempt a. Returns 1 when it is
 * valid code. */
static int
judge(struct route *r, struct job *j, struct attempt *a)
{
	struct validate_opts vo = r->opts->vopts;
	const char *lang = NULL;
	struct ar_err ign;

	phase(j->h, ROUTE_PHASE_VALIDATE, -1);
	/* Its type was checked by gen_request_from_record(). */
	record_opt_str(j->rec, "language", &lang, &ign);
	snprintf(a->finish, sizeof a->finish, "%s", j->res.finish);
	/* a cancelled call stops its checker */
	vo.cancel = j->h != NULL ? j->h->cancel : NULL;
	validate_output(j->res.output.s ? j->res.output.s : "",
	    j->res.output.len, lang, a->finish[0] != '\0' ? a->finish : NULL,
	    &vo, &a->vr);
	check_validate(r->cfg->check_cmd, r->cfg->check_timeout, lang, &a->vr);
	a->answered = 1;
	a->in_tok = j->res.input_tokens;
	a->out_tok = j->res.output_tokens;
	a->think_tok = j->res.thinking_tokens;
	return a->vr.valid;
}

/* Calls one backend and validates its answer; fills a. Returns 1 when the
 * answer is valid code. */
static int
try_backend(struct route *r, struct job *j, struct attempt *a, int local)
{
	const struct route_hooks *h = j->h;
	struct progress pr = { h, local ? ROUTE_PHASE_LOCAL : ROUTE_PHASE_CLOUD };
	struct gen_request rq = { j->sys, j->prompt, on_tokens, &pr,
	    h != NULL ? h->cancel : NULL };
	struct gen_result *res = &j->res;
	double t0 = clock_now_ms();
	int rv;

	phase(h, pr.phase, 0);
	rv = local ? ollama_generate(route_ollama(r), &rq, res, &a->err) :
	    gemini_generate(route_gemini(r), &rq, res, &a->err);
	a->ms = clock_now_ms() - t0;
	if (res->model[0] != '\0')
		snprintf(a->model, sizeof a->model, "%s", res->model);
	if (rv == -1) {
		if (local)
			status_note(&a->err);
		return 0;
	}
	gen_log_timing(res, a->backend);
	return judge(r, j, a);
}

/* Why an attempt failed, in one line: "code: message" or the reasons. */
static void
attempt_why(const struct attempt *a, struct buf *b)
{
	size_t i;

	if (!a->answered) {
		buf_printf(b, "%s: %s", a->err.code, a->err.msg);
		return;
	}
	buf_adds(b, "invalid code: ");
	for (i = 0; i < a->vr.n_reasons; i++) {
		buf_adds(b, i ? "; " : "");
		buf_add_oneline(b, a->vr.reasons[i], strlen(a->vr.reasons[i]),
		    ROUTE_MAX_WHY);
	}
}

static struct json *
attempt_json(const struct attempt *a)
{
	struct json *j = json_object(), *err, *reasons;
	size_t i;

	json_obj_set(j, "backend", json_stringz(a->backend));
	json_obj_set(j, "model", json_stringz(a->model));
	if (a->endpoint[0] != '\0')	/* unknown for an upstream ar-ollama */
		json_obj_set(j, "endpoint", json_stringz(a->endpoint));
	json_obj_set(j, "ok", json_bool(a->answered && a->vr.valid));
	json_obj_set(j, "ms", json_int((long long)(a->ms + 0.5)));
	if (a->repair)
		json_obj_set(j, "repair", json_bool(1));
	if (!a->answered) {
		err = json_object();
		json_obj_set(err, "code", json_stringz(a->err.code));
		json_obj_set(err, "message", json_stringz(a->err.msg));
		json_obj_set(j, "error", err);
	}
	if (a->answered && a->finish[0] != '\0')
		json_obj_set(j, "finish", json_stringz(a->finish));
	if (a->answered && !a->vr.valid) {
		reasons = json_array();
		for (i = 0; i < a->vr.n_reasons; i++)
			json_arr_push(reasons, json_stringz(a->vr.reasons[i]));
		json_obj_set(j, "reasons", reasons);
	}
	return j;
}

/* " id=..." for log lines when the record has an id. */
static void
log_id(const struct json *rec, struct buf *b)
{
	const struct json *id = json_obj_get(rec, "id");

	if (id == NULL)
		return;
	buf_adds(b, " id=");
	json_write(b, id);
}

/* The same attempt in the ledger's form: tokens, and the error code or
 * the first reason instead of the messages. */
static struct json *
attempt_ledger_json(const struct attempt *a)
{
	struct json *j = json_object();

	json_obj_set(j, "backend", json_stringz(a->backend));
	json_obj_set(j, "model", json_stringz(a->model));
	json_obj_set(j, "endpoint", json_stringz(a->endpoint));
	json_obj_set(j, "ok", json_bool(a->answered && a->vr.valid));
	json_obj_set(j, "ms", json_int((long long)(a->ms + 0.5)));
	json_obj_set(j, "input_tokens", json_int(a->in_tok));
	json_obj_set(j, "output_tokens", json_int(a->out_tok));
	json_obj_set(j, "thinking_tokens",
	    json_int(a->think_tok > 0 ? a->think_tok : 0));
	json_obj_set(j, "repair", json_bool(a->repair));
	if (!a->answered)
		json_obj_set(j, "error", json_stringz(a->err.code));
	else if (!a->vr.valid && a->vr.n_reasons > 0)
		json_obj_set(j, "reason", json_stringz(a->vr.reasons[0]));
	return j;
}

static struct json *
ledger_attempts(const struct attempt *a, int n)
{
	struct json *arr = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_arr_push(arr, attempt_ledger_json(&a[i]));
	return arr;
}

static void
log_decision(const struct json *rec, const struct attempt *a, int n,
    const struct gen_result *res)
{
	struct buf line = BUF_INIT, why = BUF_INIT;
	int i, repairs = 0;

	for (i = 0; i < n; i++)
		repairs += a[i].repair;
	if (strcmp(a[n - 1].backend, "ollama") == 0) {
		buf_printf(&line, "⚡ [LOCAL] %s answered in %.0f ms "
		    "(%.1f tok/s)", a[n - 1].model, a[n - 1].ms,
		    res->tokens_per_s);
		if (repairs)
			buf_printf(&line, " after %d repair%s", repairs,
			    repairs > 1 ? "s" : "");
	} else {
		buf_printf(&line, "☁️ [CLOUD] %s answered in %.0f ms; ",
		    a[n - 1].model, a[n - 1].ms);
		if (n > 1) {
			attempt_why(&a[n - 2], &why);
			buf_printf(&line, "local failed%s: %s", repairs ?
			    " after a repair" : "", why.s);
		} else
			buf_adds(&line, "cloud only");
	}
	log_id(rec, &line);
	log_info("%s", line.s);
	buf_free(&line);
	buf_free(&why);
}

/* Writes the answer of attempt a (its text in res) on the record. An
 * answer that came on the record keeps the fields it came with; one from
 * another engine replaces them, and the record's "output" (from ar-ollama
 * or ar-gemini) when it has one, so that output and code agree. A
 * "reasons" from ar-validate becomes the empty list of a valid answer. */
static void
record_success(struct json *rec, const struct attempt *a,
    const struct gen_result *res)
{
	const struct json *lang = json_obj_get(rec, "language");
	struct json *tmp;

	json_obj_set(rec, "code", json_stringz(a->vr.code));
	if (a->vr.language != NULL && (lang == NULL || lang->type == JSON_NULL))
		json_obj_set(rec, "language", json_stringz(a->vr.language));
	json_obj_set(rec, "valid", json_bool(1));
	if (json_obj_get(rec, "reasons") != NULL)
		json_obj_set(rec, "reasons", json_array());
	json_obj_set(rec, "backend", json_stringz(a->backend));
	json_obj_set(rec, "model", json_stringz(a->model));
	if (a->from_record)
		return;
	tmp = json_object();
	gen_result_to_record(res, a->backend, tmp);
	if (json_obj_get(rec, "output") != NULL)
		json_obj_set(rec, "output", json_copy(json_obj_get(tmp,
		    "output")));
	json_obj_set(rec, "model", json_copy(json_obj_get(tmp, "model")));
	json_obj_set(rec, "usage", json_copy(json_obj_get(tmp, "usage")));
	json_obj_set(rec, "timing", json_copy(json_obj_get(tmp, "timing")));
	json_obj_set(rec, "finish", json_copy(json_obj_get(tmp, "finish")));
	json_free(tmp);
}

static void
record_failure(struct json *rec, const struct attempt *a, int n,
    const struct route_hooks *h)
{
	struct buf msg = BUF_INIT;
	int i;

	json_obj_set(rec, "valid", json_bool(0));
	if (cancelled(h)) {
		record_set_error3(rec, STAGE, AR_E_CANCELLED, "cancelled");
		return;
	}
	buf_adds(&msg, n ? "every backend failed: " : "no backend to try");
	for (i = 0; i < n; i++) {
		buf_printf(&msg, "%s%s %s: ", i ? "; " : "", a[i].backend,
		    a[i].model);
		attempt_why(&a[i], &msg);
	}
	record_set_error3(rec, STAGE, AR_E_ALL_FAILED, msg.s);
	buf_free(&msg);
}

/* Starts the next attempt of j, on backend with model. */
static struct attempt *
attempt_start(struct job *j, const char *backend, const char *model,
    const char *url)
{
	struct attempt *a = &j->a[j->n++];

	a->backend = backend;
	snprintf(a->model, sizeof a->model, "%s", model);
	http_url_public(url, a->endpoint, sizeof a->endpoint);
	return a;
}

/* The local attempt, unless the status check rules it out. Returns 1
 * when it gave valid code. */
static int
route_local(struct route *r, struct job *j)
{
	struct attempt *a = attempt_start(j, "ollama", r->cfg->local_model,
	    r->cfg->ollama_url);

	phase(j->h, ROUTE_PHASE_CHECK, -1);
	if (!local_available(r, j->h, &a->err))
		return 0;
	return try_backend(r, j, a, 1);
}

/* The cloud attempt, after the local one if there was one. Returns 1 when
 * it gave valid code. */
static int
route_cloud(struct route *r, struct job *j)
{
	if (j->n > 0) {
		phase(j->h, ROUTE_PHASE_FALLBACK, -1);
		gen_result_free(&j->res);
		gen_result_init(&j->res);
	}
	return try_backend(r, j, attempt_start(j, "gemini",
	    r->cfg->cloud_model, r->cfg->gemini_base_url), 0);
}

/* Nonzero when the last attempt of j is a local answer that a repair may
 * fix and repairs are left. */
static int
repair_due(const struct route *r, const struct job *j)
{
	const struct attempt *last;
	int i, done = 0;

	if (j->n == 0)
		return 0;
	last = &j->a[j->n - 1];
	for (i = 0; i < j->n; i++)
		done += j->a[i].repair;
	return done < r->cfg->repairs && last->answered &&
	    strcmp(last->backend, "ollama") == 0 && repair_wanted(&last->vr);
}

/* Sends the rejected local answer back to the local tier that gave it,
 * with the task, its code and the diagnostics. Returns 1 when the
 * repaired answer is valid. */
static int
route_repair(struct route *r, struct job *j)
{
	const struct attempt *last = &j->a[j->n - 1];
	const char *lang = last->vr.language;
	char *prompt = j->prompt, *fix, model[sizeof last->model];
	struct attempt *a;
	struct ar_err ign;
	int ok;

	if (lang == NULL)
		record_opt_str(j->rec, "language", &lang, &ign);
	fix = repair_prompt(prompt, lang, &last->vr);
	memcpy(model, last->model, sizeof model);
	a = attempt_start(j, last->backend, model, r->cfg->ollama_url);
	a->repair = 1;
	gen_result_free(&j->res);
	gen_result_init(&j->res);
	j->prompt = fix;
	ok = try_backend(r, j, a, 1);
	j->prompt = prompt;
	free(fix);
	return ok;
}

/* The engine named by a record's "backend" (absent: the local one), as a
 * string that outlives the record's; NULL for one ar-route has not. */
static const char *
record_engine(const char *backend)
{
	if (backend == NULL || strcmp(backend, "ollama") == 0)
		return "ollama";
	if (strcmp(backend, "gemini") == 0)
		return "gemini";
	return NULL;
}

/* The token counts of rec's usage, for the ledger; the others stay. */
static void
usage_from_record(const struct json *rec, struct gen_result *res)
{
	const struct json *usage = json_obj_get(rec, "usage");
	const char *const names[] = {
		"input_tokens", "output_tokens", "thinking_tokens"
	};
	long *const counts[] = {
		&res->input_tokens, &res->output_tokens, &res->thinking_tokens
	};
	double v;
	size_t i;

	if (usage == NULL || usage->type != JSON_OBJECT)
		return;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (json_obj_num(usage, names[i], &v) && v >= 0 && v < 1e15)
			*counts[i] = (long)v;
}

/* The answer rec carries ("output" from ar-ollama or ar-gemini) becomes
 * the attempt of the engine that gave it, and is validated without asking
 * that engine again. Returns 1 when it is valid code, 0 when not, -1 with
 * e set (bad_field) for a field of the wrong type. */
static int
route_given(struct route *r, struct job *j, struct ar_err *e)
{
	const char *output, *backend, *model, *finish, *engine;
	const struct json *timing = json_obj_get(j->rec, "timing");
	struct attempt *a;
	size_t len;

	if (record_opt_str(j->rec, "output", &output, e) == -1 ||
	    record_opt_str(j->rec, "backend", &backend, e) == -1 ||
	    record_opt_str(j->rec, "model", &model, e) == -1 ||
	    record_opt_str(j->rec, "finish", &finish, e) == -1)
		return -1;
	if ((engine = record_engine(backend)) == NULL)
		return err_set(e, AR_E_BAD_FIELD, "field \"backend\": no "
		    "engine named %.64s", backend);
	if (model == NULL)
		model = strcmp(engine, "ollama") == 0 ? r->cfg->local_model :
		    r->cfg->cloud_model;
	a = attempt_start(j, engine, "", "");	/* its endpoint is unknown */
	copy_oneline(a->model, sizeof a->model, model);
	a->from_record = 1;
	a->ms = record_ms(j->rec);
	json_obj_str(j->rec, "output", &len);
	buf_add(&j->res.output, output, len);
	snprintf(j->res.model, sizeof j->res.model, "%s", a->model);
	snprintf(j->res.finish, sizeof j->res.finish, "%s",
	    finish != NULL ? finish : "");
	if (timing != NULL && timing->type == JSON_OBJECT)
		json_obj_num(timing, "tokens_per_s", &j->res.tokens_per_s);
	j->res.total_ms = a->ms;
	usage_from_record(j->rec, &j->res);
	return judge(r, j, a);
}

/* Writes the outcome on the record: the answer or the error, and the
 * attempts. */
static void
route_outcome(const struct job *j, int ok)
{
	struct json *attempts = json_array();
	int i;

	for (i = 0; i < j->n; i++)
		json_arr_push(attempts, attempt_json(&j->a[i]));
	if (ok) {
		record_success(j->rec, &j->a[j->n - 1], &j->res);
		log_decision(j->rec, j->a, j->n, &j->res);
	} else
		record_failure(j->rec, j->a, j->n, j->h);
	json_obj_set(j->rec, "attempts", attempts);
}

static void
job_free(struct job *j)
{
	int i;

	for (i = 0; i < j->n; i++)
		if (j->a[i].answered)
			validate_result_free(&j->a[i].vr);
	gen_result_free(&j->res);
	free(j->sys);
	free(j->prompt);
}

/* The request of j as the cache keys it. */
static void
spend_request_of(const struct job *j, struct spend_request *rq)
{
	rq->system = j->sys;
	rq->prompt = j->prompt;
	rq->language = j->lang_in;
}

/* Before routing: a cache hit answers j's record (its ledger line
 * written) and returns 1. */
static int
route_cache_hit(struct route *r, struct job *j)
{
	struct spend_request rq;
	struct buf line = BUF_INIT;
	struct ar_err ign;

	record_opt_str(j->rec, "language", &j->lang_in, &ign);
	spend_request_of(j, &rq);
	/* A record with an answer or a failed attempt is routed from it. */
	if (route_takes_error(j->rec) ||
	    json_obj_get(j->rec, "output") != NULL ||
	    !spend_cache_get(r->cfg, r->opts, &rq, j->rec))
		return 0;
	buf_printf(&line, "⚡ [CACHE] %s (%s) answered from the cache",
	    json_obj_str(j->rec, "model", NULL),
	    json_obj_str(j->rec, "backend", NULL));
	log_id(j->rec, &line);
	log_info("%s", line.s);
	buf_free(&line);
	spend_ledger(r->cfg, j->rec, json_array());
	return 1;
}

/* After routing: caches a valid answer and writes the ledger line. */
static void
route_spent(struct route *r, const struct job *j, int ok)
{
	struct spend_request rq;

	spend_request_of(j, &rq);
	if (ok)
		spend_cache_put(r->cfg, r->opts, &rq, j->rec);
	spend_ledger(r->cfg, j->rec, ledger_attempts(j->a, j->n));
}

int
route_record(struct route *r, struct json *rec, const struct route_hooks *h)
{
	struct job j;
	struct ar_err e;
	int ok = 0;

	memset(&j, 0, sizeof j);
	j.rec = rec;
	j.h = h;
	gen_result_init(&j.res);
	if (gen_request_from_record(rec, &j.sys, &j.prompt, &e) == -1) {
		record_set_error(rec, STAGE, &e);
		spend_ledger(r->cfg, rec, json_array());
		job_free(&j);
		return -1;
	}
	if (route_cache_hit(r, &j)) {
		job_free(&j);
		return 0;
	}
	if (route_takes_error(rec))
		local_from_record(r, rec, &j.a[j.n++]);
	else if (json_obj_get(rec, "output") != NULL) {
		if ((ok = route_given(r, &j, &e)) == -1) {
			record_set_error(rec, STAGE, &e);
			spend_ledger(r->cfg, rec, json_array());
			job_free(&j);
			return -1;
		}
	} else if (!r->opts->cloud_only)
		ok = route_local(r, &j);
	while (!ok && !cancelled(h) && repair_due(r, &j))
		ok = route_repair(r, &j);
	/* The cloud is the last engine: after its answer there is no other. */
	if (!ok && !r->opts->local_only && !cancelled(h) &&
	    (j.n == 0 || strcmp(j.a[0].backend, "gemini") != 0))
		ok = route_cloud(r, &j);
	route_outcome(&j, ok);
	route_spent(r, &j, ok);
	job_free(&j);
	return ok ? 0 : -1;
}
