/*
 * ledger.h - the savings ledger: one JSON line per routed record in
 * $XDG_STATE_HOME/aurarouter/ledger.jsonl (AR_LEDGER moves it, "0" turns
 * it off), read by ar-stats. Never the task, the code or a key.
 */
#ifndef AR_LEDGER_H
#define AR_LEDGER_H

#include "config.h"
#include "json.h"

/* Outcomes of a routed record. */
#define LEDGER_LOCAL	"local"
#define LEDGER_CLOUD	"cloud"
#define LEDGER_CACHE	"cache"
#define LEDGER_FAILED	"failed"

/* The outcome of a routed record: failed (an error, or not valid), cache
 * ("cached": true), cloud (backend "gemini") or local. Static string. */
const char *ledger_outcome(const struct json *rec);

/* The ledger's path for cfg (owned), or NULL when it is off or there is
 * no home directory. */
char *ledger_path(const struct config *cfg);

/*
 * The ledger line of a routed record: t (now, ISO 8601 UTC), id when rec
 * has one, language, outcome, backend, model, attempts (taken: the
 * attempts in ledger form, built by the router), and for a cache hit the
 * original answer's input_tokens and output_tokens. Owned.
 */
struct json *ledger_line(const struct json *rec, struct json *attempts);

/* Appends line to the ledger at path (creating its directory) with one
 * write(2) on an O_APPEND descriptor, so lines of concurrent writers
 * never mix. Returns 0 or -1 (errno set). */
int ledger_append(const char *path, const struct json *line);

#endif
