/*
 * cache.c - the answer cache: keys, atomic entries, the size bound.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "cache.h"
#include "defaults.h"
#include "xalloc.h"
#include "xdg.h"

#define CACHE_SUFFIX ".json"
#define CACHE_TMP_PREFIX ".tmp."
#define CACHE_TMP_STALE_S 3600	/* a temporary file older is left over */

/* Appends one field of a key: its name and its value, length-prefixed so
 * no two different inputs give the same text; NULL differs from "". */
static void
key_field(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, "%s\n", name);
	if (v == NULL)
		buf_adds(b, "-\n");
	else
		buf_printf(b, "%zu:%s\n", strlen(v), v);
}

/* Hex SHA-256 of data[0..len) into hex[CACHE_KEY_HEX + 1]. */
static void
sha256_hex(const void *data, size_t len, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	/* No openssl.cnf: a digest needs none, and reading it costs a cache
	 * hit a millisecond. Idempotent and thread-safe. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1)
		n = 0;	/* cannot happen with the default provider */
	for (i = 0; i < n && i < CACHE_KEY_HEX / 2; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * i] = '\0';
}

void
cache_key(const struct cache_input *in, char *hex)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "aurarouter cache %d\n", AR_CACHE_VERSION);
	key_field(&b, "system", in->system);
	key_field(&b, "prompt", in->prompt);
	key_field(&b, "language", in->language);
	key_field(&b, "tiers", in->tiers);
	key_field(&b, "digest", in->digest);
	buf_printf(&b, "num_ctx\n%ld\n", in->num_ctx);
	key_field(&b, "local_think", in->local_think);
	key_field(&b, "cloud_thinking", in->cloud_thinking);
	key_field(&b, "check", in->check_cmd);
	buf_printf(&b, "min_chars\n%ld\nsyntax_check\n%d\n", in->min_chars,
	    in->syntax_check);
	sha256_hex(b.s, b.len, hex);
	buf_free(&b);
}

char *
cache_dir(void)
{
	return xdg_dir("XDG_CACHE_HOME", ".cache");
}

/* Reads a whole small file; NULL when it cannot, or is over max. */
static char *
read_small(const char *path, size_t max, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return NULL;
	while ((n = read(fd, chunk, sizeof chunk)) > 0 && b.len <= max)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (n != 0 || b.len > max) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_detach(&b);
}

/* A usable entry of key at path (owned), or NULL: unreadable, not JSON,
 * another key, or a field missing or of the wrong type. */
static struct json *
entry_load(const char *path, const char *key)
{
	struct json_error je;
	struct json *e;
	const struct json *u;
	const char *k;
	size_t len;
	char *text = read_small(path, AR_MAX_RECORD, &len);

	if (text == NULL)
		return NULL;
	e = json_parse(text, len, AR_MAX_RECORD, &je);
	free(text);
	if (e == NULL)
		return NULL;
	if (e->type != JSON_OBJECT || (k = json_obj_str(e, "key", NULL)) == NULL ||
	    strcmp(k, key) != 0 || json_obj_str(e, "code", NULL) == NULL ||
	    json_obj_str(e, "backend", NULL) == NULL ||
	    json_obj_str(e, "model", NULL) == NULL ||
	    ((u = json_obj_get(e, "usage")) != NULL &&
	    u->type != JSON_OBJECT)) {
		json_free(e);
		return NULL;
	}
	return e;
}

int
cache_get(const char *dir, const char *key, struct json *rec)
{
	struct buf path = BUF_INIT;
	struct json *e, *lang;

	buf_printf(&path, "%s/%s" CACHE_SUFFIX, dir, key);
	e = entry_load(path.s, key);
	buf_free(&path);
	if (e == NULL)
		return 0;
	lang = json_obj_get(rec, "language");
	json_obj_set(rec, "code", json_copy(json_obj_get(e, "code")));
	if ((lang == NULL || lang->type == JSON_NULL) &&
	    json_obj_str(e, "language", NULL) != NULL)
		json_obj_set(rec, "language", json_copy(json_obj_get(e,
		    "language")));
	json_obj_set(rec, "valid", json_bool(1));
	json_obj_set(rec, "backend", json_copy(json_obj_get(e, "backend")));
	json_obj_set(rec, "model", json_copy(json_obj_get(e, "model")));
	if (json_obj_get(e, "usage") != NULL)
		json_obj_set(rec, "usage", json_copy(json_obj_get(e, "usage")));
	json_obj_set(rec, "cached", json_bool(1));
	json_obj_set(rec, "attempts", json_array());
	json_free(e);
	return 1;
}

/* Writes data to path atomically: a temporary file in dir, renamed.
 * Returns 0 or -1. */
static int
write_atomic(const char *dir, const char *path, const char *data, size_t len)
{
	struct buf tmp = BUF_INIT;
	ssize_t n;
	size_t off = 0;
	int fd, rv = -1;

	buf_printf(&tmp, "%s/" CACHE_TMP_PREFIX "XXXXXX", dir);
	if ((fd = mkstemp(tmp.s)) == -1) {
		buf_free(&tmp);
		return -1;
	}
	while (off < len && ((n = write(fd, data + off, len - off)) > 0 ||
	    errno == EINTR))
		off += n > 0 ? (size_t)n : 0;
	if (close(fd) == 0 && off == len && rename(tmp.s, path) == 0)
		rv = 0;
	else
		unlink(tmp.s);
	buf_free(&tmp);
	return rv;
}

struct cache_file {
	char name[CACHE_KEY_HEX + sizeof CACHE_SUFFIX];
	struct timespec mtime;
	off_t size;
};

static int
by_age(const void *a, const void *b)
{
	const struct cache_file *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return (x->mtime.tv_sec > y->mtime.tv_sec) -
		    (x->mtime.tv_sec < y->mtime.tv_sec);
	return (x->mtime.tv_nsec > y->mtime.tv_nsec) -
	    (x->mtime.tv_nsec < y->mtime.tv_nsec);
}

static int
is_entry(const char *name)
{
	size_t n = strlen(name);

	return n == CACHE_KEY_HEX + strlen(CACHE_SUFFIX) &&
	    strcmp(name + CACHE_KEY_HEX, CACHE_SUFFIX) == 0;
}

/* Lists the entries of d into *files (owned); removes temporary files
 * left over by writers that died. Returns their total size. */
static off_t
cache_list(DIR *d, struct cache_file **files, size_t *n)
{
	struct dirent *de;
	struct stat sb;
	size_t cap = 0;
	off_t total = 0;
	time_t now = time(NULL);

	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (strncmp(de->d_name, CACHE_TMP_PREFIX,
		    strlen(CACHE_TMP_PREFIX)) == 0 &&
		    now - sb.st_mtime > CACHE_TMP_STALE_S)
			unlinkat(dirfd(d), de->d_name, 0);
		if (!is_entry(de->d_name) || !S_ISREG(sb.st_mode))
			continue;
		if (*n == cap)
			*files = xrealloc(*files, (cap = cap ? 2 * cap : 64) *
			    sizeof **files);
		snprintf((*files)[*n].name, sizeof (*files)[*n].name, "%s",
		    de->d_name);
		(*files)[*n].mtime = sb.st_mtim;
		(*files)[(*n)++].size = sb.st_size;
		total += sb.st_size;
	}
	return total;
}

/* Removes the oldest entries until dir holds at most max bytes. Another
 * writer may remove the same files: a missing file is fine. */
static void
cache_trim(const char *dir, double max)
{
	struct cache_file *files = NULL;
	size_t n = 0, i;
	off_t total;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	total = cache_list(d, &files, &n);
	if ((double)total > max) {
		qsort(files, n, sizeof *files, by_age);
		for (i = 0; i < n && (double)total > max; i++) {
			unlinkat(dirfd(d), files[i].name, 0);
			total -= files[i].size;
		}
	}
	closedir(d);
	free(files);
}

int
cache_put(const char *dir, const char *key, const struct json *rec,
    double max_mb)
{
	static const char *const fields[] = {
		"code", "language", "backend", "model", "usage", NULL
	};
	struct json *e = json_object();
	struct buf text = BUF_INIT, path = BUF_INIT;
	const struct json *v;
	size_t i;
	int rv = -1;

	json_obj_set(e, "key", json_stringz(key));
	for (i = 0; fields[i] != NULL; i++)
		if ((v = json_obj_get(rec, fields[i])) != NULL)
			json_obj_set(e, fields[i], json_copy(v));
	json_write(&text, e);
	json_free(e);
	buf_printf(&path, "%s/%s" CACHE_SUFFIX, dir, key);
	if (xdg_mkdirs(dir) == 0 &&
	    write_atomic(dir, path.s, text.s, text.len) == 0)
		rv = 0;
	if (rv == 0)
		cache_trim(dir, max_mb * 1024 * 1024);
	buf_free(&text);
	buf_free(&path);
	return rv;
}

/* The path of the digest note of url and model (owned). */
static char *
note_path(const char *dir, const char *sub, const char *url,
    const char *model)
{
	struct buf b = BUF_INIT, id = BUF_INIT;
	char hex[CACHE_KEY_HEX + 1];

	key_field(&id, "url", url);
	key_field(&id, "model", model);
	sha256_hex(id.s, id.len, hex);
	buf_printf(&b, "%s/%s/%s", dir, sub, hex);
	buf_free(&id);
	return buf_detach(&b);
}

int
cache_note_put(const char *dir, const char *sub, const char *url,
    const char *model, const char *text)
{
	char *path = note_path(dir, sub, url, model), *d;
	int rv = -1;

	d = xstrdup(path);
	*strrchr(d, '/') = '\0';
	if (xdg_mkdirs(d) == 0)
		rv = write_atomic(d, path, text, strlen(text));
	free(d);
	free(path);
	return rv;
}

int
cache_note_get(const char *dir, const char *sub, const char *url,
    const char *model, char *out, size_t size)
{
	char *path = note_path(dir, sub, url, model), *text;
	size_t len;

	text = read_small(path, size - 1, &len);
	free(path);
	if (text == NULL || len == 0) {
		free(text);
		return 0;
	}
	memcpy(out, text, len);
	out[len] = '\0';
	free(text);
	return 1;
}

void
cache_note_del(const char *dir, const char *sub, const char *url,
    const char *model)
{
	char *path = note_path(dir, sub, url, model);

	unlink(path);
	free(path);
}

void
cache_digest_note(const char *dir, const char *url, const char *model,
    const char *digest)
{
	char old[128];

	if (cache_digest_get(dir, url, model, old, sizeof old) &&
	    strcmp(old, digest) == 0)
		return;
	cache_note_put(dir, "digests", url, model, digest);
}

int
cache_digest_get(const char *dir, const char *url, const char *model,
    char *out, size_t size)
{
	return cache_note_get(dir, "digests", url, model, out, size);
}
