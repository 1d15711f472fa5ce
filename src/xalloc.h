/*
 * xalloc.h - allocation that cannot fail: on out-of-memory the program
 * prints one line and exits with status 2 (as jq and most Unix filters do).
 */
#ifndef AR_XALLOC_H
#define AR_XALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);   /* copies n bytes, adds a NUL */

#endif
