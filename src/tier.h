/*
 * tier.h - the chain of engines route.c walks (AR_TIERS / --tiers), its
 * endpoints, which endpoint takes a request, and the cooldown every
 * process of the user shares.
 *
 * A tier is BACKEND:MODEL[@URL[,URL...]]: BACKEND up to the first ':',
 * the URLs after the last '@'. Without URLs a tier uses OLLAMA_HOST,
 * OPENAI_BASE_URL (no default: an openai tier without one is a
 * configuration error) or GOOGLE_GEMINI_BASE_URL. Unset, the chain is
 * "ollama:$AR_LOCAL_MODEL gemini:$AR_CLOUD_MODEL".
 *
 * One struct tiers serves every thread of a process: the in-flight counts
 * and the status-check cache live here, under one mutex, from
 * tiers_parse() to tiers_free(); nothing else reads or writes them. The cooldown of
 * an endpoint+model is a small file under $XDG_STATE_HOME/aurarouter/
 * cooldown/ holding the wall-clock second it ends, written atomically and
 * read without a lock (cache.h's notes).
 */
#ifndef AR_TIER_H
#define AR_TIER_H
#include <pthread.h>

#include "backend.h"
#include "config.h"
#include "err.h"
#include "json.h"

#define TIER_MAX	16	/* tiers in a chain */
#define TIER_MAX_URLS	16	/* endpoints in a tier */

struct tier_endpoint {
	char *url;		/* as configured (may hold credentials); owned */
	char shown[256];	/* the URL as it may be shown */
	int index;		/* among all the chain's endpoints */
	int in_flight;		/* requests now, in this process */
	/* The cheap check's cache (backend->check), for every thread:
	 * tier_check() and tier_check_note() only, under tiers.mu. */
	int check_busy;
	double check_at;	/* ms; -1: never */
	struct ar_err check_err; /* code NULL: the check passed */
	char digest[128];	/* the model's digest from the check, or "" */
};

struct tier {
	const struct backend *be;
	char *model;		/* owned */
	struct tier_endpoint ep[TIER_MAX_URLS];
	int n_ep;
	unsigned turn;		/* where the next tie-break starts */
};

struct tiers {
	struct tier t[TIER_MAX];
	int n;
	int n_ep;		/* endpoints of every tier */
	double cooldown;	/* AR_COOLDOWN, seconds; 0 off */
	char *state_dir;	/* $XDG_STATE_HOME/aurarouter, or NULL */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* Parses cfg->tiers (or the default chain) into ts. Returns 0, or -1
 * with e set (config_error naming the tier). Free with tiers_free(). */
int tiers_parse(struct tiers *ts, const struct config *cfg,
    struct ar_err *e);
void tiers_free(struct tiers *ts);

/*
 * The endpoint of t that takes the next request: the fewest requests in
 * flight among those not cooling down, ties in turn; counted in flight
 * until tier_release(). NULL when every endpoint cools down.
 */
struct tier_endpoint *tier_acquire(struct tiers *ts, struct tier *t);
void tier_release(struct tiers *ts, struct tier_endpoint *ep);
/* One more request in flight on ep (a repair on the endpoint that gave
 * the answer); tier_release() it too. */
void tier_hold(struct tiers *ts, struct tier_endpoint *ep);

/* Seconds of cooldown left for ep of t; 0 when none. */
double tier_cooldown_left(const struct tiers *ts, const struct tier *t,
    const struct tier_endpoint *ep);

/* What an attempt at ep says about it: code NULL (it answered) ends a
 * cooldown; connect_failed, resolve_failed, timeout, too_slow and
 * server_error start one of ts->cooldown seconds; other codes say
 * nothing about the endpoint. */
void tier_outcome(struct tiers *ts, const struct tier *t,
    const struct tier_endpoint *ep, const char *code);

/*
 * The status cache: whether endpoint ep passed its backend's cheap check
 * (Ollama: the server answers and has the model), remembered for
 * AR_STATUS_TTL_S for every thread of the process. When the verdict is
 * older, check(ctx, cancel, e) runs once, on this thread, while the other
 * threads that ask wait for its verdict instead of checking too; a
 * waiter or a check stopped by *cancel is not cached (cancelled).
 * Returns 0 when ep can be tried, -1 with e set (the cached failure).
 */
int tier_check(struct tiers *ts, struct tier_endpoint *ep,
    const volatile int *cancel,
    int (*check)(void *ctx, const volatile int *cancel, struct ar_err *e),
    void *ctx, struct ar_err *e);
/* What a failed request to ep says for the cache: connect_failed,
 * resolve_failed and model_not_found fail ep's check until the TTL ends;
 * other codes say nothing. */
void tier_check_note(struct tiers *ts, struct tier_endpoint *ep,
    const struct ar_err *e);

/*
 * The status record of endpoint k of tier i: the backend's own fields
 * (reachable, model present, loaded and VRAM share where the engine
 * tells) with "tier" (the tier's text BACKEND:MODEL), "endpoint" and
 * "cooldown_left" (seconds). *can_serve is set nonzero when the endpoint
 * can answer now. Owned.
 */
struct json *tier_status(const struct tiers *ts, const struct config *cfg,
    int i, int k, int *can_serve);

#endif
