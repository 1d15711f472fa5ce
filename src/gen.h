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


void gen_result_init(struct gen_result *r);
void gen_result_free(struct gen_result *r);

/*
 * Writes the answer r on rec: output, backend, model, usage
 * {input_tokens, output_tokens and, when reported, thinking_tokens},
 * timing {first_token_ms, total_ms, tokens_per_s} and finish; a field rec
 * has keeps its place.
 */
void gen_result_to_record(const struct gen_result *r, const char *backend,
    struct json *rec);
/* The same, but output only replaces one rec already has (ar-route: an
 * answer replaces a stage's output, and adds none). */
void gen_result_replace(const struct gen_result *r, const char *backend,
    struct json *rec);

/* Logs the timing of a generation (one line, only with -v). */
void gen_log_timing(const struct gen_result *r, const char *backend);

/* A record's request, read once (gen_input_read()). */
struct gen_input {
	char *system;		/* owned; NULL: none */
	char *prompt;		/* owned; never NULL once read */
	const char *language;	/* borrowed from the record; NULL: none */
	const struct json *id;	/* borrowed from the record; NULL: none */
};

/*
 * Reads the request of rec (borrowed: in points into it): its "prompt"
 * and "system" when it has a prompt; otherwise both built from "task"
 * (and language, file_context, files) exactly as ar-prompt does. The
 * types of language, file_context and files are checked in both cases
 * (bad_field naming the field). Returns 0, or -1 with e set; free in
 * with gen_input_free() in either case.
 */
int gen_input_read(const struct json *rec, struct gen_input *in,
    struct ar_err *e);
void gen_input_free(struct gen_input *in);

struct backend;

/*
 * What a record brings from a stage that ran before ar-route, read once
 * (gen_prior_read()): an answer ("output" from ar-ollama, ar-openai or
 * ar-gemini) or a local stage's failure (an "error" whose stage is
 * ar-ollama or ar-openai, with a string code). Strings are borrowed from
 * the record.
 */
struct gen_prior {
	const struct backend *be;	/* the engine; NULL: nothing brought */
	int failed;			/* a failure: code and message */
	const char *code, *message;
	const char *model;		/* the record's; NULL: none */
	double ms;			/* timing.total_ms; 0: none usable */
	const char *output;		/* an answer: the text, never NULL */
	size_t output_len;
	const char *finish;		/* NULL: none */
	double tokens_per_s;
	long input_tokens, output_tokens, thinking_tokens; /* -1: none */
};

/* The local backend whose stage wrote rec's error (a failure ar-route
 * goes on from), or NULL. */
const struct backend *gen_prior_failure(const struct json *rec);

/*
 * Reads what rec brings into p. Returns 0, or -1 with e set (bad_field)
 * when an answer's output, backend, model or finish has the wrong type,
 * or its backend names no engine (absent: ollama).
 */
int gen_prior_read(const struct json *rec, struct gen_prior *p,
    struct ar_err *e);

#endif
