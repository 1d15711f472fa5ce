/*
 * stats.h - reading savings ledgers (ledger.h) and reporting what stayed
 * local, what the cache answered, what the cloud cost and what was saved:
 * as text, as JSON, or as an SVG chart of answers and money saved per day.
 */
#ifndef AR_STATS_H
#define AR_STATS_H
#include <stdio.h>

#include "buf.h"
#include "json.h"

enum stats_by { STATS_BY_NONE, STATS_BY_DAY, STATS_BY_MODEL,
	STATS_BY_LANGUAGE };

struct stats_opts {
	const char *since;	/* lines with t before it are skipped; NULL: all.
				 * An ISO 8601 UTC date or time (see
				 * stats_parse_since) */
	enum stats_by by;
	double price_in;	/* USD per million input tokens */
	double price_out;	/* USD per million output (and thinking) tokens */
};

struct stats;

/* opts is copied (since is borrowed: it must outlive the stats). */
struct stats *stats_new(const struct stats_opts *opts);
void stats_free(struct stats *st);

/* Adds every line of fp. Lines that are not ledger lines are counted as
 * skipped, never fatal. Returns 0, or -1 on a read error. */
int stats_read(struct stats *st, FILE *fp);

/* Adds one ledger line (s[0..len), no newline). Returns 0, or -1 when it
 * is not a ledger line (counted as skipped). */
int stats_add_line(struct stats *st, const char *s, size_t len);

/* The report as text (for people), JSON (owned) or an SVG document. */
void stats_text(const struct stats *st, struct buf *out);
struct json *stats_json(const struct stats *st);
void stats_svg(const struct stats *st, struct buf *out);

/* Turns a --since argument into the prefix ledger times are compared
 * with: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" (kept), or "Nd" (N days
 * before now, as a date). Returns 0 with out[0..size) filled, or -1. */
int stats_parse_since(const char *arg, char *out, size_t size);

/* Parses "day", "model" or "language"; returns 0 or -1. */
int stats_parse_by(const char *arg, enum stats_by *by);

#endif
