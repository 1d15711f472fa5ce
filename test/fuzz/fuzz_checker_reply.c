/*
 * fuzz_checker_reply - libFuzzer harness for the framing of the
 * persistent Python and JavaScript syntax checkers' replies,
 * syntax_reply(): the worker reads it from the checker's output, which
 * the code being checked can steer, so it is untrusted.
 *
 * Checks: a whole reply has status 0, 1 or 2 and a message that lies
 * inside the output, right after its header line; the reply taken does
 * not depend on how the output was split into reads: every prefix that
 * holds a whole reply holds the same one, and the output up to the end of
 * that reply holds it too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syntax.h"

struct reply {
	int whole, st;
	size_t at, mlen;
};

static struct reply
reply_of(const char *s, size_t len)
{
	struct reply r;

	memset(&r, 0, sizeof r);
	r.whole = syntax_reply(s, len, &r.st, &r.at, &r.mlen);
	if (r.whole != 0 && r.whole != 1)
		abort();
	return r;
}

static int
same(const struct reply *a, const struct reply *b)
{
	return a->whole == b->whole && a->st == b->st && a->at == b->at &&
	    a->mlen == b->mlen;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that ASan sees a read past it. */
	char *s = malloc(size ? size : 1);
	struct reply full, r;
	size_t k, step;

	memcpy(s, data, size);
	full = reply_of(s, size);
	if (full.whole) {
		if (full.st < 0 || full.st > 2 || full.at < 5 ||
		    full.at > size || full.mlen > size - full.at ||
		    s[full.at - 1] != '\n')
			abort();
		r = reply_of(s, full.at + full.mlen);
		if (!same(&r, &full))
			abort();
	}
	step = size > 4096 ? size / 512 : 1;
	for (k = 0; k < size; k += step) {
		r = reply_of(s, k);
		if (r.whole && !same(&r, &full))
			abort();
	}
	free(s);
	return 0;
}
