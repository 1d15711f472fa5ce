/*
 * spend.h - what the router does to spend less cloud, outside the routing
 * itself: the answer cache (cache.h) looked up before any backend and
 * filled after a valid answer, and the ledger line (ledger.h) of every
 * routed record. Settings come from the config (AR_NO_CACHE,
 * AR_CACHE_MAX_MB, AR_LEDGER, AR_CHECK, ...).
 */
#ifndef AR_SPEND_H
#define AR_SPEND_H

#include "config.h"
#include "json.h"
#include "route.h"

/* What decides a record's answer besides the settings: its two prompt
 * texts and its language as it came in (borrowed; may be NULL). */
struct spend_request {
	const char *system, *prompt, *language;
};

/* On a cache hit fills rec with the stored answer (cache_get()) and
 * returns 1; returns 0 on a miss or with the cache off. Calls no backend
 * and no status check. */
int spend_cache_get(const struct config *cfg, const struct route_opts *opts,
    const struct spend_request *rq, struct json *rec);

/* Stores the valid answer rec carries. Errors are ignored: the cache is
 * an optimisation. */
void spend_cache_put(const struct config *cfg, const struct route_opts *opts,
    const struct spend_request *rq, const struct json *rec);

/* Remembers the digest of model at url from a status check, for the keys
 * of the next records and processes. */
void spend_note_digest(const struct config *cfg, const char *url,
    const char *model, const char *digest);

/* Appends the ledger line of the routed rec with its attempts (ledger
 * form, taken). Errors are ignored. */
void spend_ledger(const struct config *cfg, const struct json *rec,
    struct json *attempts);

#endif
