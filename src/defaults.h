/*
 * defaults.h - every default and every limit of AuraRouter, in one place.
 * The limits are documented in man/aurarouter.7; change both together.
 */
#ifndef AR_DEFAULTS_H
#define AR_DEFAULTS_H

/* Environment defaults (see DESIGN.md, "Environment"); the settings table
 * in config.c is what applies them, with the bounds below. */
#define AR_DEFAULT_OLLAMA_HOST      "http://127.0.0.1:11434"
#define AR_DEFAULT_LOCAL_MODEL      "deepseek-coder-v2:lite"
#define AR_DEFAULT_NUM_CTX          4096
#define AR_DEFAULT_CLOUD_MODEL      "gemini-flash-latest"
#define AR_DEFAULT_GEMINI_BASE_URL  "https://generativelanguage.googleapis.com"
#define AR_DEFAULT_FIRST_TOKEN_TIMEOUT 60.0   /* seconds */
#define AR_DEFAULT_TIMEOUT          300.0     /* seconds, one backend attempt */
#define AR_DEFAULT_MIN_TPS          5.0       /* tokens/s; 0 disables */
#define AR_DEFAULT_MIN_CHARS        10        /* shorter code is invalid */
#define AR_DEFAULT_REPAIRS          1         /* repairs per local tier */
#define AR_DEFAULT_CHECK_TIMEOUT    60.0      /* seconds, one check command */
#define AR_DEFAULT_CACHE_MAX_MB     256.0     /* the answer cache, MiB */
#define AR_DEFAULT_COOLDOWN         30.0      /* seconds an endpoint rests */
/* ar-stats: the paid-tier price of the newest flash model, which
 * gemini-flash-latest names (gemini-3.8-flash, USD per million tokens,
 * thinking billed as output; ai.google.dev pricing read 2026-10-07, the
 * rate until 2026-12-31). The date is in man/ar-stats.1: change both. */
#define AR_DEFAULT_PRICE_INPUT      0.75
#define AR_DEFAULT_PRICE_OUTPUT     3.75

/* AR_CLOUD_THINKING: the largest token budget accepted. */
#define AR_MAX_THINKING_BUDGET      1000000

/* The bounds of the settings (AR_REPAIRS: AR_MAX_REPAIRS below). */
#define AR_MIN_SECONDS              0.001     /* the shortest timeout */
#define AR_MAX_SECONDS              86400     /* the longest timeout or cooldown */
#define AR_MAX_NUM_CTX              16777216  /* AR_NUM_CTX, AR_MAX_CTX */
#define AR_MAX_MIN_CHARS            1000000000
#define AR_MAX_MIN_TPS              1e6
#define AR_MAX_CACHE_MB             1e7
#define AR_MAX_PRICE                1e6       /* USD per million tokens */

/* Context: a prompt's tokens are estimated as one per AR_CTX_BYTES_PER_TOKEN
 * bytes (conservative: code and English run 3.5 to 4.5 bytes a token),
 * plus AR_CTX_OVERHEAD tokens of template; AR_CTX_ANSWER_ROOM tokens (a
 * quarter of num_ctx when that is less) are kept free for the answer. A larger num_ctx is asked in steps of
 * AR_CTX_STEP. An answer whose prompt_eval_count comes within
 * AR_CTX_CUT_SLACK tokens of num_ctx had its prompt cut by the engine. */
#define AR_CTX_BYTES_PER_TOKEN      3
#define AR_CTX_OVERHEAD             32
#define AR_CTX_ANSWER_ROOM          1024
#define AR_CTX_STEP                 1024
#define AR_CTX_CUT_SLACK            8

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
#define AR_MAX_REPAIRS    3            /* AR_REPAIRS at most */
#define AR_MAX_CHECK_OUTPUT 4096       /* bytes of a check command's output kept */
#define AR_CACHE_VERSION  1            /* the validator and cache entry version in the key */
#define AR_SYNTAX_MEM_MB  1024         /* address space of a syntax checker, MiB */
#define AR_DEFAULT_CHECK_MEM_MB 4096   /* AR_CHECK_MEM_MB: address space of a check command, MiB */
#define AR_MIN_CHECK_MEM_MB 64         /* AR_CHECK_MEM_MB at least */
#define AR_MAX_CHECK_MEM_MB 1048576    /* AR_CHECK_MEM_MB at most (1 TiB) */

#endif
