/*
 * gemini.h - the Gemini backend: streamGenerateContent over SSE, with
 * bounded retries. Knows the wire format, nothing about routing.
 * The API key travels only in the x-goog-api-key header.
 */
#ifndef AR_GEMINI_H
#define AR_GEMINI_H

#include "config.h"
#include "err.h"
#include "gen.h"

struct gemini;

/* A client for cfg (borrowed; must outlive it). One per thread. */
struct gemini *gemini_new(const struct config *cfg);
void gemini_free(struct gemini *g);

/*
 * One generation at {base}/v1beta/models/{model}:streamGenerateContent?alt=sse.
 * Retries 429/500/503/504 and transport errors (AR_GEMINI_MAX_TRIES, backoff
 * with jitter, at least RetryInfo.retryDelay or Retry-After), never past
 * cfg->timeout, never for a daily quota. Parts marked thought are skipped.
 * Returns 0 with res filled, or -1 with e set.
 */
int gemini_generate(struct gemini *g, const struct gen_request *rq,
    struct gen_result *res, struct ar_err *e);

/*
 * Parses a whole streamGenerateContent SSE body held in memory with the
 * event parser the streaming path uses (lines split as http.h splits
 * them), and judges it as a try's 200 stream is judged. Returns 0 with
 * res filled, or -1 with e set (bad_response, stream_error, stream_cut,
 * blocked, empty_answer, too_large). No retries, no timeouts. For tests
 * and the fuzzer (test/fuzz/).
 */
int gemini_parse_stream(const char *data, size_t len, struct gen_result *res,
    struct ar_err *e);

#endif
