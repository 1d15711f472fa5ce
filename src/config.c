/*
 * config.c - settings: defaults, .env files, the environment.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "buf.h"
#include "config.h"
#include "defaults.h"
#include "log.h"
#include "xalloc.h"

/* The file in the working directory, which may come with a cloned
 * repository. */
#define DOTENV ".env"

/* Values read from .env files, in the order they win. Written once by
 * config_load() before any thread starts; read-only afterwards. */
static struct config_env file_env;
static int files_loaded;
static char user_file[4096];	/* the user's file, for messages */

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

static char *
trim(char *s)
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
		v = trim(v);
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

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return;
	if (strncmp(line, "export", 6) == 0 && isspace((unsigned char)line[6]))
		line = trim(line + 6);
	if ((eq = strchr(line, '=')) == NULL)
		return;
	*eq = '\0';
	name = trim(line);
	value = unquote(trim(eq + 1));
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

static int names_key(const char *text);

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
	free(line);
	if (keyed && fstat(fileno(fp), &sb) == 0 && (sb.st_mode & 077))
		log_error("warning: %s holds an API key and other users can "
		    "read it (chmod 600 %s)", path, path);
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
config_parse_double(const char *s, double min, double max, const char *what,
    double *out, struct ar_err *e)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < min || v > max)
		return err_set(e, AR_E_CONFIG, "%s: invalid number '%.40s' "
		    "(want %g to %g)", what, s, min, max);
	*out = v;
	return 0;
}

int
config_parse_long(const char *s, long min, long max, const char *what,
    long *out, struct ar_err *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < min || v > max)
		return err_set(e, AR_E_CONFIG, "%s: invalid number '%.40s' "
		    "(want %ld to %ld)", what, s, min, max);
	*out = v;
	return 0;
}

void
config_set_str(char **slot, const char *s)
{
	free(*slot);
	*slot = xstrdup(s);
}

static void
strip_slashes(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

/* Splits "host:port" / "[v6]:port" like Go's net.SplitHostPort. Returns 0
 * and sets *host (without brackets) and *port, or -1 when there is no
 * port. The pointers point into hp, which is modified. */
static int
split_host_port(char *hp, char **host, char **port)
{
	char *colon;

	if (hp[0] == '[') {
		char *close = strchr(hp, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		*close = '\0';
		*host = hp + 1;
		*port = close + 2;
		return 0;
	}
	colon = strrchr(hp, ':');
	if (colon == NULL || strchr(hp, ':') != colon)
		return -1;	/* no port, or a bare IPv6 address */
	*colon = '\0';
	*host = hp;
	*port = colon + 1;
	return 0;
}

/* 1 to 5 digits, at most 65535: nothing else may stand after the ':'. */
static int
valid_port(const char *p)
{
	size_t n = strspn(p, "0123456789");

	return n > 0 && n <= 5 && p[n] == '\0' && strtol(p, NULL, 10) <= 65535;
}

#define URL_UNRESERVED "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789-._~"

/* Nonzero if host can stand in a URL as it is: an IPv6 address, or a
 * name or IPv4 address of unreserved characters with an optional
 * "user@" in front. */
static int
valid_host(const char *host)
{
	struct in6_addr a6;
	const char *at = strchr(host, '@');

	if (strchr(host, ':') != NULL)
		return inet_pton(AF_INET6, host, &a6) == 1;
	if (at != NULL && (at == host || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL))
		return 0;
	return host[strspn(host, URL_UNRESERVED "@")] == '\0';
}

/* Nonzero if path is a URL path without query, fragment or blanks. */
static int
valid_path(const char *path)
{
	return path[strspn(path, URL_UNRESERVED "!$&'()*+,;=:@/%")] == '\0';
}

/* The value less surrounding blanks and one pair of matching quotes;
 * points into s, which is modified. */
static char *
host_unquote(char *s)
{
	size_t n;

	s = trim(s);
	n = strlen(s);
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s[n - 1] = '\0';
		s = trim(s + 1);
	}
	return s;
}

/* Splits off the scheme of s (modified): returns what follows it, or s
 * when there is none, and sets *scheme and *defport; NULL for a scheme
 * Ollama cannot speak. */
static char *
host_scheme(char *s, const char **scheme, const char **defport)
{
	char *rest;

	*scheme = "http";
	*defport = "11434";
	if ((rest = strstr(s, "://")) == NULL) {
		if (strcmp(s, "ollama.com") == 0)
			*scheme = "https", *defport = "443";
		return s;
	}
	*rest = '\0';
	if (strcasecmp(s, "http") == 0)
		*defport = "80";
	else if (strcasecmp(s, "https") == 0)
		*scheme = "https", *defport = "443";
	else
		return NULL;
	return rest + 3;
}

/* Splits hp (modified; "host", "host:port", "[v6]" or "[v6]:port") into
 * *host and *port: a missing or bad port is defport, an empty host or
 * 0.0.0.0 is 127.0.0.1, :: is ::1. */
static void
host_port(char *hp, const char *defport, const char **host,
    const char **port)
{
	char *h, *p;
	size_t n;

	if (split_host_port(hp, &h, &p) == -1) {
		h = hp;
		n = strlen(h);
		if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
			h[n - 1] = '\0';
			h++;
		}
		p = NULL;
	}
	*port = p != NULL && valid_port(p) ? p : defport;
	if (*h == '\0' || strcmp(h, "0.0.0.0") == 0)
		*host = "127.0.0.1";
	else if (strcmp(h, "::") == 0)
		*host = "::1";
	else
		*host = h;
}

char *
config_ollama_url(const char *value)
{
	struct buf url = BUF_INIT;
	char *s = xstrdup(value != NULL ? value : ""), *hp, *path = NULL;
	const char *scheme, *defport, *host = NULL, *port = NULL;

	if ((hp = host_scheme(host_unquote(s), &scheme, &defport)) != NULL) {
		if ((path = strchr(hp, '/')) != NULL)
			*path++ = '\0';
		host_port(hp, defport, &host, &port);
	}
	if (hp == NULL || !valid_host(host) ||
	    (path != NULL && !valid_path(path))) {
		free(s);
		return NULL;
	}
	if (strchr(host, ':') != NULL)
		buf_printf(&url, "%s://[%s]:%s", scheme, host, port);
	else
		buf_printf(&url, "%s://%s:%s", scheme, host, port);
	if (path != NULL && *path != '\0')
		buf_printf(&url, "/%s", path);
	free(s);
	s = buf_detach(&url);
	strip_slashes(s);
	return s;
}

/* Every setting with a value of its own: its variable, where it lives in
 * struct config, its bounds and what it is to the trust rule. One table
 * serves the environment, the .env files and the flags. K_KEY settings
 * are read by load_key(), not by config_set(). */
enum kind { K_STR, K_URL, K_HOST, K_LONG, K_DOUBLE, K_THINK, K_THINKING,
	K_KEY };

/* Marks: S_BACKEND_URL is where requests go, S_KEY a secret sent with
 * them. A backend URL from ./.env is never used with a key from
 * elsewhere (check_trust), so a new backend's URL and key get that rule
 * by carrying these marks. */
#define S_BACKEND_URL	0x1
#define S_KEY		0x2
/* S_URL_LIST: a list whose items may carry URLs after an '@' (AR_TIERS);
 * a backend URL setting when its value holds one. */
#define S_URL_LIST	0x4

struct setting {
	const char *name;
	enum kind kind;
	size_t off;
	double min, max;
	const char *def;
	unsigned marks;
};

/* The settings loaded only by the programs that use them. */
static const char *const opt_in[] = {
	"AR_CACHE_MAX_MB", "AR_CHECK", "AR_CHECK_TIMEOUT", "AR_CLOUD_THINKING",
	"AR_LEDGER", "AR_LOCAL_THINK", "AR_MAX_CTX", "AR_NO_CACHE", "AR_REPAIRS",
	"AR_COOLDOWN", "AR_TIERS", "OPENAI_API_KEY", "OPENAI_BASE_URL",
	NULL
};

#define F(m) offsetof(struct config, m)
static const struct setting settings[] = {
	{ "AR_CACHE_MAX_MB", K_DOUBLE, F(cache_max_mb), 0, 1e7, NULL, 0 },
	{ "AR_CHECK", K_STR, F(check_cmd), 0, 0, NULL, 0 },
	{ "AR_CHECK_TIMEOUT", K_DOUBLE, F(check_timeout), 0.001, 86400, NULL,
	    0 },
	{ "AR_CLOUD_MODEL", K_STR, F(cloud_model), 0, 0, AR_DEFAULT_CLOUD_MODEL,
	    0 },
	{ "AR_CLOUD_THINKING", K_THINKING, F(cloud_thinking), -1,
	    AR_MAX_THINKING_BUDGET, NULL, 0 },
	{ "AR_COOLDOWN", K_DOUBLE, F(cooldown), 0, 86400, NULL, 0 },
	{ "AR_FIRST_TOKEN_TIMEOUT", K_DOUBLE, F(first_token_timeout), 0.001,
	    86400, NULL, 0 },
	{ "AR_LEDGER", K_STR, F(ledger), 0, 0, NULL, 0 },
	{ "AR_LOCAL_MODEL", K_STR, F(local_model), 0, 0, AR_DEFAULT_LOCAL_MODEL,
	    0 },
	{ "AR_LOCAL_THINK", K_THINK, F(local_think), 0, 0, NULL, 0 },
	{ "AR_MAX_CTX", K_LONG, F(max_ctx), 1, 16777216, NULL, 0 },
	{ "AR_MIN_CHARS", K_LONG, F(min_chars), 0, 1e9, NULL, 0 },
	{ "AR_MIN_TPS", K_DOUBLE, F(min_tps), 0, 1e6, NULL, 0 },
	{ "AR_NO_CACHE", K_LONG, F(no_cache), 0, 1, NULL, 0 },
	{ "AR_NUM_CTX", K_LONG, F(num_ctx), 1, 16777216, NULL, 0 },
	{ "AR_REPAIRS", K_LONG, F(repairs), 0, AR_MAX_REPAIRS, NULL, 0 },
	{ "AR_TIERS", K_STR, F(tiers), 0, 0, NULL, S_URL_LIST },
	{ "AR_TIMEOUT", K_DOUBLE, F(timeout), 0.001, 86400, NULL, 0 },
	{ "GEMINI_API_KEY", K_KEY, F(api_key), 0, 0, NULL, S_KEY },
	{ "GOOGLE_API_KEY", K_KEY, F(api_key), 0, 0, NULL, S_KEY },
	{ "GOOGLE_GEMINI_BASE_URL", K_URL, F(gemini_base_url), 0, 0,
	    AR_DEFAULT_GEMINI_BASE_URL, S_BACKEND_URL },
	{ "OLLAMA_HOST", K_HOST, F(ollama_url), 0, 0, "", S_BACKEND_URL },
	{ "OPENAI_API_KEY", K_STR, F(openai_key), 0, 0, NULL, S_KEY },
	{ "OPENAI_BASE_URL", K_URL, F(openai_url), 0, 0, NULL, S_BACKEND_URL },
};
#undef F
#define NSETTINGS (sizeof settings / sizeof settings[0])

/* Nonzero if text mentions a key variable. */
static int
names_key(const char *text)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if ((settings[i].marks & S_KEY) &&
		    strstr(text, settings[i].name) != NULL)
			return 1;
	return 0;
}

static const struct setting *
find_setting(const char *name)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

/* The index of s (case-insensitive) in the NULL-terminated words, or -1. */
static int
word_index(const char *s, const char *const *words)
{
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcasecmp(s, words[i]) == 0)
			return i;
	return -1;
}

static const char *const think_words[] = {
	"false", "true", "low", "medium", "high", NULL
};

/* AR_LOCAL_THINK: one of think_words, stored in lower case. */
static int
set_think(char **slot, const char *value, const char *what, struct ar_err *e)
{
	int i = word_index(value, think_words);

	if (i < 0)
		return err_set(e, AR_E_CONFIG, "%s: invalid value '%.40s' (want "
		    "false, true, low, medium or high)", what, value);
	config_set_str(slot, think_words[i]);
	return 0;
}

/* AR_CLOUD_THINKING: low, medium or high (stored in lower case), or a
 * token budget from min to max, stored as the number's text. */
static int
set_thinking(const struct setting *s, char **slot, const char *value,
    const char *what, struct ar_err *e)
{
	int i = word_index(value, think_words);
	char num[32];
	long l;

	if (i >= 2) {
		config_set_str(slot, think_words[i]);
		return 0;
	}
	if (config_parse_long(value, (long)s->min, (long)s->max, what, &l,
	    e) == -1)
		return err_set(e, AR_E_CONFIG, "%s: invalid value '%.40s' (want "
		    "low, medium, high or a token budget from %ld to %ld)",
		    what, value, (long)s->min, (long)s->max);
	snprintf(num, sizeof num, "%ld", l);
	config_set_str(slot, num);
	return 0;
}

int
config_set(struct config *cfg, const char *name, const char *value,
    const char *what, struct ar_err *e)
{
	const struct setting *s = find_setting(name);
	char *p, *url;
	double d;
	long l;

	if (s == NULL || s->kind == K_KEY)
		return err_set(e, AR_E_CONFIG, "unknown setting %s", name);
	p = (char *)cfg + s->off;
	if (s->kind == K_STR && *value == '\0')
		return err_set(e, AR_E_CONFIG, "%s: must not be empty", what);
	switch (s->kind) {
	case K_STR:
		config_set_str((char **)p, value);
		return 0;
	case K_URL:
		config_set_str((char **)p, value);
		strip_slashes(*(char **)p);
		return 0;
	case K_HOST:
		if ((url = config_ollama_url(value)) == NULL)
			return err_set(e, AR_E_CONFIG, "%s: not a usable Ollama "
			    "address (want host, host:port or an http:// or "
			    "https:// URL)", what);
		free(*(char **)p);
		*(char **)p = url;
		return 0;
	case K_LONG:
		if (config_parse_long(value, (long)s->min, (long)s->max, what,
		    &l, e) == -1)
			return -1;
		*(long *)p = l;
		return 0;
	case K_DOUBLE:
		if (config_parse_double(value, s->min, s->max, what, &d,
		    e) == -1)
			return -1;
		*(double *)p = d;
		return 0;
	case K_THINK:
		return set_think((char **)p, value, what, e);
	case K_THINKING:
		return set_thinking(s, (char **)p, value, what, e);
	case K_KEY:
		break;
	}
	return 0;
}

static void
set_defaults(struct config *cfg)
{
	size_t i;

	cfg->num_ctx = AR_DEFAULT_NUM_CTX;
	cfg->first_token_timeout = AR_DEFAULT_FIRST_TOKEN_TIMEOUT;
	cfg->timeout = AR_DEFAULT_TIMEOUT;
	cfg->min_tps = AR_DEFAULT_MIN_TPS;
	cfg->min_chars = AR_DEFAULT_MIN_CHARS;
	cfg->repairs = AR_DEFAULT_REPAIRS;
	cfg->check_timeout = AR_DEFAULT_CHECK_TIMEOUT;
	cfg->cache_max_mb = AR_DEFAULT_CACHE_MAX_MB;
	cfg->cooldown = AR_DEFAULT_COOLDOWN;
	for (i = 0; i < NSETTINGS; i++)
		if (settings[i].def != NULL)
			config_set(cfg, settings[i].name, settings[i].def,
			    settings[i].name, NULL);
}

/* The key: GOOGLE_API_KEY wins over GEMINI_API_KEY, as in Google's SDKs,
 * but the environment wins over the files for both: a key passed in the
 * environment is never shadowed by a stale one in a file. */
static void
load_key(struct config *cfg)
{
	static const char *const vars[] = { "GOOGLE_API_KEY", "GEMINI_API_KEY" };
	size_t i;
	int pass;
	const char *v;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
			v = pass == 0 ? getenv(vars[i]) :
			    config_env_get(&file_env, vars[i]);
			if (v != NULL && *v != '\0') {
				cfg->api_key = xstrdup(v);
				cfg->api_key_var = vars[i];
				return;
			}
		}
}

int
config_load(struct config *cfg, struct ar_err *e)
{
	return config_load_except(cfg, NULL, e);
}

static int
skipped(const char *const *skip, const char *name)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (strcmp(*skip, name) == 0)
			return 1;
	return 0;
}

/* A setting's value from the environment or the .env files; but a command
 * to run (AR_CHECK) only from the environment: a .env may come with a
 * cloned repository, and must not make us run its commands. */
static const char *
setting_value(const char *name)
{
	const char *v;

	if (strcmp(name, "AR_CHECK") != 0)
		return config_get(name);
	v = getenv(name);
	return v != NULL && *v != '\0' ? v : NULL;
}

/* Where the value of a setting comes from. */
enum origin { O_UNSET, O_FLAG, O_ENVIRON, O_DOTENV, O_USER_FILE };

static enum origin
origin_of(const char *name, const char *const *skip)
{
	const char *v;
	size_t i;

	if (skipped(skip, name))
		return O_FLAG;
	if ((v = getenv(name)) != NULL && *v != '\0')
		return O_ENVIRON;
	for (i = 0; i < file_env.n; i++)
		if (strcmp(file_env.vars[i].name, name) == 0) {
			if (*file_env.vars[i].value == '\0')
				return O_UNSET;
			return file_env.vars[i].user ? O_USER_FILE : O_DOTENV;
		}
	return O_UNSET;
}

/* The first key set outside ./.env, or NULL. */
static const struct setting *
foreign_key(enum origin *o)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		if (!(settings[i].marks & S_KEY))
			continue;
		*o = origin_of(settings[i].name, NULL);
		if (*o == O_ENVIRON || *o == O_USER_FILE)
			return &settings[i];
	}
	return NULL;
}

/* Whether a setting names where requests go: a backend URL, or a tier
 * list whose value holds one. */
static int
sets_url(const struct setting *s)
{
	const char *v;

	if (s->marks & S_BACKEND_URL)
		return 1;
	return (s->marks & S_URL_LIST) && (v = config_get(s->name)) != NULL &&
	    strchr(v, '@') != NULL;
}

/* The trust rule: a backend URL that ./.env sets (a cloned repository can
 * ship one) is never used with a key from the environment or the user's
 * file. Returns 0, or -1 with e naming the file and both variables. */
static int
check_trust(const char *const *skip, struct ar_err *e)
{
	const struct setting *key;
	enum origin o;
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		if (!sets_url(&settings[i]) ||
		    origin_of(settings[i].name, skip) != O_DOTENV ||
		    (key = foreign_key(&o)) == NULL)
			continue;
		return err_set(e, AR_E_CONFIG, "./%s sets %s, but the key %s "
		    "comes from %s: a URL from ./%s is never sent a key from "
		    "elsewhere (put the key in ./%s too, or set %s in the "
		    "environment)", DOTENV, settings[i].name, key->name,
		    o == O_ENVIRON ? "the environment" : user_file, DOTENV,
		    DOTENV, settings[i].name);
	}
	return 0;
}

/* Adds to e which file the value of name came from, if one did. */
static void
name_file(const char *name, struct ar_err *e)
{
	char msg[sizeof e->msg];
	enum origin o = origin_of(name, NULL);

	if (e == NULL || (o != O_DOTENV && o != O_USER_FILE))
		return;
	memcpy(msg, e->msg, sizeof msg);
	err_set(e, e->code, "%s (from %s%s)", msg, o == O_DOTENV ? "./" : "",
	    o == O_DOTENV ? DOTENV : user_file);
}

int
config_load_except(struct config *cfg, const char *const *skip,
    struct ar_err *e)
{
	return config_load_for(cfg, skip, NULL, e);
}

/* Does the program load setting s? Every one when uses is NULL. */
static int
used(const char *const *uses, const struct setting *s)
{
	return uses == NULL || !skipped(opt_in, s->name) ||
	    skipped(uses, s->name);
}

int
config_load_for(struct config *cfg, const char *const *skip,
    const char *const *uses, struct ar_err *e)
{
	const char *v;
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	err_clear(e);
	if (!files_loaded) {
		files_loaded = 1;
		if (load_env_files(e) == -1)
			return -1;
	}
	if (check_trust(skip, e) == -1)
		return -1;
	set_defaults(cfg);
	load_key(cfg);
	for (i = 0; i < NSETTINGS; i++) {
		if (settings[i].kind == K_KEY ||
		    skipped(skip, settings[i].name) ||
		    !used(uses, &settings[i]) ||
		    (v = setting_value(settings[i].name)) == NULL)
			continue;
		if (config_set(cfg, settings[i].name, v, settings[i].name,
		    e) == -1) {
			name_file(settings[i].name, e);
			config_free(cfg);
			return -1;
		}
	}
	return 0;
}

long
config_max_ctx(const struct config *cfg)
{
	return cfg->max_ctx > cfg->num_ctx ? cfg->max_ctx : cfg->num_ctx;
}

void
config_free(struct config *cfg)
{
	free(cfg->ollama_url);
	free(cfg->local_model);
	free(cfg->cloud_model);
	free(cfg->gemini_base_url);
	free(cfg->local_think);
	free(cfg->cloud_thinking);
	free(cfg->check_cmd);
	free(cfg->ledger);
	free(cfg->openai_url);
	free(cfg->tiers);
	if (cfg->openai_key != NULL) {
		explicit_bzero(cfg->openai_key, strlen(cfg->openai_key));
		free(cfg->openai_key);
	}
	if (cfg->api_key != NULL) {
		explicit_bzero(cfg->api_key, strlen(cfg->api_key));
		free(cfg->api_key);
	}
	memset(cfg, 0, sizeof *cfg);
}
