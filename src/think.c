/*
 * think.c - remove the inline reasoning blocks of a model's answer.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "think.h"

static const struct {
	const char *open, *close;
} think_tags[] = {
	{ "<think>", "</think>" },
	{ "<thinking>", "</thinking>" },
};

#define THINK_NTAGS (sizeof think_tags / sizeof think_tags[0])

/* The first occurrence of the NUL-terminated pat in s[0..len), compared
 * without case, or NULL. */
static const char *
think_find(const char *s, size_t len, const char *pat)
{
	size_t n = strlen(pat), i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp(s + i, pat, n) == 0)
			return s + i;
	return NULL;
}

static const char *
think_skip_space(const char *s, const char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	return s;
}

/* Removes one leading block: returns the text after it, or s. */
static const char *
think_leading(const char *s, const char *end)
{
	const char *p = think_skip_space(s, end), *close;
	size_t k, n;

	for (k = 0; k < THINK_NTAGS; k++) {
		n = strlen(think_tags[k].open);
		if ((size_t)(end - p) < n ||
		    strncasecmp(p, think_tags[k].open, n) != 0)
			continue;
		close = think_find(p + n, (size_t)(end - p - n),
		    think_tags[k].close);
		return close == NULL ? end : close + strlen(think_tags[k].close);
	}
	return s;
}

/* Does the tag at p[0..n) stand alone on its line? Either side of it may
 * hold only white space up to the line's end, as reasoning models write
 * it (a tag inside a line of code is code). */
static int
think_own_line(const char *s, const char *end, const char *p, size_t n)
{
	const char *a = p, *b = p + n;

	while (a > s && (a[-1] == ' ' || a[-1] == '\t'))
		a--;
	while (b < end && (*b == ' ' || *b == '\t' || *b == '\r'))
		b++;
	return a == s || a[-1] == '\n' || b == end || *b == '\n';
}

/* A closing tag on its own line with no opening tag before it: the text
 * after it. */
static const char *
think_orphan_close(const char *s, const char *end)
{
	const char *close, *open;
	size_t k, n;

	for (k = 0; k < THINK_NTAGS; k++) {
		n = strlen(think_tags[k].close);
		close = think_find(s, (size_t)(end - s), think_tags[k].close);
		if (close == NULL || !think_own_line(s, end, close, n))
			continue;
		open = think_find(s, (size_t)(close - s), think_tags[k].open);
		if (open == NULL)
			return close + n;
	}
	return s;
}

const char *
think_strip(const char *s, size_t len, size_t *out_len)
{
	const char *end = s + len, *p = s, *next;

	p = think_orphan_close(p, end);
	while ((next = think_leading(p, end)) != p)
		p = next;
	*out_len = (size_t)(end - p);
	return p;
}
