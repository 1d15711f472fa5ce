/*
 * prompt.c - the strict engineering prompt: system text, task, language,
 * file context and files read from disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "defaults.h"
#include "err.h"
#include "json.h"
#include "prompt.h"
#include "record.h"
#include "xalloc.h"

#define PROMPT_ANY_LANGUAGE "the language the task implies"

static const char *
lang_name(const char *language)
{
	return language && *language ? language : PROMPT_ANY_LANGUAGE;
}

/* strerror() is not thread-safe; this is, with glibc's or XSI's strerror_r. */
static const char *
prompt_strerror(int errnum, char *tmp, size_t len)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(errnum, tmp, len);
#else
	if (strerror_r(errnum, tmp, len) != 0)
		snprintf(tmp, len, "error %d", errnum);
	return tmp;
#endif
}

static char *
system_text(const char *language)
{
	struct buf b = BUF_INIT;

	buf_printf(&b,
	    "You are a senior software engineer. Answer with exactly one "
	    "fenced code block in %s, holding complete, runnable code. "
	    "Write no explanation and no prose before or after the code "
	    "block. Leave no placeholders, no TODOs and no omitted parts. "
	    "When existing code is given as context, keep its style, "
	    "names and conventions.", lang_name(language));
	return buf_detach(&b);
}

/* The backtick fence for s: longer than any run of backticks inside. */
static size_t
fence_len(const char *s, size_t len)
{
	size_t i, run = 0, max = 0;

	for (i = 0; i < len; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > max)
			max = run;
	}
	return max < 3 ? 3 : max + 1;
}

static void
add_fenced(struct buf *b, const char *heading, const char *s, size_t len)
{
	size_t i, n = fence_len(s, len);

	buf_printf(b, "\n\n# %s\n", heading);
	for (i = 0; i < n; i++)
		buf_addc(b, '`');
	buf_addc(b, '\n');
	buf_add(b, s, len);
	if (len > 0 && s[len - 1] != '\n')
		buf_addc(b, '\n');
	for (i = 0; i < n; i++)
		buf_addc(b, '`');
}

/* Reads at most max + 1 bytes of fd into b. Returns 0 or -1 (errno). */
static int
read_bounded(int fd, struct buf *b, size_t max)
{
	char tmp[65536];
	ssize_t n;

	while (b->len <= max) {
		n = read(fd, tmp, sizeof tmp);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		buf_add(b, tmp, (size_t)n);
	}
	return 0;
}

/* Reads the file at path into b (emptied first); the checks name it. */
static int
read_file(const char *path, struct buf *b, struct ar_err *e)
{
	char tmp[128];
	struct stat st;
	int fd, rc, saved;

	buf_reset(b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return err_set(e, AR_E_FILE, "cannot read %s: %s", path,
		    prompt_strerror(errno, tmp, sizeof tmp));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return err_set(e, AR_E_FILE, "cannot read %s: %s", path,
		    prompt_strerror(EISDIR, tmp, sizeof tmp));
	}
	rc = read_bounded(fd, b, AR_MAX_FILE);
	saved = errno;
	close(fd);
	if (rc == -1)
		return err_set(e, AR_E_FILE, "cannot read %s: %s", path,
		    prompt_strerror(saved, tmp, sizeof tmp));
	if (b->len > AR_MAX_FILE)
		return err_set(e, AR_E_FILE,
		    "%s is too large: over the limit of %u bytes",
		    path, AR_MAX_FILE);
	if (memchr(b->s ? b->s : "", '\0', b->len) != NULL ||
	    !json_utf8_valid(buf_str(b), b->len))
		return err_set(e, AR_E_FILE, "%s is not UTF-8 text", path);
	return 0;
}

static int
add_files(struct buf *p, const char *const *files, size_t used,
    struct ar_err *e)
{
	struct buf content = BUF_INIT, heading = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; files != NULL && files[i] != NULL; i++) {
		if ((rc = read_file(files[i], &content, e)) == -1)
			break;
		used += content.len;
		if (used > AR_MAX_CONTEXT) {
			rc = err_set(e, AR_E_FILE, "context too large at %s: "
			    "over the limit of %u bytes in all", files[i],
			    AR_MAX_CONTEXT);
			break;
		}
		buf_reset(&heading);
		buf_printf(&heading, "File: %s", files[i]);
		add_fenced(p, buf_str(&heading), buf_str(&content),
		    content.len);
	}
	buf_free(&content);
	buf_free(&heading);
	return rc;
}

int
prompt_build(const struct prompt_input *in, char **system, char **prompt,
    struct ar_err *e)
{
	struct buf p = BUF_INIT;
	size_t ctxlen = in->file_context ? strlen(in->file_context) : 0;

	*system = *prompt = NULL;
	if (ctxlen > AR_MAX_CONTEXT)
		return err_set(e, AR_E_FILE, "file_context too large: over "
		    "the limit of %u bytes", AR_MAX_CONTEXT);
	buf_printf(&p, "# Task\n%s\n\n# Language\n%s", in->task,
	    lang_name(in->language));
	if (ctxlen > 0)
		add_fenced(&p, "Context", in->file_context, ctxlen);
	if (add_files(&p, in->files, ctxlen, e) == -1) {
		buf_free(&p);
		return -1;
	}
	buf_printf(&p, "\n\nAnswer with exactly one fenced code block in %s "
	    "and nothing else.", lang_name(in->language));
	*system = system_text(in->language);
	*prompt = buf_detach(&p);
	return 0;
}

int
prompt_files(const struct json *rec, int usable, const char ***out,
    struct ar_err *e)
{
	const struct json *v = json_obj_get(rec, "files");
	const struct json *it;
	size_t i;

	*out = NULL;
	if (v == NULL || v->type == JSON_NULL)
		return 0;
	if (v->type != JSON_ARRAY)
		return err_set(e, AR_E_BAD_FIELD, "field \"files\" must be an "
		    "array of strings, not %s", json_type_name(v->type));
	*out = xcalloc(v->n + 1, sizeof **out);
	for (i = 0; i < v->n; i++) {
		it = v->items[i];
		if (it->type != JSON_STRING || (usable && (it->len == 0 ||
		    strlen(it->s) != it->len))) {
			free(*out);
			*out = NULL;
			if (it->type != JSON_STRING)
				return err_set(e, AR_E_BAD_FIELD, "field "
				    "\"files\"[%zu] must be a string, not %s", i,
				    json_type_name(it->type));
			return err_set(e, AR_E_BAD_FIELD, "field \"files\"[%zu] "
			    "is not a usable path", i);
		}
		(*out)[i] = it->s;
	}
	return 0;
}

int
prompt_record(struct json *rec, struct ar_err *e)
{
	struct prompt_input in;
	const char **files;
	char *sys, *prompt;

	memset(&in, 0, sizeof in);
	if (record_req_str(rec, "task", &in.task, e) == -1 ||
	    record_opt_str(rec, "language", &in.language, e) == -1 ||
	    record_opt_str(rec, "file_context", &in.file_context, e) == -1 ||
	    prompt_files(rec, 1, &files, e) == -1)
		return -1;
	in.files = files;
	if (prompt_build(&in, &sys, &prompt, e) == -1) {
		free(files);
		return -1;
	}
	free(files);
	json_obj_set(rec, "system", json_stringz(sys));
	json_obj_set(rec, "prompt", json_stringz(prompt));
	free(sys);
	free(prompt);
	return 0;
}
