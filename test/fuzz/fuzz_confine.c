/*
 * fuzz_confine - libFuzzer harness for the confinement of the paths an
 * MCP client names (files to read, write_to): confine_read_path() and
 * confine_write_path() on a fixed tree, built once under /dev/shm (or
 * $TMPDIR), with the working directory and a second directory as roots
 * and symbolic links that stay, leave, dangle, loop, and point at a
 * sibling whose name starts with a root's.
 *
 * The first byte chooses reading or writing; the rest, up to a NUL, is
 * the path. Checks: an accepted path has no ".." component; a path
 * accepted for reading resolves (realpath(3), done again here) to the
 * path returned, an existing file inside a root; a path accepted for
 * writing is not a symbolic link, not a directory, and its directory
 * resolves inside a root; *exists tells the truth; a refusal is a
 * file_error with a message.
 */
#include <sys/stat.h>

#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confine.h"
#include "fuzz_tmp.h"

static char base[PATH_MAX], roots[2][PATH_MAX];
static struct confine conf;

static void
mk(const char *kind, const char *path, const char *target)
{
	char p[PATH_MAX];
	FILE *fp;

	snprintf(p, sizeof p, "%s/%s", base, path);
	if (strcmp(kind, "dir") == 0 && mkdir(p, 0755) == 0)
		return;
	if (strcmp(kind, "file") == 0 && (fp = fopen(p, "w")) != NULL &&
	    fclose(fp) == 0)
		return;
	if (strcmp(kind, "link") == 0 && symlink(target, p) == 0)
		return;
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ar_err e;

	(void)argc;
	(void)argv;
	snprintf(base, sizeof base, "%s", fuzz_tmp_make("fuzz_confine"));
	mk("dir", "root", NULL);
	mk("dir", "root/sub", NULL);
	mk("dir", "root/sub/deeper", NULL);
	mk("file", "root/file.txt", NULL);
	mk("file", "root/sub/inner.txt", NULL);
	mk("file", "root/...", NULL);
	mk("link", "root/link-in", "file.txt");
	mk("link", "root/link-sub", "sub");
	mk("link", "root/link-up-in", "sub/../file.txt");
	mk("link", "root/link-out", "../outside/secret");
	mk("link", "root/link-out-dir", "../outside");
	mk("link", "root/link-prefix", "../rootbad/f");
	mk("link", "root/link-abs", "/etc/passwd");
	mk("link", "root/link-slash", "/");
	mk("link", "root/link-dangling", "nothere");
	mk("link", "root/link-loop", "link-loop");
	mk("link", "root/link-root2", "../root2/r2.txt");
	mk("dir", "root2", NULL);
	mk("file", "root2/r2.txt", NULL);
	mk("link", "root2/back", "../root/sub");
	mk("dir", "outside", NULL);
	mk("file", "outside/secret", NULL);
	mk("link", "outside/in", "../root/file.txt");
	mk("dir", "rootbad", NULL);
	mk("file", "rootbad/f", NULL);
	snprintf(roots[0], sizeof roots[0], "%s/root", base);
	snprintf(roots[1], sizeof roots[1], "%s/root2", base);
	if (chdir(roots[0]) == -1 || confine_init_cwd(&conf, &e) == -1 ||
	    confine_add_root(&conf, roots[1], &e) == -1)
		abort();
	return 0;
}

static int
has_dotdot(const char *p)
{
	const char *s;

	for (s = p; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
			return 1;
	return 0;
}

static int
in_root(const char *resolved)
{
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(roots[i]);
		if (strncmp(resolved, roots[i], n) == 0 &&
		    (resolved[n] == '\0' || resolved[n] == '/'))
			return 1;
	}
	return 0;
}

static void
check_read(const char *path)
{
	struct ar_err e;
	char *out, *again;
	struct stat st;

	err_clear(&e);
	if (confine_read_path(&conf, path, &out, &e) == -1) {
		if (out != NULL || e.code == NULL || e.msg[0] == '\0')
			abort();
		return;
	}
	if (e.code != NULL || has_dotdot(path) || !in_root(out) ||
	    stat(out, &st) == -1)
		abort();
	if ((again = realpath(path, NULL)) == NULL || strcmp(again, out) != 0)
		abort();
	free(again);
	free(out);
}

static void
check_write(const char *path)
{
	struct ar_err e;
	char *out, *dir, *rdir;
	struct stat st;
	int exists;

	err_clear(&e);
	if (confine_write_path(&conf, path, &out, &exists, &e) == -1) {
		if (out != NULL || e.code == NULL || e.msg[0] == '\0')
			abort();
		return;
	}
	if (e.code != NULL || has_dotdot(path))
		abort();
	dir = strdup(out);
	if ((rdir = realpath(dirname(dir), NULL)) == NULL || !in_root(rdir))
		abort();
	if (lstat(out, &st) == 0 && (S_ISLNK(st.st_mode) ||
	    S_ISDIR(st.st_mode)))
		abort();
	if (exists != (stat(out, &st) == 0))
		abort();
	free(rdir);
	free(dir);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path;

	if (size == 0 || size > 4096)
		return 0;
	path = strndup((const char *)data + 1, size - 1);
	if (data[0] & 1)
		check_write(path);
	else
		check_read(path);
	free(path);
	return 0;
}
