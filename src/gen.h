/*
 * gen.h - what a backend is asked and what it answers, shared by the
 * Ollama and Gemini modules, and the record fields that carry it.
 */
#ifndef AR_GEN_H
#define AR_GEN_H
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "json.h"

struct gen_request {
	const char *system;	/* borrowed; may be NULL */
	const char *prompt;	/* borrowed; required */
	/* Optional: called as tokens stream in (count so far); for progress. */
	void (*on_progress)(void *ctx, long tokens);
	void *progress_ctx;
	/* Optional: when *cancel is set by cancel_set() (cancel.h) from
	 * another thread, the request stops at once with error code
	 * "cancelled": its transfer or wait is woken. */
	const volatile int *cancel;
};

struct gen_result {
	struct buf output;	/* the raw model text, owned */
	char model[256];	/* the model that answered */
	long input_tokens;
	long output_tokens;
	long thinking_tokens;	/* -1 when the engine does not report them */
	double first_token_ms;	/* -1 if no token (answer or thinking) came */
	double total_ms;
	double tokens_per_s;
	char finish[64];	/* "stop", "length", "STOP", "MAX_TOKENS"... or "" */
};

/* Nonzero once *cancel (may be NULL) was set by another thread; an atomic
 * read, so the flag is not a data race. */
int gen_cancelled(const volatile int *cancel);

void gen_result_init(struct gen_result *r);
void gen_result_free(struct gen_result *r);

/*
 * Adds output, backend, model, usage {input_tokens, output_tokens and,
 * when reported, thinking_tokens},
 * timing {first_token_ms, total_ms, tokens_per_s} and finish to rec.
 */
void gen_result_to_record(const struct gen_result *r, const char *backend,
    struct json *rec);

/* Logs the timing of a generation (one line, only with -v). */
void gen_log_timing(const struct gen_result *r, const char *backend);

/*
 * Reads the generation input of a stage record: "prompt" and "system"
 * when present; otherwise builds them from "task" (and language,
 * file_context, files) exactly as ar-prompt does, storing them in *sys and
 * *prompt as owned strings. The types of language, file_context and
 * files are checked in both cases (bad_field naming the field).
 * Returns 0, or -1 with e set.
 * *sys and *prompt are owned by the caller in every case (free()).
 */
int gen_request_from_record(const struct json *rec, char **sys,
    char **prompt, struct ar_err *e);

/* One backend call: ollama_generate() or gemini_generate() on its client. */
typedef int (*gen_fn)(void *client, const struct gen_request *rq,
    struct gen_result *res, struct ar_err *e);

/*
 * What a stage program does with one record: builds the request from it
 * (gen_request_from_record), calls fn, and adds the result's fields, or
 * an error {stage, code, message} that is also logged.
 */
void gen_record(struct json *rec, const char *stage, const char *backend,
    gen_fn fn, void *client);

#endif
