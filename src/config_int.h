/*
 * config_int.h - inside the config module only (config.c, config_env.c,
 * config_trust.c): the settings table, the .env table's owner and the
 * trust rule. Programs use config.h.
 */
#ifndef AR_CONFIG_INT_H
#define AR_CONFIG_INT_H
#include <stddef.h>

#include "config.h"
#include "err.h"

/* The file in the working directory, which may come with a cloned
 * repository. */
#define DOTENV ".env"

/* Every setting with a value of its own: its variable, where it lives in
 * struct config, its bounds and what it is to the trust rule. One table
 * serves the environment, the .env files and the flags. K_KEY settings
 * are read by load_key(), not by config_set(). */
enum kind {
	K_STR, K_URL, K_HOST,		/* text; a URL; OLLAMA_HOST */
	K_LIST,				/* text: a list (AR_TIERS) */
	K_LONG, K_DOUBLE,		/* a number in [min, max] */
	K_DURATION,			/* seconds in [min, max], decimals allowed */
	K_BOOL,				/* 0 or 1 */
	K_THINK, K_THINKING,		/* AR_LOCAL_THINK, AR_CLOUD_THINKING */
	K_KEY				/* a secret; read by load_key() */
};
/* The word for a kind ("number", "duration", ...), for the test dump. */
const char *config_kind_name(enum kind k);

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

/* The settings table (config.c), config_nsettings rows. */
extern const struct setting config_settings[];
extern const size_t config_nsettings;

/* Nonzero if name is in the NULL-terminated list (which may be NULL). */
int config_listed(const char *const *list, const char *name);

/* Blanks trimmed off both ends of s, in place. */
char *config_trim(char *s);

/*
 * The .env table (config_env.c) owns the values read from ./.env and the
 * user's file. config_env_load() reads them, once per process, on the
 * first config_load*() call, before any thread starts; they are read-only
 * afterwards. Returns 0, or -1 with e set (an unreadable file).
 */
int config_env_load(struct ar_err *e);
/* The value of name in the files (borrowed), ignoring the environment;
 * NULL if no file sets it. */
const char *config_file_get(const char *name);

/* Where the value of a setting comes from. */
enum origin { O_UNSET, O_FLAG, O_ENVIRON, O_DOTENV, O_USER_FILE };
/* The origin of name, flags aside: O_ENVIRON, O_DOTENV, O_USER_FILE or
 * O_UNSET (empty counts as unset). */
enum origin config_env_origin(const char *name);
/* The user's file, for messages ("" when there is none). */
const char *config_user_file(void);

/* The trust rule (config_trust.c): a backend URL that ./.env sets is never
 * used with a key from the environment or the user's file. Checks the
 * settings named in uses (NULL: all), those in skip being set by flags.
 * Returns 0, or -1 with e naming the file and both variables. */
int config_check_trust(const char *const *skip, const char *const *uses,
    struct ar_err *e);
/* Adds to e which file the value of name came from, if one did. */
void config_name_file(const char *name, struct ar_err *e);

#endif
