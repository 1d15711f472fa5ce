/* ar-mcp - the MCP server on stdio: tool intelligent_code_gen. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "mcp.h"

#define STAGE "ar-mcp"

enum {
	OPT_CLOUD_MODEL = 256, OPT_LOCAL_MODEL, OPT_MIN_CHARS, OPT_MIN_TPS
};

static const struct option longopts[] = {
	{ "cloud-model", required_argument, NULL, OPT_CLOUD_MODEL },
	{ "first-token-timeout", required_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ "host", required_argument, NULL, 'H' },
	{ "local-model", required_argument, NULL, OPT_LOCAL_MODEL },
	{ "min-chars", required_argument, NULL, OPT_MIN_CHARS },
	{ "min-tps", required_argument, NULL, OPT_MIN_TPS },
	{ "num-ctx", required_argument, NULL, 'c' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "timeout", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static const struct cli_setting settings[] = {
	{ 'c', "AR_NUM_CTX", "--num-ctx" },
	{ 'H', "OLLAMA_HOST", "--host" },
	{ 'T', "AR_FIRST_TOKEN_TIMEOUT", "--first-token-timeout" },
	{ 't', "AR_TIMEOUT", "--timeout" },
	{ OPT_CLOUD_MODEL, "AR_CLOUD_MODEL", "--cloud-model" },
	{ OPT_LOCAL_MODEL, "AR_LOCAL_MODEL", "--local-model" },
	{ OPT_MIN_CHARS, "AR_MIN_CHARS", "--min-chars" },
	{ OPT_MIN_TPS, "AR_MIN_TPS", "--min-tps" },
	{ 0, NULL, NULL }
};

/* SIGTERM and SIGINT write here; the server stops when it is readable. */
static int stop_pipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	/* A full pipe means a stop is pending anyway. */
	(void)!write(stop_pipe[1], &c, 1);
	errno = saved;
}

/* Turns SIGTERM and SIGINT into a readable stop pipe; ignores SIGPIPE so
 * a client that went away is a write error. Returns 0 or -1. */
static int
signals_init(void)
{
	struct sigaction sa;

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct ar_err e;
	struct mcp_opts mo = { &cfg, { 0, 0, { 0, 1 } }, 0 };
	const struct cli cli = {
		STAGE,
		"usage: ar-mcp [-hqVv] [--local-model model] "
		"[--cloud-model model] [-H host]\n"
		"              [-c num-ctx] [-T first-token-timeout] "
		"[-t timeout] [--min-tps N]\n"
		"              [--min-chars N]",
		"c:hH:qT:t:Vv", longopts, settings, NULL, NULL, 0
	};
	int rv;

	log_set_level(LOG_QUIET);	/* clients may not drain stderr */
	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	mo.route.vopts.min_chars = cfg.min_chars;
	rv = AR_EXIT_OK;
	if (http_global_init() == -1) {
		log_error("cannot initialise libcurl");
		rv = AR_EXIT_USAGE;
	} else if (signals_init() == -1) {
		log_error("cannot set up signals: %s", strerror(errno));
		rv = AR_EXIT_USAGE;
	} else if (mcp_serve(STDIN_FILENO, stop_pipe[0], stdout, &mo,
	    &e) == -1) {
		log_error("%s", e.msg);
		rv = AR_EXIT_FAIL;
	}
	config_free(&cfg);
	return rv;
}
