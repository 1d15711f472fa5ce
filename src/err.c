#include <stdarg.h>
#include <stdio.h>

#include "err.h"

int
err_vset(struct ar_err *e, const char *code, const char *fmt, va_list ap)
{
	e->code = code;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	return -1;
}

int
err_set(struct ar_err *e, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, code, fmt, ap);
	va_end(ap);
	return -1;
}

void
err_clear(struct ar_err *e)
{
	e->code = NULL;
	e->msg[0] = '\0';
}
