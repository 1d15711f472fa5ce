/* ar-ollama - stream each record's prompt through a local Ollama model. */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "gen.h"
#include "log.h"
#include "ollama.h"
#include "record.h"

#define STAGE "ar-ollama"

enum { OPT_STATUS = CLI_OPT_OWN };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "first-token-timeout", required_argument, NULL, 'T' },
	{ "host", required_argument, NULL, 'H' },
	{ "min-tps", required_argument, NULL, CLI_OPT_MIN_TPS },
	{ "model", required_argument, NULL, 'm' },
	{ "num-ctx", required_argument, NULL, 'c' },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "timeout", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

/* The routing flags ar-ollama has, and -m for the model (ar-route's
 * --local-model): a table of its own. */
static const struct cli_setting settings[] = {
	{ 'c', "AR_NUM_CTX", "--num-ctx" },
	{ 'H', "OLLAMA_HOST", "--host" },
	{ 'm', "AR_LOCAL_MODEL", "--model" },
	{ 'T', "AR_FIRST_TOKEN_TIMEOUT", "--first-token-timeout" },
	{ 't', "AR_TIMEOUT", "--timeout" },
	{ CLI_OPT_MIN_TPS, "AR_MIN_TPS", "--min-tps" },
	{ 0, NULL, NULL }
};

static int
own_flag(void *ctx, int opt, const char *arg)
{
	(void)arg;
	if (opt != OPT_STATUS)
		return -1;
	*(int *)ctx = 1;
	return 0;
}

static int
generate(void *o, const struct gen_request *rq, struct gen_result *res,
    struct ar_err *e)
{
	return ollama_generate(o, rq, res, e);
}

static void *
worker_new(void *cfg)
{
	return ollama_new(cfg);
}

static void
worker_free(void *o)
{
	ollama_free(o);
}

static void
process(void *o, struct json *rec)
{
	gen_record(rec, STAGE, "ollama", generate, o);
}

/* --status: one status record; 0 when reachable and the model is pulled. */
static int
status(const struct config *cfg)
{
	struct ollama_status st;
	struct ollama *o;
	struct json *rec;
	int rv;

	o = ollama_new(cfg);
	rv = ollama_status(o, &st) == 0 && st.model_pulled ? AR_EXIT_OK :
	    AR_EXIT_FAIL;
	rec = ollama_status_record(o, &st);
	/* Closed in any case: the close reports a failed write. */
	if (record_write(stdout, rec) == -1)
		rv = AR_EXIT_FAIL;
	if (record_close_stdout() == -1)
		rv = AR_EXIT_FAIL;
	json_free(rec);
	ollama_free(o);
	return rv;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	int want_status = 0, rv;
	static const char *const uses[] = {
		"OLLAMA_HOST", "AR_LOCAL_MODEL", "AR_NUM_CTX", "AR_MAX_CTX",
		"AR_LOCAL_THINK", "AR_FIRST_TOKEN_TIMEOUT", "AR_TIMEOUT",
		"AR_MIN_TPS", NULL
	};
	const struct cli cli = {
		STAGE,
		"usage: ar-ollama [-hqVv] [-c num-ctx] [-H host] [-m model] "
		"[-T first-token-timeout]\n"
		"                 [-t timeout] [--min-tps N] [--status]",
		"c:hH:m:qT:t:Vv", longopts, settings, own_flag, &want_status, 0,
		uses,
		"  -H, --host HOST          the Ollama server (OLLAMA_HOST)\n"
		"  -m, --model MODEL        the model (AR_LOCAL_MODEL)\n"
		"  -c, --num-ctx N          options.num_ctx (AR_NUM_CTX)\n"
		CLI_HELP_STAGE_CLOCK
		CLI_HELP_COMMON
		"Environment: OLLAMA_HOST AR_LOCAL_MODEL AR_NUM_CTX AR_MAX_CTX AR_LOCAL_THINK\n"
		"  AR_FIRST_TOKEN_TIMEOUT AR_TIMEOUT AR_MIN_TPS (also from .env files)\n"
	};
	struct pool_ops ops = {
		.worker_new = worker_new, .worker_free = worker_free,
		.process = process, .emit = cli_emit, .arg = &cfg
	};

	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	rv = want_status ? status(&cfg) : cli_run(STAGE, 1, &ops);
	config_free(&cfg);
	return rv;
}
