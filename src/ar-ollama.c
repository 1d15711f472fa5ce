/* ar-ollama - stream each record's prompt through a local Ollama model. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "err.h"
#include "gen.h"
#include "http.h"
#include "log.h"
#include "ollama.h"
#include "record.h"

#define STAGE "ar-ollama"

enum { OPT_MIN_TPS = 256, OPT_STATUS };

static const struct option longopts[] = {
	{ "first-token-timeout", required_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ "host", required_argument, NULL, 'H' },
	{ "min-tps", required_argument, NULL, OPT_MIN_TPS },
	{ "model", required_argument, NULL, 'm' },
	{ "num-ctx", required_argument, NULL, 'c' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "timeout", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fputs("usage: ar-ollama [-hqVv] [-c num-ctx] [-H host] [-m model] "
	    "[-T first-token-timeout]\n"
	    "                 [-t timeout] [--min-tps N] [--status]\n", fp);
}

/* The setting each value flag sets, with the checks its variable gets. */
static const struct {
	int opt;
	const char *flag;
	const char *var;
} settings[] = {
	{ 'c', "--num-ctx", "AR_NUM_CTX" },
	{ 'H', "--host", "OLLAMA_HOST" },
	{ 'm', "--model", "AR_LOCAL_MODEL" },
	{ 'T', "--first-token-timeout", "AR_FIRST_TOKEN_TIMEOUT" },
	{ 't', "--timeout", "AR_TIMEOUT" },
	{ OPT_MIN_TPS, "--min-tps", "AR_MIN_TPS" },
};

static int
option(struct config *cfg, int c, const char *arg, struct ar_err *e)
{
	size_t i;

	for (i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (settings[i].opt == c)
			return config_set(cfg, settings[i].var, arg,
			    settings[i].flag, e);
	return err_set(e, AR_E_CONFIG, "unknown option");
}

/* --status: one status record; 0 when reachable and the model is pulled. */
static int
status(struct ollama *o)
{
	struct ollama_status st;
	struct json *rec;
	int rv;

	rv = ollama_status(o, &st) == 0 && st.model_pulled ? AR_EXIT_OK :
	    AR_EXIT_FAIL;
	rec = ollama_status_record(o, &st);
	if (record_write(stdout, rec) == -1)
		rv = AR_EXIT_FAIL;
	json_free(rec);
	return rv;
}

static void
generate(struct ollama *o, struct json *rec)
{
	struct gen_request rq = { 0 };
	struct gen_result res;
	struct ar_err e;
	char *sys, *prompt;
	int rc;

	gen_result_init(&res);
	rc = gen_request_from_record(rec, &sys, &prompt, &e);
	if (rc == 0) {
		rq.system = sys;
		rq.prompt = prompt;
		rc = ollama_generate(o, &rq, &res, &e);
		log_debug("%s: first token %.1f ms, total %.1f ms, "
		    "%.2f tokens/s, %ld tokens", res.model, res.first_token_ms,
		    res.total_ms, res.tokens_per_s, res.output_tokens);
	}
	if (rc == 0)
		gen_result_to_record(&res, "ollama", rec);
	else {
		record_set_error(rec, STAGE, &e);
		log_error("%s: %s", e.code, e.msg);
	}
	gen_result_free(&res);
	free(sys);
	free(prompt);
}

static int
run(struct ollama *o)
{
	struct record_reader *rd = record_reader_new(stdin, STAGE);
	struct json *rec;
	enum record_status st;
	int rv = AR_EXIT_OK;

	while ((st = record_read(rd, &rec)) != RECORD_EOF) {
		if (st == RECORD_OK && !record_has_error(rec))
			generate(o, rec);
		if (record_failed(rec))
			rv = AR_EXIT_FAIL;
		if (record_write(stdout, rec) == -1) {
			json_free(rec);
			rv = AR_EXIT_FAIL;
			break;
		}
		json_free(rec);
	}
	if (record_reader_error(rd)) {
		log_error("read error on standard input");
		rv = AR_EXIT_FAIL;
	}
	record_reader_free(rd);
	return rv;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct ar_err e;
	struct ollama *o;
	int c, want_status = 0, rv;

	log_init(STAGE);
	if (config_load(&cfg, &e) == -1) {
		log_error("%s", e.msg);
		return AR_EXIT_USAGE;
	}
	while ((c = getopt_long(argc, argv, "c:hH:m:qT:t:Vv", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return AR_EXIT_OK;
		case 'V':
			puts(STAGE " (aurarouter) " PACKAGE_VERSION);
			return AR_EXIT_OK;
		case 'q':
			log_set_level(LOG_QUIET);
			break;
		case 'v':
			log_set_level(LOG_VERBOSE);
			break;
		case OPT_STATUS:
			want_status = 1;
			break;
		case 'c': case 'H': case 'm': case 'T': case 't':
		case OPT_MIN_TPS:
			if (option(&cfg, c, optarg, &e) == 0)
				break;
			log_error("%s", e.msg);
			return AR_EXIT_USAGE;
		default:
			usage(stderr);
			return AR_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return AR_EXIT_USAGE;
	}
	if (http_global_init() == -1 || (o = ollama_new(&cfg)) == NULL) {
		log_error("cannot initialise libcurl");
		return AR_EXIT_USAGE;
	}
	rv = want_status ? status(o) : run(o);
	ollama_free(o);
	config_free(&cfg);
	if (record_close_stdout() == -1)
		rv = AR_EXIT_FAIL;
	return rv;
}
