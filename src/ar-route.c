/* ar-route - local model first, validated, cloud fallback. */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "progress.h"
#include "record.h"
#include "route.h"
#include "tier.h"

#define STAGE "ar-route"

enum {
	OPT_CLOUD_ONLY = CLI_OPT_OWN, OPT_LOCAL_ONLY, OPT_NO_CACHE,
	OPT_NO_SYNTAX, OPT_STATUS
};

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	CLI_ROUTE_LONGOPTS,
	{ "cloud-only", no_argument, NULL, OPT_CLOUD_ONLY },
	{ "jobs", required_argument, NULL, 'j' },
	{ "local-only", no_argument, NULL, OPT_LOCAL_ONLY },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "no-syntax-check", no_argument, NULL, OPT_NO_SYNTAX },
	{ "raw", no_argument, NULL, 'r' },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ NULL, 0, NULL, 0 }
};

struct ctx {
	const struct config *cfg;
	struct route_opts opts;
	int raw;
	long jobs;
	int no_cache;
	int status;
	struct progress *progress;
	unsigned long emitted;	/* records written (emit runs locked) */
};

static int
own_flag(void *arg, int opt, const char *val)
{
	struct ctx *c = arg;
	struct ar_err e;

	switch (opt) {
	case 'j':
		if (config_parse_long(val, 1, POOL_MAX, "-j", &c->jobs, &e) == 0)
			return 0;
		log_error("%s", e.msg);
		return -1;
	case 'r':
		c->raw = 1;
		return 0;
	case OPT_LOCAL_ONLY:
		c->opts.local_only = 1;
		return 0;
	case OPT_CLOUD_ONLY:
		c->opts.cloud_only = 1;
		return 0;
	case OPT_NO_CACHE:
		c->no_cache = 1;
		return 0;
	case OPT_STATUS:
		c->status = 1;
		return 0;
	case OPT_NO_SYNTAX:
		c->opts.vopts.syntax_check = 0;
		return 0;
	}
	return -1;
}

static void *
worker_new(void *arg)
{
	struct ctx *c = arg;

	return route_new(c->cfg, &c->opts);
}

static void
worker_free(void *r)
{
	route_free(r);
}

static void
process(void *r, struct json *rec)
{
	route_record(r, rec, NULL);
}

/* Writes a record, or with -r only its code; a failed record's error goes
 * to stderr in both modes. */
static int
emit(void *arg, struct record_out *out, const struct json *rec)
{
	struct ctx *c = arg;
	const struct json *err = json_obj_get(rec, "error");
	const char *ecode, *msg;
	int rv;

	if (err != NULL) {
		ecode = json_obj_str(err, "code", NULL);
		msg = json_obj_str(err, "message", NULL);
		log_error("%s: %s", ecode ? ecode : "error", msg ? msg : "");
	}
	c->emitted++;
	progress_hide(c->progress);
	rv = c->raw ? record_out_write_code(out, rec) :
	    record_out_write(out, rec);
	progress_note(c->progress, rec);
	return rv;
}

/* --status: one record per endpoint of every tier kept by --local-only
 * or --cloud-only; 0 when at least one tier can serve. */
static int
status(const struct ctx *c, const struct tiers *ts)
{
	struct record_out out = RECORD_OUT(stdout);
	struct json *rec;
	int i, k, can, any = 0, rv = AR_EXIT_OK;

	for (i = 0; i < ts->n; i++) {
		if (ts->t[i].be->local ? c->opts.cloud_only :
		    c->opts.local_only)
			continue;
		for (k = 0; k < ts->t[i].n_ep; k++) {
			rec = tier_status(ts, c->cfg, i, k, &can);
			any |= can;
			if (record_out_write(&out, rec) == -1)
				rv = AR_EXIT_FAIL;
			json_free(rec);
		}
	}
	if (cli_close(&out) == -1)
		rv = AR_EXIT_FAIL;
	return any ? rv : AR_EXIT_FAIL;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct tiers ts;
	struct ctx c = { &cfg, { 0, 0, { 0, 1, NULL }, NULL }, 0, 1, 0, 0, NULL,
	    0 };
	struct pool_ops ops = {
		.worker_new = worker_new, .worker_free = worker_free,
		.process = process, .emit = emit, .arg = &c,
		.takes_error = route_takes_error
	};
	const struct cli cli = {
		STAGE,
		"usage: ar-route [-hqrVv] [-j jobs] [--local-only | --cloud-only] "
		"[--local-model model]\n"
		"                [--cloud-model model] [-H host] [-c num-ctx] "
		"[-T first-token-timeout]\n"
		"                [-t timeout] [--min-tps N] [--min-chars N] "
		"[--no-syntax-check]\n"
		"                [--check command] [--no-cache] [--tiers list] "
		"[--status]",
		CLI_ROUTE_SHORTOPTS "hj:qrVv", longopts, cli_route_settings,
		own_flag, &c, 0, cli_route_uses,
		"  -j, --jobs N             route N records at once (1-64; default 1)\n"
		"  -r, --raw                write only each record's code (for > file)\n"
		"      --local-only         keep only the local tiers (ollama, openai)\n"
		"      --cloud-only         keep only the cloud tiers (gemini)\n"
		"      --no-cache           do not use the answer cache (AR_NO_CACHE)\n"
		"      --no-syntax-check    skip the syntax checkers\n"
		"      --status             print one record per tier endpoint and exit\n"
		CLI_HELP_ROUTE CLI_HELP_COMMON CLI_HELP_ROUTE_ENV
	};
	int rv;

	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	if (c.opts.local_only && c.opts.cloud_only) {
		log_error("--local-only and --cloud-only exclude each other");
		config_free(&cfg);
		return AR_EXIT_USAGE;
	}
	if (cli_tiers(&cfg, &ts) != 0) {
		config_free(&cfg);
		return AR_EXIT_USAGE;
	}
	c.opts.tiers = &ts;
	c.opts.vopts.min_chars = cfg.min_chars;
	if (c.no_cache)
		cfg.no_cache = 1;
	if (c.status) {
		rv = status(&c, &ts);
		tiers_free(&ts);
		config_free(&cfg);
		return rv;
	}
	c.progress = progress_new();
	rv = cli_run(STAGE, (int)c.jobs, &ops);
	progress_end(c.progress);
	/* In a Makefile an empty target must not look like a success. */
	if (c.raw && c.emitted == 0) {
		log_error("no record on standard input");
		rv = AR_EXIT_FAIL;
	}
	tiers_free(&ts);
	config_free(&cfg);
	return rv;
}
