/* ar-gemini - stream each record's prompt through Google Gemini. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "err.h"
#include "gemini.h"
#include "gen.h"
#include "http.h"
#include "log.h"
#include "record.h"

#define STAGE "ar-gemini"

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "model", required_argument, NULL, 'm' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "timeout", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp)
{
	fputs("usage: ar-gemini [-hqVv] [-m model] [-t timeout]\n", fp);
}

static void
generate(struct gemini *g, struct json *rec)
{
	struct gen_request rq = { 0 };
	struct gen_result res;
	struct ar_err e;
	char *sys = NULL, *prompt = NULL;
	int rc;

	gen_result_init(&res);
	rc = gen_request_from_record(rec, &sys, &prompt, &e);
	if (rc == 0) {
		rq.system = sys;
		rq.prompt = prompt;
		rc = gemini_generate(g, &rq, &res, &e);
	}
	if (rc == 0) {
		log_debug("%s: first token %.1f ms, total %.1f ms, "
		    "%.2f tokens/s, %ld tokens", res.model, res.first_token_ms,
		    res.total_ms, res.tokens_per_s, res.output_tokens);
		gen_result_to_record(&res, "gemini", rec);
	} else {
		record_set_error(rec, STAGE, &e);
		log_error("%s: %s", e.code, e.msg);
	}
	gen_result_free(&res);
	free(sys);
	free(prompt);
}

static int
run(struct gemini *g)
{
	struct record_reader *rd = record_reader_new(stdin, STAGE);
	struct json *rec;
	enum record_status st;
	int rv = AR_EXIT_OK;

	while ((st = record_read(rd, &rec)) != RECORD_EOF) {
		if (st == RECORD_OK && !record_has_error(rec))
			generate(g, rec);
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
	struct gemini *g;
	int c, rv;

	log_init(STAGE);
	if (config_load(&cfg, &e) == -1) {
		log_error("%s", e.msg);
		return AR_EXIT_USAGE;
	}
	while ((c = getopt_long(argc, argv, "hm:qt:Vv", longopts, NULL)) !=
	    -1) {
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
		case 'm':
			if (*optarg == '\0') {
				log_error("--model needs a model name");
				return AR_EXIT_USAGE;
			}
			config_set_str(&cfg.cloud_model, optarg);
			break;
		case 't':
			if (config_parse_double(optarg, 0.001, 86400,
			    "--timeout", &cfg.timeout, &e) == 0)
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
	if (http_global_init() == -1 || (g = gemini_new(&cfg)) == NULL) {
		log_error("cannot initialise libcurl");
		return AR_EXIT_USAGE;
	}
	rv = run(g);
	gemini_free(g);
	config_free(&cfg);
	if (record_close_stdout() == -1)
		rv = AR_EXIT_FAIL;
	return rv;
}
