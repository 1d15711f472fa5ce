/*
 * cli.c - option parsing and the record loop shared by every program.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "log.h"
#include "record.h"
#include "syntax.h"
#include "tier.h"
#include "xalloc.h"

const struct cli_setting cli_route_settings[] = {
	{ 'c', "AR_NUM_CTX", "--num-ctx" },
	{ 'H', "OLLAMA_HOST", "--host" },
	{ 'T', "AR_FIRST_TOKEN_TIMEOUT", "--first-token-timeout" },
	{ 't', "AR_TIMEOUT", "--timeout" },
	{ CLI_OPT_CHECK, "AR_CHECK", "--check" },
	{ CLI_OPT_CLOUD_MODEL, "AR_CLOUD_MODEL", "--cloud-model" },
	{ CLI_OPT_LOCAL_MODEL, "AR_LOCAL_MODEL", "--local-model" },
	{ CLI_OPT_MIN_CHARS, "AR_MIN_CHARS", "--min-chars" },
	{ CLI_OPT_MIN_TPS, "AR_MIN_TPS", "--min-tps" },
	{ CLI_OPT_TIERS, "AR_TIERS", "--tiers" },
	{ 0, NULL, NULL }
};

const char *const cli_route_uses[] = {
	"AR_CACHE_MAX_MB", "AR_CHECK", "AR_CHECK_MEM_MB", "AR_CHECK_TIMEOUT",
	"AR_CLOUD_MODEL",
	"AR_CLOUD_THINKING", "AR_COOLDOWN", "AR_FIRST_TOKEN_TIMEOUT",
	"AR_LEDGER", "AR_LOCAL_MODEL", "AR_LOCAL_THINK", "AR_MAX_CTX",
	"AR_MIN_CHARS", "AR_MIN_TPS", "AR_NO_CACHE", "AR_NUM_CTX", "AR_REPAIRS",
	"AR_TIERS", "AR_TIMEOUT", "GEMINI_API_KEY", "GOOGLE_API_KEY",
	"GOOGLE_GEMINI_BASE_URL", "OLLAMA_HOST", "OPENAI_API_KEY",
	"OPENAI_BASE_URL", NULL
};

static const struct cli_setting *
find_setting(const struct cli *c, int opt)
{
	const struct cli_setting *s;

	for (s = c->settings; s != NULL && s->opt != 0; s++)
		if (s->opt == opt)
			return s;
	return NULL;
}

static int
bad_usage(const struct cli *c)
{
	fprintf(stderr, "%s\n", c->usage);
	return AR_EXIT_USAGE;
}

/* A setting flag seen on the command line, applied once cfg is loaded. */
struct given {
	const struct cli_setting *s;
	const char *arg;
};

/* Parses the flags; setting flags are collected into g (*ng of them).
 * Returns -1 to go on, or the exit status to return now. */
static int
parse_flags(const struct cli *c, int argc, char **argv, struct given *g,
    size_t *ng)
{
	const struct cli_setting *s;
	int opt;

	while ((opt = getopt_long(argc, argv, c->shortopts, c->longopts,
	    NULL)) != -1) {
		switch (opt) {
		case 'h':
			printf("%s\n", c->usage);
			if (c->help != NULL)
				printf("\n%s", c->help);
			return cli_close_stdout() ? AR_EXIT_FAIL : AR_EXIT_OK;
		case 'V':
			printf("%s (aurarouter) %s\n", c->prog, PACKAGE_VERSION);
			return cli_close_stdout() ? AR_EXIT_FAIL : AR_EXIT_OK;
		case 'q':
			log_set_level(LOG_QUIET);
			continue;
		case 'v':
			log_set_level(LOG_VERBOSE);
			continue;
		case '?':
		case ':':
			return bad_usage(c);
		}
		if ((s = find_setting(c, opt)) != NULL) {
			g[*ng].s = s;
			g[(*ng)++].arg = optarg;
		} else if (c->own == NULL)
			return bad_usage(c);
		else if (c->own(c->ctx, opt, optarg) == -1)
			return AR_EXIT_USAGE;
	}
	if (optind < argc && !c->operands) {
		log_error("unexpected operand '%.200s': records are read from "
		    "standard input", argv[optind]);
		return bad_usage(c);
	}
	return -1;
}

void
cli_warnings(void)
{
	const char *w = config_warnings(), *nl;

	for (; w != NULL && *w != '\0'; w = nl != NULL ? nl + 1 : "") {
		nl = strchr(w, '\n');
		log_error("%.*s", (int)(nl != NULL ? nl - w : (long)strlen(w)),
		    w);
	}
}

/* Loads cfg, leaving out the variables a flag sets (a bad value there
 * does not matter), then applies the flags. Returns 0 or -1 (printed). */
static int
load(struct config *cfg, const char *const *uses, const struct given *g,
    size_t ng)
{
	static const char *const none[] = { NULL };
	const char **skip = xcalloc(ng + 1, sizeof *skip);
	struct ar_err e;
	size_t i;
	int rc;

	for (i = 0; i < ng; i++)
		skip[i] = g[i].s->var;
	rc = config_load_for(cfg, skip, uses != NULL ? uses : none, &e);
	for (i = 0; rc == 0 && i < ng; i++)
		if ((rc = config_set(cfg, g[i].s->var, g[i].arg, g[i].s->flag,
		    &e)) == -1)
			config_free(cfg);
	free(skip);
	cli_warnings();
	if (rc == -1)
		log_error("%s", e.msg);
	return rc;
}

/* Opens /dev/null on any of fds 0-2 that is closed, so that no file or
 * socket opened later (curl's socketpair, the signal pipe) becomes
 * standard input or output by accident. Returns 0, or -1 if that failed. */
static int
std_fds_open(void)
{
	int fd, got;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if ((got = open("/dev/null", O_RDWR)) != fd) {
			if (got != -1)
				close(got);
			return -1;
		}
	}
	return 0;
}

/* SIGINT, SIGTERM, SIGHUP: the syntax checkers' process groups go too,
 * then the signal does what it did. */
static void
on_fatal_signal(int sig)
{
	syntax_kill_all();
	raise(sig);		/* SA_RESETHAND: the default action now */
}

static void
kill_checkers_on_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)	/* nohup, a background job */
			sigaction(sigs[i], &sa, NULL);
}

int
cli_parse(const struct cli *c, int argc, char **argv, struct config *cfg)
{
	struct given *g;
	size_t ng = 0;
	int rv;

	log_init(c->prog);
	memset(cfg, 0, sizeof *cfg);
	if (std_fds_open() == -1) {
		log_error("cannot open /dev/null on a closed standard "
		    "descriptor");
		return AR_EXIT_FAIL;
	}
	kill_checkers_on_signals();
	g = xcalloc((size_t)argc + 1, sizeof *g);
	if ((rv = parse_flags(c, argc, argv, g, &ng)) < 0 &&
	    load(cfg, c->uses, g, ng) == -1)
		rv = AR_EXIT_USAGE;
	free(g);
	/* A process holding an API key (in its environment or read from a
	 * file, whether it uses it or not) writes no core file and cannot be
	 * read through ptrace or /proc by other processes of the user. */
	if (rv < 0 && config_holds_key())
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return rv;
}

int
cli_emit(void *arg, struct record_out *out, const struct json *rec)
{
	(void)arg;
	return record_out_write(out, rec);
}

int
cli_close(struct record_out *o)
{
	int err;

	if (record_out_close(o) == 0)
		return 0;
	/* The reader went away (SIGPIPE ignored): nothing to say. */
	if ((err = o->err) != EPIPE)
		log_error("write error on standard output: %s",
		    err ? strerror(err) : "I/O error");
	return -1;
}

int
cli_close_stdout(void)
{
	struct record_out o = RECORD_OUT(stdout);

	return cli_close(&o);
}

int
cli_run(const char *prog, int jobs, const struct pool_ops *ops)
{
	struct record_out out = RECORD_OUT(stdout);
	struct record_reader *rd;
	struct ar_err e;
	int rv;

	rd = record_reader_new(stdin, prog);
	rv = pool_run(rd, jobs, ops, &out, &e);
	if (e.code != NULL)
		log_error("%s", e.msg);
	if (record_reader_error(rd))
		log_error("read error on standard input");
	record_reader_free(rd);
	if (cli_close(&out) == -1)
		rv = AR_EXIT_FAIL;
	return rv;
}

int
cli_run_one(struct json *rec, const struct pool_ops *ops)
{
	struct record_out out = RECORD_OUT(stdout);
	void *w = ops->worker_new(ops->arg);
	int rv;

	ops->process(w, rec);
	ops->worker_free(w);
	rv = record_failed(rec) ? AR_EXIT_FAIL : AR_EXIT_OK;
	if (ops->emit(ops->arg, &out, rec) == -1)
		rv = AR_EXIT_FAIL;
	json_free(rec);
	if (cli_close(&out) == -1)
		rv = AR_EXIT_FAIL;
	return rv;
}

int
cli_tiers(const struct config *cfg, struct tiers *ts)
{
	struct ar_err e;
	const char *v = config_get("AR_TIERS"), *file;

	if (tiers_parse(ts, cfg, &e) == 0)
		return 0;
	/* Name where a bad list came from: the variable (and its file),
	 * or the flag that replaced it. */
	if (cfg->tiers == NULL)
		log_error("%s", e.msg);
	else if (v == NULL || strcmp(v, cfg->tiers) != 0)
		log_error("--tiers: %s", e.msg);
	else if ((file = config_file_of("AR_TIERS")) != NULL)
		log_error("AR_TIERS: %s (from %s)", e.msg, file);
	else
		log_error("AR_TIERS: %s", e.msg);
	return AR_EXIT_USAGE;
}
