/*
 * spend.c - the cache and the ledger around route_record().
 */
#include <stdlib.h>

#include "buf.h"
#include "cache.h"
#include "config.h"
#include "ledger.h"
#include "spend.h"
#include "tier.h"

/* The cache key of rq under cfg and opts, into hex. Returns 0, or
 * -1 with the cache off. *dir is the cache directory (owned). */
static int
spend_key(const struct config *cfg, const struct route_opts *opts,
    const struct spend_request *rq, char **dir, char *hex)
{
	struct buf tiers = BUF_INIT;
	char digest[128];
	struct cache_input in;
	const struct tier *t, *local = NULL;
	int i;

	if (cfg->no_cache || (*dir = cache_dir()) == NULL)
		return -1;
	/* The tiers that may answer, and the digest of the first local one. */
	for (i = 0; i < opts->tiers->n; i++) {
		t = &opts->tiers->t[i];
		if (t->be->local ? opts->cloud_only : opts->local_only)
			continue;
		buf_printf(&tiers, "%s%s:%s", tiers.len ? " " : "",
		    t->be->name, t->model);
		if (local == NULL && t->be->local)
			local = t;
	}
	in.system = rq->system;
	in.prompt = rq->prompt;
	in.language = rq->language;
	in.tiers = buf_str(&tiers);
	in.digest = local != NULL && cache_digest_get(*dir, local->ep[0].url,
	    local->model, digest, sizeof digest) ? digest : NULL;
	in.num_ctx = cfg->num_ctx;
	in.local_think = config_get("AR_LOCAL_THINK");
	in.cloud_thinking = config_get("AR_CLOUD_THINKING");
	in.check_cmd = cfg->check_cmd;
	in.min_chars = opts->vopts.min_chars;
	in.syntax_check = opts->vopts.syntax_check;
	cache_key(&in, hex);
	buf_free(&tiers);
	return 0;
}

int
spend_cache_get(const struct config *cfg, const struct route_opts *opts,
    const struct spend_request *rq, struct json *rec)
{
	char hex[CACHE_KEY_HEX + 1], *dir = NULL;
	int hit = 0;

	if (spend_key(cfg, opts, rq, &dir, hex) == 0)
		hit = cache_get(dir, hex, rec);
	free(dir);
	return hit;
}

void
spend_cache_put(const struct config *cfg, const struct route_opts *opts,
    const struct spend_request *rq, const struct json *rec)
{
	char hex[CACHE_KEY_HEX + 1], *dir = NULL;

	if (spend_key(cfg, opts, rq, &dir, hex) == 0)
		cache_put(dir, hex, rec, cfg->cache_max_mb);
	free(dir);
}

void
spend_note_digest(const struct config *cfg, const char *url,
    const char *model, const char *digest)
{
	char *dir;

	if (cfg->no_cache || *digest == '\0' || (dir = cache_dir()) == NULL)
		return;
	cache_digest_note(dir, url, model, digest);
	free(dir);
}

void
spend_ledger(const struct config *cfg, const struct json *rec,
    struct json *attempts)
{
	char *path = ledger_path(cfg);
	struct json *line;

	if (path == NULL) {
		json_free(attempts);
		return;
	}
	line = ledger_line(rec, attempts);
	ledger_append(path, line);
	json_free(line);
	free(path);
}
