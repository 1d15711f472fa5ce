/*
 * json-echo - a test filter for the JSON module: parses stdin as one
 * JSON value and writes it back compactly, or, with -s KEY, writes the
 * raw unescaped bytes of the string member KEY of the top-level object.
 * On a parse error it prints "error at OFF: MSG" on stdout and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "defaults.h"
#include "json.h"

static int
read_all(FILE *fp, struct buf *b, size_t max)
{
	char tmp[65536];
	size_t n;

	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0) {
		buf_add(b, tmp, n);
		if (b->len > max)
			break;
	}
	return ferror(fp) ? -1 : 0;
}

static int
emit(const struct json *v, const char *key)
{
	struct buf out = BUF_INIT;
	const char *s;
	size_t len;

	if (key != NULL) {
		if ((s = json_obj_str(v, key, &len)) == NULL) {
			printf("error: no string member \"%s\"\n", key);
			return 1;
		}
		fwrite(s, 1, len, stdout);
	} else {
		json_write(&out, v);
		buf_addc(&out, '\n');
		fwrite(out.s, 1, out.len, stdout);
		buf_free(&out);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf in = BUF_INIT;
	struct json_error err;
	struct json *v;
	const char *key = NULL;
	int c, rv;

	while ((c = getopt(argc, argv, "s:")) != -1) {
		if (c != 's') {
			fputs("usage: json-echo [-s KEY]\n", stderr);
			return 2;
		}
		key = optarg;
	}
	if (read_all(stdin, &in, AR_MAX_RECORD) == -1) {
		perror("json-echo: stdin");
		return 2;
	}
	v = json_parse(buf_str(&in), in.len, AR_MAX_RECORD, &err);
	if (v == NULL) {
		printf("error at %zu: %s\n", err.off, err.msg);
		rv = 1;
	} else {
		rv = emit(v, key);
	}
	json_free(v);
	buf_free(&in);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("json-echo: stdout");
		return 2;
	}
	return rv;
}
