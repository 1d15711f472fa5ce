/*
 * gen.c - the generation request and result shared by the backends, and
 * the record fields that carry them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "err.h"
#include "gen.h"
#include "log.h"
#include "prompt.h"
#include "record.h"
#include "xalloc.h"

void
gen_result_init(struct gen_result *r)
{
	memset(r, 0, sizeof *r);
	r->first_token_ms = -1;
	r->thinking_tokens = -1;
}

void
gen_result_free(struct gen_result *r)
{
	buf_free(&r->output);
}

/* gen_result_to_record(), with output only when with_output. */
static void
gen_write(const struct gen_result *r, const char *backend, struct json *rec,
    int with_output)
{
	struct json *usage = json_object(), *timing = json_object();

	if (with_output)
		json_obj_set(rec, "output", json_string(r->output.s ?
		    r->output.s : "", r->output.len));
	json_obj_set(rec, "backend", json_stringz(backend));
	json_obj_set(rec, "model", json_stringz(r->model));
	json_obj_set(usage, "input_tokens", json_int(r->input_tokens));
	json_obj_set(usage, "output_tokens", json_int(r->output_tokens));
	if (r->thinking_tokens >= 0)
		json_obj_set(usage, "thinking_tokens",
		    json_int(r->thinking_tokens));
	json_obj_set(rec, "usage", usage);
	json_obj_set(timing, "first_token_ms", r->first_token_ms < 0 ?
	    json_null() : json_fixed(r->first_token_ms, 1));
	json_obj_set(timing, "total_ms", json_fixed(r->total_ms, 1));
	json_obj_set(timing, "tokens_per_s", json_fixed(r->tokens_per_s, 2));
	json_obj_set(rec, "timing", timing);
	json_obj_set(rec, "finish", r->finish[0] ? json_stringz(r->finish) :
	    json_null());
}

void
gen_result_to_record(const struct gen_result *r, const char *backend,
    struct json *rec)
{
	gen_write(r, backend, rec, 1);
}

void
gen_result_replace(const struct gen_result *r, const char *backend,
    struct json *rec)
{
	gen_write(r, backend, rec, json_obj_get(rec, "output") != NULL);
}

void
gen_log_timing(const struct gen_result *r, const char *backend)
{
	log_debug("%s %s: first token %.1f ms, total %.1f ms, %.2f tokens/s, "
	    "%ld tokens", backend, r->model, r->first_token_ms, r->total_ms,
	    r->tokens_per_s, r->output_tokens);
}

int
gen_input_read(const struct json *rec, struct gen_input *in,
    struct ar_err *e)
{
	struct prompt_input pi;
	const char *sys, *prompt, **files;
	int rc;

	memset(in, 0, sizeof *in);
	memset(&pi, 0, sizeof pi);
	in->id = json_obj_get(rec, "id");
	/* The types of the task's inputs are checked for every record, one
	 * with a prompt too. */
	if (record_opt_str(rec, "prompt", &prompt, e) == -1 ||
	    record_opt_str(rec, "system", &sys, e) == -1 ||
	    record_opt_str(rec, "language", &in->language, e) == -1 ||
	    record_opt_str(rec, "file_context", &pi.file_context, e) == -1 ||
	    prompt_files(rec, 0, &files, e) == -1)
		return -1;
	free(files);
	if (prompt != NULL && prompt[0] != '\0') {
		in->system = sys != NULL ? xstrdup(sys) : NULL;
		in->prompt = xstrdup(prompt);
		return 0;
	}
	if (json_obj_get(rec, "task") == NULL)
		return err_set(e, AR_E_BAD_FIELD,
		    "record has neither \"prompt\" nor \"task\"");
	/* Built from the task exactly as ar-prompt does. */
	if (record_req_str(rec, "task", &pi.task, e) == -1 ||
	    prompt_files(rec, 1, &files, e) == -1)
		return -1;
	pi.language = in->language;
	pi.files = files;
	rc = prompt_build(&pi, &in->system, &in->prompt, e);
	free(files);
	return rc;
}

void
gen_input_free(struct gen_input *in)
{
	free(in->system);
	free(in->prompt);
	memset(in, 0, sizeof *in);
}

const struct backend *
gen_prior_failure(const struct json *rec)
{
	const struct json *err = json_obj_get(rec, "error");
	const struct backend *be;
	const char *stage;
	size_t n;

	if (err == NULL || err->type != JSON_OBJECT ||
	    json_obj_str(err, "code", NULL) == NULL ||
	    (stage = json_obj_str(err, "stage", &n)) == NULL || n < 4 ||
	    strncmp(stage, "ar-", 3) != 0 ||
	    (be = backend_find(stage + 3, n - 3)) == NULL || !be->local)
		return NULL;
	return be;
}

/* The record's timing.total_ms, 0 when it has none that makes sense. */
static double
gen_record_ms(const struct json *rec)
{
	const struct json *timing = json_obj_get(rec, "timing");
	double ms;

	if (timing != NULL && timing->type == JSON_OBJECT &&
	    json_obj_num(timing, "total_ms", &ms) && ms >= 0 && ms < 1e12)
		return ms;
	return 0;
}

/* A token count of rec's usage, -1 when it has none usable. */
static long
gen_usage_count(const struct json *usage, const char *name)
{
	double v;

	if (usage != NULL && usage->type == JSON_OBJECT &&
	    json_obj_num(usage, name, &v) && v >= 0 && v < 1e15)
		return (long)v;
	return -1;
}

/* The answer rec carries: its fields, their types checked. */
static int
gen_prior_answer(const struct json *rec, struct gen_prior *p,
    struct ar_err *e)
{
	const struct json *timing = json_obj_get(rec, "timing");
	const struct json *usage = json_obj_get(rec, "usage");
	const char *backend;

	if (record_opt_str(rec, "output", &p->output, e) == -1 ||
	    record_opt_str(rec, "backend", &backend, e) == -1 ||
	    record_opt_str(rec, "model", &p->model, e) == -1 ||
	    record_opt_str(rec, "finish", &p->finish, e) == -1)
		return -1;
	if (backend == NULL)
		backend = "ollama";
	if ((p->be = backend_find(backend, strlen(backend))) == NULL)
		return err_set(e, AR_E_BAD_FIELD, "field \"backend\": no "
		    "engine named %.64s", backend);
	if (p->output == NULL)
		p->output = "";
	else
		json_obj_str(rec, "output", &p->output_len);
	if (timing != NULL && timing->type == JSON_OBJECT)
		json_obj_num(timing, "tokens_per_s", &p->tokens_per_s);
	p->input_tokens = gen_usage_count(usage, "input_tokens");
	p->output_tokens = gen_usage_count(usage, "output_tokens");
	p->thinking_tokens = gen_usage_count(usage, "thinking_tokens");
	return 0;
}

int
gen_prior_read(const struct json *rec, struct gen_prior *p, struct ar_err *e)
{
	const struct json *err = json_obj_get(rec, "error");

	memset(p, 0, sizeof *p);
	p->ms = gen_record_ms(rec);
	if ((p->be = gen_prior_failure(rec)) != NULL) {
		p->failed = 1;
		p->model = json_obj_str(rec, "model", NULL);
		p->code = json_obj_str(err, "code", NULL);
		p->message = json_obj_str(err, "message", NULL);
		return 0;
	}
	if (json_obj_get(rec, "output") == NULL)
		return 0;
	return gen_prior_answer(rec, p, e);
}
