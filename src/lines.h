/*
 * lines.h - a bounded reader of input lines from a file descriptor.
 *
 * It reads with read(2), not stdio, so a line is answered as soon as it
 * arrives, and it can watch a second descriptor that means "stop". A line
 * longer than the bound is reported once and then skipped without being
 * buffered. The record reader uses its buffer and skipping directly; the
 * MCP server reads whole lines.
 */
#ifndef AR_LINES_H
#define AR_LINES_H
#include <stddef.h>

#include "buf.h"

struct lines {
	int fd;
	int stop_fd;		/* readable: stop reading; -1 for none */
	size_t max;		/* longest line lines_next() hands out */
	struct buf in;		/* unread input; owned */
	size_t scanned;		/* bytes at the start of in without '\n' */
	size_t done;		/* bytes of the line handed out last */
	int skipping;		/* the rest of an over-long line is due */
	int eof, error, stopped;
};

enum lines_status {
	LINES_OK,		/* *line is the next line */
	LINES_LONG,		/* a line over max: skipped, say so */
	LINES_END		/* end of input, a read error or stopped */
};

void lines_init(struct lines *l, int fd, int stop_fd, size_t max);
void lines_free(struct lines *l);

/* Waits for input (or stop_fd) and appends what is there to l->in.
 * Returns 0, or -1 at end of input, on a read error or when stopped. */
int lines_fill(struct lines *l);

/* Discards l->in up to and including the next '\n', reading on as
 * needed without keeping more than one read's worth. */
void lines_skip(struct lines *l);

/*
 * The next line, without its '\n' (nor a '\r' before it): *line points
 * into l->in until the next call. A line over l->max is reported once as
 * LINES_LONG and then skipped. The last line may lack its '\n', except
 * when stopped.
 */
enum lines_status lines_next(struct lines *l, const char **line,
    size_t *len);

#endif
