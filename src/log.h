/*
 * log.h - diagnostics on stderr (stdout carries records only).
 *
 * Every line starts with the program name. log_error() always prints;
 * log_info() (the routing decisions) unless -q; log_debug() only with -v.
 * Each call writes one whole line at once, so lines from threads do not mix.
 * Never pass a secret to these functions.
 */
#ifndef AR_LOG_H
#define AR_LOG_H

enum log_level { LOG_QUIET = 0, LOG_NORMAL = 1, LOG_VERBOSE = 2 };

void log_init(const char *progname);	/* borrowed; must outlive the program */
const char *log_progname(void);
void log_set_level(enum log_level l);
enum log_level log_get_level(void);

/* A status line kept below the log lines on a terminal (progress.h):
 * shows line (copied) in place of the last one, or clears it when line is
 * NULL. Log lines are written above it. */
void log_set_status(const char *line);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
