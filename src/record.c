/*
 * record.c - reading and writing the stream of JSON records.
 *
 * The reader finds where one value ends by scanning brackets and strings,
 * then hands that span to json_parse(). A span that cannot be a record is
 * reported as one bad_input error record and skipped; when its end is in
 * doubt (an unbalanced object at end of input or followed by a line that
 * opens with '{', a string running past a newline, a record over
 * AR_MAX_RECORD) only its first line is skipped, so the reader
 * resynchronises at the next line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "defaults.h"
#include "json.h"
#include "lines.h"
#include "record.h"
#include "xalloc.h"

struct record_reader {
	struct lines lr;	/* lr.in: the unread input */
	const char *stage;
	size_t scanned;		/* bytes of in already scanned for a span */
	int depth, in_str, esc;	/* scanner state at in.s + scanned */
};

enum scan { SCAN_MORE, SCAN_DONE, SCAN_BROKEN };

struct record_reader *
record_reader_new(FILE *fp, const char *stage)
{
	struct record_reader *r = xcalloc(1, sizeof *r);

	/* read(2), not stdio: a record is answered as soon as its line
	 * arrives. The bound is the scanner's (AR_MAX_RECORD). */
	lines_init(&r->lr, fileno(fp), -1, AR_MAX_RECORD);
	r->stage = stage;
	return r;
}

void
record_reader_free(struct record_reader *r)
{
	if (r == NULL)
		return;
	lines_free(&r->lr);
	free(r);
}

int
record_reader_error(const struct record_reader *r)
{
	return r->lr.error;
}

static void
scan_reset(struct record_reader *r)
{
	r->scanned = 0;
	r->depth = r->in_str = r->esc = 0;
}

/* Advances the bracket scanner over the buffered bytes. */
static enum scan
scan(struct record_reader *r)
{
	for (; r->scanned < r->lr.in.len; r->scanned++) {
		char c = r->lr.in.s[r->scanned];

		if (r->in_str) {
			if (r->esc)
				r->esc = 0;
			else if (c == '\\')
				r->esc = 1;
			else if (c == '"')
				r->in_str = 0;
			else if (c == '\n')
				return SCAN_BROKEN;
		} else if (c == '"')
			r->in_str = 1;
		else if (c == '\n' && r->depth > 0) {
			/* A line opening with '{' starts a new record: the
			 * open one is broken (do not wait for input's end). */
			if (r->scanned + 1 == r->lr.in.len)
				return SCAN_MORE;	/* see the next byte first */
			if (r->lr.in.s[r->scanned + 1] == '{')
				return SCAN_BROKEN;
		} else if (c == '{' || c == '[')
			r->depth++;
		else if ((c == '}' || c == ']') && --r->depth == 0) {
			r->scanned++;
			return SCAN_DONE;
		}
	}
	return r->scanned > AR_MAX_RECORD ? SCAN_BROKEN : SCAN_MORE;
}

/* An error record quoting the bad input s[0..len), trailing white space
 * left out. */
static struct json *
bad_input(struct record_reader *r, const char *why, const char *s, size_t len)
{
	struct json *rec = json_object();
	struct buf msg = BUF_INIT;

	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL &&
	    s[len - 1] != '\0')
		len--;
	buf_printf(&msg, "%s: '", why);
	buf_add_oneline(&msg, s, len, AR_MAX_QUOTE);
	buf_addc(&msg, '\'');
	record_set_error3(rec, r->stage, AR_E_BAD_INPUT, buf_str(&msg));
	buf_free(&msg);
	return rec;
}

/* Length of the first line of the buffer, its '\n' included if present. */
static size_t
first_line(const struct record_reader *r)
{
	const char *nl = memchr(r->lr.in.s, '\n', r->lr.in.len);

	return nl != NULL ? (size_t)(nl - r->lr.in.s) + 1 : r->lr.in.len;
}

static void
skip_space(struct record_reader *r)
{
	size_t i = 0;

	while (i < r->lr.in.len && strchr(" \t\r\n", r->lr.in.s[i]) != NULL &&
	    r->lr.in.s[i] != '\0')
		i++;
	buf_consume(&r->lr.in, i);
}

/* Parses the span in.s[0..len) and consumes `drop` bytes. */
static struct json *
take(struct record_reader *r, size_t len, size_t drop, enum record_status *st)
{
	struct json_error je;
	struct json *v;
	char why[192];

	v = json_parse(r->lr.in.s, len, AR_MAX_RECORD, &je);
	if (v != NULL && v->type != JSON_OBJECT) {
		snprintf(why, sizeof why, "record is not a JSON object but %s",
		    json_type_name(v->type));
		json_free(v);
		v = NULL;
	} else if (v == NULL)
		snprintf(why, sizeof why, "not JSON (%s at byte %zu)", je.msg,
		    je.off);
	if (v == NULL) {
		v = bad_input(r, why, r->lr.in.s, len);
		*st = RECORD_BAD;
	} else
		*st = RECORD_OK;
	buf_consume(&r->lr.in, drop);
	scan_reset(r);
	return v;
}

enum record_status
record_read(struct record_reader *r, struct json **out)
{
	enum record_status st;
	enum scan sc;
	size_t line;

	*out = NULL;
	for (;;) {
		skip_space(r);
		if (r->lr.in.len > 0)
			break;
		if (lines_fill(&r->lr) == -1)
			return RECORD_EOF;
	}
	scan_reset(r);
	if (r->lr.in.s[0] != '{' && r->lr.in.s[0] != '[') {
		/* Not a record's start: the line is bad as a whole. */
		while (memchr(r->lr.in.s, '\n', r->lr.in.len) == NULL &&
		    r->lr.in.len <= AR_MAX_RECORD && lines_fill(&r->lr) == 0)
			;
		line = first_line(r);
		if (line > AR_MAX_RECORD) {
			*out = bad_input(r, "line too long", r->lr.in.s, line);
			lines_skip(&r->lr);
			return RECORD_BAD;
		}
		*out = take(r, line, line, &st);
		return st;
	}
	while ((sc = scan(r)) == SCAN_MORE)
		if (lines_fill(&r->lr) == -1)
			break;
	if (sc == SCAN_DONE) {
		*out = take(r, r->scanned, r->scanned, &st);
		return st;
	}
	/* Unbalanced at end of input, a string across lines, or too large:
	 * report the first line and go on after it. */
	line = first_line(r);
	if (sc == SCAN_BROKEN && r->scanned > AR_MAX_RECORD) {
		*out = bad_input(r, "record larger than the limit",
		    r->lr.in.s, line);
		if (line == r->lr.in.len && r->lr.in.s[line - 1] != '\n')
			lines_skip(&r->lr);
		else
			buf_consume(&r->lr.in, line);
		scan_reset(r);
		return RECORD_BAD;
	}
	*out = take(r, line, line, &st);
	return st;
}

/* Writes b and flushes. Returns 0, or -1 with errno set. */
static int
put(FILE *fp, const struct buf *b)
{
	if (fwrite(b->s, 1, b->len, fp) == b->len && fflush(fp) != EOF)
		return 0;
	return -1;
}

int
record_write(FILE *fp, const struct json *rec)
{
	struct buf b = BUF_INIT;
	int rv;

	json_write(&b, rec);
	buf_addc(&b, '\n');
	rv = put(fp, &b);
	buf_free(&b);
	return rv;
}

int
record_write_code(FILE *fp, const struct json *rec)
{
	struct buf b = BUF_INIT;
	const char *code;
	size_t len;
	int rv;

	if (record_failed(rec) ||
	    (code = json_obj_str(rec, "code", &len)) == NULL)
		return 0;
	buf_add(&b, code, len);
	if (len == 0 || code[len - 1] != '\n')
		buf_addc(&b, '\n');
	rv = put(fp, &b);
	buf_free(&b);
	return rv;
}

void
record_set_error3(struct json *rec, const char *stage, const char *code,
    const char *message)
{
	struct json *err = json_object();

	json_obj_set(err, "stage", json_stringz(stage));
	json_obj_set(err, "code", json_stringz(code));
	json_obj_set(err, "message", json_stringz(message));
	json_obj_set(rec, "error", err);
}

void
record_set_error(struct json *rec, const char *stage, const struct ar_err *e)
{
	record_set_error3(rec, stage, e->code ? e->code : AR_E_TRANSPORT,
	    e->msg);
}

int
record_has_error(const struct json *rec)
{
	return json_obj_get(rec, "error") != NULL;
}

int
record_failed(const struct json *rec)
{
	const struct json *valid = json_obj_get(rec, "valid");

	return record_has_error(rec) ||
	    (valid != NULL && valid->type == JSON_BOOL && !valid->b);
}

int
record_opt_str(const struct json *rec, const char *field, const char **out,
    struct ar_err *e)
{
	const struct json *v = json_obj_get(rec, field);

	*out = NULL;
	if (v == NULL || v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_STRING)
		return err_set(e, AR_E_BAD_FIELD, "field \"%s\" must be a "
		    "string, not %s", field, json_type_name(v->type));
	if (strlen(v->s) != v->len)
		return err_set(e, AR_E_BAD_FIELD, "field \"%s\" holds a NUL "
		    "character", field);
	*out = v->s;
	return 0;
}

int
record_req_str(const struct json *rec, const char *field, const char **out,
    struct ar_err *e)
{
	if (record_opt_str(rec, field, out, e) == -1)
		return -1;
	if (*out == NULL || **out == '\0')
		return err_set(e, AR_E_BAD_FIELD, "field \"%s\" is required "
		    "(a non-empty string)", field);
	return 0;
}

/* Keeps the errno of o's first failed write; rv is the write's. */
static int
out_note(struct record_out *o, int rv)
{
	int zero = 0, err = errno;

	if (rv == -1)
		__atomic_compare_exchange_n(&o->err, &zero, err, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return rv;
}

int
record_out_write(struct record_out *o, const struct json *rec)
{
	errno = 0;
	return out_note(o, record_write(o->fp, rec));
}

int
record_out_write_code(struct record_out *o, const struct json *rec)
{
	errno = 0;
	return out_note(o, record_write_code(o->fp, rec));
}

int
record_out_close(struct record_out *o)
{
	int err = __atomic_load_n(&o->err, __ATOMIC_SEQ_CST);
	int bad = ferror(o->fp);

	errno = 0;
	if (fclose(o->fp) == EOF) {
		bad = 1;
		if (err == 0)
			err = errno;
	}
	if (!bad)
		return 0;
	__atomic_store_n(&o->err, err, __ATOMIC_SEQ_CST);
	return -1;
}
