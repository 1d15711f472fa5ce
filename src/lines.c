/*
 * lines.c - a bounded line reader over a file descriptor.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"

void
lines_init(struct lines *l, int fd, int stop_fd, size_t max)
{
	memset(l, 0, sizeof *l);
	l->fd = fd;
	l->stop_fd = stop_fd;
	l->max = max;
}

void
lines_free(struct lines *l)
{
	buf_free(&l->in);
}

/* Waits until fd or stop_fd is readable. Returns 0, or -1 when stopped
 * or poll failed. */
static int
lines_wait(struct lines *l)
{
	struct pollfd pf[2] = {
		{ l->fd, POLLIN, 0 }, { l->stop_fd, POLLIN, 0 }
	};

	for (;;) {
		if (poll(pf, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			l->error = 1;
			return -1;
		}
		if (pf[1].revents != 0) {
			l->stopped = 1;
			return -1;
		}
		if (pf[0].revents != 0)
			return 0;
	}
}

int
lines_fill(struct lines *l)
{
	char chunk[65536];
	ssize_t n;

	if (l->eof || l->stopped)
		return -1;
	if (l->stop_fd != -1 && lines_wait(l) == -1)
		return -1;
	do
		n = read(l->fd, chunk, sizeof chunk);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		l->error = n == -1;
		l->eof = 1;
		return -1;
	}
	buf_add(&l->in, chunk, (size_t)n);
	return 0;
}

void
lines_skip(struct lines *l)
{
	const char *nl;

	while (l->in.len == 0 ||
	    (nl = memchr(l->in.s, '\n', l->in.len)) == NULL) {
		buf_reset(&l->in);
		if (lines_fill(l) == -1)
			return;
	}
	buf_consume(&l->in, (size_t)(nl - l->in.s) + 1);
}

enum lines_status
lines_next(struct lines *l, const char **line, size_t *len)
{
	const char *nl;
	size_t n;

	buf_consume(&l->in, l->done);
	l->done = 0;
	if (l->skipping) {
		l->skipping = 0;
		lines_skip(l);
	}
	for (;;) {
		nl = l->in.len > l->scanned ? memchr(l->in.s + l->scanned,
		    '\n', l->in.len - l->scanned) : NULL;
		if (nl != NULL) {
			n = (size_t)(nl - l->in.s);
			l->done = n + 1;
			break;
		}
		l->scanned = l->in.len;
		if (l->in.len > l->max) {
			buf_reset(&l->in);
			l->scanned = 0;
			l->skipping = 1;
			return LINES_LONG;
		}
		if (lines_fill(l) == -1) {
			if (l->stopped || l->in.len == 0)
				return LINES_END;
			n = l->done = l->in.len;
			break;
		}
	}
	l->scanned = 0;
	*line = l->in.s;
	*len = n > 0 && l->in.s[n - 1] == '\r' ? n - 1 : n;
	return LINES_OK;
}
