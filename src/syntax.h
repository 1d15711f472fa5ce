/*
 * syntax.h - checking code with its language's own checker: cc and c++
 * -fsyntax-only, python3's compile(), sh/bash/zsh -n, node --check. The
 * first checker of the language found in PATH runs without a shell on a
 * temporary file, within AR_SYNTAX_TIMEOUT_S. Thread-safe.
 */
#ifndef AR_SYNTAX_H
#define AR_SYNTAX_H
#include <stddef.h>

#include "buf.h"

struct syntax_result {
	char prog[32];		/* the checker's name ("python3"), "" if none */
	int status;		/* its exit status */
	struct buf out;		/* its output (bounded), the temporary file's
				 * name replaced by "<code>"; owned */
};

/*
 * Checks code[0..len) as lang (a canonical language name: "c", "cpp",
 * "python", "sh", "bash", "zsh", "javascript"). Returns 1 when the checker
 * rejected the code (sr says how), 0 when it passed or could not judge:
 * no checker, it could not run or timed out, or a C header is missing.
 * Free sr with syntax_result_free() in both cases.
 */
int syntax_check(const char *lang, const char *code, size_t len,
    struct syntax_result *sr);
void syntax_result_free(struct syntax_result *sr);

#endif
