/*
 * gen.c - the generation request and result shared by the backends, and
 * the record fields that carry them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "err.h"
#include "gen.h"
#include "log.h"
#include "prompt.h"
#include "record.h"
#include "xalloc.h"

int
gen_cancelled(const volatile int *cancel)
{
	return cancel_is_set(cancel);
}

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

/* A number rounded to `decimals` places, written without trailing zeros
 * (12.30 is written 12.3, 4.00 is written 4). */
static struct json *
gen_num(double v, int decimals)
{
	char s[64], *p;
	struct json_error jerr;
	struct json *n;

	snprintf(s, sizeof s, "%.*f", decimals, v);
	if (strchr(s, '.') != NULL) {
		p = s + strlen(s) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	if (strcmp(s, "-0") == 0)
		strcpy(s, "0");
	n = json_parse(s, strlen(s), sizeof s, &jerr);
	return n != NULL ? n : json_double(v);
}

void
gen_result_to_record(const struct gen_result *r, const char *backend,
    struct json *rec)
{
	struct json *usage = json_object(), *timing = json_object();

	json_obj_set(rec, "output", json_string(r->output.s ? r->output.s : "",
	    r->output.len));
	json_obj_set(rec, "backend", json_stringz(backend));
	json_obj_set(rec, "model", json_stringz(r->model));
	json_obj_set(usage, "input_tokens", json_int(r->input_tokens));
	json_obj_set(usage, "output_tokens", json_int(r->output_tokens));
	if (r->thinking_tokens >= 0)
		json_obj_set(usage, "thinking_tokens",
		    json_int(r->thinking_tokens));
	json_obj_set(rec, "usage", usage);
	json_obj_set(timing, "first_token_ms", r->first_token_ms < 0 ?
	    json_null() : gen_num(r->first_token_ms, 1));
	json_obj_set(timing, "total_ms", gen_num(r->total_ms, 1));
	json_obj_set(timing, "tokens_per_s", gen_num(r->tokens_per_s, 2));
	json_obj_set(rec, "timing", timing);
	json_obj_set(rec, "finish", r->finish[0] ? json_stringz(r->finish) :
	    json_null());
}

void
gen_log_timing(const struct gen_result *r, const char *backend)
{
	log_debug("%s %s: first token %.1f ms, total %.1f ms, %.2f tokens/s, "
	    "%ld tokens", backend, r->model, r->first_token_ms, r->total_ms,
	    r->tokens_per_s, r->output_tokens);
}

/* Copies the prompt inputs of rec into a new object for prompt_record. */
static struct json *
gen_prompt_fields(const struct json *rec)
{
	static const char *const fields[] = {
		"task", "language", "file_context", "files", NULL
	};
	struct json *in = json_object();
	const struct json *v;
	size_t i;

	for (i = 0; fields[i] != NULL; i++)
		if ((v = json_obj_get(rec, fields[i])) != NULL)
			json_obj_set(in, fields[i], json_copy(v));
	return in;
}

/* Builds system and prompt from the task, exactly as ar-prompt does. */
static int
gen_from_task(const struct json *rec, char **sys, char **prompt,
    struct ar_err *e)
{
	struct json *in = gen_prompt_fields(rec);
	const char *s, *p;
	int rc = -1;

	if (prompt_record(in, e) == 0 &&
	    record_opt_str(in, "system", &s, e) == 0 &&
	    record_opt_str(in, "prompt", &p, e) == 0) {
		*sys = s != NULL ? xstrdup(s) : NULL;
		*prompt = xstrdup(p != NULL ? p : "");
		rc = 0;
	}
	json_free(in);
	return rc;
}

/* The types of the task's optional inputs, checked for every record (a
 * record with a prompt does not go through prompt_record). */
static int
gen_check_inputs(const struct json *rec, struct ar_err *e)
{
	const struct json *files = json_obj_get(rec, "files");
	const char *s;
	size_t i;

	if (record_opt_str(rec, "language", &s, e) == -1 ||
	    record_opt_str(rec, "file_context", &s, e) == -1)
		return -1;
	if (files == NULL || files->type == JSON_NULL)
		return 0;
	if (files->type != JSON_ARRAY)
		return err_set(e, AR_E_BAD_FIELD, "field \"files\" must be an "
		    "array of strings, not %s", json_type_name(files->type));
	for (i = 0; i < files->n; i++)
		if (files->items[i]->type != JSON_STRING)
			return err_set(e, AR_E_BAD_FIELD, "field \"files\"[%zu] "
			    "must be a string, not %s", i,
			    json_type_name(files->items[i]->type));
	return 0;
}

int
gen_request_from_record(const struct json *rec, char **sys, char **prompt,
    struct ar_err *e)
{
	const char *s, *p;

	*sys = NULL;
	*prompt = NULL;
	if (record_opt_str(rec, "prompt", &p, e) == -1 ||
	    record_opt_str(rec, "system", &s, e) == -1 ||
	    gen_check_inputs(rec, e) == -1)
		return -1;
	if (p != NULL && p[0] != '\0') {
		*sys = s != NULL ? xstrdup(s) : NULL;
		*prompt = xstrdup(p);
		return 0;
	}
	if (json_obj_get(rec, "task") != NULL)
		return gen_from_task(rec, sys, prompt, e);
	return err_set(e, AR_E_BAD_FIELD,
	    "record has neither \"prompt\" nor \"task\"");
}

void
gen_record(struct json *rec, const char *stage, const char *backend,
    gen_fn fn, void *client)
{
	struct gen_request rq = { 0 };
	struct gen_result res;
	struct ar_err e;
	char *sys = NULL, *prompt = NULL;
	int rc;

	gen_result_init(&res);
	rc = gen_request_from_record(rec, &sys, &prompt, &e);
	if (rc == 0) {
		rq.system = sys;
		rq.prompt = prompt;
		rc = fn(client, &rq, &res, &e);
	}
	if (rc == 0) {
		gen_log_timing(&res, backend);
		gen_result_to_record(&res, backend, rec);
	} else {
		record_set_error(rec, stage, &e);
		log_error("%s: %s", e.code, e.msg);
	}
	gen_result_free(&res);
	free(sys);
	free(prompt);
}
