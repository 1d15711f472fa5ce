/*
 * repair.c - the repair prompt and which rejections it can fix.
 */
#include <string.h>

#include "buf.h"
#include "repair.h"

static const char *const repair_prefixes[] = {
	"syntax error", "check failed", "placeholder", NULL
};

static int
repairable(const char *reason)
{
	size_t i;

	for (i = 0; repair_prefixes[i] != NULL; i++)
		if (strncmp(reason, repair_prefixes[i],
		    strlen(repair_prefixes[i])) == 0)
			return 1;
	return 0;
}

int
repair_wanted(const struct validate_result *vr)
{
	size_t i;

	if (vr->valid || vr->n_reasons == 0)
		return 0;
	for (i = 0; i < vr->n_reasons; i++)
		if (!repairable(vr->reasons[i]))
			return 0;
	return 1;
}

/* A fence longer than any run of backticks in code, so the code cannot
 * close it early. */
static size_t
fence_len(const char *code)
{
	size_t run = 0, longest = 0;

	for (; *code; code++) {
		run = *code == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	return longest < 3 ? 3 : longest + 1;
}

char *
repair_prompt(const char *prompt, const char *language,
    const struct validate_result *vr)
{
	struct buf b = BUF_INIT;
	size_t i, n = fence_len(vr->code);

	buf_adds(&b, prompt);
	buf_adds(&b, "\n\nYour previous answer to this task was rejected. "
	    REPAIR_HEADER "\n");
	for (i = 0; i < vr->n_reasons; i++)
		buf_printf(&b, "- %s\n", vr->reasons[i]);
	buf_adds(&b, "\nThe rejected code:\n");
	for (i = 0; i < n; i++)
		buf_addc(&b, '`');
	buf_printf(&b, "%s\n%s", language != NULL ? language : "", vr->code);
	if (b.len && b.s[b.len - 1] != '\n')
		buf_addc(&b, '\n');
	for (i = 0; i < n; i++)
		buf_addc(&b, '`');
	buf_adds(&b, "\n\nFix every problem listed above and answer again with "
	    "the whole corrected code in one fenced code block, nothing "
	    "else.\n");
	return buf_detach(&b);
}
