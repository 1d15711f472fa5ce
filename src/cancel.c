/*
 * cancel.c - cancel flags and the waits that wake when one is set.
 */
#include <pthread.h>
#include <stddef.h>

#include "cancel.h"

/* Watches are few (one per wait in progress, so at most one per worker
 * thread): one list under one mutex. */
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cancel_watch *watches;

int
cancel_is_set(const volatile int *flag)
{
	return flag != NULL && __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

void
cancel_set(volatile int *flag)
{
	struct cancel_watch *w;

	__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&watch_mu);
	for (w = watches; w != NULL; w = w->next)
		if (w->flag == flag)
			w->wake(w->arg);
	pthread_mutex_unlock(&watch_mu);
}

void
cancel_watch(struct cancel_watch *w, const volatile int *flag,
    void (*wake)(void *arg), void *arg)
{
	w->flag = flag;
	w->wake = wake;
	w->arg = arg;
	w->next = NULL;
	if (flag == NULL)
		return;
	pthread_mutex_lock(&watch_mu);
	w->next = watches;
	watches = w;
	pthread_mutex_unlock(&watch_mu);
}

void
cancel_unwatch(struct cancel_watch *w)
{
	struct cancel_watch **pp;

	if (w->flag == NULL)
		return;
	pthread_mutex_lock(&watch_mu);
	for (pp = &watches; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	pthread_mutex_unlock(&watch_mu);
}
