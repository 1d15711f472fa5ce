/*
 * mcp_http_sse.c - the channel a POST's messages go to (struct chan, a
 * struct mcp_out that workers send to and the connection's thread waits
 * on), and the SSE stream that hands them out as events as they come.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "json.h"
#include "mcp.h"
#include "mcp_http_int.h"
#include "xalloc.h"

#define HTTP_POLL_MS	200	/* how often a waiting request checks its peer */

/* ----------------------------------------------------------- channels */

void
mcp_http_chan_unref_locked(struct chan *ch)
{
	int last = --ch->refs == 0;

	pthread_mutex_unlock(&ch->mu);
	if (!last)
		return;
	json_free(ch->msgs);
	pthread_cond_destroy(&ch->cv);
	pthread_mutex_destroy(&ch->mu);
	free(ch);
}

static void
chan_send(struct mcp_out *o, struct json *msg)
{
	struct chan *ch = (struct chan *)o;

	pthread_mutex_lock(&ch->mu);
	json_arr_push(ch->msgs, msg);
	pthread_cond_broadcast(&ch->cv);
	pthread_mutex_unlock(&ch->mu);
}

static void
chan_release(struct mcp_out *o)
{
	struct chan *ch = (struct chan *)o;

	pthread_mutex_lock(&ch->mu);
	ch->pending--;
	pthread_cond_broadcast(&ch->cv);
	mcp_http_chan_unref_locked(ch);
}

struct chan *
mcp_http_chan_new(void)
{
	struct chan *ch = xcalloc(1, sizeof *ch);

	ch->out.send = chan_send;
	ch->out.release = chan_release;
	pthread_mutex_init(&ch->mu, NULL);
	pthread_cond_init(&ch->cv, NULL);
	ch->msgs = json_array();
	ch->refs = 1;
	return ch;
}

/* Counts n calls that will answer through ch (taking a ref each). */
void
mcp_http_chan_hold(struct chan *ch, int n)
{
	pthread_mutex_lock(&ch->mu);
	ch->pending += n;
	ch->refs += n;
	pthread_mutex_unlock(&ch->mu);
}

/* Waits up to HTTP_POLL_MS for news on ch. Under ch->mu. */
void
mcp_http_chan_nap(struct chan *ch)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += HTTP_POLL_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&ch->cv, &ch->mu, &ts);
}

/* ------------------------------------------------------------ SSE */

/* Fills r->sse with the next message as an SSE event; waits for one.
 * Returns 1 when there is one, 0 at the end, -1 when the peer left. */
static int
sse_next(struct hreq *r)
{
	struct chan *ch = r->ch;
	struct json *m = NULL;

	if (r->answered)
		return 0;
	pthread_mutex_lock(&ch->mu);
	for (;;) {
		if (ch->next < ch->msgs->n) {
			m = ch->msgs->items[ch->next++];
			break;
		}
		if (ch->pending == 0)
			break;
		mcp_http_chan_nap(ch);
		if (ch->next == ch->msgs->n && ch->pending > 0 &&
		    mcp_http_post_peer_gone(r)) {
			pthread_mutex_unlock(&ch->mu);
			return -1;
		}
	}
	if (m != NULL) {
		/* A single request's response is the last of its stream. */
		r->answered = r->msg->type == JSON_OBJECT &&
		    json_obj_get(m, "method") == NULL;
		buf_reset(&r->sse);
		r->sse_off = 0;
		buf_adds(&r->sse, "event: message\ndata: ");
		json_write(&r->sse, m);
		buf_adds(&r->sse, "\n\n");
	}
	pthread_mutex_unlock(&ch->mu);
	return m != NULL;
}

static ssize_t
sse_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct hreq *r = cls;
	size_t n;
	int st;

	(void)pos;
	if (r->sse_off == r->sse.len) {
		if ((st = sse_next(r)) == 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (st == -1)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	n = r->sse.len - r->sse_off;
	if (n > max)
		n = max;
	memcpy(out, r->sse.s + r->sse_off, n);
	r->sse_off += n;
	return (ssize_t)n;
}

enum MHD_Result
mcp_http_sse_respond(struct MHD_Connection *conn, struct hreq *r)
{
	struct MHD_Response *rs;
	enum MHD_Result ret;

	rs = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
	    sse_reader, r, NULL);
	if (rs == NULL)
		return MHD_NO;
	MHD_add_response_header(rs, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/event-stream");
	MHD_add_response_header(rs, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-cache");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, rs);
	MHD_destroy_response(rs);
	return ret;
}
