/*
 * gemini_sse.h - inside the Gemini backend: the SSE event parser of
 * streamGenerateContent and the digest of Google's error bodies
 * (gemini_sse.c), for gemini.c, which makes the requests and retries.
 * No other module includes it.
 */
#ifndef AR_GEMINI_SSE_H
#define AR_GEMINI_SSE_H
#include <stddef.h>

#include "buf.h"
#include "gen.h"
#include "json.h"

/* Why one try failed, and whether another try may help. */
struct gemini_fail {
	const char *code;
	char what[300];			/* the message, or its start */
	char gmsg[320];			/* Google's message, "" if none */
	int counted;			/* the message states the tries */
	int retry;
	double hint_s;			/* wait at least this long, 0 if none */
	char note[160];			/* why a retryable failure was final */
};

/* Sets f->code and f->what (the formatted message, as one line); returns
 * 1, for on_line. */
int gemini_fail_set(struct gemini_fail *f, const char *code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* The SSE state of one try. */
struct gemini_stream {
	const struct gen_request *rq;
	struct gen_result *res;
	double t0;			/* start of gemini_generate, ms */
	struct buf data;		/* data lines of the pending event */
	int has_data;
	struct buf raw;			/* a raw JSON object, spread over lines */
	struct json_nest raw_nest;	/* its nesting, to know when it ends */
	long events;			/* events that carried text */
	int candidates;			/* some event had candidates */
	char block[64];			/* promptFeedback.blockReason */
	char block_msg[256];
	struct gemini_fail *fail;	/* set when a callback stops the try */
	int started;			/* a line came (a BOM before it is
					 * skipped) */
};

/* Starts one try's SSE state over an emptied res: rq and res are
 * borrowed, t0 is the start of the whole call (ms), a failure goes to f. */
void gemini_stream_init(struct gemini_stream *st, const struct gen_request *rq,
    struct gen_result *res, double t0, struct gemini_fail *f);
void gemini_stream_free(struct gemini_stream *st);
/* http's on_line: one line of the stream (split with http_req.any_eol, as
 * SSE lines end at CRLF, LF or a bare CR; a UTF-8 BOM at the start is
 * skipped). Returns 0, HTTP_LINE_DONE after the event with the
 * finishReason (the answer is complete), or 1 to stop the try (st->fail
 * set). */
int gemini_stream_line(void *ctx, const char *line, size_t len);
/* Judges a complete 200 stream. Returns 0 if it holds an answer, else -1
 * with st->fail set. */
int gemini_stream_end(struct gemini_stream *st);

/* Google's {"error":{code,message,status,details}} body, digested. */
struct gemini_apierr {
	char status[64];
	char message[320];
	char reason[64];		/* ErrorInfo.reason */
	double retry_delay;		/* RetryInfo.retryDelay, s; -1 if none */
	int daily;			/* a QuotaFailure quotaId with PerDay */
};

/* Digests an error body; a body that is not Google's JSON is quoted. */
void gemini_apierr_parse(const char *s, size_t len, struct gemini_apierr *ae);

/* Seconds from a protobuf Duration ("1s", "0.5s", "250ms") or a
 * Retry-After value ("3"); -1 if it is neither. */
double gemini_duration(const char *s);

#endif
