/*
 * mcp_http_session.c - the legacy sessions of the HTTP transport: a table
 * from Mcp-Session-Id (128 random bits) to an MCP session, with refs for
 * the requests using one; DELETE ends a session and idle ones expire.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "log.h"
#include "mcp.h"
#include "mcp_http.h"
#include "mcp_http_int.h"
#include "xalloc.h"

/* ----------------------------------------------------------- sessions */

static void
hsession_free(struct hsession *hs)
{
	mcp_session_free(hs->ss);
	free(hs);
}

/* A new session in the table, with one ref; NULL when it is full. */
struct hsession *
mcp_http_session_new(struct http *h)
{
	unsigned char rnd[16];
	struct hsession *hs;
	size_t i, got = 0;
	ssize_t n;

	while (got < sizeof rnd) {
		if ((n = getrandom(rnd + got, sizeof rnd - got, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		got += (size_t)n;
	}
	hs = xcalloc(1, sizeof *hs);
	for (i = 0; i < sizeof rnd; i++)
		snprintf(hs->id + 2 * i, 3, "%02x", rnd[i]);
	hs->ss = mcp_session_new(h->srv);
	hs->last_ms = clock_now_ms();
	hs->refs = 1;
	pthread_mutex_lock(&h->mu);
	if (h->nsessions >= MCP_HTTP_MAX_SESSIONS) {
		pthread_mutex_unlock(&h->mu);
		hsession_free(hs);
		return NULL;
	}
	hs->next = h->sessions;
	h->sessions = hs;
	h->nsessions++;
	pthread_mutex_unlock(&h->mu);
	return hs;
}

/* The live session with this id, with a ref taken; NULL when unknown. */
struct hsession *
mcp_http_session_get(struct http *h, const char *id)
{
	struct hsession *hs;

	pthread_mutex_lock(&h->mu);
	for (hs = h->sessions; hs != NULL; hs = hs->next)
		if (!hs->dead && strcmp(hs->id, id) == 0) {
			hs->refs++;
			hs->last_ms = clock_now_ms();
			break;
		}
	pthread_mutex_unlock(&h->mu);
	return hs;
}

/* Unlinks hs. Under h->mu. */
static void
hsession_unlink(struct http *h, struct hsession *hs)
{
	struct hsession **pp;

	for (pp = &h->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == hs) {
			*pp = hs->next;
			h->nsessions--;
			return;
		}
}

/* Drops a ref; a dead session is freed with its last one. */
void
mcp_http_session_put(struct http *h, struct hsession *hs)
{
	int gone;

	pthread_mutex_lock(&h->mu);
	hs->last_ms = clock_now_ms();
	gone = --hs->refs == 0 && hs->dead;
	if (gone)
		hsession_unlink(h, hs);
	pthread_mutex_unlock(&h->mu);
	if (gone)
		hsession_free(hs);
}

/* Ends hs (DELETE): its calls are cancelled, it is freed once unused. */
void
mcp_http_session_end(struct http *h, struct hsession *hs)
{
	pthread_mutex_lock(&h->mu);
	hs->dead = 1;
	pthread_mutex_unlock(&h->mu);
	mcp_session_cancel(hs->ss, NULL);
}

/* Ends the sessions idle for longer than the limit (all when idle_s is
 * negative). */
void
mcp_http_session_expire(struct http *h, int idle_s)
{
	struct hsession *hs, *next, *dead = NULL;
	double now = clock_now_ms();

	pthread_mutex_lock(&h->mu);
	for (hs = h->sessions; hs != NULL; hs = next) {
		next = hs->next;
		if (hs->refs == 0 && (idle_s < 0 ||
		    now - hs->last_ms > idle_s * 1000.0)) {
			hsession_unlink(h, hs);
			hs->next = dead;
			dead = hs;
		}
	}
	pthread_mutex_unlock(&h->mu);
	for (hs = dead; hs != NULL; hs = next) {
		next = hs->next;
		log_debug("session %.8s... ended (idle)", hs->id);
		hsession_free(hs);
	}
}
