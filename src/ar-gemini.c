/* ar-gemini - stream each record's prompt through Google Gemini. */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "stage.h"

#define STAGE "ar-gemini"

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "model", required_argument, NULL, 'm' },
	{ "timeout", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

static const struct cli_setting settings[] = {
	{ 'm', "AR_CLOUD_MODEL", "--model" },
	{ 't', "AR_TIMEOUT", "--timeout" },
	{ 0, NULL, NULL }
};

int
main(int argc, char **argv)
{
	struct config cfg;
	int rv;
	static const char *const uses[] = {
		"GOOGLE_API_KEY", "GEMINI_API_KEY", "AR_CLOUD_MODEL",
		"GOOGLE_GEMINI_BASE_URL", "AR_CLOUD_THINKING", "AR_TIMEOUT", NULL
	};
	const struct cli cli = {
		STAGE, "usage: ar-gemini [-hqVv] [-m model] [-t timeout]",
		"hm:qt:Vv", longopts, settings, NULL, NULL, 0, uses,
		"  -m, --model MODEL        the Gemini model (AR_CLOUD_MODEL)\n"
		"  -t, --timeout SECONDS    for one whole answer, retries included "
		"(AR_TIMEOUT)\n"
		CLI_HELP_COMMON
		"Environment: GOOGLE_API_KEY GEMINI_API_KEY AR_CLOUD_MODEL\n"
		"  GOOGLE_GEMINI_BASE_URL AR_CLOUD_THINKING AR_TIMEOUT (also from .env files)\n"
	};

	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	rv = stage_run("gemini", &cfg, 0);
	config_free(&cfg);
	return rv;
}
