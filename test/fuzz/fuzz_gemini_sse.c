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
	return stream_fuzz(gemini_parse_stream, data, size);
}
