/* ar-stats - what the ledgers say was kept off the cloud, and at what cost. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "ledger.h"
#include "log.h"
#include "record.h"
#include "stats.h"

#define PROG "ar-stats"

enum { OPT_BY = CLI_OPT_OWN, OPT_JSON, OPT_SINCE, OPT_SVG };

static const struct option longopts[] = {
	CLI_COMMON_LONGOPTS,
	{ "by", required_argument, NULL, OPT_BY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ NULL, 0, NULL, 0 }
};

struct ctx {
	struct stats_opts so;
	char since[64];
	int json;
	const char *svg;
};

static int
own_flag(void *arg, int opt, const char *val)
{
	struct ctx *c = arg;

	switch (opt) {
	case OPT_BY:
		if (stats_parse_by(val, &c->so.by) == 0)
			return 0;
		log_error("--by: want day, model or language, not '%.40s'", val);
		return -1;
	case OPT_JSON:
		c->json = 1;
		return 0;
	case OPT_SINCE:
		if (stats_parse_since(val, c->since, sizeof c->since) == 0) {
			c->so.since = c->since;
			return 0;
		}
		log_error("--since: want YYYY-MM-DD, an ISO 8601 UTC time or "
		    "Nd (N days ago), not '%.40s'", val);
		return -1;
	case OPT_SVG:
		c->svg = val;
		return 0;
	}
	return -1;
}

/* Reads one ledger; a missing default ledger is an empty one. */
static int
read_ledger(struct stats *st, const char *path, int must_exist)
{
	FILE *fp = fopen(path, "r");
	int rv;

	if (fp == NULL) {
		if (!must_exist && errno == ENOENT)
			return 0;
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	rv = stats_read(st, fp);
	if (rv == -1)
		log_error("%s: read error", path);
	fclose(fp);
	return rv;
}

static int
read_all(struct stats *st, const struct config *cfg, char **files, int n)
{
	char *def;
	int i, rv = 0;

	if (n > 0) {
		for (i = 0; i < n && rv == 0; i++)
			rv = strcmp(files[i], "-") == 0 ? stats_read(st, stdin) :
			    read_ledger(st, files[i], 1);
		return rv;
	}
	if ((def = ledger_path(cfg)) == NULL) {
		log_error("no ledger: AR_LEDGER is 0 or HOME is unset; name one");
		return -1;
	}
	rv = read_ledger(st, def, 0);
	free(def);
	return rv;
}

/* Writes the chart to path. Returns 0 or -1 (printed). */
static int
write_svg(const struct stats *st, const char *path)
{
	struct buf b = BUF_INIT;
	FILE *fp = fopen(path, "w");
	int rv = 0;

	if (fp == NULL) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	stats_svg(st, &b);
	if (fwrite(b.s, 1, b.len, fp) != b.len)
		rv = -1;
	if (fclose(fp) == EOF || rv == -1) {
		log_error("%s: write error", path);
		rv = -1;
	}
	buf_free(&b);
	return rv;
}

static int
report(const struct stats *st, int json)
{
	struct buf b = BUF_INIT;
	struct json *j;

	if (json) {
		j = stats_json(st);
		json_write(&b, j);
		buf_addc(&b, '\n');
		json_free(j);
	} else
		stats_text(st, &b);
	fwrite(b.s, 1, b.len, stdout);
	buf_free(&b);
	return cli_close_stdout();
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct ctx c;
	struct stats *st;
	static const char *const uses[] = {
		"AR_LEDGER", "AR_PRICE_INPUT", "AR_PRICE_OUTPUT", NULL
	};
	const struct cli cli = {
		PROG,
		"usage: ar-stats [-hqVv] [--since date] [--by day|model|language] "
		"[--json]\n"
		"                [--svg file] [ledger ...]",
		"hqVv", longopts, NULL, own_flag, &c, 1, uses,
		"      --since DATE         only lines from DATE (YYYY-MM-DD) on\n"
		"      --by day|model|language  one row per day, model or language\n"
		"      --json               the figures as one JSON record\n"
		"      --svg FILE           also draw the figures as an SVG chart\n"
		CLI_HELP_COMMON
		"Environment: AR_LEDGER AR_PRICE_INPUT AR_PRICE_OUTPUT XDG_STATE_HOME\n"
	};
	int rv;

	memset(&c, 0, sizeof c);
	if ((rv = cli_parse(&cli, argc, argv, &cfg)) >= 0)
		return rv;
	c.so.price_in = cfg.price_input;
	c.so.price_out = cfg.price_output;
	st = stats_new(&c.so);
	rv = read_all(st, &cfg, argv + optind, argc - optind) == -1 ||
	    (c.svg != NULL && write_svg(st, c.svg) == -1) ? AR_EXIT_USAGE :
	    report(st, c.json) == -1 ? AR_EXIT_FAIL : AR_EXIT_OK;
	stats_free(st);
	config_free(&cfg);
	return rv;
}
