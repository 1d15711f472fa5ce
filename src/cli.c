/*
 * cli.c - option parsing and the record loop shared by every program.
 */
#include <sys/prctl.h>

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "err.h"
#include "log.h"
#include "record.h"

const struct cli_setting cli_route_settings[] = {
	{ 'c', "AR_NUM_CTX", "--num-ctx" },
	{ 'H', "OLLAMA_HOST", "--host" },
	{ 'T', "AR_FIRST_TOKEN_TIMEOUT", "--first-token-timeout" },
	{ 't', "AR_TIMEOUT", "--timeout" },
	{ CLI_OPT_CLOUD_MODEL, "AR_CLOUD_MODEL", "--cloud-model" },
	{ CLI_OPT_LOCAL_MODEL, "AR_LOCAL_MODEL", "--local-model" },
	{ CLI_OPT_MIN_CHARS, "AR_MIN_CHARS", "--min-chars" },
	{ CLI_OPT_MIN_TPS, "AR_MIN_TPS", "--min-tps" },
	{ 0, NULL, NULL }
};

static int
setting_flag(const struct cli *c, struct config *cfg, int opt,
    const char *arg)
{
	const struct cli_setting *s;
	struct ar_err e;

	for (s = c->settings; s != NULL && s->opt != 0; s++) {
		if (s->opt != opt)
			continue;
		if (config_set(cfg, s->var, arg, s->flag, &e) == 0)
			return 0;
		log_error("%s", e.msg);
		return -1;
	}
	return 1;
}

static int
bad_usage(const struct cli *c)
{
	fprintf(stderr, "%s\n", c->usage);
	return AR_EXIT_USAGE;
}

/* Parses the flags into cfg (loaded); returns -1 to go on, or the exit
 * status to return now. */
static int
parse_flags(const struct cli *c, int argc, char **argv, struct config *cfg)
{
	int opt, rc;

	while ((opt = getopt_long(argc, argv, c->shortopts, c->longopts,
	    NULL)) != -1) {
		switch (opt) {
		case 'h':
			printf("%s\n", c->usage);
			return record_close_stdout() ? AR_EXIT_FAIL : AR_EXIT_OK;
		case 'V':
			printf("%s (aurarouter) %s\n", c->prog, PACKAGE_VERSION);
			return record_close_stdout() ? AR_EXIT_FAIL : AR_EXIT_OK;
		case 'q':
			log_set_level(LOG_QUIET);
			continue;
		case 'v':
			log_set_level(LOG_VERBOSE);
			continue;
		case '?':
		case ':':
			return bad_usage(c);
		}
		if ((rc = setting_flag(c, cfg, opt, optarg)) == 0)
			continue;
		if (rc == -1)
			return AR_EXIT_USAGE;
		if (c->own == NULL)
			return bad_usage(c);
		if (c->own(c->ctx, opt, optarg) == -1)
			return AR_EXIT_USAGE;
	}
	if (optind < argc && !c->operands)
		return bad_usage(c);
	return -1;
}

int
cli_parse(const struct cli *c, int argc, char **argv, struct config *cfg)
{
	struct ar_err e;
	int rv;

	log_init(c->prog);
	if (config_load(cfg, &e) == -1) {
		log_error("%s", e.msg);
		return AR_EXIT_USAGE;
	}
	/* A process holding the API key writes no core file and cannot be
	 * read through ptrace or /proc by other processes of the user. */
	if (cfg->api_key != NULL)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if ((rv = parse_flags(c, argc, argv, cfg)) >= 0)
		config_free(cfg);
	return rv;
}

int
cli_emit(void *arg, const struct json *rec)
{
	(void)arg;
	return record_write(stdout, rec);
}

int
cli_run(const char *prog, int jobs, const struct pool_ops *ops)
{
	struct record_reader *rd;
	int rv;

	rd = record_reader_new(stdin, prog);
	rv = pool_run(rd, jobs, ops);
	if (record_reader_error(rd))
		log_error("read error on standard input");
	record_reader_free(rd);
	if (record_close_stdout() == -1)
		rv = AR_EXIT_FAIL;
	return rv;
}

int
cli_run_one(struct json *rec, const struct pool_ops *ops)
{
	void *w = ops->worker_new(ops->arg);
	int rv;

	ops->process(w, rec);
	ops->worker_free(w);
	rv = record_failed(rec) ? AR_EXIT_FAIL : AR_EXIT_OK;
	if (ops->emit(ops->arg, rec) == -1)
		rv = AR_EXIT_FAIL;
	json_free(rec);
	if (record_close_stdout() == -1)
		rv = AR_EXIT_FAIL;
	return rv;
}
