/* ar-validate - extract and check the code in model answers. */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "record.h"
#include "validate.h"

#define STAGE "ar-validate"

enum { OPT_NO_SYNTAX = CLI_OPT_OWN };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "min-chars", required_argument, NULL, CLI_OPT_MIN_CHARS },
	{ "no-syntax-check", no_argument, NULL, OPT_NO_SYNTAX },
	{ NULL, 0, NULL, 0 }
};

static const struct cli_setting settings[] = {
	{ CLI_OPT_MIN_CHARS, "AR_MIN_CHARS", "--min-chars" },
	{ 0, NULL, NULL }
};

static int
own_flag(void *opts, int opt, const char *arg)
{
	(void)arg;
	if (opt != OPT_NO_SYNTAX)
		return -1;
	((struct validate_opts *)opts)->syntax_check = 0;
	return 0;
}

static void *
worker_new(void *opts)
{
	return opts;
}

static void
worker_free(void *opts)
{
	(void)opts;
}

static void
process(void *opts, struct json *rec)
{
	struct ar_err e;

	if (validate_record(rec, opts, &e) == -1) {
		log_error("%s: %s", e.code, e.msg);
		record_set_error(rec, STAGE, &e);
	}
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct validate_opts opts = { 0, 1, NULL };
	static const char *const uses[] = { "AR_MIN_CHARS", NULL };
	const struct cli cli = {
		STAGE,
		"usage: ar-validate [-hqVv] [--min-chars N] [--no-syntax-check]",
		"hqVv", longopts, settings, own_flag, &opts, 0, uses,
		"      --min-chars N        shorter code is invalid (AR_MIN_CHARS)\n"
		"      --no-syntax-check    skip the syntax checkers\n"
		CLI_HELP_COMMON
		"Environment: AR_MIN_CHARS (also from .env files)\n"
	};
	struct pool_ops ops = {
		.worker_new = worker_new, .worker_free = worker_free,
		.process = process, .emit = cli_emit, .arg = &opts
	};
	int rv;

	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	opts.min_chars = cfg.min_chars;
	rv = cli_run(STAGE, 1, &ops);
	config_free(&cfg);
	return rv;
}
