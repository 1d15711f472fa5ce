/*
 * fuzz_ollama_stream - libFuzzer harness for the Ollama NDJSON stream
 * parser: the input is a whole /api/generate response body, parsed by
 * ollama_parse_stream() with the line handler the live path uses.
 */
#include <stdint.h>

#include "err.h"
#include "gen.h"
#include "ollama.h"
#include "stream_check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_result res;
	struct ar_err e;
	int rc;

	err_clear(&e);
	gen_result_init(&res);
	rc = ollama_parse_stream((const char *)data, size, &res, &e);
	stream_check(rc, &res, &e);
	gen_result_free(&res);
	return 0;
}
