/*
 * think.h - inline reasoning in a model's answer: the <think>...</think>
 * (or <thinking>...</thinking>) blocks reasoning models write before the
 * answer when the engine does not separate them.
 */
#ifndef AR_THINK_H
#define AR_THINK_H
#include <stddef.h>

/*
 * The answer in s[0..len) without its inline thinking: every block that
 * opens at the start of the text (after white space) with <think> or
 * <thinking> is removed up to its closing tag (all the rest when the
 * block is never closed: the model stopped while thinking); and when the
 * text holds a </think> with no opening tag before it (the template
 * opened the block), everything up to that closing tag. Returns a pointer
 * into s and sets *out_len; s itself when there is no thinking.
 */
const char *think_strip(const char *s, size_t len, size_t *out_len);

#endif
