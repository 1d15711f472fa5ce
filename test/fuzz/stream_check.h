/*
 * stream_check.h - the checks the stream parser harnesses share: a
 * parse either succeeds without an error code or fails with one; the error
 * message is one NUL-terminated line; the answer stays within its limit
 * and is valid UTF-8; the result (and the error) make a record that
 * writes as JSON which parses back.
 */
#ifndef FUZZ_STREAM_CHECK_H
#define FUZZ_STREAM_CHECK_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "err.h"
#include "gen.h"
#include "json.h"
#include "record.h"

static void
stream_check(int rc, const struct gen_result *res, const struct ar_err *e)
{
	struct json_error je;
	struct json *rec, *back;
	struct buf b = BUF_INIT;

	if ((rc == 0) != (e->code == NULL) || (rc != 0 && rc != -1))
		abort();
	if (memchr(e->msg, '\0', sizeof e->msg) == NULL)
		abort();
	if (strchr(e->msg, '\n') != NULL)
		abort();	/* an error message is one line */
	if (res->output.len > AR_MAX_ANSWER)
		abort();
	if (!json_utf8_valid(buf_str((struct buf *)&res->output),
	    res->output.len))
		abort();
	rec = json_object();
	gen_result_to_record(res, "fuzz", rec);
	if (rc == -1)
		record_set_error(rec, "fuzz", e);
	json_write(&b, rec);
	back = json_parse(buf_str(&b), b.len, AR_MAX_RECORD, &je);
	if (back == NULL || back->type != JSON_OBJECT)
		abort();
	json_free(back);
	json_free(rec);
	buf_free(&b);
}

/* One input of a stream harness: parse it whole, check the outcome. */
static int
stream_fuzz(int (*parse)(const char *, size_t, struct gen_result *,
    struct ar_err *), const uint8_t *data, size_t size)
{
	struct gen_result res;
	struct ar_err e;
	int rc;

	err_clear(&e);
	gen_result_init(&res);
	rc = parse((const char *)data, size, &res, &e);
	stream_check(rc, &res, &e);
	gen_result_free(&res);
	return 0;
}

#endif
