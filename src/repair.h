/*
 * repair.h - sending a rejected local answer back for one more try.
 *
 * A local answer rejected for a reason diagnostics can fix (a syntax
 * error, a failed check command, a placeholder) goes back to the same
 * local tier with the task, the rejected code and the diagnostics.
 */
#ifndef AR_REPAIR_H
#define AR_REPAIR_H

#include "validate.h"

/* The line a repair prompt starts its diagnostics with. */
#define REPAIR_HEADER "The code below was rejected for these reasons:"

/* Nonzero when vr (an answered, invalid attempt) was rejected only for
 * reasons a repair can fix: "syntax error", "check failed",
 * "placeholder". */
int repair_wanted(const struct validate_result *vr);

/*
 * The repair prompt (owned, free()): the original prompt (the task), the
 * rejected code in a fence of language (may be NULL) and vr's reasons,
 * asking for the whole corrected code.
 */
char *repair_prompt(const char *prompt, const char *language,
    const struct validate_result *vr);

#endif
