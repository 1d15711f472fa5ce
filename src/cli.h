/*
 * cli.h - what every program's main file shares: the common flags, the
 * flags that set a setting, and running the record loop.
 */
#ifndef AR_CLI_H
#define AR_CLI_H
#include <getopt.h>
#include <stdio.h>

#include "config.h"
#include "pool.h"

/* A flag that sets a setting, checked as its variable is (config_set). */
struct cli_setting {
	int opt;		/* getopt value */
	const char *var;	/* "AR_TIMEOUT" */
	const char *flag;	/* "--timeout", for messages */
};

/* The long options every program has. */
#define CLI_COMMON_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "version", no_argument, NULL, 'V' }

/*
 * The routing settings' flags, shared by ar-route and ar-mcp: the long
 * options (CLI_ROUTE_LONGOPTS), the short ones (CLI_ROUTE_SHORTOPTS) and
 * the settings they set (cli_route_settings). A program's own long-only
 * options take values from CLI_OPT_OWN on.
 */
enum {
	CLI_OPT_CLOUD_MODEL = 256, CLI_OPT_LOCAL_MODEL, CLI_OPT_MIN_CHARS,
	CLI_OPT_MIN_TPS, CLI_OPT_CHECK, CLI_OPT_TIERS, CLI_OPT_OWN
};
#define CLI_ROUTE_SHORTOPTS "c:H:T:t:"
#define CLI_ROUTE_LONGOPTS \
	{ "check", required_argument, NULL, CLI_OPT_CHECK }, \
	{ "cloud-model", required_argument, NULL, CLI_OPT_CLOUD_MODEL }, \
	{ "first-token-timeout", required_argument, NULL, 'T' }, \
	{ "host", required_argument, NULL, 'H' }, \
	{ "local-model", required_argument, NULL, CLI_OPT_LOCAL_MODEL }, \
	{ "min-chars", required_argument, NULL, CLI_OPT_MIN_CHARS }, \
	{ "min-tps", required_argument, NULL, CLI_OPT_MIN_TPS }, \
	{ "num-ctx", required_argument, NULL, 'c' }, \
	{ "tiers", required_argument, NULL, CLI_OPT_TIERS }, \
	{ "timeout", required_argument, NULL, 't' }
extern const struct cli_setting cli_route_settings[];
/* The settings ar-route and ar-mcp load (config_load_for): all but
 * ar-stats' prices. */
extern const char *const cli_route_uses[];

struct cli {
	const char *prog;		/* "ar-route" */
	const char *usage;		/* the usage text, "usage: ..." */
	const char *shortopts;		/* must include "hqVv" */
	const struct option *longopts;
	const struct cli_setting *settings; /* ended by opt 0; may be NULL */
	/* The program's own flags: returns 0, or -1 after printing why
	 * (usage error). May be NULL. */
	int (*own)(void *ctx, int opt, const char *arg);
	void *ctx;
	int operands;			/* nonzero: operands allowed (optind kept) */
	/* The settings the program loads (config_load_for), NULL-terminated;
	 * NULL for none. Its --help "Environment:" names the same. */
	const char *const *uses;
	/* -h prints this after the usage: one line per option with its
	 * meaning, then the environment variables read. */
	const char *help;
};

/* The --help lines of the flags every program has. */
#define CLI_HELP_COMMON \
	"  -h, --help               print this help and exit\n" \
	"  -V, --version            print the version and exit\n" \
	"  -v, --verbose            more on stderr (timings, each decision)\n" \
	"  -q, --quiet              nothing on stderr but errors\n"
/* The --help lines of the local stage filters' clock and --status. */
#define CLI_HELP_STAGE_CLOCK \
	"  -T, --first-token-timeout SECONDS\n" \
	"                           until the first token (AR_FIRST_TOKEN_TIMEOUT)\n" \
	"  -t, --timeout SECONDS    for one whole answer (AR_TIMEOUT)\n" \
	"      --min-tps N          tokens/second floor, 0 off (AR_MIN_TPS)\n" \
	"      --status             print the server's status record and exit\n"
/* The --help lines of CLI_ROUTE_LONGOPTS. */
#define CLI_HELP_ROUTE \
	"      --tiers LIST         the chain of engines, BACKEND:MODEL[@URL[,URL...]]\n" \
	"                           separated by spaces (AR_TIERS)\n" \
	"      --local-model MODEL  the model of the default ollama tier (AR_LOCAL_MODEL)\n" \
	"      --cloud-model MODEL  the model of the default gemini tier (AR_CLOUD_MODEL)\n" \
	"  -H, --host HOST          the Ollama server (OLLAMA_HOST)\n" \
	"  -c, --num-ctx N          options.num_ctx sent to Ollama (AR_NUM_CTX)\n" \
	"  -T, --first-token-timeout SECONDS\n" \
	"                           until a local first token (AR_FIRST_TOKEN_TIMEOUT)\n" \
	"  -t, --timeout SECONDS    for one whole backend attempt (AR_TIMEOUT)\n" \
	"      --min-tps N          local tokens/second floor, 0 off (AR_MIN_TPS)\n" \
	"      --min-chars N        shorter code is invalid (AR_MIN_CHARS)\n" \
	"      --check COMMAND      run on each candidate answer, {} is its file (AR_CHECK)\n"
/* The variables ar-route and ar-mcp read. */
#define CLI_HELP_ROUTE_ENV \
	"Environment: AR_TIERS OLLAMA_HOST AR_LOCAL_MODEL AR_NUM_CTX AR_MAX_CTX\n" \
	"  AR_LOCAL_THINK OPENAI_BASE_URL OPENAI_API_KEY GOOGLE_API_KEY GEMINI_API_KEY\n" \
	"  AR_CLOUD_MODEL GOOGLE_GEMINI_BASE_URL AR_CLOUD_THINKING AR_FIRST_TOKEN_TIMEOUT\n" \
	"  AR_TIMEOUT AR_MIN_TPS AR_MIN_CHARS AR_REPAIRS AR_CHECK AR_CHECK_TIMEOUT\n" \
	"  AR_CHECK_MEM_MB AR_NO_CACHE AR_CACHE_MAX_MB AR_LEDGER AR_COOLDOWN XDG_CACHE_HOME XDG_STATE_HOME\n" \
	"  (also from ./.env and ~/.config/aurarouter/env; see aurarouter(7))\n"

/*
 * Loads the settings into cfg, then parses argv: -h prints the usage on
 * stdout, -V the version, -v and -q set the log level, a setting flag
 * overrides its variable, others go to c->own. Returns -1 when the program
 * should go on (cfg loaded, optind at the first operand; the caller frees
 * cfg), or the exit status to return now, cfg already freed: 0 after -h or
 * -V, AR_EXIT_USAGE after an error (usage or bad value, already printed).
 */
int cli_parse(const struct cli *c, int argc, char **argv, struct config *cfg);

/*
 * Runs the record loop of stdin to stdout on `jobs` workers (pool_run),
 * then closes stdout. Returns the exit status.
 */
int cli_run(const char *prog, int jobs, const struct pool_ops *ops);

/* Runs ops on the one record rec (taken) instead of stdin, as
 * "ar-prompt -t TASK" does; then closes stdout. Returns the exit status. */
int cli_run_one(struct json *rec, const struct pool_ops *ops);

/* Parses the chain of tiers of cfg into ts (tier.h) for prog; returns 0,
 * or AR_EXIT_USAGE after printing why. */
struct tiers;
int cli_tiers(const struct config *cfg, struct tiers *ts);

/* Closes o (record_out_close) and prints its write error, if any, but
 * for EPIPE (the reader went away): returns 0, or -1 on a failure. */
int cli_close(struct record_out *o);

/* Closes stdout, written without a struct record_out (help text, a
 * report), as cli_close() does. Call once at the end of main. */
int cli_close_stdout(void);

/* Prints the settings' warnings (config_warnings), one log line each. */
void cli_warnings(void);

/* Writes rec on out (the usual pool_ops.emit). */
int cli_emit(void *arg, struct record_out *out, const struct json *rec);

#endif
