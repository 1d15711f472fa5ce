/* ar-ollama - stream each record's prompt through a local Ollama model. */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "stage.h"

#define STAGE "ar-ollama"

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	STAGE_CLOCK_LONGOPTS,
	{ "host", required_argument, NULL, 'H' },
	{ "model", required_argument, NULL, 'm' },
	{ "num-ctx", required_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 }
};

/* The routing flags ar-ollama has, and -m for the model (ar-route's
 * --local-model): a table of its own. */
static const struct cli_setting settings[] = {
	{ 'c', "AR_NUM_CTX", "--num-ctx" },
	{ 'H', "OLLAMA_HOST", "--host" },
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
		"OLLAMA_HOST", "AR_LOCAL_MODEL", "AR_NUM_CTX", "AR_MAX_CTX",
		"AR_LOCAL_THINK", "AR_FIRST_TOKEN_TIMEOUT", "AR_TIMEOUT",
		"AR_MIN_TPS", NULL
	};
	const struct cli cli = {
		STAGE,
		"usage: ar-ollama [-hqVv] [-c num-ctx] [-H host] [-m model] "
		"[-T first-token-timeout]\n"
		"                 [-t timeout] [--min-tps N] [--status]",
		"c:hH:m:qT:t:Vv", longopts, settings, stage_flag, &want_status, 0,
		uses,
		"  -H, --host HOST          the Ollama server (OLLAMA_HOST)\n"
		"  -m, --model MODEL        the model (AR_LOCAL_MODEL)\n"
		"  -c, --num-ctx N          options.num_ctx (AR_NUM_CTX)\n"
		CLI_HELP_STAGE_CLOCK
		CLI_HELP_COMMON
		"Environment: OLLAMA_HOST AR_LOCAL_MODEL AR_NUM_CTX AR_MAX_CTX AR_LOCAL_THINK\n"
		"  AR_FIRST_TOKEN_TIMEOUT AR_TIMEOUT AR_MIN_TPS (also from .env files)\n"
	};

	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	rv = stage_run("ollama", &cfg, want_status);
	config_free(&cfg);
	return rv;
}
