/*
 * fuzz_mcp - libFuzzer harness for the MCP message handler.
 *
 * Each input is one session, a message per line. Most inputs (chosen by
 * the input's size, so a crash replays the same way) are fed a line at a
 * time to a session of a server without worker threads, made once: each
 * tools/call a line queues is run on this thread (mcp_server_run_queued)
 * before the next line, and every queued call must be released once. An
 * input whose size is a multiple of 8 is instead one whole session, read
 * from a memfd or in small chunks (fuzz_input.h) and served by
 * mcp_serve() with one worker, which also covers the stdio loop and the
 * threads. The output is collected in memory. The backends are a refused
 * address and no API key, so a tools/call fails fast (or is cancelled at
 * end of input). Every output line must be one JSON-RPC 2.0 object: a
 * response (exactly one of result, error; an id with a result) or a
 * notification (a method, no id), and there are no more responses than
 * input lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "buf.h"
#include "config.h"
#include "defaults.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "mcp.h"
#include "tier.h"

static struct config cfg;
static struct mcp_opts opts;
static struct mcp_opts inline_opts;	/* no workers */
static struct mcp_server *srv;		/* inline_opts' server */
static struct tiers tiers;

/* The output of the line-at-a-time path: each message a line. */
struct mem_out {
	struct mcp_out out;
	struct buf b;
	int released;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ar_err e;

	(void)argc, (void)argv;
	log_init("fuzz_mcp");
	log_set_level(LOG_QUIET);
	unsetenv("GOOGLE_API_KEY");
	unsetenv("GEMINI_API_KEY");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/nonexistent", 1);
	setenv("OLLAMA_HOST", "127.0.0.1:1", 1);
	setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1", 1);
	setenv("AR_TIMEOUT", "2", 1);
	setenv("AR_FIRST_TOKEN_TIMEOUT", "1", 1);
	/* No state, cache or ledger files from the fuzzer. */
	setenv("AR_COOLDOWN", "0", 1);
	setenv("AR_NO_CACHE", "1", 1);
	setenv("AR_LEDGER", "0", 1);
	if (http_global_init() == -1 || config_load(&cfg, &e) == -1 ||
	    tiers_parse(&tiers, &cfg, &e) == -1)
		abort();
	opts.route.tiers = &tiers;
	opts.cfg = &cfg;
	opts.route.vopts.min_chars = cfg.min_chars;
	opts.workers = 1;
	inline_opts = opts;
	inline_opts.workers = -1;
	if ((srv = mcp_server_new(&inline_opts, &e)) == NULL)
		abort();
	return 0;
}

static void
mem_send(struct mcp_out *o, struct json *msg)
{
	struct mem_out *mo = (struct mem_out *)o;

	json_write(&mo->b, msg);
	buf_addc(&mo->b, '\n');
	json_free(msg);
}

static void
mem_release(struct mcp_out *o)
{
	((struct mem_out *)o)->released++;
}

static size_t
count_lines(const uint8_t *data, size_t size)
{
	size_t i, n = 1;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

/* Checks one output line; returns 1 for a response, 0 for a
 * notification. */
static int
check_msg(const char *line, size_t len)
{
	struct json_error je;
	struct json *m;
	const char *v;
	int has_id, has_result, has_error, response;

	m = json_parse(line, len, AR_MAX_RECORD, &je);
	if (m == NULL || m->type != JSON_OBJECT)
		abort();
	if ((v = json_obj_str(m, "jsonrpc", NULL)) == NULL ||
	    strcmp(v, "2.0") != 0)
		abort();
	has_id = json_obj_get(m, "id") != NULL;
	has_result = json_obj_get(m, "result") != NULL;
	has_error = json_obj_get(m, "error") != NULL;
	response = has_result || has_error;
	if (response && ((has_result && !has_id) || has_result == has_error))
		abort();	/* an error to an unreadable request may lack an id */
	if (!response && (has_id || json_obj_str(m, "method", NULL) == NULL))
		abort();
	json_free(m);
	return response;
}

static void
check_output(const char *out, size_t len, size_t max_responses)
{
	const char *p = out, *end = out + len, *nl;
	size_t responses = 0;

	if (len > 0 && out[len - 1] != '\n')
		abort();	/* a message not ended by a newline */
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		responses += check_msg(p, (size_t)(nl - p));
	}
	if (responses > max_responses)
		abort();
}

/* The input fed a line at a time to one session of srv, no threads. */
static void
run_lines(const uint8_t *data, size_t size)
{
	struct mem_out mo = { { mem_send, mem_release, 1 }, BUF_INIT, 0 };
	struct mcp_session *ss = mcp_session_new(srv);
	const char *p = (const char *)data, *end = p + size, *nl;
	int queued = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		queued += mcp_session_line(ss, p, (size_t)(nl - p), &mo.out);
		mcp_server_run_queued(srv);
		if (mo.released != queued)
			abort();	/* a queued call not released once */
	}
	mcp_session_free(ss);
	check_output(buf_str(&mo.b), mo.b.len, count_lines(data, size));
	buf_free(&mo.b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_feed feed;
	struct ar_err e;
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp;
	int fd;

	if (size % 8 != 0) {
		run_lines(data, size);
		return 0;
	}
	fd = fuzz_input_open(&feed, data, size);
	if ((fp = open_memstream(&out, &outlen)) == NULL)
		abort();
	if (mcp_serve(fd, -1, fp, &opts, &e) == -1)
		abort();
	fclose(fp);
	fuzz_input_done(&feed, fd);
	close(fd);
	check_output(out, outlen, count_lines(data, size));
	free(out);
	return 0;
}
