/*
 * backend.c - ollama, openai and gemini behind the one interface.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "gemini.h"
#include "ollama.h"
#include "openai.h"
#include "xalloc.h"

/* ollama and gemini read their URL and model from a struct config: each
 * client gets a shallow copy with those two pointed at its tier's. */
struct cfg_client {
	struct config cfg;	/* borrowed pointers only; never freed */
	void *impl;
};

static void *
ollama_client_new(const struct config *cfg, const char *url,
    const char *model)
{
	struct cfg_client *c = xcalloc(1, sizeof *c);

	c->cfg = *cfg;
	c->cfg.ollama_url = (char *)url;
	c->cfg.local_model = (char *)model;
	c->impl = ollama_new(&c->cfg);
	return c;
}

static void
ollama_client_free(void *p)
{
	struct cfg_client *c = p;

	if (c == NULL)
		return;
	ollama_free(c->impl);
	free(c);
}

static int
ollama_gen(void *p, const struct gen_request *rq, struct gen_result *res,
    struct ar_err *e)
{
	return ollama_generate(((struct cfg_client *)p)->impl, rq, res, e);
}

static int
ollama_chk(void *p, const volatile int *cancel, char *digest, size_t size,
    struct ar_err *e)
{
	struct cfg_client *c = p;
	struct ollama_status st;

	digest[0] = '\0';
	if (ollama_check(c->impl, cancel, &st) == -1)
		return err_set(e, st.error_code, "%s%s", st.error,
		    strcmp(st.error_code, AR_E_CONNECT) == 0 ?
		    " (is `ollama serve` running?)" : "");
	if (!st.model_pulled)
		return err_set(e, AR_E_MODEL, "model %s is not pulled in Ollama "
		    "(ollama pull %s)", c->cfg.local_model, c->cfg.local_model);
	snprintf(digest, size, "%s", st.digest);
	return 0;
}

static struct json *
ollama_stat(void *p, int *can_serve)
{
	struct cfg_client *c = p;
	struct ollama_status st;

	*can_serve = ollama_status(c->impl, &st) == 0 && st.model_pulled;
	return ollama_status_record(c->impl, &st);
}

static void *
openai_client_new(const struct config *cfg, const char *url,
    const char *model)
{
	return openai_new(cfg, url, model, cfg->openai_key);
}

static void
openai_client_free(void *c)
{
	openai_free(c);
}

static int
openai_gen(void *c, const struct gen_request *rq, struct gen_result *res,
    struct ar_err *e)
{
	return openai_generate(c, rq, res, e);
}

static struct json *
openai_stat(void *c, int *can_serve)
{
	struct openai_status st;

	*can_serve = openai_status(c, &st) == 0 && st.model_present &&
	    !st.loading;
	return openai_status_record(c, &st);
}

static void *
gemini_client_new(const struct config *cfg, const char *url,
    const char *model)
{
	struct cfg_client *c = xcalloc(1, sizeof *c);

	c->cfg = *cfg;
	c->cfg.gemini_base_url = (char *)url;
	c->cfg.cloud_model = (char *)model;
	c->impl = gemini_new(&c->cfg);
	return c;
}

static void
gemini_client_free(void *p)
{
	struct cfg_client *c = p;

	if (c == NULL)
		return;
	gemini_free(c->impl);
	free(c);
}

static int
gemini_gen(void *p, const struct gen_request *rq, struct gen_result *res,
    struct ar_err *e)
{
	return gemini_generate(((struct cfg_client *)p)->impl, rq, res, e);
}

/* Gemini's status costs a request on the user's quota; this one tells
 * only whether a key is there to send. */
static struct json *
gemini_stat(void *p, int *can_serve)
{
	struct cfg_client *c = p;
	struct json *r = json_object();

	*can_serve = c->cfg.api_key != NULL;
	json_obj_set(r, "backend", json_stringz("gemini"));
	json_obj_set(r, "model", json_stringz(c->cfg.cloud_model));
	json_obj_set(r, "key", c->cfg.api_key_var ?
	    json_stringz(c->cfg.api_key_var) : json_null());
	return r;
}

static const struct backend backends[] = {
	{ "ollama", "ar-ollama", 1, ollama_client_new, ollama_client_free,
	    ollama_gen, ollama_chk, ollama_stat },
	{ "openai", "ar-openai", 1, openai_client_new, openai_client_free,
	    openai_gen, NULL, openai_stat },
	{ "gemini", "ar-gemini", 0, gemini_client_new, gemini_client_free,
	    gemini_gen, NULL, gemini_stat },
};

const struct backend *
backend_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof backends / sizeof backends[0]; i++)
		if (strlen(backends[i].name) == len &&
		    memcmp(backends[i].name, name, len) == 0)
			return &backends[i];
	return NULL;
}

int
backend_is_local(const char *name)
{
	const struct backend *b = name ? backend_find(name, strlen(name)) :
	    NULL;

	return b != NULL && b->local;
}

const char *
backend_default_url(const struct backend *be, const struct config *cfg)
{
	if (strcmp(be->name, "ollama") == 0)
		return cfg->ollama_url;
	if (strcmp(be->name, "openai") == 0)
		return cfg->openai_url;
	return cfg->gemini_base_url;
}

const char *
backend_default_model(const struct backend *be, const struct config *cfg)
{
	return be->local ? cfg->local_model : cfg->cloud_model;
}
