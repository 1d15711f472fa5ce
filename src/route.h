/*
 * route.h - the routing policy: local first, validated, cloud fallback.
 *
 * Knows the policy and nothing about wire formats: it walks the tiers
 * (tier.h) through the backend interface (backend.h), validates, and
 * writes the outcome on the record.
 */
#ifndef AR_ROUTE_H
#define AR_ROUTE_H

#include "config.h"
#include "json.h"
#include "validate.h"

struct tiers;

struct route_opts {
	int local_only;		/* only local tiers (ollama, openai) */
	int cloud_only;		/* only cloud tiers (gemini) */
	struct validate_opts vopts;
	struct tiers *tiers;	/* the chain (tier.h); shared by threads */
};

/* Phases reported to hooks->phase, in the order they can happen. */
#define ROUTE_PHASE_CHECK	"checking local model"
#define ROUTE_PHASE_LOCAL	"local model generating"
#define ROUTE_PHASE_VALIDATE	"validating"
#define ROUTE_PHASE_FALLBACK	"falling back to the cloud"
#define ROUTE_PHASE_CLOUD	"cloud model generating"

struct route_hooks {
	/* Called at each phase; tokens is the count so far while generating,
	 * else -1. May be NULL. */
	void (*phase)(void *ctx, const char *phase, long tokens);
	void *ctx;
	/* When *cancel becomes nonzero, the backend request in flight stops
	 * at once and the record gets error code "cancelled". May be NULL. */
	const volatile int *cancel;
};

struct route;

/* A router for one thread: its own Ollama and Gemini clients, so their
 * connections are kept alive across records. cfg and opts are borrowed. */
struct route *route_new(const struct config *cfg, const struct route_opts *opts);
void route_free(struct route *r);

/*
 * Routes one record in place. On success adds code, valid (true), backend,
 * model, usage, timing and attempts, and language when rec has none and
 * the answer's code block named one; returns 0. When no backend gave
 * valid code, adds valid (false), attempts and an error (code all_failed,
 * or cancelled, or bad_field for unusable input) and returns -1.
 * A record carrying an error that route_takes_error() accepts is a local
 * attempt that already failed: it becomes attempts[0] (model from the
 * record's "model", ms from its timing.total_ms), its error is removed,
 * and the cloud is tried unless opts->local_only.
 * A record carrying an answer ("output", from ar-ollama or ar-gemini) is
 * not sent to that engine again: the answer is validated as the attempt
 * of the engine its "backend" names (model, finish and timing.total_ms
 * from the record); an invalid local answer is repaired when a repair can
 * fix it, else falls back to the cloud; an invalid cloud answer fails.
 * An answer that follows replaces the record's output. Such a record is
 * never answered from the cache.
 * hooks may be NULL. Logs one decision line (⚡ [LOCAL] / ☁️ [CLOUD]).
 */
int route_record(struct route *r, struct json *rec,
    const struct route_hooks *hooks);

/*
 * Nonzero when rec carries an error that route_record() treats as a
 * failed local attempt (stage "ar-ollama", with a string code) instead of
 * passing it on untouched; for pool_ops.takes_error.
 */
int route_takes_error(const struct json *rec);

#endif
