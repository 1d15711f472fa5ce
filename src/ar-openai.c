/* ar-openai - stream each record's prompt through an OpenAI-compatible
 * Chat Completions server (vLLM, llama-server, LM Studio, LiteLLM...). */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "stage.h"

#define STAGE "ar-openai"

enum { OPT_BASE_URL = STAGE_OPT_STATUS + 1 };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	STAGE_CLOCK_LONGOPTS,
	{ "base-url", required_argument, NULL, OPT_BASE_URL },
	{ "model", required_argument, NULL, 'm' },
	{ NULL, 0, NULL, 0 }
};

static const struct cli_setting settings[] = {
	{ OPT_BASE_URL, "OPENAI_BASE_URL", "--base-url" },
	{ 'm', "AR_LOCAL_MODEL", "--model" },
	STAGE_CLOCK_SETTINGS,
	{ 0, NULL, NULL }
};

int
main(int argc, char **argv)
{
	struct config cfg;
	int want_status = 0, rv;
	static const char *const uses[] = {
		"OPENAI_BASE_URL", "OPENAI_API_KEY", "AR_LOCAL_MODEL",
		"AR_LOCAL_THINK", "AR_MAX_CTX", "AR_FIRST_TOKEN_TIMEOUT",
		"AR_TIMEOUT", "AR_MIN_TPS", NULL
	};
	const struct cli cli = {
		STAGE,
		"usage: ar-openai [-hqVv] [--base-url URL] [-m model] "
		"[-T first-token-timeout]\n"
		"                 [-t timeout] [--min-tps N] [--status]",
		"hm:qT:t:Vv", longopts, settings, stage_flag, &want_status, 0,
		uses,
		"      --base-url URL       the server, ending in /v1 (OPENAI_BASE_URL)\n"
		"  -m, --model MODEL        the model (AR_LOCAL_MODEL)\n"
		CLI_HELP_STAGE_CLOCK
		CLI_HELP_COMMON
		"Environment: OPENAI_BASE_URL OPENAI_API_KEY AR_LOCAL_MODEL AR_LOCAL_THINK\n"
		"  AR_MAX_CTX\n"
		"  AR_FIRST_TOKEN_TIMEOUT AR_TIMEOUT AR_MIN_TPS (also from .env files)\n"
	};

	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	if (cfg.openai_url == NULL) {
		log_error("OPENAI_BASE_URL is not set (or give --base-url), "
		    "e.g. http://127.0.0.1:8000/v1");
		config_free(&cfg);
		return AR_EXIT_USAGE;
	}
	rv = stage_run("openai", &cfg, want_status);
	config_free(&cfg);
	return rv;
}
