/*
 * fuzz_env - libFuzzer harness for the .env parser.
 *
 * config_parse_env() runs the per-line parser config_load() uses. Every
 * entry must have a valid variable name, names must be unique (the last
 * line wins), and writing the table back as NAME="value" lines, with \"
 * \\ and \n escaped, must parse to the same table. Parsing the same text
 * twice into one table adds nothing. Last wins, checked line by line: the
 * table is what parsing each line alone gives, a later line's value
 * replacing an earlier one's, in the order names first appear; a UTF-8
 * byte order mark is dropped at the start of the text only.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"

static void
check_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		abort();
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			abort();
}

static void
check_table(const struct config_env *env)
{
	size_t i;

	for (i = 0; i < env->n; i++) {
		check_name(env->vars[i].name);
		if (config_env_get(env, env->vars[i].name) !=
		    env->vars[i].value)
			abort();	/* a duplicate name */
	}
}

static void
check_rewrite(const struct config_env *env)
{
	struct config_env back = { NULL, 0 };
	struct buf b = BUF_INIT;
	const char *v;
	size_t i;

	for (i = 0; i < env->n; i++) {
		buf_printf(&b, "%s=\"", env->vars[i].name);
		for (v = env->vars[i].value; *v != '\0'; v++)
			if (*v == '\n')
				buf_add(&b, "\\n", 2);
			else if (*v == '"' || *v == '\\')
				buf_printf(&b, "\\%c", *v);
			else
				buf_add(&b, v, 1);
		buf_add(&b, "\"\n", 2);
	}
	config_parse_env(&back, buf_str(&b), b.len);
	if (back.n != env->n)
		abort();
	for (i = 0; i < env->n; i++)
		if (strcmp(back.vars[i].name, env->vars[i].name) != 0 ||
		    strcmp(back.vars[i].value, env->vars[i].value) != 0)
			abort();
	config_env_free(&back);
	buf_free(&b);
}

/* The table built one line at a time, each line parsed alone. */
static void
check_last_wins(const struct config_env *env, const char *text, size_t len)
{
	struct config_env want = { NULL, 0 }, one;
	const char *p = text, *end = text + len, *nl;
	struct buf line = BUF_INIT;
	size_t i;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (; p < end; p = nl != NULL ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		one.vars = NULL;
		one.n = 0;
		/* After a blank line, so that a mark is not taken off. */
		buf_reset(&line);
		buf_addc(&line, '\n');
		buf_add(&line, p, (size_t)((nl ? nl : end) - p));
		config_parse_env(&one, line.s, line.len);
		if (one.n > 1)
			abort();	/* one line, one setting at most */
		if (one.n == 1 && config_env_get(&want, one.vars[0].name)) {
			/* The same line again in want: its value replaces. */
			for (i = 0; strcmp(want.vars[i].name,
			    one.vars[0].name) != 0; i++)
				;
			free(want.vars[i].value);
			want.vars[i].value = strdup(one.vars[0].value);
		} else if (one.n == 1) {
			want.vars = realloc(want.vars, (want.n + 1) *
			    sizeof *want.vars);
			want.vars[want.n].name = strdup(one.vars[0].name);
			want.vars[want.n].value = strdup(one.vars[0].value);
			want.vars[want.n].user = 0;
			want.n++;
		}
		config_env_free(&one);
	}
	if (want.n != env->n)
		abort();
	for (i = 0; i < env->n; i++)
		if (strcmp(want.vars[i].name, env->vars[i].name) != 0 ||
		    strcmp(want.vars[i].value, env->vars[i].value) != 0)
			abort();
	config_env_free(&want);
	buf_free(&line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_env env = { NULL, 0 };
	size_t n;

	config_parse_env(&env, (const char *)data, size);
	check_table(&env);
	check_rewrite(&env);
	check_last_wins(&env, (const char *)data, size);
	n = env.n;
	config_parse_env(&env, (const char *)data, size);
	if (env.n != n)
		abort();
	config_env_free(&env);
	return 0;
}
