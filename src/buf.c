/*
 * buf.c - a growable byte buffer, and outside text quoted as one line.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

static void
grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (need < b->len) {			/* overflow */
		fputs("aurarouter: buffer too large\n", stderr);
		exit(2);
	}
	while (b->cap < need)
		b->cap = b->cap ? b->cap * 2 : 64;
	b->s = xrealloc(b->s, b->cap);
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	grow(b, n);
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	grow(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->s, b->s + n, b->len - n);
	b->len -= n;
	b->s[b->len] = '\0';
}

char *
buf_detach(struct buf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

const char *
buf_str(struct buf *b)
{
	return b->s ? b->s : "";
}

void
buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

size_t
buf_utf8_seq(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80)
		return 1;
	if (u[0] < 0xc2)
		return 0;			/* continuation or overlong */
	if (u[0] < 0xe0)
		return n >= 2 && (u[1] & 0xc0) == 0x80 ? 2 : 0;
	if (u[0] < 0xf0) {
		if (n < 3 || (u[1] & 0xc0) != 0x80 || (u[2] & 0xc0) != 0x80)
			return 0;
		if (u[0] == 0xe0 && u[1] < 0xa0)
			return 0;		/* overlong */
		if (u[0] == 0xed && u[1] >= 0xa0)
			return 0;		/* surrogate */
		return 3;
	}
	if (u[0] < 0xf5) {
		if (n < 4 || (u[1] & 0xc0) != 0x80 || (u[2] & 0xc0) != 0x80 ||
		    (u[3] & 0xc0) != 0x80)
			return 0;
		if (u[0] == 0xf0 && u[1] < 0x90)
			return 0;		/* overlong */
		if (u[0] == 0xf4 && u[1] >= 0x90)
			return 0;		/* above U+10FFFF */
		return 4;
	}
	return 0;
}

void
buf_add_oneline(struct buf *b, const char *s, size_t len, size_t max)
{
	size_t i = 0, seq, room = len < max ? len : max;
	unsigned char c;

	while (i < len) {
		c = (unsigned char)s[i];
		seq = buf_utf8_seq(s + i, len - i);
		if (i + (seq ? seq : 1) > room)
			break;
		if (c < 0x20 || c == 0x7f)
			buf_addc(b, ' ');
		else if (seq != 0)
			buf_add(b, s + i, seq);
		else
			buf_addc(b, '?');	/* one byte that is not UTF-8 */
		i += seq ? seq : 1;
	}
	if (i < len)
		buf_adds(b, "...");
}

void
buf_oneline(char *dst, size_t size, const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t n;

	if (size == 0)
		return;
	buf_add_oneline(&b, s, len, len < size ? len : size > 4 ? size - 4 : 0);
	n = b.len < size ? b.len : size - 1;
	memcpy(dst, buf_str(&b), n);
	dst[n] = '\0';
	buf_free(&b);
}

int
buf_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}
