/*
 * defaults.h - every default and every limit of AuraRouter, in one place.
 * The limits are documented in man/aurarouter.7; change both together.
 */
#ifndef AR_DEFAULTS_H
#define AR_DEFAULTS_H

/* Environment defaults (see DESIGN.md, "Environment"). */
#define AR_DEFAULT_OLLAMA_HOST      "http://127.0.0.1:11434"
#define AR_DEFAULT_LOCAL_MODEL      "deepseek-coder-v2:lite"
#define AR_DEFAULT_NUM_CTX          4096
#define AR_DEFAULT_CLOUD_MODEL      "gemini-flash-latest"
#define AR_DEFAULT_GEMINI_BASE_URL  "https://generativelanguage.googleapis.com"
#define AR_DEFAULT_FIRST_TOKEN_TIMEOUT 60.0   /* seconds */
#define AR_DEFAULT_TIMEOUT          300.0     /* seconds, one backend attempt */
#define AR_DEFAULT_MIN_TPS          5.0       /* tokens/s; 0 disables */
#define AR_DEFAULT_MIN_CHARS        10        /* shorter code is invalid */

/* Generation settings sent to both backends. */
#define AR_TEMPERATURE              0.1

/* Streaming rate check: the floor applies once this many seconds of
 * streaming (after the first token) have passed. */
#define AR_RATE_GRACE_S             3.0

/* ar-route: how long the status check of the local model is trusted. */
#define AR_STATUS_TTL_S             5.0

/* Transport. */
#define AR_CONNECT_TIMEOUT_S        10.0

/* Gemini retries: attempts in all (first try included), backoff. */
#define AR_GEMINI_MAX_TRIES         4
#define AR_GEMINI_BACKOFF_S         1.0
#define AR_GEMINI_BACKOFF_MAX_S     30.0

/* Limits. */
#define AR_MAX_RECORD     (16u << 20)  /* one input record, bytes */
#define AR_MAX_DEPTH      64           /* JSON nesting depth */
#define AR_MAX_VALUES     (1 << 20)    /* JSON values (and keys) in one document */
#define AR_MAX_ANSWER     (8u << 20)   /* one backend answer (text), bytes */
#define AR_MAX_LINE       (8u << 20)   /* one NDJSON line / SSE event, bytes */
#define AR_MAX_ERROR_BODY (64u << 10)  /* an HTTP error body kept, bytes */
#define AR_MAX_FILE       (1u << 20)   /* one file read by ar-prompt, bytes */
#define AR_MAX_CONTEXT    (4u << 20)   /* all context of one prompt, bytes */
#define AR_MAX_QUOTE      60           /* bytes of bad input quoted in errors */
#define AR_SYNTAX_TIMEOUT_S 10.0       /* one syntax checker run */
#define AR_SYNTAX_MEM_MB  1024         /* address space of a syntax checker, MiB */

#endif
