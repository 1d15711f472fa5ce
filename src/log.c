#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static const char *progname = "aurarouter";
static enum log_level level = LOG_NORMAL;

/* The status line (log_set_status), redrawn after each log line. */
static pthread_mutex_t status_mu = PTHREAD_MUTEX_INITIALIZER;
static char status[256];

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
	pthread_mutex_lock(&status_mu);
	if (status[0] != '\0')
		fprintf(stderr, "\r\033[K%s\n%s", line, status);
	else
		fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&status_mu);
}

void
log_set_status(const char *s)
{
	pthread_mutex_lock(&status_mu);
	if (s != NULL)
		fprintf(stderr, "\r\033[K%s", s);
	else if (status[0] != '\0')
		fputs("\r\033[K", stderr);
	snprintf(status, sizeof status, "%s", s != NULL ? s : "");
	pthread_mutex_unlock(&status_mu);
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
