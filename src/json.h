/*
 * json.h - JSON values: a strict parser on top of jsmn (json_parse.c), a
 * small tree API and a compact writer (json.c).
 *
 * jsmn only tokenizes. json_parse() also checks every primitive, rejects
 * trailing data and several roots, unescapes strings (\u surrogate pairs
 * to UTF-8), rejects invalid UTF-8 and raw control characters, and bounds
 * nesting (AR_MAX_DEPTH) and size (the caller's max).
 *
 * Ownership: a value belongs to its parent once added with json_obj_set()
 * or json_arr_push(); json_free() frees a value and all its children.
 * Getters return borrowed pointers.
 */
#ifndef AR_JSON_H
#define AR_JSON_H
#include <stddef.h>

#include "buf.h"

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json;

struct json_member {
	char *key;		/* unescaped, NUL-terminated (may hold NULs: keylen) */
	size_t keylen;
	struct json *val;
};

struct json {
	enum json_type type;
	int b;			/* JSON_BOOL */
	char *s;		/* JSON_STRING: unescaped UTF-8, NUL-terminated;
				 * JSON_NUMBER: the number's text as written */
	size_t len;		/* length of s */
	struct json **items;	/* JSON_ARRAY */
	struct json_member *members;	/* JSON_OBJECT, in input order */
	size_t n;		/* number of items or members */
	size_t cap;
};

/* A parse error: what went wrong and the byte offset where. */
struct json_error {
	char msg[128];
	size_t off;
};

/*
 * Parses exactly one JSON value from s[0..len) (surrounding whitespace
 * allowed). Returns a new value owned by the caller, or NULL with err
 * filled. Inputs longer than max bytes are rejected without parsing.
 */
struct json *json_parse(const char *s, size_t len, size_t max,
    struct json_error *err);

/*
 * The nesting of JSON text, scanned in one linear pass that may be fed in
 * pieces: brackets outside strings, a string's escapes skipped. It decides
 * the depth limit before any tokenizer runs (jsmn's parent links cost
 * O(depth) per closing bracket) and tells when a value spread over lines
 * is complete. Start it zeroed ({ 0 }).
 */
struct json_nest {
	size_t depth;		/* containers open now */
	size_t off;		/* bytes fed so far */
	size_t deep_at;		/* offset of the first bracket past the limit */
	int deep;		/* the nesting passed AR_MAX_DEPTH */
	int unbalanced;		/* a closing bracket without an open one */
	int opened;		/* some container was opened */
	int in_str, esc;
};

/* Feeds s[0..len); stops looking once deep or unbalanced is set. */
void json_nest_feed(struct json_nest *n, const char *s, size_t len);

/* Constructors: each returns a new value owned by the caller. */
struct json *json_null(void);
struct json *json_bool(int b);
struct json *json_int(long long v);
struct json *json_double(double v);	/* shortest %.17g; NaN, Inf: 0 */
/* v rounded to `decimals` places (0 to 17), without trailing zeros:
 * 12.30 is written 12.3, 4.00 is written 4. */
struct json *json_fixed(double v, int decimals);
struct json *json_string(const char *s, size_t len);
struct json *json_stringz(const char *s);
struct json *json_array(void);
struct json *json_object(void);
struct json *json_copy(const struct json *v);	/* deep copy */
void json_free(struct json *v);

/* Arrays. json_arr_push takes ownership of v. */
void json_arr_push(struct json *arr, struct json *v);

/*
 * Objects. json_obj_get returns the member's value (borrowed) or NULL.
 * json_obj_set takes ownership of v; an existing member of that key is
 * replaced in place (its old value freed), else v is appended.
 * json_obj_del removes and frees a member; returns 1 if it was there.
 */
struct json *json_obj_get(const struct json *obj, const char *key);
void json_obj_set(struct json *obj, const char *key, struct json *v);
int json_obj_del(struct json *obj, const char *key);

/* Typed getters: the member's string (borrowed, NUL-terminated; *len set
 * if len is not NULL) or NULL when absent or of another type. */
const char *json_obj_str(const struct json *obj, const char *key, size_t *len);
/* The member as a number: returns 1 and sets *out if it is a number. */
int json_obj_num(const struct json *obj, const char *key, double *out);
/* The member as a count, such as a token count: its value when it is a
 * number from 0 up to LONG_MAX, else 0 (absent, negative, too large). */
long json_obj_count(const struct json *obj, const char *key);
/* A number value as a double (0 if v is not a number). */
double json_num(const struct json *v);
const char *json_type_name(enum json_type t);	/* "string", "object"... */

/* Writes v compactly (no newline) to b. Control characters are escaped,
 * UTF-8 passes through intact. */
void json_write(struct buf *b, const struct json *v);
/* Appends s[0..len) to b as a JSON string literal, quotes included. */
void json_write_str(struct buf *b, const char *s, size_t len);

/* Returns 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int json_utf8_valid(const char *s, size_t len);

#endif
