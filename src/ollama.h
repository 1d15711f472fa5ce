/*
 * ollama.h - the Ollama backend: streaming /api/generate and the status
 * check. Knows the wire format, nothing about routing.
 */
#ifndef AR_OLLAMA_H
#define AR_OLLAMA_H

#include "config.h"
#include "err.h"
#include "gen.h"
#include "json.h"

struct ollama;

/* A client for cfg (borrowed; must outlive it). One per thread. */
struct ollama *ollama_new(const struct config *cfg);
void ollama_free(struct ollama *o);

/*
 * Streams one generation (stream: true, model cfg->local_model, think
 * cfg->local_think when set, options.num_ctx from ollama_num_ctx()).
 * Enforces cfg->first_token_timeout, cfg->timeout and cfg->min_tps (after
 * AR_RATE_GRACE_S of streaming); "thinking" chunks count for those clocks
 * and never become output. Returns 0 with res filled, or -1 with e set
 * (res may hold partial text): context_overflow without a request when
 * the prompt cannot fit, or when prompt_eval_count shows Ollama cut it.
 */
int ollama_generate(struct ollama *o, const struct gen_request *rq,
    struct gen_result *res, struct ar_err *e);

/*
 * The num_ctx to ask for rq: cfg->num_ctx when the estimated prompt and
 * room for the answer (flow.h's flow_prompt_tokens() and
 * flow_answer_room()) fit it, else that need rounded up to AR_CTX_STEP, up
 * to config_max_ctx(). Returns 0 with *num_ctx set, or -1 with e set
 * (context_overflow) when even that is too small.
 */
int ollama_num_ctx(const struct config *cfg, const struct gen_request *rq,
    long *num_ctx, struct ar_err *e);

/*
 * Parses a whole /api/generate NDJSON body held in memory with the line
 * handler the streaming path uses (lines split as http.h splits them).
 * Returns 0 with res filled when the stream ends with done:true, or -1
 * with e set (bad_response, stream_error, stream_cut, too_large). No
 * timeouts apply. For tests and the fuzzer (test/fuzz/).
 */
int ollama_parse_stream(const char *data, size_t len, struct gen_result *res,
    struct ar_err *e);

struct ollama_status {
	int reachable;
	char version[64];	/* "" if unknown */
	int model_pulled;	/* listed in /api/tags */
	char digest[80];	/* its digest there (ollama_check), or "" */
	int model_loaded;	/* listed in /api/ps */
	double vram_fraction;	/* size_vram / size when loaded, else 0 */
	char error[256];	/* why unreachable, "" otherwise */
	const char *error_code;	/* AR_E_* for error, NULL otherwise */
};

/* Fills st from /api/version, /api/tags and /api/ps (short timeouts).
 * Returns 0 when reachable, -1 otherwise (st->error says why). */
int ollama_status(struct ollama *o, struct ollama_status *st);
/* The cheap check before a generation: one GET of /api/tags, filling
 * reachable and model_pulled only. Returns 0 when reachable, -1 otherwise
 * (st->error and st->error_code say why). When *cancel (may be NULL)
 * becomes nonzero the request stops at once with error_code "cancelled". */
int ollama_check(struct ollama *o, const volatile int *cancel,
    struct ollama_status *st);
/* The status as a record: {"backend","host","model","reachable","version",
 * "model_pulled","model_loaded","vram_fraction"[,"error"]}. Owned. */
struct json *ollama_status_record(const struct ollama *o,
    const struct ollama_status *st);

#endif
