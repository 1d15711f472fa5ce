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
#include "config_int.h"
#include "defaults.h"
#include "xalloc.h"

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
		    "(want %.10g to %.10g)", what, s, min, max);
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

	s = config_trim(s);
	n = strlen(s);
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s[n - 1] = '\0';
		s = config_trim(s + 1);
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


/* The default of a setting is the text of its defaults.h value, which
 * config_set() reads with the checks a value from the environment gets. */
#define DEF(v) DEF_(v)
#define DEF_(v) #v

/* The one place each setting's name, kind, bounds, default and trust
 * marks are stated; only the values come from defaults.h. */
#define F(m) offsetof(struct config, m)
const struct setting config_settings[] = {
	{ "AR_CACHE_MAX_MB", K_DOUBLE, F(cache_max_mb), 0, AR_MAX_CACHE_MB,
	    DEF(AR_DEFAULT_CACHE_MAX_MB), 0 },
	{ "AR_CHECK", K_STR, F(check_cmd), 0, 0, NULL, 0 },
	{ "AR_CHECK_MEM_MB", K_DOUBLE, F(check_mem_mb), AR_MIN_CHECK_MEM_MB,
	    AR_MAX_CHECK_MEM_MB, DEF(AR_DEFAULT_CHECK_MEM_MB), 0 },
	{ "AR_CHECK_TIMEOUT", K_DURATION, F(check_timeout), AR_MIN_SECONDS,
	    AR_MAX_SECONDS, DEF(AR_DEFAULT_CHECK_TIMEOUT), 0 },
	{ "AR_CLOUD_MODEL", K_STR, F(cloud_model), 0, 0, AR_DEFAULT_CLOUD_MODEL,
	    0 },
	{ "AR_CLOUD_THINKING", K_THINKING, F(cloud_thinking), -1,
	    AR_MAX_THINKING_BUDGET, NULL, 0 },
	{ "AR_COOLDOWN", K_DURATION, F(cooldown), 0, AR_MAX_SECONDS,
	    DEF(AR_DEFAULT_COOLDOWN), 0 },
	{ "AR_FIRST_TOKEN_TIMEOUT", K_DURATION, F(first_token_timeout),
	    AR_MIN_SECONDS, AR_MAX_SECONDS, DEF(AR_DEFAULT_FIRST_TOKEN_TIMEOUT),
	    0 },
	{ "AR_LEDGER", K_STR, F(ledger), 0, 0, NULL, 0 },
	{ "AR_LOCAL_MODEL", K_STR, F(local_model), 0, 0, AR_DEFAULT_LOCAL_MODEL,
	    0 },
	{ "AR_LOCAL_THINK", K_THINK, F(local_think), 0, 0, NULL, 0 },
	{ "AR_MAX_CTX", K_LONG, F(max_ctx), 1, AR_MAX_NUM_CTX, NULL, 0 },
	{ "AR_MIN_CHARS", K_LONG, F(min_chars), 0, AR_MAX_MIN_CHARS,
	    DEF(AR_DEFAULT_MIN_CHARS), 0 },
	{ "AR_MIN_TPS", K_DOUBLE, F(min_tps), 0, AR_MAX_MIN_TPS,
	    DEF(AR_DEFAULT_MIN_TPS), 0 },
	{ "AR_NO_CACHE", K_BOOL, F(no_cache), 0, 1, NULL, 0 },
	{ "AR_NUM_CTX", K_LONG, F(num_ctx), 1, AR_MAX_NUM_CTX,
	    DEF(AR_DEFAULT_NUM_CTX), 0 },
	{ "AR_PRICE_INPUT", K_DOUBLE, F(price_input), 0, AR_MAX_PRICE,
	    DEF(AR_DEFAULT_PRICE_INPUT), 0 },
	{ "AR_PRICE_OUTPUT", K_DOUBLE, F(price_output), 0, AR_MAX_PRICE,
	    DEF(AR_DEFAULT_PRICE_OUTPUT), 0 },
	{ "AR_REPAIRS", K_LONG, F(repairs), 0, AR_MAX_REPAIRS,
	    DEF(AR_DEFAULT_REPAIRS), 0 },
	{ "AR_TIERS", K_LIST, F(tiers), 0, 0, NULL, S_URL_LIST },
	{ "AR_TIMEOUT", K_DURATION, F(timeout), AR_MIN_SECONDS, AR_MAX_SECONDS,
	    DEF(AR_DEFAULT_TIMEOUT), 0 },
	{ "GEMINI_API_KEY", K_KEY, F(api_key), 0, 0, NULL, S_KEY },
	{ "GOOGLE_API_KEY", K_KEY, F(api_key), 0, 0, NULL, S_KEY },
	{ "GOOGLE_GEMINI_BASE_URL", K_URL, F(gemini_base_url), 0, 0,
	    AR_DEFAULT_GEMINI_BASE_URL, S_BACKEND_URL },
	{ "OLLAMA_HOST", K_HOST, F(ollama_url), 0, 0, AR_DEFAULT_OLLAMA_HOST,
	    S_BACKEND_URL },
	{ "OPENAI_API_KEY", K_STR, F(openai_key), 0, 0, NULL, S_KEY },
	{ "OPENAI_BASE_URL", K_URL, F(openai_url), 0, 0, NULL, S_BACKEND_URL },
};
#undef F
const size_t config_nsettings = sizeof config_settings /
    sizeof config_settings[0];

const char *
config_kind_name(enum kind k)
{
	static const char *const names[] = {
		[K_STR] = "string", [K_URL] = "url", [K_HOST] = "url",
		[K_LIST] = "list", [K_LONG] = "number", [K_DOUBLE] = "number",
		[K_DURATION] = "duration", [K_BOOL] = "bool", [K_THINK] = "word",
		[K_THINKING] = "word", [K_KEY] = "key"
	};

	return names[k];
}

static const struct setting *
find_setting(const char *name)
{
	size_t i;

	for (i = 0; i < config_nsettings; i++)
		if (strcmp(config_settings[i].name, name) == 0)
			return &config_settings[i];
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
	if ((s->kind == K_STR || s->kind == K_LIST) && *value == '\0')
		return err_set(e, AR_E_CONFIG, "%s: must not be empty", what);
	switch (s->kind) {
	case K_STR:
	case K_LIST:
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
	case K_BOOL:
		if (config_parse_long(value, (long)s->min, (long)s->max, what,
		    &l, e) == -1)
			return -1;
		*(long *)p = l;
		return 0;
	case K_DOUBLE:
	case K_DURATION:
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

/* Each setting's default from the table, through config_set(): a default
 * its own bounds refuse would be left unset (test/settings.bats checks
 * that none is). */
static void
set_defaults(struct config *cfg)
{
	struct ar_err e;
	size_t i;

	for (i = 0; i < config_nsettings; i++)
		if (config_settings[i].def != NULL)
			config_set(cfg, config_settings[i].name,
			    config_settings[i].def, config_settings[i].name, &e);
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
			    config_file_get(vars[i]);
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

int
config_listed(const char *const *skip, const char *name)
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
	return uses == NULL || config_listed(uses, s->name);
}

int
config_load_for(struct config *cfg, const char *const *skip,
    const char *const *uses, struct ar_err *e)
{
	const struct setting *s;
	const char *v;
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	err_clear(e);
	if (config_env_load(e) == -1)
		return -1;
	if (config_check_trust(skip, uses, e) == -1)
		return -1;
	set_defaults(cfg);
	if (uses == NULL || config_listed(uses, "GOOGLE_API_KEY"))
		load_key(cfg);
	for (i = 0; i < config_nsettings; i++) {
		s = &config_settings[i];
		if (s->kind == K_KEY || config_listed(skip, s->name) ||
		    !used(uses, s) || (v = setting_value(s->name)) == NULL)
			continue;
		if (config_set(cfg, s->name, v, s->name, e) == -1) {
			config_name_file(s->name, e);
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
