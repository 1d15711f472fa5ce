/*
 * buf.h - a growable byte buffer (binary safe; always NUL-terminated so
 * b->s can be used as a C string when it holds no NUL of its own), and
 * quoting outside text into one as a safe line.
 */
#ifndef AR_BUF_H
#define AR_BUF_H
#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *s;	/* owned; NULL until the first append */
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Removes the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Returns the contents as a NUL-terminated string owned by the caller
 * (never NULL) and leaves b empty. */
char *buf_detach(struct buf *b);
/* A NUL-terminated view of the contents (never NULL); borrowed. */
const char *buf_str(struct buf *b);
void buf_free(struct buf *b);

/*
 * Appends s[0..len) as one line of safe text, for quoting outside text in
 * a message: control characters become spaces, bytes that are not UTF-8
 * become '?', and text longer than max bytes is cut on a character
 * boundary and marked with "..." (so at most max + 3 bytes are added).
 */
void buf_add_oneline(struct buf *b, const char *s, size_t len, size_t max);
/* The same into the array dst[0..size), always NUL-terminated: the text
 * is cut only when it does not fit, "..." included. */
void buf_oneline(char *dst, size_t size, const char *s, size_t len);

/* Length of the valid UTF-8 sequence that starts s[0..n) (1 for ASCII),
 * or 0 when none does: overlongs, surrogates and code points above
 * U+10FFFF are invalid. n must be at least 1. */
size_t buf_utf8_seq(const char *s, size_t n);

/* Nonzero if s[0..n) is only white space (or empty). */
int buf_blank(const char *s, size_t n);

#endif
