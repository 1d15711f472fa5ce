/*
 * repeat.c - tell a model stuck in a loop from code that repeats itself
 * on purpose.
 *
 * A looping model writes the same line, or the same few lines, until it is
 * stopped: the repetition runs to the end of its answer, often cut in the
 * middle of a line. Legitimate code repeats too, but its long runs are
 * data: rows of a zero-filled table, "nop" or ".byte 0" padding, identical
 * test vectors, and something follows them (the "};" closing the table).
 * So a run of code lines is a loop wherever it is, and a run of data lines
 * only when the answer ends inside it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "repeat.h"
#include "xalloc.h"

#define RP_BLOCK_MAX	16		/* longest repeated block, in lines */
#define RP_RUN		10		/* copies in a row that make a loop */
#define RP_DATA_END	100		/* ... of data lines, up to the end, uncut */
#define RP_MANY_LINES	20		/* the "over half the lines" rule needs this many */
#define RP_TAIL_SPAN	400		/* bytes a trailing repeated chunk must cover */
#define RP_TAIL_MIN	8		/* ... in at least this many copies */
#define RP_TAIL_CHUNK	256		/* longest chunk looked for */
#define RP_QUOTE	40		/* bytes of a line quoted */

struct rline {
	const char *s;
	size_t len;
	int data;		/* a data line (see rp_data), not code */
};

/* ---- data lines ------------------------------------------------------- */

/* Words that are literals in one language or another. */
static const char *const rp_literals[] = {
	"true", "false", "True", "False", "TRUE", "FALSE", "null", "NULL",
	"nil", "None", "undefined", "nullptr", NULL
};

static int
rp_word_char(int c)
{
	return isalnum(c) || c == '_' || c == '.';
}

static int
rp_literal_word(const char *s, size_t n)
{
	size_t i;

	for (i = 0; rp_literals[i] != NULL; i++)
		if (strlen(rp_literals[i]) == n && !memcmp(rp_literals[i], s, n))
			return 1;
	return 0;
}

/* Does a comment start at s[0..n)? */
static int
rp_comment(const char *s, size_t n)
{
	if (n >= 2 && s[0] == '/' && (s[1] == '/' || s[1] == '*'))
		return 1;
	if (n >= 2 && s[0] == '-' && s[1] == '-')
		return 1;
	return s[0] == '#' || s[0] == ';' || s[0] == '*';
}

/* The end of the string literal opened at s[0], or n when it runs on. */
static size_t
rp_string_end(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (s[i] == '\\')
			i++;
		else if (s[i] == s[0])
			return i + 1;
	return n;
}

/*
 * A data line: a comment; an assembler directive (".byte 0", ".word x");
 * or, after at most one leading word standing alone ("nop", "db",
 * "return", "end"), only literals (numbers, strings, true/null...),
 * punctuation and operators but no assignment, and perhaps a comment:
 * "0, 0, 0, 0,", "{ 0x00, 0xff },", "[0, 0, 0],", "\"00ff\",", "db 0".
 * A call ("print(x)") or an assignment ("x = 1") is code.
 */
static int
rp_data(const char *s, size_t n)
{
	size_t i = 0, k;

	if (rp_comment(s, n) ||
	    (n >= 2 && s[0] == '.' && isalpha((unsigned char)s[1])))
		return 1;
	if (isalpha((unsigned char)s[0]) || s[0] == '_') {
		while (i < n && rp_word_char((unsigned char)s[i]))
			i++;
		if (i < n && !isspace((unsigned char)s[i]) && s[i] != ',' &&
		    s[i] != ';' && !rp_literal_word(s, i))
			return 0;
	}
	while (i < n) {
		if (isspace((unsigned char)s[i]))
			i++;
		else if (rp_comment(s + i, n - i) && (s[i] != '#' || i + 1 == n ||
		    isspace((unsigned char)s[i + 1])) && (s[i] != '*' ||
		    (i + 1 < n && s[i + 1] == '/')))
			return 1;	/* a comment after the data */
		else if (isdigit((unsigned char)s[i]) || ((s[i] == '.' ||
		    s[i] == '$' || s[i] == '#') && i + 1 < n &&
		    isxdigit((unsigned char)s[i + 1]))) {
			i++;		/* 0x1f, 1.5e3f, 10u, .5, $ff, #0 */
			while (i < n && (rp_word_char((unsigned char)s[i]) ||
			    s[i] == '\''))
				i++;
		} else if (s[i] == '"' || s[i] == '\'' || s[i] == '`')
			i += rp_string_end(s + i, n - i);
		else if (isalpha((unsigned char)s[i]) || s[i] == '_') {
			for (k = i; k < n && rp_word_char((unsigned char)s[k]); k++)
				;
			if (!rp_literal_word(s + i, k - i))
				return 0;
			i = k;
		} else if (strchr(",;:{}[]()+-*/%|&^~<>\\", s[i]) != NULL)
			i++;
		else
			return 0;	/* = ! ? . @ ... */
	}
	return 1;
}

/* Fewer than two letters or digits: "}", "]);", "*\/". */
static int
rp_trivial(const char *s, size_t n)
{
	size_t i, alnum = 0;

	for (i = 0; i < n; i++)
		alnum += isalnum((unsigned char)s[i]) != 0;
	return alnum < 2;
}

/* ---- lines ------------------------------------------------------------ */

static int
rp_eq(const struct rline *a, const struct rline *b)
{
	return a->len == b->len && !memcmp(a->s, b->s, a->len);
}

static int
rp_cmp(const void *a, const void *b)
{
	const struct rline *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* The non-blank lines of s, trimmed; *n of them (free the array). */
static struct rline *
rp_lines(const char *s, size_t len, size_t *n)
{
	const char *p = s, *end = s + len, *nl, *a, *b;
	struct rline *v = NULL;
	size_t cap = 0;

	*n = 0;
	for (; p < end; p = nl ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		a = p;
		b = nl ? nl : end;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[*n].s = a;
		v[*n].len = (size_t)(b - a);
		v[*n].data = rp_trivial(a, v[*n].len) || rp_data(a, v[*n].len);
		(*n)++;
	}
	return v;
}

/* ---- the rules -------------------------------------------------------- */

/* Judges the run v[start..end) of a block of p lines; n lines in all.
 * Returns 1 when it is a loop, with why filled. */
static int
rp_judge(const struct rline *v, size_t n, size_t start, size_t end,
    size_t p, struct buf *why)
{
	const struct rline *next = &v[end - p];	/* the line due after it */
	size_t copies = (end - start) / p, i;
	int code = 0, cut;

	if (copies < RP_RUN)
		return 0;
	for (i = start; i < start + p; i++)
		code |= !v[i].data;
	cut = end + 1 == n && v[n - 1].len < next->len &&
	    !memcmp(v[n - 1].s, next->s, v[n - 1].len);
	if (!code && !cut && (end < n || copies < RP_DATA_END))
		return 0;
	if (p == 1)
		buf_printf(why, "a line repeated %zu times in a row", copies);
	else
		buf_printf(why, "a block of %zu lines repeated %zu times in a "
		    "row", p, copies);
	if (cut)
		buf_adds(why, ", the answer cut off inside it");
	else if (end == n)
		buf_adds(why, " to the end of the answer");
	buf_adds(why, ": ");
	buf_add_oneline(why, v[start].s, v[start].len, RP_QUOTE);
	return 1;
}

/* A block of up to RP_BLOCK_MAX lines repeated back to back. */
static int
rp_runs(const struct rline *v, size_t n, struct buf *why)
{
	size_t p, i, start;

	for (p = 1; p <= RP_BLOCK_MAX && p < n; p++)
		for (i = 0; i + p < n; i++) {
			if (!rp_eq(&v[i], &v[i + p]))
				continue;
			for (start = i; i + p < n && rp_eq(&v[i], &v[i + p]); i++)
				;
			if (rp_judge(v, n, start, i + p, p, why))
				return 1;
		}
	return 0;
}

/* One code line making up over half of RP_MANY_LINES or more. */
static int
rp_many(const struct rline *v, size_t n, struct buf *why)
{
	struct rline *s;
	size_t i, run = 1, best = 0, at = 0;

	if (n < RP_MANY_LINES)
		return 0;
	s = xmalloc(n * sizeof *s);
	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, rp_cmp);
	for (i = 1; i <= n; i++) {
		if (i < n && rp_eq(&s[i], &s[i - 1])) {
			run++;
			continue;
		}
		if (run > best && !s[i - 1].data) {
			best = run;
			at = i - 1;
		}
		run = 1;
	}
	if (best * 2 > n) {
		buf_printf(why, "%zu of %zu lines are the same line: ", best, n);
		buf_add_oneline(why, s[at].s, s[at].len, RP_QUOTE);
	}
	free(s);
	return best * 2 > n;
}

/* A chunk within the last line repeated at its end, as a model looping
 * inside a line writes it. */
static int
rp_tail(const char *s, size_t len, struct buf *why)
{
	size_t p, k;
	const char *chunk;
	int blank;

	for (p = 1; p <= RP_TAIL_CHUNK && p * RP_TAIL_MIN <= len; p++) {
		chunk = s + len - p;
		if (chunk[0] == '\n')
			return 0;	/* longer chunks span lines too */
		for (blank = 1, k = 0; k < p && blank; k++)
			blank = isspace((unsigned char)chunk[k]) != 0;
		if (blank)
			continue;
		for (k = 1; (k + 1) * p <= len &&
		    !memcmp(s + len - (k + 1) * p, chunk, p); k++)
			if (k + 1 >= RP_TAIL_MIN && (k + 1) * p >= RP_TAIL_SPAN) {
				buf_printf(why, "the text ends with a %zu-byte "
				    "chunk repeated %zu times or more", p, k + 1);
				return 1;
			}
	}
	return 0;
}

int
repeat_find(const char *code, size_t len, struct buf *why)
{
	struct rline *v;
	size_t n;
	int found;

	v = rp_lines(code, len, &n);
	found = rp_runs(v, n, why) || rp_many(v, n, why) ||
	    rp_tail(code, len, why);
	free(v);
	return found;
}
