/*
 * progress.h - ar-route's status line on a terminal: records done, how
 * many were answered locally, by the cloud, from the cache, and failed,
 * the rate and the elapsed time; kept up to date below the log lines and
 * cleared at the end. Nothing at all when stderr is not a terminal or the
 * log level is quiet.
 */
#ifndef AR_PROGRESS_H
#define AR_PROGRESS_H

#include "json.h"

struct progress;

/* Starts the status line (redrawn every second), or returns NULL when
 * there is to be none. */
struct progress *progress_new(void);

/* Counts one finished record (ledger_outcome()) and redraws. p may be
 * NULL. Thread-safe. */
void progress_note(struct progress *p, const struct json *rec);

/* Clears the line before a record goes to standard output, when that is
 * the same terminal (progress_note() draws it again). p may be NULL. */
void progress_hide(struct progress *p);

/* Clears the line and frees p (may be NULL). */
void progress_end(struct progress *p);

#endif
