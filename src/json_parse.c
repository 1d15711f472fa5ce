/*
 * json_parse.c - the strict JSON parser on top of jsmn.
 *
 * jsmn (strict mode, parent links) tokenizes containers. It checks
 * neither commas, nor colons, nor primitives, nor the text of strings,
 * so the tree walk below re-reads the input between tokens: every byte
 * of the input is looked at by this file once the tokens are known.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "defaults.h"
#include "json.h"
#include "xalloc.h"

/* One parse: the input, its tokens and a scratch buffer for strings. */
struct parser {
	const char *s;
	size_t len;
	jsmntok_t *tok;
	unsigned int ntok;	/* tokens jsmn filled */
	unsigned int next;	/* next token to read */
	struct buf scratch;
	struct json_error *err;
};

static void
perr(struct json_error *err, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(struct json_error *err, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->off = off;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The byte at pos, or NUL past the end. */
static char
peek(const struct parser *p, size_t pos)
{
	return pos < p->len ? p->s[pos] : '\0';
}

static size_t
skip_ws(const char *s, size_t len, size_t pos)
{
	while (pos < len && is_ws(s[pos]))
		pos++;
	return pos;
}

/* Describes the byte at pos for an error message ("'x'", "byte 0xff"). */
static const char *
what(const struct parser *p, size_t pos, char *tmp, size_t n)
{
	unsigned char c;

	if (pos >= p->len)
		return "end of input";
	c = (unsigned char)p->s[pos];
	if (c > 0x20 && c < 0x7f)
		snprintf(tmp, n, "'%c'", c);
	else
		snprintf(tmp, n, "byte 0x%02x", c);
	return tmp;
}

static void
unexpected(struct parser *p, size_t pos)
{
	char tmp[16];

	if (pos >= p->len)
		perr(p->err, pos, "unexpected end of input");
	else
		perr(p->err, pos, "unexpected %s",
		    what(p, pos, tmp, sizeof(tmp)));
}

static void
expected(struct parser *p, size_t pos, const char *want)
{
	char tmp[16];

	perr(p->err, pos, "expected %s, found %s", want,
	    what(p, pos, tmp, sizeof(tmp)));
}

int
json_utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = buf_utf8_seq(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

static void
utf8_put(struct buf *b, unsigned long cp)
{
	char u[4];

	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 4);
	}
}

/* Reads the 4 hex digits at s[pos..]; returns -1 if they are not. */
static long
hex4(const struct parser *p, size_t pos)
{
	long v = 0;
	int i;
	char c;

	if (pos > p->len || p->len - pos < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		c = p->s[pos + i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Decodes the \u escape at s[pos] (the backslash), a surrogate pair
 * included, into b. Returns the bytes read, or 0 on error.
 */
static size_t
unescape_u(struct parser *p, size_t pos, struct buf *b)
{
	long hi, lo;

	if ((hi = hex4(p, pos + 2)) == -1) {
		perr(p->err, pos, "invalid \\u escape in string");
		return 0;
	}
	if (hi >= 0xdc00 && hi <= 0xdfff) {
		perr(p->err, pos, "lone low surrogate \\u%04lx in string", hi);
		return 0;
	}
	if (hi < 0xd800 || hi > 0xdbff) {
		utf8_put(b, (unsigned long)hi);
		return 6;
	}
	if (pos + 7 >= p->len || p->s[pos + 6] != '\\' ||
	    p->s[pos + 7] != 'u' || (lo = hex4(p, pos + 8)) < 0xdc00 ||
	    lo > 0xdfff) {
		perr(p->err, pos, "lone high surrogate \\u%04lx in string", hi);
		return 0;
	}
	utf8_put(b, 0x10000 + ((unsigned long)(hi - 0xd800) << 10) +
	    (unsigned long)(lo - 0xdc00));
	return 12;
}

/* Decodes the escape at s[pos] (the backslash); returns bytes read or 0. */
static size_t
unescape(struct parser *p, size_t pos, struct buf *b)
{
	char c, tmp[16];

	if (pos + 1 >= p->len) {
		perr(p->err, pos, "unterminated string");
		return 0;
	}
	switch ((c = p->s[pos + 1])) {
	case '"': case '\\': case '/':
		buf_addc(b, c);
		return 2;
	case 'b': buf_addc(b, '\b'); return 2;
	case 'f': buf_addc(b, '\f'); return 2;
	case 'n': buf_addc(b, '\n'); return 2;
	case 'r': buf_addc(b, '\r'); return 2;
	case 't': buf_addc(b, '\t'); return 2;
	case 'u':
		return unescape_u(p, pos, b);
	}
	if (c > 0x20 && c < 0x7f)
		perr(p->err, pos, "invalid escape '\\%c' in string", c);
	else
		perr(p->err, pos, "invalid escape: backslash before %s",
		    what(p, pos + 1, tmp, sizeof(tmp)));
	return 0;
}

/*
 * Reads the string whose opening quote is at s[q] into p->scratch
 * (unescaped). Sets *end to the closing quote. Returns -1 on error.
 */
static int
read_string(struct parser *p, size_t q, size_t *end)
{
	const unsigned char *u = (const unsigned char *)p->s;
	size_t pos = q + 1, run, n;

	buf_reset(&p->scratch);
	buf_add(&p->scratch, "", 0);
	for (;;) {
		for (run = pos; run < p->len && u[run] >= 0x20 &&
		    u[run] < 0x80 && u[run] != '"' && u[run] != '\\'; run++)
			;
		buf_add(&p->scratch, p->s + pos, run - pos);
		pos = run;
		if (pos >= p->len) {
			perr(p->err, q, "unterminated string");
			return -1;
		}
		if (u[pos] == '"') {
			*end = pos;
			return 0;
		}
		if (u[pos] == '\\') {
			if ((n = unescape(p, pos, &p->scratch)) == 0)
				return -1;
		} else if (u[pos] < 0x20) {
			perr(p->err, pos, "control character 0x%02x in string"
			    " (must be escaped)", u[pos]);
			return -1;
		} else if ((n = buf_utf8_seq(p->s + pos, p->len - pos)) == 0) {
			perr(p->err, pos, "invalid UTF-8 in string");
			return -1;
		} else {
			buf_add(&p->scratch, p->s + pos, n);
		}
		pos += n;
	}
}

/* Checks the JSON number grammar on s[0..n). */
static int
number_ok(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Makes the primitive s[start..end) (true, false, null or a number). */
static struct json *
make_primitive(struct parser *p, size_t start, size_t end)
{
	const char *s = p->s + start;
	size_t n = end - start;
	struct json *v;

	if (n == 4 && memcmp(s, "true", 4) == 0)
		return json_bool(1);
	if (n == 5 && memcmp(s, "false", 5) == 0)
		return json_bool(0);
	if (n == 4 && memcmp(s, "null", 4) == 0)
		return json_null();
	if (!number_ok(s, n)) {
		perr(p->err, start, "invalid %s '%.*s'",
		    *s == '-' || (*s >= '0' && *s <= '9') ? "number" :
		    "literal", n > 20 ? 20 : (int)n, s);
		return NULL;
	}
	v = json_string(s, n);
	v->type = JSON_NUMBER;		/* the number's text as written */
	return v;
}

/* Makes the string whose opening quote is at s[q]; sets *end past it. */
static struct json *
make_string(struct parser *p, size_t q, size_t *end)
{
	size_t close;

	if (read_string(p, q, &close) == -1)
		return NULL;
	*end = close + 1;
	return json_string(p->scratch.s, p->scratch.len);
}

static struct json *walk(struct parser *, size_t *, int);

/* Takes the next token, checking that it starts at s[pos]. */
static jsmntok_t *
take(struct parser *p, size_t pos)
{
	jsmntok_t *t;
	size_t start;

	if (p->next >= p->ntok) {
		unexpected(p, pos);
		return NULL;
	}
	t = &p->tok[p->next];
	start = (size_t)t->start - (t->type == JSMN_STRING);
	if (start != pos) {
		unexpected(p, pos);
		return NULL;
	}
	p->next++;
	return t;
}

static struct json *
walk_array(struct parser *p, const jsmntok_t *t, size_t *pos, int depth)
{
	struct json *arr = json_array(), *v;
	size_t i, cur = (size_t)t->start + 1;

	for (i = 0; i < (size_t)t->size; i++) {
		cur = skip_ws(p->s, p->len, cur);
		if (i > 0) {
			if (peek(p, cur) != ',') {
				expected(p, cur, "',' or ']'");
				goto fail;
			}
			cur = skip_ws(p->s, p->len, cur + 1);
		}
		if ((v = walk(p, &cur, depth)) == NULL)
			goto fail;
		json_arr_push(arr, v);
	}
	cur = skip_ws(p->s, p->len, cur);
	if (peek(p, cur) != ']') {
		expected(p, cur, i > 0 ? "',' or ']'" : "a value or ']'");
		goto fail;
	}
	*pos = cur + 1;
	return arr;
fail:
	json_free(arr);
	return NULL;
}

/* Reads one "key": value member at s[*pos] into obj. */
static int
walk_member(struct parser *p, struct json *obj, size_t *pos, int depth)
{
	const jsmntok_t *k;
	struct json_member *m;
	struct json *v;
	size_t cur = *pos, end;

	if (peek(p, cur) != '"') {
		expected(p, cur, "a string key");
		return -1;
	}
	if ((k = take(p, cur)) == NULL || read_string(p, cur, &end) == -1)
		return -1;
	cur = skip_ws(p->s, p->len, end + 1);
	if (peek(p, cur) != ':') {
		expected(p, cur, "':' after object key");
		return -1;
	}
	cur = skip_ws(p->s, p->len, cur + 1);
	if (k->size == 0) {
		expected(p, cur, "a value after ':'");
		return -1;
	}
	if (obj->n == obj->cap) {
		obj->cap = obj->cap ? obj->cap * 2 : 8;
		obj->members = xrealloc(obj->members,
		    obj->cap * sizeof(*obj->members));
	}
	m = &obj->members[obj->n];
	m->keylen = p->scratch.len;
	m->key = xmalloc(m->keylen + 1);
	memcpy(m->key, p->scratch.s, m->keylen + 1);
	if ((v = walk(p, &cur, depth)) == NULL) {
		free(m->key);
		return -1;
	}
	if (k->size > 1) {		/* jsmn hung the next key on this one */
		expected(p, skip_ws(p->s, p->len, cur), "',' or '}'");
		free(m->key);
		json_free(v);
		return -1;
	}
	m->val = v;
	obj->n++;
	*pos = cur;
	return 0;
}

/* Collapses duplicate keys: the first position keeps the last value. */
struct dup {
	const struct json_member *m;
	size_t i;
};

static int
dup_cmp(const void *a, const void *b)
{
	const struct dup *x = a, *y = b;
	size_t n = x->m->keylen < y->m->keylen ? x->m->keylen : y->m->keylen;
	int c;

	if ((c = memcmp(x->m->key, y->m->key, n)) != 0)
		return c;
	if (x->m->keylen != y->m->keylen)
		return x->m->keylen < y->m->keylen ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
key_eq(const struct json_member *a, const struct json_member *b)
{
	return a->keylen == b->keylen &&
	    memcmp(a->key, b->key, a->keylen) == 0;
}

static int
has_dups(const struct json *o)
{
	size_t i, j;

	if (o->n > 16)
		return 1;
	for (i = 0; i < o->n; i++)
		for (j = i + 1; j < o->n; j++)
			if (key_eq(&o->members[i], &o->members[j]))
				return 1;
	return 0;
}

static void
obj_dedupe(struct json *o)
{
	struct dup *d;
	struct json_member *first, *m;
	size_t i, j, k;

	if (o->n < 2 || !has_dups(o))
		return;
	d = xmalloc(o->n * sizeof(*d));
	for (i = 0; i < o->n; i++) {
		d[i].m = &o->members[i];
		d[i].i = i;
	}
	qsort(d, o->n, sizeof(*d), dup_cmp);
	for (i = 0; i < o->n; i = j) {
		first = &o->members[d[i].i];
		for (j = i + 1; j < o->n && key_eq(d[j].m, first); j++) {
			m = &o->members[d[j].i];
			json_free(first->val);
			first->val = m->val;
			free(m->key);
			m->key = NULL;
			m->val = NULL;
		}
	}
	free(d);
	for (i = k = 0; i < o->n; i++)
		if (o->members[i].key != NULL)
			o->members[k++] = o->members[i];
	o->n = k;
}

static struct json *
walk_object(struct parser *p, const jsmntok_t *t, size_t *pos, int depth)
{
	struct json *obj = json_object();
	size_t i, cur = (size_t)t->start + 1;

	for (i = 0; i < (size_t)t->size; i++) {
		cur = skip_ws(p->s, p->len, cur);
		if (i > 0) {
			if (peek(p, cur) != ',') {
				expected(p, cur, "',' or '}'");
				goto fail;
			}
			cur = skip_ws(p->s, p->len, cur + 1);
		}
		if (walk_member(p, obj, &cur, depth) == -1)
			goto fail;
	}
	cur = skip_ws(p->s, p->len, cur);
	if (peek(p, cur) != '}') {
		expected(p, cur, i > 0 ? "',' or '}'" : "a string key or '}'");
		goto fail;
	}
	*pos = cur + 1;
	obj_dedupe(obj);
	return obj;
fail:
	json_free(obj);
	return NULL;
}

/* Builds the value whose token starts at s[*pos]; moves *pos past it. */
static struct json *
walk(struct parser *p, size_t *pos, int depth)
{
	const jsmntok_t *t;

	if ((t = take(p, *pos)) == NULL)
		return NULL;
	switch (t->type) {
	case JSMN_OBJECT:
	case JSMN_ARRAY:
		if (depth >= AR_MAX_DEPTH) {
			perr(p->err, *pos, "nesting deeper than %d",
			    AR_MAX_DEPTH);
			return NULL;
		}
		if (t->type == JSMN_ARRAY)
			return walk_array(p, t, pos, depth + 1);
		return walk_object(p, t, pos, depth + 1);
	case JSMN_STRING:
		return make_string(p, *pos, pos);
	case JSMN_PRIMITIVE:
		*pos = (size_t)t->end;
		return make_primitive(p, (size_t)t->start, (size_t)t->end);
	default:
		unexpected(p, *pos);
		return NULL;
	}
}

/* Explains a primitive jsmn refused at s[pos]: a bad byte inside it. */
static void
bad_primitive(struct parser *p, size_t pos)
{
	struct json *v;
	size_t e;
	unsigned char c;

	for (e = pos; e < p->len; e++) {
		c = (unsigned char)p->s[e];
		if (c <= 0x20 || c >= 0x7f || c == ',' || c == ']' || c == '}')
			break;
	}
	if ((v = make_primitive(p, pos, e)) != NULL) {
		json_free(v);
		unexpected(p, e);
	}
}

/* Explains why jsmn failed with r; jp is jsmn's state at the failure. */
static void
jsmn_failed(struct parser *p, int r, const jsmn_parser *jp)
{
	const jsmntok_t *sup, *last;
	const char *nul;
	size_t end, pos = jp->pos;
	unsigned int n;
	char c;

	if (p->ntok > 0 && p->tok[0].end != -1) {
		perr(p->err, skip_ws(p->s, p->len, (size_t)p->tok[0].end),
		    "trailing data after JSON value");
		return;
	}
	c = peek(p, pos);
	if (c == '"' && read_string(p, pos, &end) == -1)
		return;
	if (r == JSMN_ERROR_PART) {
		nul = memchr(p->s + pos, '\0', p->len - pos);
		unexpected(p, nul ? (size_t)(nul - p->s) : p->len);
		return;
	}
	sup = jp->toksuper != -1 ? &p->tok[jp->toksuper] : NULL;
	n = p->ntok - (c == '{' || c == '[');	/* jsmn took one for it */
	last = n > 0 ? &p->tok[n - 1] : NULL;
	if (c == '}' || c == ']')
		unexpected(p, pos);
	else if (sup && sup->type == JSMN_OBJECT && last && last != sup &&
	    last->type == JSMN_STRING && last->parent == jp->toksuper)
		expected(p, pos, "':' after object key");
	else if (sup && sup->type == JSMN_OBJECT)
		expected(p, pos, "a string key");
	else if (sup && sup->type == JSMN_STRING && sup->size > 0)
		expected(p, pos, "',' or '}'");
	else if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' ||
	    c == 'n')
		bad_primitive(p, pos);
	else
		unexpected(p, pos);
}

void
json_nest_feed(struct json_nest *n, const char *s, size_t len)
{
	size_t i;
	char c;

	for (i = 0; i < len && !n->deep && !n->unbalanced; i++) {
		c = s[i];
		if (n->in_str) {
			if (n->esc)
				n->esc = 0;
			else if (c == '\\')
				n->esc = 1;
			else if (c == '"')
				n->in_str = 0;
		} else if (c == '"') {
			n->in_str = 1;
		} else if (c == '[' || c == '{') {
			n->opened = 1;
			if (++n->depth > AR_MAX_DEPTH) {
				n->deep = 1;
				n->deep_at = n->off + i;
			}
		} else if (c == ']' || c == '}') {
			if (n->depth == 0)
				n->unbalanced = 1;
			else
				n->depth--;
		}
	}
	n->off += len;
}

/* Refuses nesting past AR_MAX_DEPTH in one linear pass, before jsmn,
 * whose closing brackets walk the chain of open ones. */
static int
check_depth(struct parser *p)
{
	struct json_nest n = { 0 };

	json_nest_feed(&n, p->s, p->len);
	if (!n.deep)
		return 0;
	perr(p->err, n.deep_at, "nesting deeper than %d", AR_MAX_DEPTH);
	return -1;
}

/*
 * Runs jsmn over the whole input: a first pass counts the tokens, the
 * second fills them (growing the array on JSMN_ERROR_NOMEM, should the
 * count be short).
 */
static int
tokenize(struct parser *p)
{
	jsmn_parser jp;
	unsigned int cap;
	int r;

	jsmn_init(&jp);
	r = jsmn_parse(&jp, p->s, p->len, NULL, 0);
	if (r > AR_MAX_VALUES) {
		/* Each value costs a tree node: bound the memory. */
		perr(p->err, 0, "more than %d JSON values", AR_MAX_VALUES);
		return -1;
	}
	cap = r > 0 ? (unsigned int)r : 64;
	jsmn_init(&jp);
	p->tok = xmalloc(cap * sizeof(*p->tok));
	for (;;) {
		r = jsmn_parse(&jp, p->s, p->len, p->tok, cap);
		p->ntok = jp.toknext;
		if (r != JSMN_ERROR_NOMEM)
			break;
		if (cap > UINT_MAX / 2 / sizeof(*p->tok)) {
			perr(p->err, jp.pos, "too many JSON tokens");
			return -1;
		}
		cap *= 2;
		p->tok = xrealloc(p->tok, cap * sizeof(*p->tok));
	}
	if (r < 0) {
		jsmn_failed(p, r, &jp);
		return -1;
	}
	return 0;
}

/*
 * A root that is not a container is read here: jsmn's strict mode wants
 * a delimiter after a primitive, which a lone root value has not.
 */
static struct json *
parse_scalar(struct parser *p, size_t *pos)
{
	size_t start = *pos, e;
	char c = p->s[start];

	if (c == '"')
		return make_string(p, start, pos);
	if (c != '-' && (c < '0' || c > '9') && c != 't' && c != 'f' &&
	    c != 'n') {
		unexpected(p, start);
		return NULL;
	}
	for (e = start; e < p->len; e++) {
		c = p->s[e];
		if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f ||
		    strchr(",:[]{}\"", c) != NULL)
			break;
	}
	*pos = e;
	return make_primitive(p, start, e);
}

struct json *
json_parse(const char *s, size_t len, size_t max, struct json_error *err)
{
	struct parser p;
	struct json *v = NULL;
	size_t pos;

	if (len > max || len > INT_MAX) {
		perr(err, max < INT_MAX ? max : INT_MAX,
		    "input larger than %zu bytes", max < INT_MAX ? max :
		    (size_t)INT_MAX);
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.s = s;
	p.len = len;
	p.err = err;
	if ((pos = skip_ws(s, len, 0)) == len) {
		perr(err, len, "no JSON value");
		return NULL;
	}
	if (s[pos] != '[' && s[pos] != '{')
		v = parse_scalar(&p, &pos);
	else if (check_depth(&p) == 0 && tokenize(&p) == 0)
		v = walk(&p, &pos, 0);
	if (v != NULL && (pos = skip_ws(s, len, pos)) != len) {
		perr(err, pos, "trailing data after JSON value");
		json_free(v);
		v = NULL;
	}
	free(p.tok);
	buf_free(&p.scratch);
	return v;
}
