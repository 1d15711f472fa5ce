/*
 * progress.c - the status line, drawn through log.c's status slot so
 * that log lines are written above it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ledger.h"
#include "log.h"
#include "progress.h"
#include "xalloc.h"

#define PROGRESS_TICK_S 1

struct progress {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t ticker;
	int stop;
	int stdout_tty;		/* records go to the same terminal */
	double t0;		/* ms */
	long done, local, cloud, cache, failed;
};

/* Formats and shows the line; p->mu held. */
static void
progress_draw(struct progress *p)
{
	char line[256];
	double s = (clock_now_ms() - p->t0) / 1e3;
	long secs = (long)s;

	snprintf(line, sizeof line, "%s: %ld record%s: %ld local, %ld cloud, "
	    "%ld cached, %ld failed; %.1f/s; %ld:%02ld", log_progname(),
	    p->done, p->done == 1 ? "" : "s", p->local, p->cloud, p->cache,
	    p->failed, s > 0 ? p->done / s : 0.0, secs / 60, secs % 60);
	log_set_status(line);
}

static void *
progress_tick(void *arg)
{
	struct progress *p = arg;
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		progress_draw(p);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += PROGRESS_TICK_S;
		while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu,
		    &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct progress *
progress_new(void)
{
	struct progress *p;

	if (!isatty(STDERR_FILENO) || log_get_level() < LOG_NORMAL)
		return NULL;
	p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->t0 = clock_now_ms();
	p->stdout_tty = isatty(STDOUT_FILENO);
	if (pthread_create(&p->ticker, NULL, progress_tick, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void
progress_note(struct progress *p, const struct json *rec)
{
	const char *o;

	if (p == NULL)
		return;
	o = ledger_outcome(rec);
	pthread_mutex_lock(&p->mu);
	p->done++;
	if (strcmp(o, LEDGER_LOCAL) == 0)
		p->local++;
	else if (strcmp(o, LEDGER_CLOUD) == 0)
		p->cloud++;
	else if (strcmp(o, LEDGER_CACHE) == 0)
		p->cache++;
	else
		p->failed++;
	progress_draw(p);
	pthread_mutex_unlock(&p->mu);
}

void
progress_hide(struct progress *p)
{
	if (p == NULL || !p->stdout_tty)
		return;
	pthread_mutex_lock(&p->mu);
	log_set_status(NULL);
	pthread_mutex_unlock(&p->mu);
}

void
progress_end(struct progress *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->ticker, NULL);
	log_set_status(NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
