/*
 * validate.h - extracting the code from a model's answer and checking it.
 */
#ifndef AR_VALIDATE_H
#define AR_VALIDATE_H
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "json.h"

struct validate_opts {
	long min_chars;		/* AR_MIN_CHARS */
	int syntax_check;	/* run the language's checker when on the machine */
	/* Read from another thread: once nonzero, a running checker is
	 * killed and the code is invalid ("syntax check cancelled"). May be
	 * NULL. */
	const volatile int *cancel;
};

struct validate_result {
	char *code;		/* extracted code, owned (free()); never NULL */
	int valid;
	char **reasons;		/* owned strings; n_reasons of them */
	size_t n_reasons;
	/* The language of the code block the code came from (its fence's
	 * info string, aliases normalised: "py" is "python"), owned; NULL
	 * when the code was not fenced or the fence named none. */
	char *language;
};

/*
 * Extracts the code from output, inline <think> blocks removed first
 * (think.h): the fenced block in `language`, else the only or longest
 * fenced block, else the whole text when it is plainly code. Then checks
 * it: too short, refusal, every finish but a normal stop (truncation for
 * "length" or "MAX_TOKENS", "stopped by the provider" for SAFETY,
 * RECITATION...), an unclosed fence, degenerate repetition (repeat.h),
 * placeholders for omitted code (placeholder.h), syntax errors (C,
 * Python, sh, JavaScript, ... when the checker exists). language and
 * finish may be NULL. Thread-safe. Free res with validate_result_free().
 */
void validate_output(const char *output, size_t len, const char *language,
    const char *finish, const struct validate_opts *opts,
    struct validate_result *res);
void validate_result_free(struct validate_result *res);

/* Adds "code", "valid" and "reasons" to rec. */
void validate_to_record(const struct validate_result *res, struct json *rec);

/*
 * What ar-validate does with one record: validates its "output" (with its
 * "language" and "finish") and adds code, valid and reasons, logging the
 * reasons of an invalid answer. Returns 0, or -1 with e set (bad_field)
 * when output is missing or a field has the wrong type.
 */
int validate_record(struct json *rec, const struct validate_opts *opts,
    struct ar_err *e);

#endif
