/*
 * fuzz_input.h - a readable file descriptor holding a fuzz input, for the
 * harnesses of readers that use read(2).
 *
 * Most inputs come from a memfd, read whole. Some (chosen by the input's
 * size, so a crash replays the same way) come through a SOCK_SEQPACKET
 * socket pair in small chunks written by a thread: each read(2) then
 * returns exactly one chunk, which exercises the readers' handling of
 * input that arrives piece by piece, deterministically.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

struct fuzz_feed {
	const uint8_t *data;
	size_t size, chunk;
	int fd;
	pthread_t thread;
	int threaded;
};

static void *
fuzz_feed_main(void *arg)
{
	struct fuzz_feed *f = arg;
	size_t off, n;

	for (off = 0; off < f->size; off += n) {
		n = f->size - off < f->chunk ? f->size - off : f->chunk;
		if (write(f->fd, f->data + off, n) != (ssize_t)n)
			break;		/* the reader stopped early */
	}
	close(f->fd);
	return NULL;
}

/* Returns the fd to read (the caller closes it, after calling
 * fuzz_input_done()). */
static int
fuzz_input_open(struct fuzz_feed *f, const uint8_t *data, size_t size)
{
	int sv[2], fd;
	size_t i, sum = 0;

	f->data = data;
	f->size = size;
	f->threaded = 0;
	if (size % 3 != 0) {
		if ((fd = memfd_create("fuzz", 0)) == -1)
			abort();
		if (size > 0 && write(fd, data, size) != (ssize_t)size)
			abort();
		if (lseek(fd, 0, SEEK_SET) != 0)
			abort();
		return fd;
	}
	for (i = 0; i < size; i++)
		sum += data[i];
	f->chunk = 1 + sum % 17;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		abort();
	f->fd = sv[1];
	if (pthread_create(&f->thread, NULL, fuzz_feed_main, f) != 0)
		abort();
	f->threaded = 1;
	return sv[0];
}

/* Ends the feed: a writer still waiting is released and joined. */
static void
fuzz_input_done(struct fuzz_feed *f, int rfd)
{
	if (!f->threaded)
		return;
	shutdown(rfd, SHUT_RDWR);
	pthread_join(f->thread, NULL);
}

#endif
