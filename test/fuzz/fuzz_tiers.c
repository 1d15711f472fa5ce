/*
 * fuzz_tiers - libFuzzer harness for the AR_TIERS / --tiers parser,
 * tiers_parse(). The first byte chooses which default URLs are set (the
 * OpenAI one may hold credentials); the rest is the tier list.
 *
 * Checks: a parse succeeds without an error code or fails with
 * config_error and a one-line message; neither a message nor an
 * endpoint's shown form holds a URL's user information; a chain has 1 to
 * TIER_MAX tiers of a backend, a model without white space and 1 to
 * TIER_MAX_URLS http(s) endpoints numbered in order; writing the chain
 * back as BACKEND:MODEL@URL,... parses to the same chain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "tier.h"

/* Nonzero when s holds "://" followed by user information ("@" before
 * the end of the authority). */
static int
has_userinfo(const char *s)
{
	const char *p, *end, *at;

	for (p = s; (p = strstr(p, "://")) != NULL; p += 3) {
		end = p + 3 + strcspn(p + 3, "/?# \t");
		at = memchr(p + 3, '@', (size_t)(end - p - 3));
		if (at != NULL)
			return 1;
	}
	return 0;
}

static void
check_err(const struct ar_err *e)
{
	if (e->code == NULL || strcmp(e->code, "config_error") != 0)
		abort();
	if (memchr(e->msg, '\0', sizeof e->msg) == NULL ||
	    strchr(e->msg, '\n') != NULL || strchr(e->msg, '\r') != NULL)
		abort();
	if (has_userinfo(e->msg))
		abort();	/* a credential in an error message */
}

static void
check_chain(const struct tiers *ts)
{
	const struct tier *t;
	const char *u;
	int i, k, index = 0;

	if (ts->n < 1 || ts->n > TIER_MAX)
		abort();
	for (i = 0; i < ts->n; i++) {
		t = &ts->t[i];
		if (t->be == NULL || t->model == NULL || *t->model == '\0' ||
		    strpbrk(t->model, " \t\r\n") != NULL)
			abort();
		if (t->n_ep < 1 || t->n_ep > TIER_MAX_URLS)
			abort();
		for (k = 0; k < t->n_ep; k++) {
			u = t->ep[k].url;
			if (strncmp(u, "http://", 7) != 0 &&
			    strncmp(u, "https://", 8) != 0)
				abort();
			if (memchr(t->ep[k].shown, '\0',
			    sizeof t->ep[k].shown) == NULL ||
			    has_userinfo(t->ep[k].shown))
				abort();
			if (t->ep[k].index != index++)
				abort();
		}
	}
	if (ts->n_ep != index)
		abort();
}

/* The chain written back; a tier whose URLs hold '@' (credentials from
 * a default URL) is written without them, as it came. */
static void
rewrite(const struct tiers *ts, struct buf *b)
{
	const struct tier *t;
	int i, k, at;

	for (i = 0; i < ts->n; i++) {
		t = &ts->t[i];
		buf_printf(b, "%s%s:%s", i ? " " : "", t->be->name, t->model);
		for (k = at = 0; k < t->n_ep; k++)
			at |= strchr(t->ep[k].url, '@') != NULL;
		for (k = 0; !at && k < t->n_ep; k++)
			buf_printf(b, "%c%s", k ? ',' : '@', t->ep[k].url);
	}
}

static void
check_same(const struct tiers *a, const struct tiers *b)
{
	int i, k;

	if (a->n != b->n || a->n_ep != b->n_ep)
		abort();
	for (i = 0; i < a->n; i++) {
		if (a->t[i].be != b->t[i].be ||
		    strcmp(a->t[i].model, b->t[i].model) != 0 ||
		    a->t[i].n_ep != b->t[i].n_ep)
			abort();
		for (k = 0; k < a->t[i].n_ep; k++)
			if (strcmp(a->t[i].ep[k].url, b->t[i].ep[k].url) != 0 ||
			    strcmp(a->t[i].ep[k].shown,
			    b->t[i].ep[k].shown) != 0)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct tiers ts, back;
	struct ar_err e;
	struct buf spec = BUF_INIT, again = BUF_INIT;
	unsigned flags;

	if (size == 0 || size > 8192)
		return 0;
	flags = data[0];
	memset(&cfg, 0, sizeof cfg);
	cfg.ollama_url = flags & 1 ? "http://127.0.0.1:11434" :
	    "http://user:pw@ollama.example:8080/base";
	cfg.gemini_base_url = "https://generativelanguage.googleapis.com";
	cfg.openai_url = flags & 2 ? NULL : flags & 4 ?
	    "http://127.0.0.1:8000/v1" : "https://key:secret@llm.example/v1";
	cfg.local_model = "qwen2.5-coder:7b";
	cfg.cloud_model = "gemini-2.5-flash";
	buf_add(&spec, data + 1, size - 1);
	cfg.tiers = flags & 8 && size == 1 ? NULL : (char *)buf_str(&spec);
	err_clear(&e);
	if (tiers_parse(&ts, &cfg, &e) == -1) {
		check_err(&e);
		buf_free(&spec);
		return 0;
	}
	if (e.code != NULL)
		abort();
	check_chain(&ts);
	rewrite(&ts, &again);
	cfg.tiers = (char *)buf_str(&again);
	if (tiers_parse(&back, &cfg, &e) == -1)
		abort();	/* what it wrote back must parse */
	check_same(&ts, &back);
	tiers_free(&back);
	tiers_free(&ts);
	buf_free(&again);
	buf_free(&spec);
	return 0;
}
