/*
 * syntax.h - checking code with its language's own checker: cc and c++
 * -fsyntax-only, python3's compile(), sh/bash/zsh -n, node's vm.Script.
 * The first checker of the language found in PATH runs without a shell,
 * reading the code on its standard input (no temporary file), in its own
 * process group, under sandbox.h's limits and Landlock domain, within
 * AR_SYNTAX_TIMEOUT_S. Python and JavaScript keep one checker process
 * per thread, fed one answer after the other over a pipe and started
 * again when it dies; C, C++ and the shells run once per answer.
 * Thread-safe.
 */
#ifndef AR_SYNTAX_H
#define AR_SYNTAX_H
#include <stddef.h>

#include "buf.h"

enum syntax_outcome {
	SYNTAX_PASS,		/* it passed, or could not be judged */
	SYNTAX_REJECTED,	/* the checker rejected it: out says why */
	SYNTAX_STOPPED,		/* a limit stopped the checker: why says which */
	SYNTAX_CANCELLED	/* *cancel was set: the checker was killed */
};

struct syntax_result {
	char prog[32];		/* the checker's name ("python3"), "" if none */
	int status;		/* its exit status */
	struct buf out;		/* its output (bounded), the code's name
				 * shown as "<code>"; owned */
	const char *why;	/* SYNTAX_STOPPED: "time limit", "CPU limit"
				 * or "memory limit"; static */
};

/*
 * Checks code[0..len) as lang (a canonical language name: "c", "cpp",
 * "python", "sh", "bash", "zsh", "javascript"). cancel (may be NULL) is
 * read from another thread: once it is nonzero the checker is killed.
 * A missing checker, one that cannot run or a C header that is missing
 * are SYNTAX_PASS. Free sr with syntax_result_free() in every case.
 */
enum syntax_outcome syntax_check(const char *lang, const char *code,
    size_t len, const volatile int *cancel, struct syntax_result *sr);
void syntax_result_free(struct syntax_result *sr);

/*
 * The framing of a Python or JavaScript checker's replies: whether
 * s[0..len), its output so far, holds a whole reply "\036AR STATUS LEN\n"
 * and LEN bytes of message (STATUS 0 passed, 1 rejected, 2 out of
 * memory; LEN at most 65536). Output before it, and header lines that do
 * not parse, are noise. Returns 1 with *st and the message s[*at..*at +
 * *mlen), else 0 (more may come). The first whole reply is the one taken
 * however the output was split into reads.
 */
int syntax_reply(const char *s, size_t len, int *st, size_t *at,
    size_t *mlen);

/* Kills every checker process group still running. Async-signal-safe:
 * for handlers of SIGINT and SIGTERM. */
void syntax_kill_all(void);

#endif
