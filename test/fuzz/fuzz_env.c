/*
 * fuzz_env - libFuzzer harness for the .env parser.
 *
 * config_parse_env() runs the per-line parser config_load() uses. Every
 * entry must have a valid variable name, names must be unique (the last
 * line wins), and writing the table back as NAME="value" lines, with \"
 * \\ and \n escaped, must parse to the same table. Parsing the same text
 * twice into one table adds nothing.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_env env = { NULL, 0 };
	size_t n;

	config_parse_env(&env, (const char *)data, size);
	check_table(&env);
	check_rewrite(&env);
	n = env.n;
	config_parse_env(&env, (const char *)data, size);
	if (env.n != n)
		abort();
	config_env_free(&env);
	return 0;
}
