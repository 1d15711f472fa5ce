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
	return stream_fuzz(ollama_parse_stream, data, size);
}
