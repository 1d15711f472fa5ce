/* ar-prompt - add the strict engineering prompt to code task records. */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "prompt.h"
#include "record.h"

#define STAGE "ar-prompt"

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "context", required_argument, NULL, 'c' },
	{ "file", required_argument, NULL, 'f' },
	{ "language", required_argument, NULL, 'l' },
	{ "task", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

/* The record given by -t, -l, -c and -f (files: an array of paths). */
struct args {
	const char *task, *lang, *ctx;
	struct json *files;
};

static int
own_flag(void *arg, int opt, const char *val)
{
	struct args *a = arg;

	switch (opt) {
	case 'c':
		a->ctx = val;
		return 0;
	case 'f':
		json_arr_push(a->files, json_stringz(val));
		return 0;
	case 'l':
		a->lang = val;
		return 0;
	case 't':
		a->task = val;
		return 0;
	}
	return -1;
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

static void *
worker_new(void *arg)
{
	return arg;
}

static void
worker_free(void *arg)
{
	(void)arg;
}

static void
process(void *arg, struct json *rec)
{
	struct ar_err e;

	(void)arg;
	if (prompt_record(rec, &e) == -1) {
		log_error("%s: %s", e.code, e.msg);
		record_set_error(rec, STAGE, &e);
	}
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct args a = { NULL, NULL, NULL, json_array() };
	const struct cli cli = {
		STAGE,
		"usage: ar-prompt [-hqVv]\n"
		"       ar-prompt [-hqVv] -t task [-l language] [-c context] "
		"[-f file]... [file...]",
		"c:f:hl:qt:Vv", longopts, NULL, own_flag, &a, 1, NULL,
		"  -t, --task TASK          build one record from arguments (no stdin)\n"
		"  -l, --language LANG      with -t: the language of the code\n"
		"  -c, --context TEXT       with -t: code the task refers to\n"
		"  -f, --file FILE          with -t: a file read as context (repeatable;\n"
		"                           operands count as -f)\n"
		CLI_HELP_COMMON
		"Environment: none\n"
	};
	struct pool_ops ops = {
		.worker_new = worker_new, .worker_free = worker_free,
		.process = process, .emit = cli_emit, .arg = NULL
	};
	int rv;

	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0) {
		json_free(a.files);
		return rv;
	}
	for (; optind < argc; optind++)
		json_arr_push(a.files, json_stringz(argv[optind]));
	if (a.task == NULL && (a.files->n > 0 || a.lang || a.ctx)) {
		log_error("-c, -f, -l and file operands need -t TASK");
		fprintf(stderr, "%s\n", cli.usage);
		rv = AR_EXIT_USAGE;
	} else if (a.task != NULL)
		rv = cli_run_one(args_record(&a), &ops);
	else
		rv = cli_run(STAGE, 1, &ops);
	json_free(a.files);
	config_free(&cfg);
	return rv;
}
