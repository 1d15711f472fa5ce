/*
 * pool.c - an ordered parallel map over the record stream.
 *
 * Records sit in a ring of 2N slots indexed by sequence number. The reader
 * waits while the ring is full; a worker takes the oldest unclaimed slot;
 * after processing, the worker that finds the oldest unwritten slot done
 * writes every consecutive finished slot. Emitting happens under the lock,
 * so output lines never interleave and always follow input order.
 */
#include <pthread.h>
#include <stdlib.h>

#include "err.h"
#include "pool.h"
#include "xalloc.h"

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

struct slot {
	struct json *rec;
	enum slot_state state;
	int skip;		/* pass through without processing */
};

struct pool {
	const struct pool_ops *ops;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* any state change */
	struct slot *ring;
	size_t size;
	unsigned long next_in;		/* sequence of the next record read */
	unsigned long next_take;	/* oldest record not yet claimed */
	unsigned long next_out;		/* oldest record not yet written */
	int eof;
	int failed;			/* a record failed */
	int broken;			/* output is gone: stop */
	struct record_out *out;		/* where emit writes; borrowed */
};

/* Writes every finished record at the head of the ring. Locked. */
static void
flush_done(struct pool *p)
{
	struct slot *s;

	while (p->next_out < p->next_in) {
		s = &p->ring[p->next_out % p->size];
		if (s->state != SLOT_DONE)
			break;
		if (record_failed(s->rec))
			p->failed = 1;
		if (!p->broken &&
		    p->ops->emit(p->ops->arg, p->out, s->rec) == -1)
			p->broken = 1;
		json_free(s->rec);
		s->rec = NULL;
		s->state = SLOT_FREE;
		p->next_out++;
	}
	pthread_cond_broadcast(&p->cv);
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	void *w = p->ops->worker_new(p->ops->arg);
	struct slot *s;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->next_take == p->next_in && !p->eof && !p->broken)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->next_take == p->next_in || p->broken)
			break;
		s = &p->ring[p->next_take++ % p->size];
		s->state = SLOT_BUSY;
		if (!s->skip) {
			pthread_mutex_unlock(&p->mu);
			p->ops->process(w, s->rec);
			pthread_mutex_lock(&p->mu);
		}
		s->state = SLOT_DONE;
		flush_done(p);
	}
	pthread_mutex_unlock(&p->mu);
	p->ops->worker_free(w);
	return NULL;
}

/* Reads records into the ring until input ends or output breaks. */
static void
feed(struct pool *p, struct record_reader *rd)
{
	struct json *rec;
	enum record_status st;
	struct slot *s;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->next_in - p->next_out == p->size && !p->broken)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->broken) {
			pthread_mutex_unlock(&p->mu);
			return;
		}
		pthread_mutex_unlock(&p->mu);
		st = record_read(rd, &rec);
		pthread_mutex_lock(&p->mu);
		if (st == RECORD_EOF) {
			pthread_mutex_unlock(&p->mu);
			return;
		}
		s = &p->ring[p->next_in++ % p->size];
		s->rec = rec;
		s->skip = st != RECORD_OK || (record_has_error(rec) &&
		    (p->ops->takes_error == NULL || !p->ops->takes_error(rec)));
		s->state = SLOT_QUEUED;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

int
pool_run(struct record_reader *rd, int n, const struct pool_ops *ops,
    struct record_out *out, struct ar_err *e)
{
	struct pool p = { 0 };
	pthread_t tids[POOL_MAX];
	int i, started = 0;

	if (n < 1)
		n = 1;
	if (n > POOL_MAX)
		n = POOL_MAX;
	err_clear(e);
	p.ops = ops;
	p.out = out;
	p.size = 2 * (size_t)n;
	p.ring = xcalloc(p.size, sizeof *p.ring);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (i = 0; i < n; i++)
		if (pthread_create(&tids[started], NULL, worker, &p) == 0)
			started++;
	if (started == 0) {
		err_set(e, AR_E_CONFIG, "cannot start a worker thread");
		p.broken = 1;
	} else
		feed(&p, rd);
	pthread_mutex_lock(&p.mu);
	p.eof = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	/* After a broken output, records read but not written are freed. */
	for (i = 0; i < (int)p.size; i++)
		json_free(p.ring[i].rec);
	free(p.ring);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	return p.failed || p.broken || record_reader_error(rd) ?
	    AR_EXIT_FAIL : AR_EXIT_OK;
}
