/*
 * err.h - errors as values, and the exit statuses.
 *
 * Library code fills a struct ar_err and returns -1; only programs print
 * errors and choose exit statuses. The codes are stable snake_case words,
 * listed in man/aurarouter.7; use the AR_E_* names, never new literals.
 */
#ifndef AR_ERR_H
#define AR_ERR_H
#include <stdarg.h>

enum ar_exit {
	AR_EXIT_OK = 0,		/* every record succeeded */
	AR_EXIT_FAIL = 1,	/* a record carries an error or is invalid */
	AR_EXIT_USAGE = 2	/* usage or configuration error */
};

/* Error codes (the "code" of an error record). */
#define AR_E_BAD_INPUT      "bad_input"      /* not JSON, not an object, too large */
#define AR_E_BAD_FIELD      "bad_field"      /* a field missing or of the wrong type */
#define AR_E_FILE           "file_error"     /* ar-prompt: a file unreadable or too large */
#define AR_E_CONFIG         "config_error"   /* bad setting, e.g. an unusable OLLAMA_HOST */
#define AR_E_CONNECT        "connect_failed" /* connection refused or unreachable */
#define AR_E_RESOLVE        "resolve_failed" /* host name does not resolve */
#define AR_E_TIMEOUT        "timeout"        /* first token or whole attempt too late */
#define AR_E_TOO_SLOW       "too_slow"       /* tokens/s under AR_MIN_TPS */
#define AR_E_HTTP           "http_error"     /* other HTTP 4xx */
#define AR_E_SERVER         "server_error"   /* HTTP 5xx after any retries */
#define AR_E_MODEL          "model_not_found" /* 404: model not pulled / unknown */
#define AR_E_AUTH           "auth_failed"    /* API key rejected (400 API_KEY_INVALID, 401, 403) */
#define AR_E_NO_KEY         "no_api_key"     /* neither GOOGLE_API_KEY nor GEMINI_API_KEY */
#define AR_E_RATE_LIMIT     "rate_limited"   /* 429 after retries, or a daily quota */
#define AR_E_BAD_RESPONSE   "bad_response"   /* malformed JSON from a backend */
#define AR_E_STREAM         "stream_error"   /* an error line/event in the stream */
#define AR_E_CUT            "stream_cut"     /* the stream ended without its end */
#define AR_E_EMPTY          "empty_answer"   /* the model answered nothing */
#define AR_E_BLOCKED        "blocked"        /* the prompt or answer was blocked */
#define AR_E_CONTEXT        "context_overflow" /* the prompt does not fit num_ctx, or the engine cut it */
#define AR_E_TOO_LARGE      "too_large"      /* an answer over AR_MAX_ANSWER */
#define AR_E_TRANSPORT      "transport_error" /* any other transport failure */
#define AR_E_CANCELLED      "cancelled"      /* the caller cancelled */
#define AR_E_ALL_FAILED     "all_failed"     /* ar-route: no backend gave valid code */
#define AR_E_CHECK          "check_error"    /* the check command could not be run */
#define AR_E_COOLING        "cooling_down"   /* ar-route: every endpoint of a tier cools down */

struct ar_err {
	const char *code;	/* one of AR_E_*; NULL when no error */
	char msg[512];		/* one human line; never holds a secret */
};

/* Sets e->code and formats e->msg; returns -1 so callers can write
 * "return err_set(e, ...);". */
int err_set(struct ar_err *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with a va_list: the one place an error message is formatted,
 * for functions that take a format of their own (flow_fail). */
int err_vset(struct ar_err *e, const char *code, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
void err_clear(struct ar_err *e);

#endif
