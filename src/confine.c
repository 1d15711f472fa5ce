/*
 * confine.c - paths confined to roots (realpath, no "..", no symlink
 * escapes) and atomic writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "confine.h"
#include "err.h"
#include "xalloc.h"

int
confine_add_root(struct confine *c, const char *dir, struct ar_err *e)
{
	char *r;

	if (c->n == CONFINE_MAX_ROOTS)
		return err_set(e, AR_E_CONFIG, "too many roots (at most %d)",
		    CONFINE_MAX_ROOTS);
	if ((r = realpath(dir, NULL)) == NULL)
		return err_set(e, AR_E_CONFIG, "root %.200s: %s", dir,
		    strerror(errno));
	c->roots[c->n++] = r;
	c->roots[c->n] = NULL;
	return 0;
}

int
confine_init_cwd(struct confine *c, struct ar_err *e)
{
	memset(c, 0, sizeof *c);
	return confine_add_root(c, ".", e);
}

void
confine_free(struct confine *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->roots[i]);
	c->n = 0;
	c->roots[0] = NULL;
}

/* Nonzero when path has a ".." component. */
static int
has_dotdot(const char *path)
{
	const char *p = path;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == path || p[-1] == '/') && (p[2] == '\0' ||
		    p[2] == '/'))
			return 1;
		p += 2;
	}
	return 0;
}

/* Nonzero when the resolved path is a root or lies under one. */
static int
inside(const struct confine *c, const char *resolved)
{
	size_t len;
	int i;

	for (i = 0; i < c->n; i++) {
		len = strlen(c->roots[i]);
		if (strncmp(resolved, c->roots[i], len) == 0 &&
		    (resolved[len] == '\0' || resolved[len] == '/' ||
		    (len == 1 && c->roots[i][0] == '/')))
			return 1;
	}
	return 0;
}

/* Refuses an empty path or one with "..". */
static int
check_shape(const char *what, const char *path, struct ar_err *e)
{
	if (path[0] == '\0')
		return err_set(e, AR_E_FILE, "%s: an empty path", what);
	if (has_dotdot(path))
		return err_set(e, AR_E_FILE, "%s \"%.200s\": a path with \"..\" "
		    "is refused", what, path);
	return 0;
}

/* The refusal of a path that resolves outside the roots. */
static int
outside(const struct confine *c, const char *what, const char *path,
    struct ar_err *e)
{
	return err_set(e, AR_E_FILE, "%s \"%.200s\": outside the working "
	    "directory%s (%.200s); refused", what, path, c->n > 1 ?
	    " and the client's roots" : "", c->roots[0]);
}

int
confine_read_path(const struct confine *c, const char *path, char **out,
    struct ar_err *e)
{
	char *r;

	*out = NULL;
	if (check_shape("files", path, e) == -1)
		return -1;
	if ((r = realpath(path, NULL)) == NULL)
		return err_set(e, AR_E_FILE, "files \"%.200s\": %s", path,
		    strerror(errno));
	if (!inside(c, r)) {
		free(r);
		return outside(c, "files", path, e);
	}
	*out = r;
	return 0;
}

/* Splits path into its directory ("." when none) and last component. */
static void
split_path(const char *path, struct buf *dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		buf_adds(dir, ".");
		*base = path;
	} else {
		buf_add(dir, path, slash == path ? 1 : (size_t)(slash - path));
		*base = slash + 1;
	}
}

/* Resolves the file path of dir/base: a symlink there is followed. */
static int
resolve_target(const struct confine *c, const char *path, const char *rdir,
    const char *base, char **out, int *exists, struct ar_err *e)
{
	struct buf full = BUF_INIT;
	struct stat st;
	char *r;

	buf_printf(&full, "%s/%s", strcmp(rdir, "/") == 0 ? "" : rdir, base);
	*exists = lstat(buf_str(&full), &st) == 0;
	if (*exists && S_ISLNK(st.st_mode)) {
		r = realpath(buf_str(&full), NULL);
		buf_free(&full);
		if (r == NULL || !inside(c, r)) {
			free(r);
			return outside(c, "write_to", path, e);
		}
		*exists = stat(r, &st) == 0;
		*out = r;
	} else
		*out = buf_detach(&full);
	if (*exists && S_ISDIR(st.st_mode)) {
		free(*out);
		*out = NULL;
		return err_set(e, AR_E_FILE, "write_to \"%.200s\": a directory",
		    path);
	}
	return 0;
}

int
confine_write_path(const struct confine *c, const char *path, char **out,
    int *exists, struct ar_err *e)
{
	struct buf dir = BUF_INIT;
	const char *base;
	char *rdir;
	int rc;

	*out = NULL;
	*exists = 0;
	if (check_shape("write_to", path, e) == -1)
		return -1;
	split_path(path, &dir, &base);
	if (base[0] == '\0' || strcmp(base, ".") == 0) {
		buf_free(&dir);
		return err_set(e, AR_E_FILE, "write_to \"%.200s\": not a file "
		    "name", path);
	}
	rdir = realpath(buf_str(&dir), NULL);
	buf_free(&dir);
	if (rdir == NULL)
		return err_set(e, AR_E_FILE, "write_to \"%.200s\": its "
		    "directory: %s", path, strerror(errno));
	if (!inside(c, rdir))
		rc = outside(c, "write_to", path, e);
	else
		rc = resolve_target(c, path, rdir, base, out, exists, e);
	free(rdir);
	return rc;
}

/* Writes all of data to fd; returns 0 or -1 (errno set). */
static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int
confine_write_atomic(const char *path, const char *data, size_t len,
    struct ar_err *e)
{
	struct buf tmp = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd, saved;

	if (slash != NULL)
		buf_add(&tmp, path, (size_t)(slash - path + 1));
	buf_printf(&tmp, ".%s.XXXXXX", slash != NULL ? slash + 1 : path);
	if ((fd = mkstemp(tmp.s)) == -1) {
		saved = errno;
		buf_free(&tmp);
		return err_set(e, AR_E_FILE, "cannot write %.200s: %s", path,
		    strerror(saved));
	}
	if (fchmod(fd, 0644) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		fd = -1;
	} else
		saved = 0;
	if (fd != -1 && close(fd) == -1)
		saved = errno;
	if (saved == 0 && rename(tmp.s, path) == -1)
		saved = errno;
	if (saved != 0) {
		unlink(tmp.s);
		buf_free(&tmp);
		return err_set(e, AR_E_FILE, "cannot write %.200s: %s", path,
		    strerror(saved));
	}
	buf_free(&tmp);
	return 0;
}
