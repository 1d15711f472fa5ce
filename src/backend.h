/*
 * backend.h - the one interface route.c calls every engine through:
 * ollama (native API), openai (OpenAI-compatible Chat Completions) and
 * gemini. A backend knows its wire format and maps its failures to the
 * error codes of err.h (transport failures through flow.h's one mapping
 * for the local ones); it knows no policy. A client talks to one endpoint
 * URL and one model.
 */
#ifndef AR_BACKEND_H
#define AR_BACKEND_H
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "gen.h"
#include "json.h"

struct backend_client;

struct backend {
	const char *name;	/* "ollama", "openai", "gemini" */
	const char *stage;	/* its stage filter, "ar-ollama" */
	int local;		/* ollama and openai: 1; gemini: 0 */
	/* A client of the endpoint url (borrowed) for model (borrowed);
	 * cfg (borrowed) gives timeouts, keys and the rest. */
	void *(*client_new)(const struct config *cfg, const char *url,
	    const char *model);
	void (*client_free)(void *c);
	/* One generation, streaming, with progress and cancel (gen.h). */
	int (*generate)(void *c, const struct gen_request *rq,
	    struct gen_result *res, struct ar_err *e);
	/* The cheap check before a generation (may be NULL: none): 0, or -1
	 * with e set; digest (size bytes) gets the model's digest or "". */
	int (*check)(void *c, const volatile int *cancel, char *digest,
	    size_t size, struct ar_err *e);
	/* The status record of the endpoint (owned); *can_serve is set
	 * nonzero when it can answer now. */
	struct json *(*status)(void *c, int *can_serve);
};

/* The backend named name[0..len), or NULL. */
const struct backend *backend_find(const char *name, size_t len);
/* Nonzero when the backend named name is local (ollama, openai). */
int backend_is_local(const char *name);
/* The endpoint URL of be that cfg sets (OLLAMA_HOST, OPENAI_BASE_URL,
 * GOOGLE_GEMINI_BASE_URL; borrowed, NULL when unset), and its model
 * (AR_LOCAL_MODEL for the local ones, AR_CLOUD_MODEL for gemini). */
const char *backend_default_url(const struct backend *be,
    const struct config *cfg);
const char *backend_default_model(const struct backend *be,
    const struct config *cfg);

#endif
