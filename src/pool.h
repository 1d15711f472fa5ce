/*
 * pool.h - the record loop of a filter, run on N threads with the output
 * kept in input order.
 *
 * The calling thread reads records; N workers process them; each record is
 * emitted (in input order) by whichever worker finishes the oldest one. With
 * N == 1 the records are processed one after the other on one worker, so
 * every program has one code path.
 */
#ifndef AR_POOL_H
#define AR_POOL_H
#include <stdio.h>

#include "err.h"
#include "json.h"
#include "record.h"

struct pool_ops {
	/* Makes a worker's private state (its backend clients, kept for
	 * keep-alive across records); called once on each worker thread. */
	void *(*worker_new)(void *arg);
	void (*worker_free)(void *worker);
	/* Processes one record in place. Not called for a record that the
	 * reader turned into bad_input, nor for one that came in carrying
	 * "error" unless takes_error says so. */
	void (*process)(void *worker, struct json *rec);
	/* Writes one finished record; returns 0, or -1 when the output is
	 * gone (the pool then stops reading). Called under the pool's lock,
	 * in input order. */
	int (*emit)(void *arg, struct record_out *out, const struct json *rec);
	void *arg;
	/* Optional (may be NULL): nonzero when process() wants a record
	 * that came in carrying "error"; called on the reading thread. */
	int (*takes_error)(const struct json *rec);
};

/*
 * Runs the loop over rd with n workers (1 <= n <= POOL_MAX), emitting on
 * out. Returns AR_EXIT_OK when every record succeeded, AR_EXIT_FAIL when
 * one failed (record_failed()) or output or input failed, or no worker
 * thread could start (e set; e is cleared otherwise).
 */
#define POOL_MAX 64
int pool_run(struct record_reader *rd, int n, const struct pool_ops *ops,
    struct record_out *out, struct ar_err *e);

#endif
