/*
 * record.h - the stream of records on stdin/stdout.
 *
 * A record is one JSON object. The reader accepts any whitespace between
 * objects (one per line is the norm; a pretty-printed object spanning lines
 * is fine). Input that is not a JSON object becomes an error record with
 * code bad_input that quotes the start of the bad text; the reader then
 * resynchronises at the next line. Nothing is dropped silently.
 */
#ifndef AR_RECORD_H
#define AR_RECORD_H
#include <stdio.h>

#include "err.h"
#include "json.h"

struct record_reader;

enum record_status {
	RECORD_OK,	/* *out is the parsed object */
	RECORD_BAD,	/* *out is an error record describing the bad input */
	RECORD_EOF	/* no more input; *out is NULL */
};

/* A reader over fp (borrowed). stage names the program in error records. */
struct record_reader *record_reader_new(FILE *fp, const char *stage);
void record_reader_free(struct record_reader *r);
/* Reads the next record; *out is owned by the caller (json_free). */
enum record_status record_read(struct record_reader *r, struct json **out);
/* Nonzero if reading stdin failed (EIO and the like). */
int record_reader_error(const struct record_reader *r);

/*
 * Writes rec compactly on one line and flushes. Returns 0, or -1 with
 * errno set when the write failed (EPIPE, ENOSPC): the caller stops and
 * exits non-zero.
 */
int record_write(FILE *fp, const struct json *rec);

/* Writes only rec's "code" and a newline (unless the code ends with
 * one): ar-route -r. A failed record, or one without code, writes
 * nothing. Returns 0, or -1 with errno set when the write failed. */
int record_write_code(FILE *fp, const struct json *rec);

/*
 * An output stream of records and the errno of its first failed write,
 * for record_out_close(). One per stream, owned by the loop that writes
 * it (cli_run(), a --status) from RECORD_OUT(fp) to record_out_close();
 * its writes may come from any thread (the errno is kept atomically).
 */
struct record_out {
	FILE *fp;		/* borrowed */
	int err;		/* errno of the first failed write or close; 0 none */
};
#define RECORD_OUT(fp)	{ (fp), 0 }
/* record_write() and record_write_code() on o, keeping the errno. */
int record_out_write(struct record_out *o, const struct json *rec);
int record_out_write_code(struct record_out *o, const struct json *rec);
/* Closes o->fp: returns 0, or -1 when a write or the close failed (a
 * full disk; EPIPE when the reader went away), with o->err the errno of
 * the first failure (0 when none was known). */
int record_out_close(struct record_out *o);

/* Sets rec.error = {"stage","code","message"} from e. */
void record_set_error(struct json *rec, const char *stage,
    const struct ar_err *e);
/* Same from pieces. */
void record_set_error3(struct json *rec, const char *stage,
    const char *code, const char *message);
/* Nonzero if rec carries an "error" member. */
int record_has_error(const struct json *rec);
/* Nonzero if rec failed: it carries "error" or "valid": false. */
int record_failed(const struct json *rec);

/*
 * Field checks, for the stage programs. Fetch an optional string field:
 * returns 0 and sets *out (borrowed, NULL when absent or null), or -1 with
 * e set (code bad_field) when the field has another type.
 */
int record_opt_str(const struct json *rec, const char *field,
    const char **out, struct ar_err *e);
/* Same, but absence (or an empty string) is an error too. */
int record_req_str(const struct json *rec, const char *field,
    const char **out, struct ar_err *e);

#endif
