/*
 * fuzz_json - libFuzzer harness for the JSON parser, unescaper and writer.
 *
 * A value json_parse() accepts is written with json_write(); that text must
 * parse again and write to the same text (a fixed point). Any input,
 * taken as raw string bytes, must come back from json_write_str() as a
 * string literal that parses, byte for byte when the input is valid UTF-8.
 * The nesting scan (json_nest_feed) must not depend on how the text is
 * cut into pieces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "defaults.h"
#include "json.h"

static void
round_trip(const char *s, size_t len)
{
	struct json_error je;
	struct json *v, *w;
	struct buf a = BUF_INIT, b = BUF_INIT;

	if ((v = json_parse(s, len, AR_MAX_RECORD, &je)) == NULL)
		return;
	json_write(&a, v);
	if (!json_utf8_valid(buf_str(&a), a.len))
		abort();
	if ((w = json_parse(buf_str(&a), a.len, AR_MAX_RECORD, &je)) == NULL)
		abort();	/* the writer wrote what the parser rejects */
	json_write(&b, w);
	if (a.len != b.len || memcmp(buf_str(&a), buf_str(&b), a.len) != 0)
		abort();	/* parse and write is not a fixed point */
	json_free(v);
	json_free(w);
	buf_free(&a);
	buf_free(&b);
}

static void
string_trip(const char *s, size_t len)
{
	struct json_error je;
	struct json *v;
	struct buf a = BUF_INIT;

	json_write_str(&a, s, len);
	v = json_parse(buf_str(&a), a.len, AR_MAX_RECORD, &je);
	if (v == NULL || v->type != JSON_STRING)
		abort();	/* an escaped string that does not parse */
	if (json_utf8_valid(s, len) &&
	    (v->len != len || memcmp(v->s, s, len) != 0))
		abort();	/* escape then unescape changed the text */
	if (v->s[v->len] != '\0')
		abort();
	json_free(v);
	buf_free(&a);
}

/* The nesting scan fed in two pieces ends where one piece does, and a
 * text it finds too deep never parses. */
static void
nest_pieces(const char *s, size_t len)
{
	struct json_nest whole = { 0 }, parts = { 0 };
	struct json_error je;
	struct json *v;
	size_t cut = len ? (unsigned char)s[0] % (len + 1) : 0;

	json_nest_feed(&whole, s, len);
	json_nest_feed(&parts, s, cut);
	json_nest_feed(&parts, s + cut, len - cut);
	if (whole.depth != parts.depth || whole.deep != parts.deep ||
	    whole.unbalanced != parts.unbalanced ||
	    (whole.deep && whole.deep_at != parts.deep_at))
		abort();
	if (whole.deep && (v = json_parse(s, len, AR_MAX_RECORD, &je)) != NULL)
		abort();	/* accepted nesting past the limit */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip((const char *)data, size);
	string_trip((const char *)data, size);
	nest_pieces((const char *)data, size);
	return 0;
}
