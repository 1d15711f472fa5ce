/*
 * config_trust.c - the trust rule: a backend URL that ./.env sets is never
 * used with an API key from the environment or the user's file.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

static enum origin
origin_of(const char *name, const char *const *skip)
{
	if (config_listed(skip, name))
		return O_FLAG;
	return config_env_origin(name);
}

/* The first key set outside ./.env, or NULL. */
static const struct setting *
foreign_key(enum origin *o)
{
	size_t i;

	for (i = 0; i < config_nsettings; i++) {
		if (!(config_settings[i].marks & S_KEY))
			continue;
		*o = origin_of(config_settings[i].name, NULL);
		if (*o == O_ENVIRON || *o == O_USER_FILE)
			return &config_settings[i];
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
int
config_check_trust(const char *const *skip, const char *const *uses,
    struct ar_err *e)
{
	const struct setting *key, *s;
	enum origin o;
	size_t i;

	for (i = 0; i < config_nsettings; i++) {
		s = &config_settings[i];
		if ((uses != NULL && !config_listed(uses, s->name)) ||
		    !sets_url(s) || origin_of(s->name, skip) != O_DOTENV ||
		    (key = foreign_key(&o)) == NULL)
			continue;
		return err_set(e, AR_E_CONFIG, "./%s sets %s, but the key %s "
		    "comes from %s: a URL from ./%s is never sent a key from "
		    "elsewhere (put the key in ./%s too, or set %s in the "
		    "environment)", DOTENV, s->name, key->name,
		    o == O_ENVIRON ? "the environment" : config_user_file(),
		    DOTENV, DOTENV, s->name);
	}
	return 0;
}

void
config_name_file(const char *name, struct ar_err *e)
{
	char msg[sizeof e->msg];
	const char *file = config_file_of(name);

	if (e == NULL || file == NULL)
		return;
	memcpy(msg, e->msg, sizeof msg);
	err_set(e, e->code, "%s (from %s)", msg, file);
}
