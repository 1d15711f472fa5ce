/*
 * route.c - walk the chain of tiers (tier.h), validate, fall through.
 *
 * Each tier is tried on one of its endpoints (tier_acquire); a tier whose
 * every endpoint cools down is skipped at once (cooling_down). A backend
 * with a cheap check (Ollama: one GET of /api/tags) is skipped at once
 * when the check, cached per endpoint by tier.c (tier_check), says the
 * server is unreachable or the model is missing.
 * Any failure, or an answer validation rejects, goes on to the next tier
 * (after repairs, on a local tier). Knows no wire format: every engine is
 * called through backend.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cancel.h"
#include "check.h"
#include "clock.h"
#include "defaults.h"
#include "err.h"
#include "backend.h"
#include "gen.h"
#include "http.h"
#include "log.h"
#include "record.h"
#include "repair.h"
#include "route.h"
#include "spend.h"
#include "tier.h"
#include "xalloc.h"

#define STAGE "ar-route"
#define ROUTE_MAX_WHY 600	/* bytes of one reason in a message */

struct route {
	const struct config *cfg;
	const struct route_opts *opts;
	struct tiers *ts;		/* opts->tiers */
	void **clients;			/* per endpoint of the chain, made on
					 * first use */
};

/* One backend attempt, as it goes into "attempts". */
struct attempt {
	const char *backend;
	const struct tier *tier;	/* NULL for an upstream stage's error */
	struct tier_endpoint *ep;	/* NULL when none was tried */
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

/* One record being routed: its request, read once from the record, and
 * the attempts so far, written back on it once (route_outcome). */
struct job {
	struct json *rec;		/* borrowed */
	const struct route_hooks *h;	/* borrowed; may be NULL */
	struct gen_input in;		/* owned; points into rec */
	struct gen_prior prior;		/* what rec brings; points into rec */
	struct attempt *a;		/* owned, room for every attempt */
	int n;				/* attempts started */
	struct gen_result res;		/* the last backend's answer */
};

struct route *
route_new(const struct config *cfg, const struct route_opts *opts)
{
	struct route *r = xcalloc(1, sizeof *r);

	r->cfg = cfg;
	r->opts = opts;
	r->ts = opts->tiers;
	r->clients = xcalloc((size_t)r->ts->n_ep + 1, sizeof *r->clients);
	return r;
}

/* The client of endpoint ep of tier t, made on first use: a record the
 * cache answers starts neither libcurl nor TLS. */
static void *
route_client(struct route *r, const struct tier *t,
    const struct tier_endpoint *ep)
{
	void **c = &r->clients[ep->index];

	if (*c == NULL)
		*c = t->be->client_new(r->cfg, ep->url, t->model);
	return *c;
}

void
route_free(struct route *r)
{
	int i, k;
	const struct tier *t;

	if (r == NULL)
		return;
	for (i = 0; i < r->ts->n; i++)
		for (t = &r->ts->t[i], k = 0; k < t->n_ep; k++)
			if (r->clients[t->ep[k].index] != NULL)
				t->be->client_free(
				    r->clients[t->ep[k].index]);
	free(r->clients);
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
	return h != NULL && cancel_is_set(h->cancel);
}

/* The cheap check of one endpoint, for tier_check(). */
struct route_check {
	struct route *r;
	const struct tier *t;
	struct tier_endpoint *ep;
};

/* Runs the backend's check on the endpoint; a model digest it learns
 * goes to the cache keys (spend.h). */
static int
route_check(void *ctx, const volatile int *cancel, struct ar_err *e)
{
	struct route_check *c = ctx;
	char digest[128];

	if (c->t->be->check(route_client(c->r, c->t, c->ep), cancel, digest,
	    sizeof digest, e) == -1)
		return -1;
	spend_note_digest(c->r->cfg, c->ep->url, c->t->model, digest);
	return 0;
}

/* Returns 1 when the endpoint ep of t can be tried, else 0 with e set:
 * the backend's cheap check, if it has one, through the chain's status
 * cache (tier_check). */
static int
endpoint_available(struct route *r, const struct tier *t,
    struct tier_endpoint *ep, const struct route_hooks *h, struct ar_err *e)
{
	struct route_check c = { r, t, ep };

	if (t->be->check == NULL)
		return 1;
	return tier_check(r->ts, ep, h != NULL ? h->cancel : NULL, route_check,
	    &c, e) == 0;
}

int
route_takes_error(const struct json *rec)
{
	return gen_prior_failure(rec) != NULL;
}

/* Copies the record's text s (NULL for none) into dst as one line, so
 * that it cannot break a log line. */
static void
copy_oneline(char *dst, size_t size, const char *s)
{
	buf_oneline(dst, size, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

/* The local attempt a from the ar-ollama (ar-openai) failure the record
 * brings. */
static void
local_from_record(struct route *r, const struct gen_prior *p,
    struct attempt *a)
{
	a->backend = p->be->name;
	copy_oneline(a->model, sizeof a->model, p->model != NULL ? p->model :
	    r->cfg->local_model);
	a->ms = p->ms;
	copy_oneline(a->code, sizeof a->code, p->code);
	a->err.code = a->code;
	copy_oneline(a->err.msg, sizeof a->err.msg, p->message);
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
	struct check_opts co;
	const char *lang = j->in.language;

	phase(j->h, ROUTE_PHASE_VALIDATE, -1);
	snprintf(a->finish, sizeof a->finish, "%s", j->res.finish);
	/* a cancelled call stops its checker */
	vo.cancel = j->h != NULL ? j->h->cancel : NULL;
	validate_output(j->res.output.s ? j->res.output.s : "",
	    j->res.output.len, lang, a->finish[0] != '\0' ? a->finish : NULL,
	    &vo, &a->vr);
	co.cmd = r->cfg->check_cmd;
	co.timeout_s = r->cfg->check_timeout;
	co.mem_mb = (long)r->cfg->check_mem_mb;
	co.cancel = vo.cancel;		/* and its check command */
	check_validate(&co, lang, &a->vr);
	a->answered = 1;
	a->in_tok = j->res.input_tokens;
	a->out_tok = j->res.output_tokens;
	a->think_tok = j->res.thinking_tokens;
	return a->vr.valid;
}

/* Calls a's tier on its endpoint and validates the answer; fills a.
 * Returns 1 when the answer is valid code. */
static int
try_backend(struct route *r, struct job *j, struct attempt *a)
{
	const struct route_hooks *h = j->h;
	const struct tier *t = a->tier;
	struct progress pr = { h, t->be->local ? ROUTE_PHASE_LOCAL :
	    ROUTE_PHASE_CLOUD };
	struct gen_request rq = { j->in.system, j->in.prompt, on_tokens, &pr,
	    h != NULL ? h->cancel : NULL };
	struct gen_result *res = &j->res;
	double t0 = clock_now_ms();
	int rv;

	phase(h, pr.phase, 0);
	rv = t->be->generate(route_client(r, t, a->ep), &rq, res, &a->err);
	a->ms = clock_now_ms() - t0;
	if (res->model[0] != '\0')
		snprintf(a->model, sizeof a->model, "%s", res->model);
	tier_outcome(r->ts, t, a->ep, rv == -1 ? a->err.code : NULL);
	if (rv == -1) {
		tier_check_note(r->ts, a->ep, &a->err);
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

/* " id=..." for log lines when the record has an id (may be NULL). */
static void
log_id(const struct json *id, struct buf *b)
{
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
log_decision(const struct json *id, const struct attempt *a, int n,
    const struct gen_result *res)
{
	struct buf line = BUF_INIT, why = BUF_INIT;
	int i, repairs = 0;

	for (i = 0; i < n; i++)
		repairs += a[i].repair;
	if (backend_is_local(a[n - 1].backend)) {
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
	log_id(id, &line);
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
record_success(struct json *rec, const struct gen_input *in,
    const struct attempt *a, const struct gen_result *res)
{
	json_obj_set(rec, "code", json_stringz(a->vr.code));
	if (a->vr.language != NULL && in->language == NULL)
		json_obj_set(rec, "language", json_stringz(a->vr.language));
	json_obj_set(rec, "valid", json_bool(1));
	if (json_obj_get(rec, "reasons") != NULL)
		json_obj_set(rec, "reasons", json_array());
	json_obj_set(rec, "backend", json_stringz(a->backend));
	json_obj_set(rec, "model", json_stringz(a->model));
	if (!a->from_record)
		gen_result_replace(res, a->backend, rec);
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

/* Starts the next attempt of j, on tier t at endpoint ep (NULL when
 * none can be tried). */
static struct attempt *
attempt_start(struct job *j, const struct tier *t, struct tier_endpoint *ep)
{
	struct attempt *a = &j->a[j->n++];

	a->backend = t->be->name;
	a->tier = t;
	a->ep = ep;
	snprintf(a->model, sizeof a->model, "%s", t->model);
	snprintf(a->endpoint, sizeof a->endpoint, "%s",
	    (ep != NULL ? ep : &t->ep[0])->shown);
	return a;
}

/* One attempt on tier t, unless every endpoint cools down or the cheap
 * check rules the chosen one out. Returns 1 when it gave valid code. */
static int
route_tier(struct route *r, struct job *j, struct tier *t)
{
	struct tier_endpoint *ep;
	struct attempt *a;
	int ok;

	if (j->n > 0) {
		phase(j->h, ROUTE_PHASE_FALLBACK, -1);
		gen_result_free(&j->res);
		gen_result_init(&j->res);
	}
	if ((ep = tier_acquire(r->ts, t)) == NULL) {
		a = attempt_start(j, t, NULL);
		err_set(&a->err, AR_E_COOLING, "every endpoint of tier %s:%s "
		    "cools down after a failure (%.0f s left; AR_COOLDOWN)",
		    t->be->name, t->model, tier_cooldown_left(r->ts, t,
		    &t->ep[0]));
		return 0;
	}
	a = attempt_start(j, t, ep);
	if (t->be->check != NULL)
		phase(j->h, ROUTE_PHASE_CHECK, -1);
	if (!endpoint_available(r, t, ep, j->h, &a->err)) {
		tier_outcome(r->ts, t, ep, a->err.code);
		tier_release(r->ts, ep);
		return 0;
	}
	ok = try_backend(r, j, a);
	tier_release(r->ts, ep);
	return ok;
}

/* Nonzero when the last attempt of j is a local answer that a repair may
 * fix and its tier has repairs left. */
static int
repair_due(const struct route *r, const struct job *j)
{
	const struct attempt *last;
	int i, done = 0;

	if (j->n == 0)
		return 0;
	last = &j->a[j->n - 1];
	for (i = j->n - 1; i >= 0 && j->a[i].tier == last->tier &&
	    j->a[i].repair; i--)
		done++;
	return done < r->cfg->repairs && last->answered && last->tier != NULL &&
	    last->tier->be->local && repair_wanted(&last->vr);
}

/* Sends the rejected local answer back to the tier and endpoint that
 * gave it, with the task, its code and the diagnostics. Returns 1 when
 * the repaired answer is valid. */
static int
route_repair(struct route *r, struct job *j)
{
	const struct attempt *last = &j->a[j->n - 1];
	const char *lang = last->vr.language != NULL ? last->vr.language :
	    j->in.language;
	char *prompt = j->in.prompt, *fix, model[sizeof last->model];
	struct tier_endpoint *ep;
	struct attempt *a;
	int ok;

	fix = repair_prompt(prompt, lang, &last->vr);
	memcpy(model, last->model, sizeof model);
	/* An answer that came on the record has no endpoint: choose one. */
	if ((ep = last->ep) != NULL)
		tier_hold(r->ts, ep);
	else
		ep = tier_acquire(r->ts, &r->ts->t[last->tier - r->ts->t]);
	a = attempt_start(j, last->tier, ep);
	snprintf(a->model, sizeof a->model, "%s", model);
	a->repair = 1;
	if (ep == NULL) {
		err_set(&a->err, AR_E_COOLING, "every endpoint of tier %s:%s "
		    "cools down after a failure (AR_COOLDOWN)",
		    a->tier->be->name, a->tier->model);
		free(fix);
		return 0;
	}
	gen_result_free(&j->res);
	gen_result_init(&j->res);
	j->in.prompt = fix;
	ok = try_backend(r, j, a);
	tier_release(r->ts, ep);
	j->in.prompt = prompt;
	free(fix);
	return ok;
}

/* The first tier after the first one of backend be; 0 when the chain
 * has none of be. */
static int
tier_after(const struct tiers *ts, const struct backend *be)
{
	int i;

	for (i = 0; i < ts->n && ts->t[i].be != be; i++)
		;
	return i < ts->n ? i + 1 : 0;
}

/* The answer the record brings (j->prior: "output" from ar-ollama,
 * ar-openai or ar-gemini) becomes the attempt of the first tier of the
 * engine that gave it, and is validated without asking that engine
 * again; *next is the tier the chain goes on with. Returns 1 when it is
 * valid code, else 0. */
static int
route_given(struct route *r, struct job *j, int *next)
{
	const struct gen_prior *p = &j->prior;
	struct attempt *a;
	int next_tier = tier_after(r->ts, p->be);

	*next = next_tier;
	a = &j->a[j->n++];
	a->backend = p->be->name;
	a->tier = next_tier > 0 ? &r->ts->t[next_tier - 1] : NULL;
	copy_oneline(a->model, sizeof a->model, p->model != NULL ? p->model :
	    a->tier != NULL ? a->tier->model :
	    backend_default_model(p->be, r->cfg));
	a->from_record = 1;		/* its endpoint is unknown */
	a->ms = p->ms;
	buf_add(&j->res.output, p->output, p->output_len);
	snprintf(j->res.model, sizeof j->res.model, "%s", a->model);
	snprintf(j->res.finish, sizeof j->res.finish, "%s",
	    p->finish != NULL ? p->finish : "");
	j->res.tokens_per_s = p->tokens_per_s;
	j->res.total_ms = a->ms;
	if (p->input_tokens >= 0)
		j->res.input_tokens = p->input_tokens;
	if (p->output_tokens >= 0)
		j->res.output_tokens = p->output_tokens;
	if (p->thinking_tokens >= 0)
		j->res.thinking_tokens = p->thinking_tokens;
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
	/* A stage's failure became the first attempt. */
	if (j->prior.failed)
		json_obj_del(j->rec, "error");
	if (ok) {
		record_success(j->rec, &j->in, &j->a[j->n - 1], &j->res);
		log_decision(j->in.id, j->a, j->n, &j->res);
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
	gen_input_free(&j->in);
	free(j->a);
}

/* The request of j as the cache keys it. */
static void
spend_request_of(const struct job *j, struct spend_request *rq)
{
	rq->system = j->in.system;
	rq->prompt = j->in.prompt;
	rq->language = j->in.language;
}

/* Before routing: a cache hit answers j's record (its ledger line
 * written) and returns 1. */
static int
route_cache_hit(struct route *r, struct job *j)
{
	struct spend_request rq;
	struct buf line = BUF_INIT;

	spend_request_of(j, &rq);
	/* A record with an answer or a failed attempt is routed from it. */
	if (j->prior.be != NULL ||
	    !spend_cache_get(r->cfg, r->opts, &rq, j->rec))
		return 0;
	buf_printf(&line, "⚡ [CACHE] %s (%s) answered from the cache",
	    json_obj_str(j->rec, "model", NULL),
	    json_obj_str(j->rec, "backend", NULL));
	log_id(j->in.id, &line);
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

/* Nonzero when tier t is tried under opts (--local-only, --cloud-only). */
static int
tier_wanted(const struct route_opts *opts, const struct tier *t)
{
	return t->be->local ? !opts->cloud_only : !opts->local_only;
}

/* A record that cannot be routed: its error, and its ledger line. */
static int
route_refuse(struct route *r, struct job *j, const struct ar_err *e)
{
	record_set_error(j->rec, STAGE, e);
	spend_ledger(r->cfg, j->rec, json_array());
	job_free(j);
	return -1;
}

int
route_record(struct route *r, struct json *rec, const struct route_hooks *h)
{
	struct job j;
	struct ar_err e;
	int ok = 0, i = 0;

	memset(&j, 0, sizeof j);
	j.rec = rec;
	j.h = h;
	j.a = xcalloc((size_t)r->ts->n * (1 + AR_MAX_REPAIRS) + 1,
	    sizeof *j.a);
	gen_result_init(&j.res);
	if (gen_input_read(rec, &j.in, &e) == -1 ||
	    gen_prior_read(rec, &j.prior, &e) == -1)
		return route_refuse(r, &j, &e);
	if (route_cache_hit(r, &j)) {
		job_free(&j);
		return 0;
	}
	/* An upstream stage's failure stands for the first tier of its
	 * backend: the chain goes on after it. */
	if (j.prior.failed) {
		local_from_record(r, &j.prior, &j.a[j.n++]);
		i = tier_after(r->ts, j.prior.be);
	} else if (j.prior.be != NULL) {
		/* An answer on the record stands for its engine's first tier:
		 * validated, repaired, and the chain goes on after it. */
		ok = route_given(r, &j, &i);
		while (!ok && !cancelled(h) && repair_due(r, &j))
			ok = route_repair(r, &j);
	}
	for (; i < r->ts->n && !ok && !cancelled(h); i++) {
		if (!tier_wanted(r->opts, &r->ts->t[i]))
			continue;
		ok = route_tier(r, &j, &r->ts->t[i]);
		while (!ok && !cancelled(h) && repair_due(r, &j))
			ok = route_repair(r, &j);
	}
	route_outcome(&j, ok);
	route_spent(r, &j, ok);
	job_free(&j);
	return ok ? 0 : -1;
}
