/* ar-prompt - add the strict engineering prompt to code task records. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "prompt.h"
#include "record.h"

static void
usage(FILE *fp)
{
	fputs("usage: ar-prompt [-hqVv]\n"
	    "       ar-prompt [-hqVv] -t TASK [-l LANG] [-c TEXT] "
	    "[-f FILE]... [FILE...]\n", fp);
}

static const struct option longopts[] = {
	{ "context",	required_argument,	NULL, 'c' },
	{ "file",	required_argument,	NULL, 'f' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "language",	required_argument,	NULL, 'l' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "task",	required_argument,	NULL, 't' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 }
};

/* Adds "prompt" and "system" to rec, or an error record; 1 if it failed. */
static int
process(struct json *rec)
{
	struct ar_err e;

	err_clear(&e);
	if (prompt_record(rec, &e) == -1) {
		log_error("%s: %s", e.code, e.msg);
		record_set_error(rec, "ar-prompt", &e);
	}
	return record_failed(rec);
}

/* Writes rec and frees it; returns -1 on a failed write, else failed. */
static int
emit(struct json *rec, int failed)
{
	int rc = record_write(stdout, rec);

	json_free(rec);
	return rc == -1 ? -1 : failed;
}

static int
filter(void)
{
	struct record_reader *rd = record_reader_new(stdin, "ar-prompt");
	struct json *rec;
	enum record_status st;
	int failed, rv = AR_EXIT_OK;

	while ((st = record_read(rd, &rec)) != RECORD_EOF) {
		failed = st == RECORD_OK && !record_has_error(rec) ?
		    process(rec) : 1;
		if ((failed = emit(rec, failed)) != 0)
			rv = AR_EXIT_FAIL;
		if (failed == -1)
			break;
	}
	if (record_reader_error(rd)) {
		log_error("read error on standard input");
		rv = AR_EXIT_FAIL;
	}
	record_reader_free(rd);
	return rv;
}

struct args {
	const char *task, *lang, *ctx;
	struct json *files;	/* array of the -f files and operands */
};

/* Parses the command line into a; returns -1 with *rv set when the
 * program is to exit at once, else 0. */
static int
parse_args(int argc, char **argv, struct args *a, int *rv)
{
	int c;

	*rv = AR_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "c:f:hl:qt:Vv", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c': a->ctx = optarg; break;
		case 'f': json_arr_push(a->files, json_stringz(optarg)); break;
		case 'h': usage(stdout); *rv = AR_EXIT_OK; return -1;
		case 'l': a->lang = optarg; break;
		case 'q': log_set_level(LOG_QUIET); break;
		case 't': a->task = optarg; break;
		case 'V': puts("ar-prompt (aurarouter) " PACKAGE_VERSION);
			*rv = AR_EXIT_OK;
			return -1;
		case 'v': log_set_level(LOG_VERBOSE); break;
		default: usage(stderr); return -1;
		}
	}
	for (; optind < argc; optind++)
		json_arr_push(a->files, json_stringz(argv[optind]));
	if (a->task == NULL && (a->files->n > 0 || a->lang || a->ctx)) {
		log_error("-c, -f, -l and file operands need -t TASK");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* The record made from the arguments; takes a->files. */
static struct json *
args_record(struct args *a)
{
	struct json *rec = json_object();

	json_obj_set(rec, "task", json_stringz(a->task));
	if (a->lang != NULL)
		json_obj_set(rec, "language", json_stringz(a->lang));
	if (a->ctx != NULL)
		json_obj_set(rec, "file_context", json_stringz(a->ctx));
	if (a->files->n > 0)
		json_obj_set(rec, "files", a->files);
	else
		json_free(a->files);
	a->files = NULL;
	return rec;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct ar_err e;
	struct args a = { NULL, NULL, NULL, NULL };
	struct json *rec;
	int rv;

	log_init("ar-prompt");
	a.files = json_array();
	if (parse_args(argc, argv, &a, &rv) == -1) {
		json_free(a.files);
		return rv;
	}
	if (config_load(&cfg, &e) == -1) {
		log_error("%s", e.msg);
		json_free(a.files);
		return AR_EXIT_USAGE;
	}
	if (a.task == NULL) {
		json_free(a.files);
		rv = filter();
	} else {
		rec = args_record(&a);
		rv = emit(rec, process(rec)) ? AR_EXIT_FAIL : AR_EXIT_OK;
	}
	config_free(&cfg);
	if (record_close_stdout() == -1)
		rv = AR_EXIT_FAIL;
	return rv;
}
