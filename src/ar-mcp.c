/* ar-mcp - the MCP server on stdio: tool intelligent_code_gen. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "mcp.h"

#define STAGE "ar-mcp"

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	CLI_ROUTE_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	struct config cfg;
	struct ar_err e;
	struct mcp_opts mo = { &cfg, { 0, 0, { 0, 1, NULL } }, 0 };
	const struct cli cli = {
		STAGE,
		"usage: ar-mcp [-hqVv] [--local-model model] "
		"[--cloud-model model] [-H host]\n"
		"              [-c num-ctx] [-T first-token-timeout] "
		"[-t timeout] [--min-tps N]\n"
		"              [--min-chars N]",
		CLI_ROUTE_SHORTOPTS "hqVv", longopts, cli_route_settings,
		NULL, NULL, 0
	};
	int rv, stop_fd;

	log_set_level(LOG_QUIET);	/* clients may not drain stderr */
	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	mo.route.vopts.min_chars = cfg.min_chars;
	rv = AR_EXIT_OK;
	if ((stop_fd = mcp_stop_on_signals(&e)) == -1) {
		log_error("%s", e.msg);
		rv = AR_EXIT_USAGE;
	} else if (mcp_serve(STDIN_FILENO, stop_fd, stdout, &mo, &e) == -1) {
		log_error("%s", e.msg);
		rv = AR_EXIT_FAIL;
	}
	config_free(&cfg);
	return rv;
}
