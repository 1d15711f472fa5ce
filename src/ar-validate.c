/* ar-validate - extract and check the code in model answers. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "record.h"
#include "validate.h"

enum { OPT_MIN_CHARS = 256, OPT_NO_SYNTAX };

static void
usage(FILE *fp)
{
	fputs("usage: ar-validate [-hqVv] [--min-chars N] [--no-syntax-check]\n",
	    fp);
}

static const struct option longopts[] = {
	{ "help",		no_argument,		NULL, 'h' },
	{ "min-chars",		required_argument,	NULL, OPT_MIN_CHARS },
	{ "no-syntax-check",	no_argument,		NULL, OPT_NO_SYNTAX },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

/* Adds code, valid and reasons to rec; returns -1 with e set on a bad field. */
static int
process(struct json *rec, const struct validate_opts *opts, struct ar_err *e)
{
	struct validate_result res;
	struct buf why = BUF_INIT;
	const char *output, *lang, *finish;
	size_t len, i;

	if (record_opt_str(rec, "output", &output, e) == -1 ||
	    record_opt_str(rec, "language", &lang, e) == -1 ||
	    record_opt_str(rec, "finish", &finish, e) == -1)
		return -1;
	if (output == NULL)
		return err_set(e, AR_E_BAD_FIELD, "field \"output\" is missing");
	json_obj_str(rec, "output", &len);
	validate_output(output, len, lang, finish, opts, &res);
	for (i = 0; i < res.n_reasons; i++)
		buf_printf(&why, "%s%s", i ? "; " : "", res.reasons[i]);
	if (why.len > 0)
		log_info("invalid: %s", buf_str(&why));
	buf_free(&why);
	validate_to_record(&res, rec);
	validate_result_free(&res);
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct ar_err e;
	struct validate_opts opts;
	struct record_reader *rd;
	struct json *rec;
	enum record_status st;
	const char *min_chars = NULL;
	int c, rv = AR_EXIT_OK;

	log_init("ar-validate");
	opts.syntax_check = 1;
	while ((c = getopt_long(argc, argv, "hqVv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return AR_EXIT_OK;
		case 'q': log_set_level(LOG_QUIET); break;
		case 'V': puts("ar-validate (aurarouter) " PACKAGE_VERSION);
			return AR_EXIT_OK;
		case 'v': log_set_level(LOG_VERBOSE); break;
		case OPT_MIN_CHARS: min_chars = optarg; break;
		case OPT_NO_SYNTAX: opts.syntax_check = 0; break;
		default: usage(stderr); return AR_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return AR_EXIT_USAGE;
	}
	if (config_load(&cfg, &e) == -1) {
		log_error("%s", e.msg);
		return AR_EXIT_USAGE;
	}
	opts.min_chars = cfg.min_chars;
	if (min_chars != NULL && config_parse_long(min_chars, 0, 1L << 30,
	    "--min-chars", &opts.min_chars, &e) == -1) {
		log_error("%s", e.msg);
		config_free(&cfg);
		return AR_EXIT_USAGE;
	}
	rd = record_reader_new(stdin, "ar-validate");
	while ((st = record_read(rd, &rec)) != RECORD_EOF) {
		err_clear(&e);
		if (st == RECORD_OK && !record_has_error(rec) &&
		    process(rec, &opts, &e) == -1) {
			log_error("%s: %s", e.code, e.msg);
			record_set_error(rec, "ar-validate", &e);
		}
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
	config_free(&cfg);
	if (record_close_stdout() == -1)
		rv = AR_EXIT_FAIL;
	return rv;
}
