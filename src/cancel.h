/*
 * cancel.h - cancelling work that runs in another thread, at once.
 *
 * A cancel flag is a plain int (0, then 1 for good), owned by whoever may
 * cancel; the work borrows a const pointer to it (gen_request.cancel,
 * route_hooks.cancel...). A wait that must end when the flag is set (an
 * HTTP transfer, a back-off sleep) watches the flag: cancel_set() sets it
 * and then calls the wake function of every watch on that flag, so the
 * wait ends within its own wake-up latency instead of at its next poll.
 */
#ifndef AR_CANCEL_H
#define AR_CANCEL_H

/* One watch, on the waiter's stack. */
struct cancel_watch {
	const volatile int *flag;
	void (*wake)(void *arg);	/* thread-safe, never blocks */
	void *arg;
	struct cancel_watch *next;
};

/* Nonzero once the flag (may be NULL: never) is set; an atomic read. */
int cancel_is_set(const volatile int *flag);

/* Sets the flag, then wakes every watch on it. From any thread (not from
 * a signal handler: it takes a mutex). */
void cancel_set(volatile int *flag);

/*
 * Registers w: wake(arg) is called by each cancel_set() on flag until
 * cancel_unwatch(w). A NULL flag registers nothing. A flag set before
 * the watch began wakes nobody: read cancel_is_set() after this call.
 */
void cancel_watch(struct cancel_watch *w, const volatile int *flag,
    void (*wake)(void *arg), void *arg);
/* Ends the watch; once it returns, wake is not running and not called. */
void cancel_unwatch(struct cancel_watch *w);

#endif
