/*
 * openai.h - the OpenAI-compatible backend (vLLM, llama.cpp's
 * llama-server, LM Studio, Ollama's /v1, a LiteLLM proxy): streaming
 * POST {base}/chat/completions and the status check over {base}/models
 * and llama-server's /health. Knows the wire format, nothing about
 * routing. The key (OPENAI_API_KEY) travels only in the Authorization
 * header, and only to this client's own base URL.
 */
#ifndef AR_OPENAI_H
#define AR_OPENAI_H

#include "config.h"
#include "err.h"
#include "gen.h"
#include "json.h"

struct openai;

/* A client of the server at base (a URL ending in /v1, copied) for model
 * (copied), sending key (borrowed, may be NULL) as a Bearer token. cfg
 * (borrowed) gives the timeouts and the rate floor. One per thread. */
struct openai *openai_new(const struct config *cfg, const char *base,
    const char *model, const char *key);
void openai_free(struct openai *o);

/*
 * Streams one chat completion (stream: true, stream_options.include_usage).
 * Enforces cfg->first_token_timeout, cfg->timeout and cfg->min_tps as
 * Ollama's stream does; reasoning_content / reasoning deltas count for
 * those clocks and never become output. Returns 0 with res filled, or -1
 * with e set: context_overflow for a context-length 400 (or such an error
 * in the stream), model_not_found (404), auth_failed (401, 403),
 * rate_limited (429), server_error (5xx), stream_cut without [DONE].
 */
int openai_generate(struct openai *o, const struct gen_request *rq,
    struct gen_result *res, struct ar_err *e);

/* Parses a whole SSE body held in memory as the streaming path does (no
 * clocks). Returns 0 with res filled, or -1 with e set. For tests. */
int openai_parse_stream(const char *data, size_t len, struct gen_result *res,
    struct ar_err *e);

struct openai_status {
	int reachable;
	int model_present;	/* listed in /models */
	int loading;		/* /health said 503 "Loading model" */
	char error[256];	/* why unreachable, "" otherwise */
	const char *error_code;	/* AR_E_* for error, NULL otherwise */
};

/* Fills st from {base}/models and {root}/health (short timeouts).
 * Returns 0 when reachable (a loading server is reachable), -1 otherwise. */
int openai_status(struct openai *o, struct openai_status *st);
/* {"backend":"openai","endpoint","model","reachable","model_present",
 * "loading"[,"error"]}. Owned. */
struct json *openai_status_record(const struct openai *o,
    const struct openai_status *st);

#endif
