/*
 * fuzz_gemini_sse - libFuzzer harness for the Gemini SSE stream
 * parser: the input is a whole streamGenerateContent?alt=sse body, parsed
 * by gemini_parse_stream() with the event parser the live path uses.
 */
#include <stdint.h>

#include "err.h"
#include "gen.h"
#include "gemini.h"
#include "stream_check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_result res;
	struct ar_err e;
	int rc;

	err_clear(&e);
	gen_result_init(&res);
	rc = gemini_parse_stream((const char *)data, size, &res, &e);
	stream_check(rc, &res, &e);
	gen_result_free(&res);
	return 0;
}
