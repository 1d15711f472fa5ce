/*
 * ledger.c - writing the savings ledger.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "backend.h"
#include "ledger.h"
#include "xdg.h"

const char *
ledger_outcome(const struct json *rec)
{
	const struct json *v = json_obj_get(rec, "valid");
	const struct json *c = json_obj_get(rec, "cached");
	const char *backend = json_obj_str(rec, "backend", NULL);

	if (json_obj_get(rec, "error") != NULL || v == NULL ||
	    v->type != JSON_BOOL || !v->b)
		return LEDGER_FAILED;
	if (c != NULL && c->type == JSON_BOOL && c->b)
		return LEDGER_CACHE;
	if (backend != NULL && !backend_is_local(backend))
		return LEDGER_CLOUD;
	return LEDGER_LOCAL;
}

char *
ledger_path(const struct config *cfg)
{
	struct buf b = BUF_INIT;
	char *dir;

	if (cfg->ledger != NULL)
		return strcmp(cfg->ledger, "0") == 0 ? NULL : strdup(cfg->ledger);
	if ((dir = xdg_dir("XDG_STATE_HOME", ".local/state")) == NULL)
		return NULL;
	buf_printf(&b, "%s/ledger.jsonl", dir);
	free(dir);
	return buf_detach(&b);
}

/* Copies rec's string field key into line, or null. */
static void
copy_str(struct json *line, const struct json *rec, const char *key)
{
	const char *s = json_obj_str(rec, key, NULL);

	json_obj_set(line, key, s != NULL ? json_stringz(s) : json_null());
}

struct json *
ledger_line(const struct json *rec, struct json *attempts)
{
	struct json *line = json_object();
	const struct json *id = json_obj_get(rec, "id");
	const struct json *usage = json_obj_get(rec, "usage");
	const char *outcome = ledger_outcome(rec);
	char t[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_obj_set(line, "t", json_stringz(t));
	if (id != NULL)
		json_obj_set(line, "id", json_copy(id));
	copy_str(line, rec, "language");
	json_obj_set(line, "outcome", json_stringz(outcome));
	copy_str(line, rec, "backend");
	copy_str(line, rec, "model");
	json_obj_set(line, "attempts", attempts);
	if (strcmp(outcome, LEDGER_CACHE) == 0 && usage != NULL &&
	    usage->type == JSON_OBJECT) {
		json_obj_set(line, "input_tokens",
		    json_int(json_obj_count(usage, "input_tokens")));
		json_obj_set(line, "output_tokens",
		    json_int(json_obj_count(usage, "output_tokens")));
	}
	return line;
}

int
ledger_append(const char *path, const struct json *line)
{
	struct buf b = BUF_INIT;
	char *dir = strdup(path), *slash;
	ssize_t n;
	int fd, rv = -1;

	if (dir != NULL && (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		xdg_mkdirs(dir);
	}
	free(dir);
	json_write(&b, line);
	buf_addc(&b, '\n');
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd != -1) {
		while ((n = write(fd, b.s, b.len)) == -1 && errno == EINTR)
			;
		rv = n == (ssize_t)b.len ? 0 : -1;
		close(fd);
	}
	buf_free(&b);
	return rv;
}
