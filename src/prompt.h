/*
 * prompt.h - the strict engineering prompt.
 *
 * From a task, an optional language, optional file context and optional
 * files, builds the system text and the prompt that ask for exactly one
 * fenced code block in the requested language and nothing else.
 */
#ifndef AR_PROMPT_H
#define AR_PROMPT_H

#include "err.h"
#include "json.h"

struct prompt_input {
	const char *task;		/* required, borrowed */
	const char *language;		/* may be NULL */
	const char *file_context;	/* may be NULL */
	const char *const *files;	/* paths, NULL-terminated; may be NULL */
};

/*
 * Builds the two texts (owned by the caller, free()). Files are read
 * here; an unreadable file, one over AR_MAX_FILE, or context over
 * AR_MAX_CONTEXT fails with code file_error naming the file.
 * Returns 0, or -1 with e set.
 */
int prompt_build(const struct prompt_input *in, char **system, char **prompt,
    struct ar_err *e);

/*
 * The "files" of rec as a NULL-terminated vector of borrowed strings
 * (owned by the caller, free(); NULL when absent or null). A field that
 * is not an array of strings is bad_field; with usable, so is an empty
 * path or one holding a NUL. Returns 0, or -1 with e set.
 */
int prompt_files(const struct json *rec, int usable, const char ***out,
    struct ar_err *e);

/*
 * Reads task/language/file_context/files from rec (checking their types:
 * a wrong type is bad_field naming the field) and adds "system" and
 * "prompt" to rec. Returns 0, or -1 with e set.
 */
int prompt_record(struct json *rec, struct ar_err *e);

#endif
