/*
 * config.h - settings from flags, the environment and .env files.
 *
 * Precedence: flags > environment > ./.env > $XDG_CONFIG_HOME/aurarouter/env
 * (default ~/.config/aurarouter/env) > defaults.h. A backend URL set by
 * ./.env (which may come with a cloned repository) is never used with an
 * API key from the environment or the user's file: config_load() refuses
 * that with a configuration error. .env lines are
 * KEY=VALUE, with '#' comments, optional single or double quotes and an
 * optional "export " prefix. Files never change the process environment.
 */
#ifndef AR_CONFIG_H
#define AR_CONFIG_H
#include <stddef.h>

#include "err.h"

struct config {
	char *ollama_url;	/* base URL from OLLAMA_HOST, no trailing '/' */
	char *local_model;	/* AR_LOCAL_MODEL */
	long num_ctx;		/* AR_NUM_CTX */
	char *api_key;		/* GOOGLE_API_KEY or GEMINI_API_KEY; SECRET: never
				 * print, log, or put in a URL or an argv. NULL if unset */
	const char *api_key_var; /* name of the variable it came from, or NULL */
	char *cloud_model;	/* AR_CLOUD_MODEL */
	char *gemini_base_url;	/* GOOGLE_GEMINI_BASE_URL, no trailing '/' */
	double first_token_timeout; /* AR_FIRST_TOKEN_TIMEOUT, seconds */
	double timeout;		/* AR_TIMEOUT, seconds */
	double min_tps;		/* AR_MIN_TPS; 0 disables */
	long min_chars;		/* AR_MIN_CHARS */
	/* A program loads and checks only the settings it uses (see
	 * config_load_for); the others keep their defaults. */
	char *local_think;	/* AR_LOCAL_THINK: "false", "true", "low",
				 * "medium" or "high"; NULL: send nothing */
	char *cloud_thinking;	/* AR_CLOUD_THINKING: "low", "medium", "high"
				 * or a token budget ("-1" automatic, "0"
				 * off, "1024"...); NULL: send nothing */
	long max_ctx;		/* AR_MAX_CTX; 0 when unset (then num_ctx) */
	/* Spending less cloud (repair.h, check.h, cache.h, ledger.h). */
	long repairs;		/* AR_REPAIRS: repairs per local tier; 0 off */
	char *check_cmd;	/* AR_CHECK, or NULL */
	double check_timeout;	/* AR_CHECK_TIMEOUT, seconds */
	double check_mem_mb;	/* AR_CHECK_MEM_MB, MiB of address space */
	long no_cache;		/* AR_NO_CACHE: 1 turns the cache off */
	double cache_max_mb;	/* AR_CACHE_MAX_MB */
	char *ledger;		/* AR_LEDGER: a path, "0" (off), or NULL (default) */
	/* Tiers (tier.h). */
	char *openai_url;	/* OPENAI_BASE_URL, no trailing '/'; NULL if unset */
	char *openai_key;	/* OPENAI_API_KEY; SECRET like api_key; NULL if unset */
	char *tiers;		/* AR_TIERS, or NULL (the default pair) */
	double cooldown;	/* AR_COOLDOWN, seconds; 0 off */
	/* ar-stats (stats.h). */
	double price_input;	/* AR_PRICE_INPUT, USD per million tokens */
	double price_output;	/* AR_PRICE_OUTPUT */
};

/*
 * Fills cfg from the environment, the .env files and the defaults.
 * Returns 0, or -1 with e set (a malformed number, an unreadable .env).
 * Free with config_free().
 */
int config_load(struct config *cfg, struct ar_err *e);
/* The same, leaving out the variables named in skip (NULL-terminated; may
 * be NULL): their flags set them, so their environment values are not
 * even checked. */
int config_load_except(struct config *cfg, const char *const *skip,
    struct ar_err *e);
/* The same, where only the settings named in uses (NULL-terminated) are
 * read from the environment and the files and checked, and the trust rule
 * looks at those URLs only; the others keep their defaults. uses NULL
 * loads them all. The key (GOOGLE_API_KEY, GEMINI_API_KEY) is loaded
 * when uses names GOOGLE_API_KEY. */
int config_load_for(struct config *cfg, const char *const *skip,
    const char *const *uses, struct ar_err *e);
void config_free(struct config *cfg);

/* The largest num_ctx a request may ask for: AR_MAX_CTX, never below
 * AR_NUM_CTX (AR_NUM_CTX when AR_MAX_CTX is unset). */
long config_max_ctx(const struct config *cfg);

/* The value of a setting by name: environment first, then the .env files
 * read by config_load(); NULL if unset or empty. Borrowed. The one lookup
 * of the .env table, which config_load*() fills on its first call. */
const char *config_get(const char *name);
/* The file the value of name comes from ("./.env" or the user's file), or
 * NULL when the environment sets it or nothing does. Borrowed. */
const char *config_file_of(const char *name);
/* Nonzero if any API key is set, in the environment or the .env files,
 * whether or not the program loads it: the process holds it in memory. */
int config_holds_key(void);
/* What reading the .env files has to say, one warning a line (a file
 * holding a key that other users can read), or NULL; programs print it. */
const char *config_warnings(void);

/*
 * Parses OLLAMA_HOST the way Ollama does (envconfig.Host + ConnectableHost):
 * "host", "host:port", "[v6]:port" or a URL; no scheme means http and port
 * 11434, a scheme means that scheme's port; a path is kept; 0.0.0.0 becomes
 * 127.0.0.1 and [::] becomes [::1]; empty means the default. Returns a new
 * URL string without a trailing '/', owned by the caller, or NULL when the
 * value is unusable: a scheme other than http or https (any case), a host
 * that is neither a name of letters, digits and "-._~" (an optional
 * "user@" in front) nor an IPv6 address, or a path holding white space,
 * '?', '#' or other bytes a URL path cannot hold as they are.
 */
char *config_ollama_url(const char *host);

/*
 * A table of .env settings, in the order they win (the first line of a
 * name wins). Owned by the caller: start it zeroed ({ NULL, 0 }) and free
 * it with config_env_free().
 */
struct config_env_var {
	char *name;
	char *value;
	int user;	/* nonzero: from the user's own file, not ./.env */
};
struct config_env {
	struct config_env_var *vars;
	size_t n;
};

/* Adds the settings of .env text (text[0..len), lines split at '\n') to
 * env with the line parser config_load() runs on every .env file; names
 * already in env keep their value. For tests and the fuzzer. */
void config_parse_env(struct config_env *env, const char *text, size_t len);
/* The value of name in env (borrowed), or NULL. */
const char *config_env_get(const struct config_env *env, const char *name);
void config_env_free(struct config_env *env);

/* Parses a number of seconds (decimals allowed) in [min, max]; returns 0,
 * or -1 with e naming `what`. Uses an end-pointer check, never atoi. */
int config_parse_double(const char *s, double min, double max,
    const char *what, double *out, struct ar_err *e);
int config_parse_long(const char *s, long min, long max,
    const char *what, long *out, struct ar_err *e);

/*
 * Sets one setting by its variable name (AR_TIMEOUT, OLLAMA_HOST, ...) from
 * text, with the checks the environment gets: flags call it too, so a flag
 * and its variable accept the same values. `what` names the source in the
 * error ("--timeout"). Returns 0, or -1 with e set.
 */
int config_set(struct config *cfg, const char *name, const char *value,
    const char *what, struct ar_err *e);

/* Replaces *slot (owned) with a copy of s. */
void config_set_str(char **slot, const char *s);

#endif
