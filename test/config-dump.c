/*
 * config-dump - a test-only program: prints the settings config_load()
 * resolved, as one JSON record (the key itself never: only where it came
 * from), or, given operands, the URL each OLLAMA_HOST value parses to
 * ("(unusable)" when it cannot be used), or, with --settings, the settings
 * table: one line per setting, "NAME KIND DEFAULT MIN MAX MARKS" ("-" for
 * none; numbers as %g).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "config_int.h"
#include "json.h"
#include "log.h"
#include "record.h"

static int
dump_urls(int n, char **hosts)
{
	char *url;
	int i;

	for (i = 0; i < n; i++) {
		url = config_ollama_url(hosts[i]);
		printf("%s\n", url != NULL ? url : "(unusable)");
		free(url);
	}
	return 0;
}

/* A default as the man pages state it: numbers as %g. */
static void
print_default(const struct setting *s)
{
	if (s->def == NULL || *s->def == '\0')
		printf(" -");
	else if (s->kind == K_LONG || s->kind == K_DOUBLE ||
	    s->kind == K_DURATION || s->kind == K_BOOL)
		printf(" %g", strtod(s->def, NULL));
	else
		printf(" %s", s->def);
}

static int
dump_settings(void)
{
	const struct setting *s;
	size_t i;

	for (i = 0; i < config_nsettings; i++) {
		s = &config_settings[i];
		printf("%s %s", s->name, s->marks & S_KEY ? "key" :
		    s->kind == K_HOST ? "host" : config_kind_name(s->kind));
		print_default(s);
		if (s->min < s->max)
			printf(" %.10g %.10g", s->min, s->max);
		else
			printf(" - -");
		printf(" %s%s%s%s\n", s->marks & S_BACKEND_URL ? "backend_url" :
		    "", s->marks & S_KEY ? "key" : "",
		    s->marks & S_URL_LIST ? "url_list" : "",
		    s->marks == 0 ? "-" : "");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct ar_err e;
	struct json *rec;
	int rv;

	log_init("config-dump");
	if (argc == 2 && strcmp(argv[1], "--settings") == 0)
		return dump_settings();
	if (argc > 1)
		return dump_urls(argc - 1, argv + 1);
	rv = config_load(&cfg, &e);
	cli_warnings();
	if (rv == -1) {
		log_error("%s", e.msg);
		return 2;
	}
	rec = json_object();
	json_obj_set(rec, "ollama_url", json_stringz(cfg.ollama_url));
	json_obj_set(rec, "local_model", json_stringz(cfg.local_model));
	json_obj_set(rec, "num_ctx", json_int(cfg.num_ctx));
	json_obj_set(rec, "cloud_model", json_stringz(cfg.cloud_model));
	json_obj_set(rec, "gemini_base_url", json_stringz(cfg.gemini_base_url));
	json_obj_set(rec, "api_key_var", cfg.api_key_var ?
	    json_stringz(cfg.api_key_var) : json_null());
	json_obj_set(rec, "first_token_timeout",
	    json_double(cfg.first_token_timeout));
	json_obj_set(rec, "timeout", json_double(cfg.timeout));
	json_obj_set(rec, "min_tps", json_double(cfg.min_tps));
	json_obj_set(rec, "min_chars", json_int(cfg.min_chars));
	json_obj_set(rec, "local_think", cfg.local_think ?
	    json_stringz(cfg.local_think) : json_null());
	json_obj_set(rec, "cloud_thinking", cfg.cloud_thinking ?
	    json_stringz(cfg.cloud_thinking) : json_null());
	json_obj_set(rec, "max_ctx", json_int(config_max_ctx(&cfg)));
	rv = record_write(stdout, rec) == -1;
	json_free(rec);
	config_free(&cfg);
	return rv;
}
