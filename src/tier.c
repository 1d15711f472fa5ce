/*
 * tier.c - the chain of engines, endpoint choice and shared cooldown.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cache.h"
#include "cancel.h"
#include "clock.h"
#include "defaults.h"
#include "gen.h"
#include "http.h"
#include "tier.h"
#include "xalloc.h"
#include "xdg.h"

#define TIER_COOL_DIR "cooldown"
#define TIER_POLL_MS 50	/* a waiter looks at its cancel flag this often */

/* The text of a tier as an error may show it: every URL's user
 * information (up to the last '@' of its authority) left out. */
static void
tier_shown(const char *spec, size_t len, char *dst, size_t size)
{
	struct buf b = BUF_INIT;
	const char *p = spec, *end = spec + len, *host, *auth, *at;

	while (p < end && (host = memmem(p, (size_t)(end - p), "://", 3))) {
		host += 3;
		buf_add(&b, p, (size_t)(host - p));
		for (auth = host; auth < end && !strchr("/?#", *auth); auth++)
			;
		for (at = auth; at > host && at[-1] != '@'; at--)
			;
		p = at;
	}
	buf_add(&b, p, (size_t)(end - p));
	snprintf(dst, size, "%.100s", buf_str(&b));
	buf_free(&b);
}

/* Adds one URL (s[0..len)) to t; ollama URLs are read as OLLAMA_HOST.
 * spec is the tier as errors show it. */
static int
tier_add_url(struct tier *t, const char *s, size_t len, const char *spec,
    struct ar_err *e)
{
	char *u = xstrndup(s, len), *url;
	size_t n;

	if (t->n_ep == TIER_MAX_URLS) {
		free(u);
		return err_set(e, AR_E_CONFIG, "tier %s: more than %d URLs",
		    spec, TIER_MAX_URLS);
	}
	if (strcmp(t->be->name, "ollama") == 0) {
		url = config_ollama_url(u);
		free(u);
		if (url == NULL)
			return err_set(e, AR_E_CONFIG, "tier %s: not a "
			    "usable Ollama address", spec);
	} else {
		url = u;
		for (n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
			url[n - 1] = '\0';
		if (strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0) {
			free(url);
			return err_set(e, AR_E_CONFIG, "tier %s: a URL must "
			    "start with http:// or https://", spec);
		}
	}
	t->ep[t->n_ep].url = url;
	http_url_public(url, t->ep[t->n_ep].shown,
	    sizeof t->ep[t->n_ep].shown);
	t->ep[t->n_ep].check_at = -1;
	t->n_ep++;
	return 0;
}

/* One tier of the list: spec[0..len). */
static int
tier_parse_one(struct tier *t, const char *spec, size_t len,
    const struct config *cfg, struct ar_err *e)
{
	char *s = xstrndup(spec, len), *colon, *at, *p, *q, shown[104];
	const char *url;
	int rc = 0;

	memset(t, 0, sizeof *t);
	tier_shown(spec, len, shown, sizeof shown);
	if ((colon = strchr(s, ':')) == NULL || colon == s ||
	    (t->be = backend_find(s, (size_t)(colon - s))) == NULL) {
		rc = err_set(e, AR_E_CONFIG, "tier %s: want BACKEND:MODEL"
		    "[@URL[,URL...]] with BACKEND ollama, openai or gemini",
		    shown);
		goto out;
	}
	at = strrchr(colon + 1, '@');
	if (at != NULL)
		*at = '\0';
	if (colon[1] == '\0') {
		rc = err_set(e, AR_E_CONFIG, "tier %s: no model", shown);
		goto out;
	}
	t->model = xstrdup(colon + 1);
	if (at != NULL) {
		for (p = at + 1; rc == 0; p = q + 1) {
			q = strchr(p, ',');
			if (q == NULL)
				q = p + strlen(p);
			if (q > p)
				rc = tier_add_url(t, p, (size_t)(q - p), shown,
				    e);
			if (*q == '\0')
				break;
		}
	} else if ((url = backend_default_url(t->be, cfg)) != NULL)
		rc = tier_add_url(t, url, strlen(url), shown, e);
	if (rc == 0 && t->n_ep == 0)
		rc = err_set(e, AR_E_CONFIG, "tier %s: no URL (set %s)", shown,
		    strcmp(t->be->name, "openai") == 0 ? "OPENAI_BASE_URL" :
		    "one after '@'");
out:
	free(s);
	return rc;
}

int
tiers_parse(struct tiers *ts, const struct config *cfg, struct ar_err *e)
{
	struct buf def = BUF_INIT;
	const char *spec = cfg->tiers, *p;
	size_t len;
	int i, rc = 0;

	memset(ts, 0, sizeof *ts);
	pthread_mutex_init(&ts->mu, NULL);
	pthread_cond_init(&ts->cv, NULL);
	ts->cooldown = cfg->cooldown;
	ts->state_dir = xdg_dir("XDG_STATE_HOME", ".local/state");
	if (spec == NULL) {
		buf_printf(&def, "ollama:%s gemini:%s", cfg->local_model,
		    cfg->cloud_model);
		spec = buf_str(&def);
	}
	for (p = spec; rc == 0; p += len) {
		p += strspn(p, " \t\n\r");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t\n\r");
		if (ts->n == TIER_MAX)
			rc = err_set(e, AR_E_CONFIG, "more than %d tiers",
			    TIER_MAX);
		else if ((rc = tier_parse_one(&ts->t[ts->n], p, len, cfg,
		    e)) == 0)
			ts->n++;
	}
	if (rc == 0 && ts->n == 0)
		rc = err_set(e, AR_E_CONFIG, "AR_TIERS names no tier");
	for (i = 0; rc == 0 && i < ts->n; i++) {
		int k;

		for (k = 0; k < ts->t[i].n_ep; k++)
			ts->t[i].ep[k].index = ts->n_ep++;
	}
	buf_free(&def);
	if (rc == -1)
		tiers_free(ts);
	return rc;
}

void
tiers_free(struct tiers *ts)
{
	int i, k;

	for (i = 0; i <= ts->n && i < TIER_MAX; i++) {
		for (k = 0; k < ts->t[i].n_ep; k++)
			free(ts->t[i].ep[k].url);
		free(ts->t[i].model);
	}
	free(ts->state_dir);
	pthread_mutex_destroy(&ts->mu);
	pthread_cond_destroy(&ts->cv);
	memset(ts, 0, sizeof *ts);
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double
tier_cooldown_left(const struct tiers *ts, const struct tier *t,
    const struct tier_endpoint *ep)
{
	char text[64], *end;
	double until, left;

	if (ts->cooldown <= 0 || ts->state_dir == NULL ||
	    !cache_note_get(ts->state_dir, TIER_COOL_DIR, ep->url, t->model,
	    text, sizeof text))
		return 0;
	until = strtod(text, &end);
	if (end == text || !isfinite(until))
		return 0;	/* not a time: a corrupt note is no cooldown */
	left = until - wall_now();
	/* A file from a longer AR_COOLDOWN counts no more than this one. */
	return left <= 0 ? 0 : left > ts->cooldown ? ts->cooldown : left;
}

struct tier_endpoint *
tier_acquire(struct tiers *ts, struct tier *t)
{
	struct tier_endpoint *best = NULL, *ep;
	int cool[TIER_MAX_URLS];
	int i, k;

	/* The files are read outside the lock. */
	for (i = 0; i < t->n_ep; i++)
		cool[i] = tier_cooldown_left(ts, t, &t->ep[i]) > 0;
	pthread_mutex_lock(&ts->mu);
	for (k = 0; k < t->n_ep; k++) {
		i = (int)((t->turn + (unsigned)k) % (unsigned)t->n_ep);
		ep = &t->ep[i];
		if (!cool[i] && (best == NULL || ep->in_flight < best->in_flight))
			best = ep;
	}
	if (best != NULL) {
		best->in_flight++;
		t->turn = (unsigned)(best - t->ep) + 1;
	}
	pthread_mutex_unlock(&ts->mu);
	return best;
}

void
tier_hold(struct tiers *ts, struct tier_endpoint *ep)
{
	pthread_mutex_lock(&ts->mu);
	ep->in_flight++;
	pthread_mutex_unlock(&ts->mu);
}

void
tier_release(struct tiers *ts, struct tier_endpoint *ep)
{
	pthread_mutex_lock(&ts->mu);
	ep->in_flight--;
	pthread_mutex_unlock(&ts->mu);
}

/* Does a failure with code say the endpoint is down or overloaded? */
static int
tier_cools(const char *code)
{
	static const char *const codes[] = {
		AR_E_CONNECT, AR_E_RESOLVE, AR_E_TIMEOUT, AR_E_TOO_SLOW,
		AR_E_SERVER, NULL
	};
	size_t i;

	for (i = 0; codes[i] != NULL; i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

void
tier_outcome(struct tiers *ts, const struct tier *t,
    const struct tier_endpoint *ep, const char *code)
{
	char text[64], old[64];

	if (ts->cooldown <= 0 || ts->state_dir == NULL)
		return;
	if (code == NULL) {
		if (cache_note_get(ts->state_dir, TIER_COOL_DIR, ep->url,
		    t->model, old, sizeof old))
			cache_note_del(ts->state_dir, TIER_COOL_DIR, ep->url,
			    t->model);
		return;
	}
	if (!tier_cools(code))
		return;
	snprintf(text, sizeof text, "%.3f\n", wall_now() + ts->cooldown);
	cache_note_put(ts->state_dir, TIER_COOL_DIR, ep->url, t->model, text);
}

struct json *
tier_status(const struct tiers *ts, const struct config *cfg, int i, int k,
    int *can_serve)
{
	const struct tier *t = &ts->t[i];
	const struct tier_endpoint *ep = &t->ep[k];
	void *c = t->be->client_new(cfg, ep->url, t->model);
	struct json *rec = json_object(), *st;
	struct buf name = BUF_INIT;
	double left = tier_cooldown_left(ts, t, ep);
	size_t m;

	st = t->be->status(c, can_serve);
	t->be->client_free(c);
	buf_printf(&name, "%s:%s", t->be->name, t->model);
	json_obj_set(rec, "tier", json_stringz(buf_str(&name)));
	json_obj_set(rec, "endpoint", json_stringz(ep->shown));
	for (m = 0; m < st->n; m++)
		if (strcmp(st->members[m].key, "endpoint") != 0 &&
		    strcmp(st->members[m].key, "host") != 0)
			json_obj_set(rec, st->members[m].key,
			    json_copy(st->members[m].val));
	json_obj_set(rec, "cooldown_left", json_int((long long)(left + 0.999)));
	if (left > 0)
		*can_serve = 0;
	json_free(st);
	buf_free(&name);
	return rec;
}

void
tier_check_note(struct tiers *ts, struct tier_endpoint *ep,
    const struct ar_err *e)
{
	if (e->code == NULL || (strcmp(e->code, AR_E_CONNECT) != 0 &&
	    strcmp(e->code, AR_E_RESOLVE) != 0 &&
	    strcmp(e->code, AR_E_MODEL) != 0))
		return;
	pthread_mutex_lock(&ts->mu);
	ep->check_at = clock_now_ms();
	ep->check_err = *e;
	pthread_mutex_unlock(&ts->mu);
}

/* Waits, holding ts->mu, while another thread checks ep.
 * Returns 0, or -1 as soon as the caller is cancelled. */
static int
tier_check_wait(struct tiers *ts, const struct tier_endpoint *ep,
    const volatile int *cancel)
{
	struct timespec tv;

	while (ep->check_busy && !cancel_is_set(cancel)) {
		clock_gettime(CLOCK_REALTIME, &tv);
		tv.tv_nsec += TIER_POLL_MS * 1000000L;
		if (tv.tv_nsec >= 1000000000L) {
			tv.tv_sec++;
			tv.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ts->cv, &ts->mu, &tv);
	}
	return cancel_is_set(cancel) ? -1 : 0;
}

int
tier_check(struct tiers *ts, struct tier_endpoint *ep,
    const volatile int *cancel,
    int (*check)(void *ctx, const volatile int *cancel, struct ar_err *e),
    void *ctx, struct ar_err *e)
{
	struct ar_err fresh;
	int ok;

	pthread_mutex_lock(&ts->mu);
	if (tier_check_wait(ts, ep, cancel) == -1) {
		pthread_mutex_unlock(&ts->mu);
		return err_set(e, AR_E_CANCELLED, "cancelled during the status "
		    "check");
	}
	if (ep->check_at < 0 ||
	    clock_now_ms() - ep->check_at >= AR_STATUS_TTL_S * 1e3) {
		ep->check_busy = 1;
		pthread_mutex_unlock(&ts->mu);
		err_clear(&fresh);
		check(ctx, cancel, &fresh);
		pthread_mutex_lock(&ts->mu);
		ep->check_busy = 0;
		pthread_cond_broadcast(&ts->cv);
		if (fresh.code != NULL &&
		    strcmp(fresh.code, AR_E_CANCELLED) == 0) {
			pthread_mutex_unlock(&ts->mu);
			*e = fresh;
			return -1;
		}
		ep->check_err = fresh;
		ep->check_at = clock_now_ms();
	}
	ok = ep->check_err.code == NULL;
	*e = ep->check_err;
	pthread_mutex_unlock(&ts->mu);
	return ok ? 0 : -1;
}
