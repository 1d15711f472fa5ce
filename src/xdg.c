/*
 * xdg.c - the user's cache and state directories.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"
#include "xdg.h"

char *
xdg_dir(const char *var, const char *fallback)
{
	const char *v = getenv(var), *home = getenv("HOME");
	struct buf b = BUF_INIT;

	if (v != NULL && *v == '/')
		buf_printf(&b, "%s/aurarouter", v);
	else if (home != NULL && *home != '\0')
		buf_printf(&b, "%s/%s/aurarouter", home, fallback);
	else
		return NULL;
	return buf_detach(&b);
}

int
xdg_mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;
	int rv = 0;

	for (s = p + 1; rv == 0 && (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			rv = -1;
		*s = '/';
	}
	if (rv == 0 && mkdir(p, 0700) == -1 && errno != EEXIST)
		rv = -1;
	free(p);
	return rv;
}
