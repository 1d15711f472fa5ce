/* ar-openai - stream each record's prompt through an OpenAI-compatible
 * Chat Completions server (vLLM, llama-server, LM Studio, LiteLLM...). */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "gen.h"
#include "log.h"
#include "openai.h"
#include "record.h"

#define STAGE "ar-openai"

enum { OPT_STATUS = CLI_OPT_OWN, OPT_BASE_URL };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "base-url", required_argument, NULL, OPT_BASE_URL },
	{ "first-token-timeout", required_argument, NULL, 'T' },
	{ "min-tps", required_argument, NULL, CLI_OPT_MIN_TPS },
	{ "model", required_argument, NULL, 'm' },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "timeout", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

static const struct cli_setting settings[] = {
	{ OPT_BASE_URL, "OPENAI_BASE_URL", "--base-url" },
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
	return openai_generate(o, rq, res, e);
}

static void *
worker_new(void *arg)
{
	const struct config *cfg = arg;

	return openai_new(cfg, cfg->openai_url, cfg->local_model,
	    cfg->openai_key);
}

static void
worker_free(void *o)
{
	openai_free(o);
}

static void
process(void *o, struct json *rec)
{
	gen_record(rec, STAGE, "openai", generate, o);
}

/* --status: one status record; 0 when reachable, not loading, and the
 * model is listed. */
static int
status(const struct config *cfg)
{
	struct openai_status st;
	struct openai *o = worker_new((void *)cfg);
	struct json *rec;
	int rv;

	rv = openai_status(o, &st) == 0 && st.model_present && !st.loading ?
	    AR_EXIT_OK : AR_EXIT_FAIL;
	rec = openai_status_record(o, &st);
	if (record_write(stdout, rec) == -1 || record_close_stdout() == -1)
		rv = AR_EXIT_FAIL;
	json_free(rec);
	openai_free(o);
	return rv;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	int want_status = 0, rv;
	static const char *const uses[] = {
		"OPENAI_BASE_URL", "OPENAI_API_KEY", "AR_LOCAL_MODEL",
		"AR_FIRST_TOKEN_TIMEOUT", "AR_TIMEOUT", "AR_MIN_TPS", NULL
	};
	const struct cli cli = {
		STAGE,
		"usage: ar-openai [-hqVv] [--base-url URL] [-m model] "
		"[-T first-token-timeout]\n"
		"                 [-t timeout] [--min-tps N] [--status]",
		"hm:qT:t:Vv", longopts, settings, own_flag, &want_status, 0,
		uses,
		"      --base-url URL       the server, ending in /v1 (OPENAI_BASE_URL)\n"
		"  -m, --model MODEL        the model (AR_LOCAL_MODEL)\n"
		CLI_HELP_STAGE_CLOCK
		CLI_HELP_COMMON
		"Environment: OPENAI_BASE_URL OPENAI_API_KEY AR_LOCAL_MODEL\n"
		"  AR_FIRST_TOKEN_TIMEOUT AR_TIMEOUT AR_MIN_TPS (also from .env files)\n"
	};
	struct pool_ops ops = {
		.worker_new = worker_new, .worker_free = worker_free,
		.process = process, .emit = cli_emit, .arg = &cfg
	};

	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	if (cfg.openai_url == NULL) {
		log_error("OPENAI_BASE_URL is not set (or give --base-url), "
		    "e.g. http://127.0.0.1:8000/v1");
		config_free(&cfg);
		return AR_EXIT_USAGE;
	}
	rv = want_status ? status(&cfg) : cli_run(STAGE, 1, &ops);
	config_free(&cfg);
	return rv;
}
