/*
 * fuzz_tmp.h - a scratch directory for the harnesses that read files: on
 * /dev/shm when it can be written (no disk I/O per input), else under
 * $TMPDIR or /tmp; removed with all it holds when the run exits.
 */
#ifndef FUZZ_TMP_H
#define FUZZ_TMP_H
#include <sys/stat.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_tmp_dir[PATH_MAX];

static int
fuzz_tmp_rm(const char *path, const struct stat *sb, int type,
    struct FTW *f)
{
	(void)sb;
	(void)f;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void
fuzz_tmp_clean(void)
{
	nftw(fuzz_tmp_dir, fuzz_tmp_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* Makes the directory (fuzz_tmp_dir, resolved: no link in it), named
 * after the harness; aborts when it cannot. */
static const char *
fuzz_tmp_make(const char *name)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char t[PATH_MAX];

	snprintf(t, sizeof t, "%s/%s.XXXXXX", tmp, name);
	if (mkdtemp(t) == NULL || realpath(t, fuzz_tmp_dir) == NULL)
		abort();
	atexit(fuzz_tmp_clean);
	return fuzz_tmp_dir;
}

#endif
