/*
 * json.c - JSON values: the tree API and the compact writer. The parser
 * is in json_parse.c.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

static struct json *
new_value(enum json_type t)
{
	struct json *v = xcalloc(1, sizeof(*v));

	v->type = t;
	return v;
}

/* Constructors. */

struct json *
json_null(void)
{
	return new_value(JSON_NULL);
}

struct json *
json_bool(int b)
{
	struct json *v = new_value(JSON_BOOL);

	v->b = b != 0;
	return v;
}

static struct json *
number_text(const char *s)
{
	struct json *v = new_value(JSON_NUMBER);

	v->s = xstrdup(s);
	v->len = strlen(s);
	return v;
}

struct json *
json_int(long long n)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%lld", n);
	return number_text(tmp);
}

/*
 * The shortest %.Ng (N <= 17) that reads back as d. JSON has no NaN or
 * infinity: those become 0.
 */
struct json *
json_double(double d)
{
	char tmp[40], *p;
	int prec;

	if (!isfinite(d))
		return number_text("0");
	if (d == floor(d) && fabs(d) < 1e15) {
		/* Whole numbers read best without an exponent: 60, not 6e+01. */
		snprintf(tmp, sizeof(tmp), "%.0f", d);
		return number_text(strcmp(tmp, "-0") == 0 ? "0" : tmp);
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if ((p = strchr(tmp, ',')) != NULL)
			*p = '.';		/* a locale's decimal comma */
		if (strtod(tmp, NULL) == d)
			break;
	}
	return number_text(tmp);
}

struct json *
json_fixed(double d, int decimals)
{
	char tmp[352], *p;

	if (!isfinite(d) || fabs(d) >= 1e300)
		return json_double(d);
	snprintf(tmp, sizeof tmp, "%.*f", decimals, d);
	if ((p = strchr(tmp, ',')) != NULL)
		*p = '.';		/* a locale's decimal comma */
	if (strchr(tmp, '.') != NULL) {
		p = tmp + strlen(tmp) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	return number_text(strcmp(tmp, "-0") == 0 ? "0" : tmp);
}

struct json *
json_string(const char *s, size_t len)
{
	struct json *v = new_value(JSON_STRING);

	v->s = xmalloc(len + 1);
	if (len)
		memcpy(v->s, s, len);
	v->s[len] = '\0';
	v->len = len;
	return v;
}

struct json *
json_stringz(const char *s)
{
	return json_string(s, strlen(s));
}

struct json *
json_array(void)
{
	return new_value(JSON_ARRAY);
}

struct json *
json_object(void)
{
	return new_value(JSON_OBJECT);
}

struct json *
json_copy(const struct json *v)
{
	struct json *c;
	size_t i;

	if (v == NULL)
		return NULL;
	switch (v->type) {
	case JSON_NULL:
		return json_null();
	case JSON_BOOL:
		return json_bool(v->b);
	case JSON_NUMBER:
		c = json_string(v->s, v->len);
		c->type = JSON_NUMBER;
		return c;
	case JSON_STRING:
		return json_string(v->s, v->len);
	case JSON_ARRAY:
		c = json_array();
		for (i = 0; i < v->n; i++)
			json_arr_push(c, json_copy(v->items[i]));
		return c;
	case JSON_OBJECT:
		c = json_object();
		c->cap = v->n;
		c->members = xmalloc((v->n ? v->n : 1) * sizeof(*c->members));
		for (i = 0; i < v->n; i++) {
			c->members[i].keylen = v->members[i].keylen;
			c->members[i].key = xmalloc(v->members[i].keylen + 1);
			memcpy(c->members[i].key, v->members[i].key,
			    v->members[i].keylen + 1);
			c->members[i].val = json_copy(v->members[i].val);
		}
		c->n = v->n;
		return c;
	}
	return json_null();
}

void
json_free(struct json *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v->type == JSON_ARRAY && i < v->n; i++)
		json_free(v->items[i]);
	for (i = 0; v->type == JSON_OBJECT && i < v->n; i++) {
		free(v->members[i].key);
		json_free(v->members[i].val);
	}
	free(v->items);
	free(v->members);
	free(v->s);
	free(v);
}

/* Arrays and objects. */

void
json_arr_push(struct json *arr, struct json *v)
{
	if (arr->n == arr->cap) {
		arr->cap = arr->cap ? arr->cap * 2 : 8;
		arr->items = xrealloc(arr->items, arr->cap * sizeof(*arr->items));
	}
	arr->items[arr->n++] = v;
}

static struct json_member *
obj_find(const struct json *obj, const char *key)
{
	size_t i, n;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	n = strlen(key);
	for (i = 0; i < obj->n; i++)
		if (obj->members[i].keylen == n &&
		    memcmp(obj->members[i].key, key, n) == 0)
			return &obj->members[i];
	return NULL;
}

struct json *
json_obj_get(const struct json *obj, const char *key)
{
	struct json_member *m = obj_find(obj, key);

	return m ? m->val : NULL;
}

void
json_obj_set(struct json *obj, const char *key, struct json *v)
{
	struct json_member *m;

	if ((m = obj_find(obj, key)) != NULL) {
		json_free(m->val);
		m->val = v;
		return;
	}
	if (obj->n == obj->cap) {
		obj->cap = obj->cap ? obj->cap * 2 : 8;
		obj->members = xrealloc(obj->members,
		    obj->cap * sizeof(*obj->members));
	}
	m = &obj->members[obj->n++];
	m->key = xstrdup(key);
	m->keylen = strlen(key);
	m->val = v;
}

int
json_obj_del(struct json *obj, const char *key)
{
	struct json_member *m;
	size_t i;

	if ((m = obj_find(obj, key)) == NULL)
		return 0;
	i = (size_t)(m - obj->members);
	free(m->key);
	json_free(m->val);
	memmove(m, m + 1, (obj->n - i - 1) * sizeof(*m));
	obj->n--;
	return 1;
}

const char *
json_obj_str(const struct json *obj, const char *key, size_t *len)
{
	const struct json *v = json_obj_get(obj, key);

	if (v == NULL || v->type != JSON_STRING)
		return NULL;
	if (len != NULL)
		*len = v->len;
	return v->s;
}

int
json_obj_num(const struct json *obj, const char *key, double *out)
{
	const struct json *v = json_obj_get(obj, key);

	if (v == NULL || v->type != JSON_NUMBER)
		return 0;
	*out = json_num(v);
	return 1;
}

long
json_obj_count(const struct json *obj, const char *key)
{
	double d;

	if (!json_obj_num(obj, key, &d) || !(d >= 0) || d >= (double)LONG_MAX)
		return 0;
	return (long)d;
}

double
json_num(const struct json *v)
{
	if (v == NULL || v->type != JSON_NUMBER)
		return 0;
	return strtod(v->s, NULL);
}

const char *
json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:		return "null";
	case JSON_BOOL:		return "boolean";
	case JSON_NUMBER:	return "number";
	case JSON_STRING:	return "string";
	case JSON_ARRAY:	return "array";
	case JSON_OBJECT:	return "object";
	}
	return "unknown";
}

/* The writer. */

/*
 * Control characters and DEL are escaped; valid UTF-8 passes intact; a
 * byte that is not valid UTF-8 becomes U+FFFD, so the output is always
 * valid JSON.
 */
void
json_write_str(struct buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, n;

	buf_addc(b, '"');
	while (i < len) {
		for (run = i; run < len && u[run] >= 0x20 && u[run] < 0x7f &&
		    u[run] != '"' && u[run] != '\\'; run++)
			;
		buf_add(b, s + i, run - i);
		if ((i = run) >= len)
			break;
		switch (u[i]) {
		case '"':  buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		case '\b': buf_add(b, "\\b", 2); break;
		case '\f': buf_add(b, "\\f", 2); break;
		default:
			if (u[i] < 0x80) {
				buf_printf(b, "\\u%04x", u[i]);
			} else if ((n = buf_utf8_seq(s + i, len - i)) != 0) {
				buf_add(b, s + i, n);
				i += n;
				continue;
			} else {
				buf_add(b, "\xef\xbf\xbd", 3);
			}
		}
		i++;
	}
	buf_addc(b, '"');
}

void
json_write(struct buf *b, const struct json *v)
{
	size_t i;

	switch (v ? v->type : JSON_NULL) {
	case JSON_NULL:
		buf_add(b, "null", 4);
		break;
	case JSON_BOOL:
		buf_adds(b, v->b ? "true" : "false");
		break;
	case JSON_NUMBER:
		buf_add(b, v->s, v->len);
		break;
	case JSON_STRING:
		json_write_str(b, v->s, v->len);
		break;
	case JSON_ARRAY:
		buf_addc(b, '[');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			json_write(b, v->items[i]);
		}
		buf_addc(b, ']');
		break;
	case JSON_OBJECT:
		buf_addc(b, '{');
		for (i = 0; i < v->n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			json_write_str(b, v->members[i].key,
			    v->members[i].keylen);
			buf_addc(b, ':');
			json_write(b, v->members[i].val);
		}
		buf_addc(b, '}');
		break;
	}
}
