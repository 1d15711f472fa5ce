/*
 * fuzz_ledger - libFuzzer harness for the ledger reader of ar-stats:
 * stats_read() on the input as a ledger file, then every report. The
 * first byte chooses --by, --since and the prices; the rest is the file.
 *
 * Checks: every line is counted once, as a record or as skipped; the
 * records split into local, cloud, cache and failed; the JSON report
 * writes as JSON that parses back; the SVG chart holds only the elements
 * it draws, no entity and no number that is not finite; the text report
 * is made without a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "defaults.h"
#include "json.h"
#include "stats.h"

static const char *const sinces[] = { NULL, "2026-01-01",
	"2026-06-15T12:00:00Z", "9999-12-31" };

static long
get_long(const struct json *o, const char *key)
{
	double d;

	if (!json_obj_num(o, key, &d))
		abort();
	return (long)d;
}

/* Every '<' opens one of the elements the chart draws. */
static void
check_svg(const struct buf *b)
{
	static const char *const names[] = { "?xml ", "svg ", "/svg>",
	    "rect ", "/rect>", "text ", "/text>", "line ", "title>",
	    "/title>", "polyline ", "circle ", "/circle>", NULL };
	const char *p = buf_str((struct buf *)b);
	size_t i;

	if (!json_utf8_valid(p, b->len) || strchr(p, '&') != NULL ||
	    strstr(p, "nan") != NULL || strstr(p, "inf") != NULL)
		abort();
	while ((p = strchr(p, '<')) != NULL) {
		p++;
		for (i = 0; names[i] != NULL; i++)
			if (strncmp(p, names[i], strlen(names[i])) == 0)
				break;
		if (names[i] == NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stats_opts o;
	struct stats *st;
	struct json *j, *back;
	struct json_error je;
	struct buf b = BUF_INIT;
	FILE *fp;
	long lines = 0, records;
	size_t i;

	if (size == 0)
		return 0;
	memset(&o, 0, sizeof o);
	o.by = (enum stats_by)(data[0] & 3);
	o.since = sinces[(data[0] >> 2) & 3];
	o.price_in = data[0] & 16 ? 0.30 : 0;
	o.price_out = data[0] & 32 ? 2.50 : 1e9;
	st = stats_new(&o);
	if (size > 1) {
		if ((fp = fmemopen((void *)(data + 1), size - 1, "r")) == NULL)
			abort();
		if (stats_read(st, fp) != 0)
			abort();
		fclose(fp);
	}
	/* The lines stats_read() looks at: split at '\n', CRs at the end
	 * dropped, the empty ones left out. */
	for (i = 1; i < size; ) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t end = nl ? (size_t)(nl - data) : size, n = end;

		while (n > i && data[n - 1] == '\r')
			n--;
		lines += n > i;
		i = end + 1;
	}
	j = stats_json(st);
	records = get_long(j, "records");
	if (records + get_long(j, "skipped_lines") != lines && o.since == NULL)
		abort();
	if (records != get_long(j, "local") + get_long(j, "cloud") +
	    get_long(j, "cache") + get_long(j, "failed"))
		abort();
	json_write(&b, j);
	back = json_parse(buf_str(&b), b.len, AR_MAX_RECORD, &je);
	if (back == NULL || back->type != JSON_OBJECT)
		abort();
	json_free(back);
	json_free(j);
	buf_reset(&b);
	stats_text(st, &b);
	buf_reset(&b);
	stats_svg(st, &b);
	check_svg(&b);
	buf_free(&b);
	stats_free(st);
	return 0;
}
