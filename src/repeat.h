/*
 * repeat.h - a model stuck in a loop, told apart from code that repeats
 * itself on purpose (data tables, padding, test vectors).
 */
#ifndef AR_REPEAT_H
#define AR_REPEAT_H
#include <stddef.h>

#include "buf.h"

/*
 * Looks for degenerate repetition in code[0..len), over its non-blank
 * lines, trimmed:
 * - a block of 1 to 16 lines repeated 10 times or more in a row, when a
 *   line of it is code (not a data line such as "0, 0, 0, 0,", "nop",
 *   ".byte 0", "{ 0x00, 0x00 },", "\"0000\",", a comment, a brace);
 * - a block of data lines repeated up to the end of the code: 10 times or
 *   more when the last copy is cut mid-line, 100 times or more otherwise;
 * - one code line making up over half of 20 lines or more;
 * - the last line ending in a chunk of up to 256 bytes repeated 8 times
 *   or more over 400 bytes or more.
 * Returns 1 and appends what it found to why (one line, quoting the line),
 * else 0. Thread-safe.
 */
int repeat_find(const char *code, size_t len, struct buf *why);

#endif
