/*
 * stats.c - ledger figures: sums per whole, per group and per day,
 * latency per tier, and their text, JSON and SVG forms.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "defaults.h"
#include "ledger.h"
#include "stats.h"
#include "xalloc.h"

struct stats_sum {
	long records, local, cloud, cache, failed;
	long local_tried;	/* records a local tier was asked first */
	long repairs;		/* repair attempts */
	long repairs_saved;	/* records a repair answered locally */
	long cloud_in, cloud_out, cloud_think;
	long avoided_in, avoided_out;
	double local_lost_ms;	/* failed local attempts */
};

struct stats_group {
	char key[128];
	struct stats_sum sum;
};

struct stats_groups {
	struct stats_group *g;
	size_t n, cap;
};

/* The latencies of one tier's successful attempts. */
struct stats_tier {
	char key[300];		/* "backend model" */
	double *ms;
	size_t n, cap;
};

struct stats {
	struct stats_opts o;
	struct stats_sum all;
	struct stats_groups days, by;
	struct stats_tier *tiers;
	size_t ntiers;
	long skipped;
};

struct stats *
stats_new(const struct stats_opts *opts)
{
	struct stats *st = xcalloc(1, sizeof *st);

	st->o = *opts;
	return st;
}

void
stats_free(struct stats *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->ntiers; i++)
		free(st->tiers[i].ms);
	free(st->tiers);
	free(st->days.g);
	free(st->by.g);
	free(st);
}

static double
usd(const struct stats *st, long in, long out)
{
	return (in * st->o.price_in + out * st->o.price_out) / 1e6;
}

static struct stats_sum *
group_of(struct stats_groups *gs, const char *key)
{
	size_t i;

	for (i = 0; i < gs->n; i++)
		if (strcmp(gs->g[i].key, key) == 0)
			return &gs->g[i].sum;
	if (gs->n == gs->cap)
		gs->g = xrealloc(gs->g, (gs->cap = gs->cap ? 2 * gs->cap : 16) *
		    sizeof *gs->g);
	memset(&gs->g[gs->n], 0, sizeof gs->g[gs->n]);
	snprintf(gs->g[gs->n].key, sizeof gs->g[gs->n].key, "%s", key);
	return &gs->g[gs->n++].sum;
}

static void
tier_add(struct stats *st, const char *backend, const char *model, double ms)
{
	char key[300];
	struct stats_tier *t = NULL;
	size_t i;

	snprintf(key, sizeof key, "%s %s", backend, model);
	for (i = 0; i < st->ntiers && t == NULL; i++)
		if (strcmp(st->tiers[i].key, key) == 0)
			t = &st->tiers[i];
	if (t == NULL) {
		st->tiers = xrealloc(st->tiers, (st->ntiers + 1) *
		    sizeof *st->tiers);
		t = &st->tiers[st->ntiers++];
		memset(t, 0, sizeof *t);
		snprintf(t->key, sizeof t->key, "%s", key);
	}
	if (t->n == t->cap)
		t->ms = xrealloc(t->ms, (t->cap = t->cap ? 2 * t->cap : 16) *
		    sizeof *t->ms);
	t->ms[t->n++] = ms;
}

/* a + b, held at LONG_MAX: a ledger's counts may be anything. */
static long
sat_add(long a, long b)
{
	long r;

	return __builtin_add_overflow(a, b, &r) ? LONG_MAX : r;
}

/* Milliseconds as a whole number, held at LLONG_MAX. */
static long long
ms_int(double ms)
{
	return ms < 9e18 ? (long long)(ms + 0.5) : LLONG_MAX;
}

static int
obj_bool(const struct json *o, const char *key)
{
	const struct json *v = json_obj_get(o, key);

	return v != NULL && v->type == JSON_BOOL && v->b;
}

/* One line's figures, from its outcome and attempts, into one. */
static void
line_sum(struct stats *st, const struct json *line, const char *outcome,
    struct stats_sum *one)
{
	const struct json *atts = json_obj_get(line, "attempts"), *a;
	const struct json *last_ok = NULL;
	const char *backend, *model;
	double ms;
	size_t i;
	int tried = 0;

	one->records = 1;
	one->local = strcmp(outcome, LEDGER_LOCAL) == 0;
	one->cloud = strcmp(outcome, LEDGER_CLOUD) == 0;
	one->cache = strcmp(outcome, LEDGER_CACHE) == 0;
	one->failed = strcmp(outcome, LEDGER_FAILED) == 0;
	for (i = 0; atts != NULL && atts->type == JSON_ARRAY && i < atts->n;
	    i++) {
		a = atts->items[i];
		if (a->type != JSON_OBJECT ||
		    (backend = json_obj_str(a, "backend", NULL)) == NULL)
			continue;
		model = json_obj_str(a, "model", NULL);
		if (!json_obj_num(a, "ms", &ms) || ms < 0)
			ms = 0;
		if (strcmp(backend, "gemini") == 0) {
			one->cloud_in = sat_add(one->cloud_in,
			    json_obj_count(a, "input_tokens"));
			one->cloud_out = sat_add(one->cloud_out,
			    json_obj_count(a, "output_tokens"));
			one->cloud_think = sat_add(one->cloud_think,
			    json_obj_count(a, "thinking_tokens"));
		} else if (obj_bool(a, "repair"))
			one->repairs++;
		else
			tried = 1;
		if (strcmp(backend, "gemini") != 0 && !obj_bool(a, "ok"))
			one->local_lost_ms += ms;
		if (obj_bool(a, "ok")) {
			last_ok = a;
			tier_add(st, backend, model != NULL ? model : "?", ms);
		}
	}
	one->local_tried = tried;
	if (one->local && last_ok != NULL) {
		one->avoided_in = json_obj_count(last_ok, "input_tokens");
		one->avoided_out = json_obj_count(last_ok, "output_tokens");
		one->repairs_saved = obj_bool(last_ok, "repair");
	} else if (one->cache) {
		one->avoided_in = json_obj_count(line, "input_tokens");
		one->avoided_out = json_obj_count(line, "output_tokens");
	}
}

static void
sum_add(struct stats_sum *to, const struct stats_sum *s)
{
	to->records = sat_add(to->records, s->records);
	to->local = sat_add(to->local, s->local);
	to->cloud = sat_add(to->cloud, s->cloud);
	to->cache = sat_add(to->cache, s->cache);
	to->failed = sat_add(to->failed, s->failed);
	to->local_tried = sat_add(to->local_tried, s->local_tried);
	to->repairs = sat_add(to->repairs, s->repairs);
	to->repairs_saved = sat_add(to->repairs_saved, s->repairs_saved);
	to->cloud_in = sat_add(to->cloud_in, s->cloud_in);
	to->cloud_out = sat_add(to->cloud_out, s->cloud_out);
	to->cloud_think = sat_add(to->cloud_think, s->cloud_think);
	to->avoided_in = sat_add(to->avoided_in, s->avoided_in);
	to->avoided_out = sat_add(to->avoided_out, s->avoided_out);
	to->local_lost_ms += s->local_lost_ms;
}

/* The key of line in the --by grouping. */
static const char *
by_key(const struct stats *st, const struct json *line, const char *t,
    char *day)
{
	const char *v;

	switch (st->o.by) {
	case STATS_BY_MODEL:
		v = json_obj_str(line, "model", NULL);
		return v != NULL ? v : "(none)";
	case STATS_BY_LANGUAGE:
		v = json_obj_str(line, "language", NULL);
		return v != NULL ? v : "(none)";
	default:
		(void)t;
		return day;
	}
}

/* Nonzero when t starts with a date "YYYY-MM-DD" (so a day key is only
 * digits and dashes). */
static int
valid_day(const char *t)
{
	int i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? t[i] != '-' : t[i] < '0' || t[i] > '9')
			return 0;
	return 1;
}

static int
known_outcome(const char *o)
{
	return strcmp(o, LEDGER_LOCAL) == 0 || strcmp(o, LEDGER_CLOUD) == 0 ||
	    strcmp(o, LEDGER_CACHE) == 0 || strcmp(o, LEDGER_FAILED) == 0;
}

int
stats_add_line(struct stats *st, const char *s, size_t len)
{
	struct json_error je;
	struct json *line = json_parse(s, len, AR_MAX_RECORD, &je);
	struct stats_sum one;
	const char *t, *outcome;
	char day[11];

	if (line == NULL || line->type != JSON_OBJECT ||
	    (t = json_obj_str(line, "t", NULL)) == NULL || strlen(t) < 10 ||
	    !valid_day(t) ||
	    (outcome = json_obj_str(line, "outcome", NULL)) == NULL ||
	    !known_outcome(outcome)) {
		json_free(line);
		st->skipped++;
		return -1;
	}
	if (st->o.since == NULL || strcmp(t, st->o.since) >= 0) {
		memset(&one, 0, sizeof one);
		line_sum(st, line, outcome, &one);
		snprintf(day, sizeof day, "%.10s", t);
		sum_add(&st->all, &one);
		sum_add(group_of(&st->days, day), &one);
		if (st->o.by != STATS_BY_NONE)
			sum_add(group_of(&st->by, by_key(st, line, t, day)),
			    &one);
	}
	json_free(line);
	return 0;
}

int
stats_read(struct stats *st, FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, fp)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n > 0)
			stats_add_line(st, line, (size_t)n);
	}
	free(line);
	return ferror(fp) ? -1 : 0;
}

int
stats_parse_by(const char *arg, enum stats_by *by)
{
	if (strcmp(arg, "day") == 0)
		*by = STATS_BY_DAY;
	else if (strcmp(arg, "model") == 0)
		*by = STATS_BY_MODEL;
	else if (strcmp(arg, "language") == 0)
		*by = STATS_BY_LANGUAGE;
	else
		return -1;
	return 0;
}

int
stats_parse_since(const char *arg, char *out, size_t size)
{
	char *end;
	long days;
	time_t then;
	struct tm tm;
	int y, mo, d;

	days = strtol(arg, &end, 10);
	if (end != arg && strcmp(end, "d") == 0 && days >= 0 && days < 100000) {
		then = time(NULL) - (time_t)days * 86400;
		gmtime_r(&then, &tm);
		strftime(out, size, "%Y-%m-%d", &tm);
		return 0;
	}
	if (sscanf(arg, "%4d-%2d-%2d", &y, &mo, &d) != 3 || strlen(arg) < 10 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || strlen(arg) >= size ||
	    (arg[10] != '\0' && arg[10] != 'T'))
		return -1;
	snprintf(out, size, "%s", arg);
	return 0;
}

/* ---- figures ---------------------------------------------------------- */

static double
pct(long part, long whole)
{
	return whole > 0 ? 100.0 * part / whole : 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The p-th percentile (nearest rank) of t's latencies, sorting them. */
static double
percentile(struct stats_tier *t, double p)
{
	size_t k;

	qsort(t->ms, t->n, sizeof *t->ms, cmp_double);
	k = (size_t)ceil(p * t->n);
	return t->ms[k > 0 ? k - 1 : 0];
}

static struct json *
sum_json(const struct stats *st, const struct stats_sum *s)
{
	struct json *j = json_object(), *tok;

	json_obj_set(j, "records", json_int(s->records));
	json_obj_set(j, "local", json_int(s->local));
	json_obj_set(j, "cloud", json_int(s->cloud));
	json_obj_set(j, "cache", json_int(s->cache));
	json_obj_set(j, "failed", json_int(s->failed));
	json_obj_set(j, "local_tried", json_int(s->local_tried));
	json_obj_set(j, "local_pass_rate", json_double(s->local_tried ?
	    (double)s->local / s->local_tried : 0));
	json_obj_set(j, "repairs", json_int(s->repairs));
	json_obj_set(j, "repairs_saved", json_int(s->repairs_saved));
	tok = json_object();
	json_obj_set(tok, "input", json_int(s->cloud_in));
	json_obj_set(tok, "output", json_int(s->cloud_out));
	json_obj_set(tok, "thinking", json_int(s->cloud_think));
	json_obj_set(j, "cloud_tokens", tok);
	tok = json_object();
	json_obj_set(tok, "input", json_int(s->avoided_in));
	json_obj_set(tok, "output", json_int(s->avoided_out));
	json_obj_set(j, "avoided_tokens", tok);
	json_obj_set(j, "usd_spent", json_double(usd(st, s->cloud_in,
	    sat_add(s->cloud_out, s->cloud_think))));
	json_obj_set(j, "usd_saved", json_double(usd(st, s->avoided_in,
	    s->avoided_out)));
	json_obj_set(j, "local_lost_ms", json_int(ms_int(s->local_lost_ms)));
	return j;
}

static const char *
by_name(enum stats_by by)
{
	return by == STATS_BY_DAY ? "day" : by == STATS_BY_MODEL ? "model" :
	    by == STATS_BY_LANGUAGE ? "language" : NULL;
}

static int
by_group_key(const void *a, const void *b)
{
	return strcmp(((const struct stats_group *)a)->key,
	    ((const struct stats_group *)b)->key);
}

/* The groups of gs sorted by key (owned copy). */
static struct stats_group *
sorted(const struct stats_groups *gs)
{
	struct stats_group *g = xcalloc(gs->n + 1, sizeof *g);

	if (gs->n)
		memcpy(g, gs->g, gs->n * sizeof *g);
	qsort(g, gs->n, sizeof *g, by_group_key);
	return g;
}

struct json *
stats_json(const struct stats *st)
{
	struct json *j = sum_json(st, &st->all), *arr, *t, *prices;
	struct stats_group *g;
	size_t i;

	prices = json_object();
	json_obj_set(prices, "input", json_double(st->o.price_in));
	json_obj_set(prices, "output", json_double(st->o.price_out));
	json_obj_set(j, "prices", prices);
	arr = json_array();
	for (i = 0; i < st->ntiers; i++) {
		t = json_object();
		json_obj_set(t, "tier", json_stringz(st->tiers[i].key));
		json_obj_set(t, "n", json_int((long long)st->tiers[i].n));
		json_obj_set(t, "p50_ms", json_double(percentile(&st->tiers[i],
		    0.50)));
		json_obj_set(t, "p95_ms", json_double(percentile(&st->tiers[i],
		    0.95)));
		json_arr_push(arr, t);
	}
	json_obj_set(j, "latency", arr);
	json_obj_set(j, "skipped_lines", json_int(st->skipped));
	if (st->o.by != STATS_BY_NONE) {
		json_obj_set(j, "by", json_stringz(by_name(st->o.by)));
		arr = json_array();
		g = sorted(&st->by);
		for (i = 0; i < st->by.n; i++) {
			t = sum_json(st, &g[i].sum);
			json_obj_set(t, "key", json_stringz(g[i].key));
			json_arr_push(arr, t);
		}
		free(g);
		json_obj_set(j, "groups", arr);
	}
	return j;
}

static void
text_groups(const struct stats *st, struct buf *out)
{
	struct stats_group *g = sorted(&st->by);
	const struct stats_sum *s;
	size_t i;

	buf_printf(out, "\n%-24s %8s %8s %8s %8s %8s %10s %10s\n",
	    by_name(st->o.by), "records", "local", "cloud", "cache", "failed",
	    "spent $", "saved $");
	for (i = 0; i < st->by.n; i++) {
		s = &g[i].sum;
		buf_printf(out, "%-24.24s %8ld %8ld %8ld %8ld %8ld %10.4f "
		    "%10.4f\n", g[i].key, s->records, s->local, s->cloud,
		    s->cache, s->failed, usd(st, s->cloud_in,
		    sat_add(s->cloud_out, s->cloud_think)), usd(st,
		    s->avoided_in, s->avoided_out));
	}
	free(g);
}

void
stats_text(const struct stats *st, struct buf *out)
{
	const struct stats_sum *s = &st->all;
	size_t i;

	buf_printf(out, "records           %ld\n", s->records);
	buf_printf(out, "  local           %ld (%.1f%%)\n", s->local,
	    pct(s->local, s->records));
	buf_printf(out, "  cloud           %ld (%.1f%%)\n", s->cloud,
	    pct(s->cloud, s->records));
	buf_printf(out, "  cache           %ld (%.1f%%)\n", s->cache,
	    pct(s->cache, s->records));
	buf_printf(out, "  failed          %ld (%.1f%%)\n", s->failed,
	    pct(s->failed, s->records));
	buf_printf(out, "local pass rate   %.1f%% (%ld of %ld records tried "
	    "locally)\n", pct(s->local, s->local_tried), s->local,
	    s->local_tried);
	buf_printf(out, "repairs           %ld, %ld saved a cloud call\n",
	    s->repairs, s->repairs_saved);
	buf_printf(out, "cloud tokens      spent %ld in, %ld out, %ld thinking; "
	    "avoided %ld in, %ld out\n", s->cloud_in, s->cloud_out,
	    s->cloud_think, s->avoided_in, s->avoided_out);
	buf_printf(out, "money (USD)       spent %.4f, saved %.4f "
	    "(at %g in, %g out per million tokens)\n", usd(st, s->cloud_in,
	    sat_add(s->cloud_out, s->cloud_think)), usd(st, s->avoided_in,
	    s->avoided_out), st->o.price_in, st->o.price_out);
	buf_printf(out, "time lost         %.1f s on failed local attempts\n",
	    s->local_lost_ms / 1e3);
	for (i = 0; i < st->ntiers; i++)
		buf_printf(out, "%-17s %s: p50 %.0f ms, p95 %.0f ms (%zu)\n",
		    i == 0 ? "latency" : "", st->tiers[i].key,
		    percentile(&st->tiers[i], 0.50),
		    percentile(&st->tiers[i], 0.95), st->tiers[i].n);
	if (st->skipped)
		buf_printf(out, "skipped           %ld lines that are not "
		    "ledger lines\n", st->skipped);
	if (st->o.by != STATS_BY_NONE)
		text_groups(st, out);
}

/* ---- the chart --------------------------------------------------------- */

#define SVG_W 760
#define SVG_H 420
#define SVG_L 64	/* margins */
#define SVG_R 80
#define SVG_T 78
#define SVG_B 70

static const struct {
	const char *name, *color;
} svg_series[] = {
	{ "local", "#2e7d32" }, { "cache", "#1e88e5" },
	{ "cloud", "#ef6c00" }, { "failed", "#9e9e9e" },
};
#define SVG_SAVED_COLOR "#6a1b9a"

/* The smallest 1, 2 or 5 times a power of ten at least v (v > 0). */
static double
nice_max(double v)
{
	double p = pow(10, floor(log10(v))), m[] = { 1, 2, 5, 10 };
	size_t i;

	for (i = 0; i < 4; i++)
		if (m[i] * p >= v * (1 - 1e-9))
			return m[i] * p;
	return 10 * p;
}

static long
series_value(const struct stats_sum *s, size_t k)
{
	return k == 0 ? s->local : k == 1 ? s->cache : k == 2 ? s->cloud :
	    s->failed;
}

/* The title, the totals and the legend. */
static void
svg_head(const struct stats *st, struct buf *out)
{
	const struct stats_sum *s = &st->all;
	size_t k;
	int x = SVG_L;

	buf_printf(out, "<text x=\"%d\" y=\"24\" font-size=\"17\" "
	    "font-weight=\"bold\">AuraRouter: answers per day and money "
	    "saved</text>\n", SVG_L);
	buf_printf(out, "<text x=\"%d\" y=\"44\" font-size=\"12\" "
	    "fill=\"#444\">%ld records: %ld local, %ld cache, %ld cloud, %ld "
	    "failed; saved $%.4f, spent $%.4f</text>\n", SVG_L, s->records,
	    s->local, s->cache, s->cloud, s->failed, usd(st, s->avoided_in,
	    s->avoided_out), usd(st, s->cloud_in, sat_add(s->cloud_out,
	    s->cloud_think)));
	buf_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\" "
	    "fill=\"#777\" text-anchor=\"end\">prices: USD %g in, %g out "
	    "per million tokens</text>\n", SVG_W - 8, SVG_H - 6,
	    st->o.price_in, st->o.price_out);
	for (k = 0; k < 4; k++, x += 90)
		buf_printf(out, "<rect x=\"%d\" y=\"54\" width=\"12\" "
		    "height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"65\" "
		    "font-size=\"12\">%s</text>\n", x, svg_series[k].color,
		    x + 17, svg_series[k].name);
	buf_printf(out, "<line x1=\"%d\" y1=\"60\" x2=\"%d\" y2=\"60\" "
	    "stroke=\"%s\" stroke-width=\"2.5\"/><text x=\"%d\" y=\"65\" "
	    "font-size=\"12\">money saved per day (USD)</text>\n", x, x + 18,
	    SVG_SAVED_COLOR, x + 23);
}

/* The grid and both axes' labels: answers on the left, USD on the
 * right. */
static void
svg_axes(struct buf *out, double ymax, double mmax)
{
	int i, pw = SVG_W - SVG_L - SVG_R, ph = SVG_H - SVG_T - SVG_B;
	double y;

	for (i = 0; i <= 5; i++) {
		y = SVG_T + ph - ph * i / 5.0;
		buf_printf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
		    "y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", SVG_L, y,
		    SVG_L + pw, y);
		buf_printf(out, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" "
		    "text-anchor=\"end\">%g</text>\n", SVG_L - 6, y + 4,
		    ymax * i / 5);
		buf_printf(out, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" "
		    "fill=\"%s\">$%.*f</text>\n", SVG_L + pw + 6, y + 4,
		    SVG_SAVED_COLOR, mmax >= 5 ? 0 : mmax >= 0.05 ? 2 : 4,
		    mmax * i / 5);
	}
	buf_printf(out, "<text transform=\"translate(16 %d) rotate(-90)\" "
	    "font-size=\"12\" text-anchor=\"middle\">answers</text>\n",
	    SVG_T + ph / 2);
	buf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#333\"/>\n", SVG_L, SVG_T + ph, SVG_L + pw, SVG_T + ph);
}

/* One day's stacked bar and its date label. */
static void
svg_bar(struct buf *out, const struct stats_group *g, double cx, double bw,
    double ymax, int label)
{
	int ph = SVG_H - SVG_T - SVG_B;
	double y = SVG_T + ph, h;
	size_t k;

	for (k = 0; k < 4; k++) {
		h = ph * series_value(&g->sum, k) / ymax;
		if (h <= 0)
			continue;
		y -= h;
		buf_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"%s\"><title>%s %s: %ld</title>"
		    "</rect>\n", cx - bw / 2, y, bw, h, svg_series[k].color,
		    g->key, svg_series[k].name, series_value(&g->sum, k));
	}
	if (label)
		buf_printf(out, "<text transform=\"translate(%.1f %d) "
		    "rotate(-40)\" font-size=\"11\" text-anchor=\"end\">%s"
		    "</text>\n", cx + 4, SVG_T + ph + 16, g->key);
}

void
stats_svg(const struct stats *st, struct buf *out)
{
	struct stats_group *g = sorted(&st->days);
	size_t i, n = st->days.n, every;
	int pw = SVG_W - SVG_L - SVG_R, ph = SVG_H - SVG_T - SVG_B;
	double ymax = 1, mmax = 0, slot, cx, m;

	for (i = 0; i < n; i++) {
		if (g[i].sum.records > ymax)
			ymax = g[i].sum.records;
		m = usd(st, g[i].sum.avoided_in, g[i].sum.avoided_out);
		if (m > mmax)
			mmax = m;
	}
	ymax = nice_max(ymax);
	mmax = mmax > 0 ? nice_max(mmax) : 0.01;
	slot = n ? (double)pw / n : pw;
	every = n > 16 ? (n + 15) / 16 : 1;
	buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, "
	    "Helvetica, Arial, sans-serif\">\n<rect width=\"100%%\" "
	    "height=\"100%%\" fill=\"white\"/>\n", SVG_W, SVG_H, SVG_W, SVG_H);
	svg_head(st, out);
	svg_axes(out, ymax, mmax);
	if (n == 0)
		buf_printf(out, "<text x=\"%d\" y=\"%d\" font-size=\"14\" "
		    "text-anchor=\"middle\" fill=\"#777\">no records</text>\n",
		    SVG_L + pw / 2, SVG_T + ph / 2);
	for (i = 0; i < n; i++)
		svg_bar(out, &g[i], SVG_L + slot * (i + 0.5), fmin(slot * 0.7,
		    48), ymax, i % every == 0 || i == n - 1);
	if (n > 0) {
		buf_printf(out, "<polyline fill=\"none\" stroke=\"%s\" "
		    "stroke-width=\"2.5\" points=\"", SVG_SAVED_COLOR);
		for (i = 0; i < n; i++)
			buf_printf(out, "%s%.1f,%.1f", i ? " " : "", SVG_L + slot *
			    (i + 0.5), SVG_T + ph - ph * usd(st,
			    g[i].sum.avoided_in, g[i].sum.avoided_out) / mmax);
		buf_adds(out, "\"/>\n");
	}
	for (i = 0; i < n; i++) {
		cx = SVG_L + slot * (i + 0.5);
		m = usd(st, g[i].sum.avoided_in, g[i].sum.avoided_out);
		buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
		    "fill=\"%s\"><title>%s saved $%.4f</title></circle>\n", cx,
		    SVG_T + ph - ph * m / mmax, SVG_SAVED_COLOR, g[i].key, m);
	}
	buf_adds(out, "</svg>\n");
	free(g);
}
