/*
 * config_env.c - the .env table: reads ./.env and the user's file once,
 * and answers every lookup of a setting's value (config_get).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config_int.h"
#include "xalloc.h"

/* Values read from .env files, in the order they win. Written once by
 * config_env_load() before any thread starts; read-only afterwards. */
static struct config_env file_env;
static int files_loaded;
static char user_file[4096];	/* the user's file, for messages */
/* What the files' loading has to say (a key others can read), or empty. */
static struct buf warnings = BUF_INIT;

/* The entry of name in env, or NULL. */
static struct config_env_var *
env_find(const struct config_env *env, const char *name)
{
	size_t i;

	for (i = 0; i < env->n; i++)
		if (strcmp(env->vars[i].name, name) == 0)
			return &env->vars[i];
	return NULL;
}

const char *
config_env_get(const struct config_env *env, const char *name)
{
	const struct config_env_var *v = env_find(env, name);

	return v != NULL ? v->value : NULL;
}

void
config_env_free(struct config_env *env)
{
	size_t i;

	for (i = 0; i < env->n; i++) {
		explicit_bzero(env->vars[i].value, strlen(env->vars[i].value));
		free(env->vars[i].name);
		free(env->vars[i].value);
	}
	free(env->vars);
	env->vars = NULL;
	env->n = 0;
}

const char *
config_get(const char *name)
{
	const char *v = getenv(name);

	if (v != NULL && *v != '\0')
		return v;
	v = config_env_get(&file_env, name);
	return v != NULL && *v != '\0' ? v : NULL;
}

char *
config_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Nonzero if only blanks, then nothing or a comment, follow s. */
static int
ends_value(const char *s)
{
	s += strspn(s, " \t");
	return *s == '\0' || *s == '#';
}

/* The escapes a double-quoted value knows, as dotenv reads them: \" \\
 * and \n; any other backslash stays. */
static int
dq_escape(const char *s)
{
	return s[0] == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == 'n');
}

/* A double-quoted value (v at its opening quote) unescaped in place, up
 * to the first unescaped quote that only blanks or a comment follow; NULL
 * (v untouched) when there is none. */
static char *
unquote_double(char *v)
{
	char *in, *out, *close = NULL;

	for (in = v + 1; *in != '\0' && close == NULL; in++)
		if (dq_escape(in))
			in++;
		else if (*in == '"' && ends_value(in + 1))
			close = in;
	if (close == NULL)
		return NULL;
	for (in = out = v + 1; in < close; in++) {
		if (dq_escape(in))
			*out++ = *++in == 'n' ? '\n' : *in;
		else
			*out++ = *in;
	}
	*out = '\0';
	return v + 1;
}

/* The value of a .env line: a double-quoted value unescaped, a single-
 * quoted one as it is, up to its closing quote (a comment may follow),
 * else the text up to an unquoted " #" comment. */
static char *
unquote(char *v)
{
	char *close, *hash, *dq;

	if (v[0] == '"' && (dq = unquote_double(v)) != NULL)
		return dq;
	if (v[0] == '\'' && (close = strrchr(v + 1, '\'')) != NULL &&
	    ends_value(close + 1)) {
		*close = '\0';
		return v + 1;
	}
	if ((hash = strstr(v, " #")) != NULL || (hash = strstr(v, "\t#")) != NULL) {
		*hash = '\0';
		v = config_trim(v);
	}
	return v;
}

static int
valid_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Adds one "KEY=VALUE" line: an earlier file's value wins, and within
 * one file the last line does, as in dotenv and sh. */
static void
parse_env_line(struct config_env *env, char *line, int user)
{
	struct config_env_var *old;
	char *eq, *name, *value;

	line = config_trim(line);
	if (*line == '\0' || *line == '#')
		return;
	if (strncmp(line, "export", 6) == 0 && isspace((unsigned char)line[6]))
		line = config_trim(line + 6);
	if ((eq = strchr(line, '=')) == NULL)
		return;
	*eq = '\0';
	name = config_trim(line);
	value = unquote(config_trim(eq + 1));
	if (!valid_name(name))
		return;
	if ((old = env_find(env, name)) != NULL) {
		if (old->user == user) {
			explicit_bzero(old->value, strlen(old->value));
			free(old->value);
			old->value = xstrdup(value);
		}
		return;
	}
	env->vars = xrealloc(env->vars, (env->n + 1) * sizeof *env->vars);
	env->vars[env->n].name = xstrdup(name);
	env->vars[env->n].value = xstrdup(value);
	env->vars[env->n].user = user;
	env->n++;
}


/* Nonzero if text mentions a key variable. */
static int
names_key(const char *text)
{
	size_t i;

	for (i = 0; i < config_nsettings; i++)
		if ((config_settings[i].marks & S_KEY) &&
		    strstr(text, config_settings[i].name) != NULL)
			return 1;
	return 0;
}

/* A UTF-8 byte order mark, which some editors put at the start of a file. */
#define BOM	"\xef\xbb\xbf"
#define BOM_LEN	3

/* One line as read (NUL-terminated; a NUL ends it early): adds its
 * setting to env. Returns 1 if the line names an API key variable. */
static int
env_line(struct config_env *env, const char *line, int user)
{
	char *dup = xstrdup(line);
	int keyed = names_key(line);

	parse_env_line(env, dup, user);
	free(dup);
	return keyed;
}

void
config_parse_env(struct config_env *env, const char *text, size_t len)
{
	struct buf line = BUF_INIT;
	const char *p = text, *end = text + len, *nl;

	if (len >= BOM_LEN && memcmp(text, BOM, BOM_LEN) == 0)
		p += BOM_LEN;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		buf_reset(&line);
		buf_add(&line, p, (size_t)((nl != NULL ? nl : end) - p));
		env_line(env, buf_str(&line), 0);
		p = nl != NULL ? nl + 1 : end;
	}
	if (line.s != NULL)
		explicit_bzero(line.s, line.cap);	/* it may have held a key */
	buf_free(&line);
}

/* Reads one .env file; a missing file is fine, an unreadable one is not. */
static int
load_env_file(const char *path, int user, struct ar_err *e)
{
	FILE *fp;
	struct stat sb;
	char *line = NULL;
	size_t cap = 0;
	int keyed = 0, first;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return err_set(e, AR_E_CONFIG, "cannot read %s: %s", path,
		    strerror(errno));
	}
	for (first = 1; getline(&line, &cap, fp) != -1; first = 0)
		keyed |= env_line(&file_env, first && strncmp(line, BOM,
		    BOM_LEN) == 0 ? line + BOM_LEN : line, user);
	if (line != NULL)
		explicit_bzero(line, cap);	/* it may have held a key */
	free(line);
	if (keyed && fstat(fileno(fp), &sb) == 0 && (sb.st_mode & 077))
		buf_printf(&warnings, "%swarning: %s holds an API key and "
		    "other users can read it (chmod 600 %s)", warnings.len ?
		    "\n" : "", path, path);
	fclose(fp);
	return 0;
}

static int
load_env_files(struct ar_err *e)
{
	struct buf path = BUF_INIT;
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int rv;

	if (load_env_file(DOTENV, 0, e) == -1)
		return -1;
	if (xdg != NULL && *xdg == '/')
		buf_printf(&path, "%s/aurarouter/env", xdg);
	else if (home != NULL && *home != '\0')
		buf_printf(&path, "%s/.config/aurarouter/env", home);
	snprintf(user_file, sizeof user_file, "%s", buf_str(&path));
	rv = path.len ? load_env_file(path.s, 1, e) : 0;
	buf_free(&path);
	return rv;
}

int
config_env_load(struct ar_err *e)
{
	if (files_loaded)
		return 0;
	files_loaded = 1;
	return load_env_files(e);
}

const char *
config_file_get(const char *name)
{
	return config_env_get(&file_env, name);
}

enum origin
config_env_origin(const char *name)
{
	const struct config_env_var *v;
	const char *ev;

	if ((ev = getenv(name)) != NULL && *ev != '\0')
		return O_ENVIRON;
	if ((v = env_find(&file_env, name)) == NULL || *v->value == '\0')
		return O_UNSET;
	return v->user ? O_USER_FILE : O_DOTENV;
}

const char *
config_file_of(const char *name)
{
	switch (config_env_origin(name)) {
	case O_DOTENV:
		return "./" DOTENV;
	case O_USER_FILE:
		return user_file;
	default:
		return NULL;
	}
}

const char *
config_user_file(void)
{
	return user_file;
}

int
config_holds_key(void)
{
	size_t i;

	for (i = 0; i < config_nsettings; i++)
		if ((config_settings[i].marks & S_KEY) &&
		    config_get(config_settings[i].name) != NULL)
			return 1;
	return 0;
}

const char *
config_warnings(void)
{
	return warnings.len ? buf_str(&warnings) : NULL;
}
