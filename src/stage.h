/*
 * stage.h - what a stage filter (ar-ollama, ar-openai, ar-gemini) does
 * once its options are parsed: one backend of backend.h over the record
 * stream, or that backend's --status record.
 */
#ifndef AR_STAGE_H
#define AR_STAGE_H

#include "backend.h"
#include "cli.h"
#include "config.h"

/* The getopt value of --status; a stage's other own options follow. */
#define STAGE_OPT_STATUS	CLI_OPT_OWN

/* The options of the local stages' clock and --status (their --help is
 * CLI_HELP_STAGE_CLOCK), and the settings the clock's flags set. */
#define STAGE_CLOCK_LONGOPTS \
	{ "first-token-timeout", required_argument, NULL, 'T' }, \
	{ "min-tps", required_argument, NULL, CLI_OPT_MIN_TPS }, \
	{ "status", no_argument, NULL, STAGE_OPT_STATUS }, \
	{ "timeout", required_argument, NULL, 't' }
#define STAGE_CLOCK_SETTINGS \
	{ 'T', "AR_FIRST_TOKEN_TIMEOUT", "--first-token-timeout" }, \
	{ 't', "AR_TIMEOUT", "--timeout" }, \
	{ CLI_OPT_MIN_TPS, "AR_MIN_TPS", "--min-tps" }

/* struct cli.own of a stage with --status: sets *(int *)ctx. Returns 0,
 * or -1 for any other option. */
int stage_flag(void *ctx, int opt, const char *arg);

/*
 * Runs the backend named backend (backend.h) on the endpoint and model
 * cfg names for it
 * (backend_default_url(), backend_default_model()); cfg is borrowed.
 * With want_status, writes the one status record and returns 0 when the
 * endpoint can serve, else 1. Otherwise streams each record of stdin
 * through its generate to stdout and returns the exit
 * status of cli_run().
 */
int stage_run(const char *backend, const struct config *cfg,
    int want_status);

#endif
