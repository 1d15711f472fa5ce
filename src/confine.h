/*
 * confine.h - paths a client names, confined to a set of directories
 * (the roots), and files written atomically.
 *
 * A path is refused when it has a ".." component, or when it resolves
 * (realpath(3): every symlink followed) outside every root: so absolute
 * paths elsewhere and symlinks that leave the roots are refused alike.
 */
#ifndef AR_CONFINE_H
#define AR_CONFINE_H
#include <stddef.h>

#include "err.h"

#define CONFINE_MAX_ROOTS	16

struct confine {
	char *roots[CONFINE_MAX_ROOTS + 1];	/* resolved, owned; NULL-ended */
	int n;
};

/* The working directory as the one root. Returns 0, or -1 with e set. */
int confine_init_cwd(struct confine *c, struct ar_err *e);

/* Adds dir (it must exist) as a root. Returns 0, or -1 with e set. */
int confine_add_root(struct confine *c, const char *dir, struct ar_err *e);

void confine_free(struct confine *c);

/*
 * The resolved path of an existing file to read, inside a root: *out is
 * owned by the caller. Returns 0, or -1 with e set (code file_error) to a
 * sentence naming the path and why it was refused.
 */
int confine_read_path(const struct confine *c, const char *path, char **out,
    struct ar_err *e);

/*
 * The path to write for path, inside a root: its directory must exist;
 * a symlink is followed (and must stay inside). *exists says whether a
 * file is already there. *out is owned. Returns 0, or -1 with e set.
 */
int confine_write_path(const struct confine *c, const char *path, char **out,
    int *exists, struct ar_err *e);

/*
 * Writes data[0..len) to path atomically: a temporary file in the same
 * directory, flushed to disk, then renamed over path. Returns 0, or -1
 * with e set (nothing left behind).
 */
int confine_write_atomic(const char *path, const char *data, size_t len,
    struct ar_err *e);

#endif
