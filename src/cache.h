/*
 * cache.h - valid answers kept on disk, keyed by everything that decides
 * them, so the same task run twice pays once.
 *
 * The cache lives in $XDG_CACHE_HOME/aurarouter/ (default
 * ~/.cache/aurarouter/): one file per answer, named by the hex SHA-256
 * (OpenSSL libcrypto) of its key. Entries are written to a temporary file
 * in the same directory and renamed, so readers never see half an entry
 * and any number of writers may run at once; an entry that does not parse
 * or whose key does not match is a miss. The oldest entries go when the
 * whole passes the size bound.
 */
#ifndef AR_CACHE_H
#define AR_CACHE_H
#include <stddef.h>

#include "json.h"

#define CACHE_KEY_HEX 64

/* Everything that decides an answer. Strings are borrowed; NULL counts
 * as unset (and differs from ""). */
struct cache_input {
	const char *system, *prompt, *language;
	const char *tiers;	/* the tiers tried, "ollama:MODEL gemini:MODEL" */
	const char *digest;	/* the local model's digest, when known */
	long num_ctx;
	const char *local_think, *cloud_thinking;
	const char *check_cmd;
	long min_chars;
	int syntax_check;
};

/* The key of in as hex (hex[CACHE_KEY_HEX + 1], NUL-terminated). */
void cache_key(const struct cache_input *in, char *hex);

/* The cache directory (owned), or NULL when HOME and XDG_CACHE_HOME are
 * both unset. */
char *cache_dir(void);

/* Looks key up in dir: on a hit, adds the stored answer to rec (code,
 * valid true, backend, model, usage, language when rec has none,
 * "cached": true, empty attempts) and returns 1; else returns 0. */
int cache_get(const char *dir, const char *key, struct json *rec);

/* Stores the answer rec carries (code, language, backend, model, usage)
 * under key, then trims dir to max_mb MiB by removing the oldest
 * entries. Returns 0, or -1 when it could not be written (the caller
 * carries on: the cache is an optimisation). */
int cache_put(const char *dir, const char *key, const struct json *rec,
    double max_mb);

/* The last digest seen for the local model at url (a status check), kept
 * in dir for the next processes: cache_digest_get() fills out[0..size)
 * and returns 1, or returns 0 when none is known. */
/*
 * Small notes about one endpoint+model, one file each under dir/sub/
 * (named by a hash of both), written atomically (a temporary file renamed
 * into place) so readers need no lock: the digests here, the cooldowns of
 * tier.h. cache_note_put returns 0 or -1; cache_note_get returns 1 with
 * out filled (at most size - 1 bytes), else 0.
 */
int cache_note_put(const char *dir, const char *sub, const char *url,
    const char *model, const char *text);
int cache_note_get(const char *dir, const char *sub, const char *url,
    const char *model, char *out, size_t size);
void cache_note_del(const char *dir, const char *sub, const char *url,
    const char *model);
void cache_digest_note(const char *dir, const char *url, const char *model,
    const char *digest);
int cache_digest_get(const char *dir, const char *url, const char *model,
    char *out, size_t size);

#endif
