/* ar-mcp - the MCP server on stdio, or on Streamable HTTP with --http:
 * tool intelligent_code_gen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "tier.h"
#include "mcp.h"
#include "mcp_http.h"

#define STAGE "ar-mcp"

enum { OPT_HTTP = CLI_OPT_OWN, OPT_MAX_CONNS, OPT_SESSION_IDLE };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	CLI_ROUTE_LONGOPTS,
	{ "http", required_argument, NULL, OPT_HTTP },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
	{ "session-idle", required_argument, NULL, OPT_SESSION_IDLE },
	{ NULL, 0, NULL, 0 }
};

/* A count from 1 to 100000 for flag, or -1 after saying why. */
static int
count_arg(const char *flag, const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || n < 1 || n > 100000) {
		log_error("%s %s: not a number from 1 to 100000", flag, arg);
		return -1;
	}
	return (int)n;
}

static int
own_opt(void *ctx, int opt, const char *arg)
{
	struct mcp_http_opts *ho = ctx;

	switch (opt) {
	case OPT_HTTP:
		ho->addr = arg;
		return 0;
	case OPT_MAX_CONNS:
		return (ho->max_conns = count_arg("--max-connections",
		    arg)) == -1 ? -1 : 0;
	case OPT_SESSION_IDLE:
		return (ho->idle_s = count_arg("--session-idle", arg)) == -1 ?
		    -1 : 0;
	}
	return -1;
}

/* With --http, stdout carries the one line clients need: the URL. */
static void
print_url(const char *url)
{
	printf("%s\n", url);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct tiers ts;
	struct ar_err e;
	struct mcp_opts mo = { &cfg, { 0, 0, { 0, 1, NULL }, NULL }, 0 };
	struct mcp_http_opts ho = { NULL, NULL, 0, 0, 0, 0, print_url };
	const struct cli cli = {
		STAGE,
		"usage: ar-mcp [-hqVv] [--http [host:]port [--max-connections N] "
		"[--session-idle seconds]]\n"
		"              [--local-model model] [--cloud-model model]\n"
		"              [-H host] [-c num-ctx] [-T first-token-timeout] "
		"[-t timeout]\n"
		"              [--min-tps N] [--min-chars N] [--check command] "
		"[--tiers list]",
		CLI_ROUTE_SHORTOPTS "hqVv", longopts, cli_route_settings,
		own_opt, &ho, 0, cli_route_uses,
		"      --http [HOST:]PORT   serve Streamable HTTP instead of stdio\n"
		"      --max-connections N  with --http: connections at once\n"
		"      --session-idle SECONDS\n"
		"                           with --http: idle time before a session ends\n"
		CLI_HELP_ROUTE CLI_HELP_COMMON CLI_HELP_ROUTE_ENV
		"  AR_MCP_TOKEN (with --http: the Bearer token clients send)\n"
	};
	int rv, stop_fd;

	log_set_level(LOG_QUIET);	/* clients may not drain stderr */
	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	if (cli_tiers(&cfg, &ts) != 0) {
		config_free(&cfg);
		return AR_EXIT_USAGE;
	}
	mo.route.tiers = &ts;
	mo.route.vopts.min_chars = cfg.min_chars;
	ho.token = getenv("AR_MCP_TOKEN");
	ho.drain_s = (int)cfg.timeout + 5;
	rv = AR_EXIT_OK;
	if ((stop_fd = mcp_stop_on_signals(&e)) == -1) {
		log_error("%s", e.msg);
		rv = AR_EXIT_USAGE;
	} else if (ho.addr != NULL) {
		if (mcp_http_serve(&ho, stop_fd, &mo, &e) == -1) {
			log_error("%s", e.msg);
			rv = strcmp(e.code, AR_E_CONFIG) == 0 ? AR_EXIT_USAGE :
			    AR_EXIT_FAIL;
		}
	} else if (mcp_serve(STDIN_FILENO, stop_fd, stdout, &mo, &e) == -1) {
		log_error("%s", e.msg);
		rv = AR_EXIT_FAIL;
	}
	tiers_free(&ts);
	config_free(&cfg);
	return rv;
}
