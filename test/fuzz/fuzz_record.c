/*
 * fuzz_record - libFuzzer harness for the record stream reader.
 *
 * The input is read with record_read() until EOF, from a memfd or in
 * small chunks (fuzz_input.h). Every record must be a JSON object; a
 * RECORD_BAD one must carry an "error" with code bad_input; the reader
 * must end (a bounded number of records), input that is not all white
 * space must give at least one record, and every record must write as
 * valid JSON that parses back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "buf.h"
#include "defaults.h"
#include "json.h"
#include "record.h"

static void
check(const struct json *rec, enum record_status st)
{
	struct json_error je;
	struct json *back;
	const struct json *err;
	struct buf b = BUF_INIT;

	if (rec == NULL || rec->type != JSON_OBJECT)
		abort();
	if (st == RECORD_BAD) {
		err = json_obj_get(rec, "error");
		if (err == NULL || err->type != JSON_OBJECT)
			abort();
		if (json_obj_str(err, "code", NULL) == NULL ||
		    strcmp(json_obj_str(err, "code", NULL), "bad_input") != 0)
			abort();
	}
	json_write(&b, rec);
	back = json_parse(buf_str(&b), b.len, AR_MAX_RECORD + 4096, &je);
	if (back == NULL || back->type != JSON_OBJECT)
		abort();
	json_free(back);
	buf_free(&b);
}

static size_t
blank_len(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i < size && memchr(" \t\r\n", data[i], 4) != NULL; i++)
		;
	return i;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_reader *rd;
	struct json *rec;
	enum record_status st;
	struct fuzz_feed feed;
	size_t n = 0;
	FILE *fp;

	if ((fp = fdopen(fuzz_input_open(&feed, data, size), "r")) == NULL)
		abort();
	rd = record_reader_new(fp, "fuzz");
	while ((st = record_read(rd, &rec)) != RECORD_EOF) {
		check(rec, st);
		json_free(rec);
		if (++n > size + 1)
			abort();	/* more records than bytes: a loop */
	}
	if (rec != NULL || record_reader_error(rd))
		abort();
	if (n == 0 && blank_len(data, size) != size)
		abort();	/* input lost without a record */
	record_reader_free(rd);
	fuzz_input_done(&feed, fileno(fp));
	fclose(fp);
	return 0;
}
