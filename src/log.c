#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static const char *progname = "aurarouter";
static enum log_level level = LOG_NORMAL;

void
log_init(const char *name)
{
	progname = name;
}

const char *
log_progname(void)
{
	return progname;
}

void
log_set_level(enum log_level l)
{
	level = l;
}

enum log_level
log_get_level(void)
{
	return level;
}

static void
vlog(const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	n = snprintf(line, sizeof line, "%s: ", progname);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	fprintf(stderr, "%s\n", line);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
