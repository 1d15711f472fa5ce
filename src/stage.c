/*
 * stage.c - a stage filter: one backend over the record stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gen.h"
#include "log.h"
#include "record.h"
#include "stage.h"
#include "xalloc.h"

/* The backend of a stage and the endpoint it talks to (borrowed). */
struct stage {
	const struct backend *be;
	const struct config *cfg;
	const char *url, *model;
};

/* One worker: the stage and its own client (keep-alive per thread). */
struct stage_worker {
	const struct stage *s;
	void *client;
};

int
stage_flag(void *ctx, int opt, const char *arg)
{
	(void)arg;
	if (opt != STAGE_OPT_STATUS)
		return -1;
	*(int *)ctx = 1;
	return 0;
}

static void *
stage_worker_new(void *arg)
{
	struct stage_worker *w = xcalloc(1, sizeof *w);

	w->s = arg;
	w->client = w->s->be->client_new(w->s->cfg, w->s->url, w->s->model);
	return w;
}

static void
stage_worker_free(void *p)
{
	struct stage_worker *w = p;

	w->s->be->client_free(w->client);
	free(w);
}

/* One record: its request read (gen_input_read), the backend's generate,
 * and the result's fields added, or an error {stage, code, message} that
 * is also logged. */
static void
stage_process(void *p, struct json *rec)
{
	struct stage_worker *w = p;
	const struct backend *be = w->s->be;
	struct gen_request rq = { 0 };
	struct gen_input in;
	struct gen_result res;
	struct ar_err e;
	int rc;

	gen_result_init(&res);
	rc = gen_input_read(rec, &in, &e);
	if (rc == 0) {
		rq.system = in.system;
		rq.prompt = in.prompt;
		rc = be->generate(w->client, &rq, &res, &e);
	}
	if (rc == 0) {
		gen_log_timing(&res, be->name);
		gen_result_to_record(&res, be->name, rec);
	} else {
		record_set_error(rec, be->stage, &e);
		log_error("%s: %s", e.code, e.msg);
	}
	gen_result_free(&res);
	gen_input_free(&in);
}

/* --status: the endpoint's status record on stdout. */
static int
stage_status(const struct stage *s)
{
	struct record_out out = RECORD_OUT(stdout);
	void *c = s->be->client_new(s->cfg, s->url, s->model);
	struct json *rec;
	int can_serve, rv;

	rec = s->be->status(c, &can_serve);
	rv = can_serve ? AR_EXIT_OK : AR_EXIT_FAIL;
	/* Closed in any case: the close reports a failed write. */
	if (record_out_write(&out, rec) == -1)
		rv = AR_EXIT_FAIL;
	if (cli_close(&out) == -1)
		rv = AR_EXIT_FAIL;
	json_free(rec);
	s->be->client_free(c);
	return rv;
}

int
stage_run(const char *backend, const struct config *cfg, int want_status)
{
	const struct backend *be = backend_find(backend, strlen(backend));
	const struct stage s = { be, cfg, backend_default_url(be, cfg),
	    backend_default_model(be, cfg) };
	const struct pool_ops ops = {
		.worker_new = stage_worker_new,
		.worker_free = stage_worker_free,
		.process = stage_process, .emit = cli_emit, .arg = (void *)&s
	};

	if (want_status)
		return stage_status(&s);
	return cli_run(be->stage, 1, &ops);
}
