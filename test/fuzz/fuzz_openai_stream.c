/*
 * fuzz_openai_stream - libFuzzer harness for the OpenAI-compatible SSE
 * stream parser: the input is a whole /v1/chat/completions response body,
 * parsed by openai_parse_stream() with the line handler the live path
 * uses. The checks are stream_check.h's, as for the other streams.
 */
#include <stdint.h>

#include "err.h"
#include "gen.h"
#include "openai.h"
#include "stream_check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return stream_fuzz(openai_parse_stream, data, size);
}
