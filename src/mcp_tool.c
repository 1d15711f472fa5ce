/*
 * mcp_tool.c - the MCP server's tool, intelligent_code_gen: its schema,
 * its arguments as a record for route_record(), and the routed record as
 * a tools/call result (the code as text and as structuredContent).
 */
#include <string.h>

#include "buf.h"
#include "defaults.h"
#include "err.h"
#include "json.h"
#include "mcp.h"
#include "mcp_tool.h"

/* Code bytes a reply may carry: the code goes out twice (text and
 * structuredContent), escaped, and clients read lines of at most 10 MiB
 * (the TypeScript SDK). */
#define MCP_MAX_CODE	(4u << 20)

/* The tool, as tools/list shows it; parsed once per session. */
static const char mcp_tool_json[] = "{"
    "\"name\":\"" MCP_TOOL "\","
    "\"title\":\"Generate code (local model first, cloud fallback)\","
    "\"description\":\"Generates code for a programming task and returns "
	"only the code: no prose, no Markdown fences. Use it whenever new "
	"code is needed (a function, a class, a script, a test, a fix or "
	"rewrite of given code) instead of writing it yourself. The task "
	"runs on a local model (Ollama) first; the answer is validated "
	"(syntax check, truncation, refusal) and when the local model is "
	"unavailable, too slow or its answer is invalid, the same prompt "
	"goes to Gemini in the cloud. Pass existing code the task refers to "
	"in file_context and name the language. structuredContent says "
	"which backend and model answered and why earlier attempts "
	"failed.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
	"\"task\":{\"type\":\"string\",\"minLength\":1,\"description\":"
	    "\"What the code must do, in plain words.\"},"
	"\"file_context\":{\"type\":\"string\",\"description\":"
	    "\"Existing code or text the task refers to, such as the file "
	    "being edited.\"},"
	"\"language\":{\"type\":\"string\",\"description\":"
	    "\"The programming language, such as python, c, sh or "
	    "javascript.\"}},"
	"\"required\":[\"task\"],\"additionalProperties\":false},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{"
	"\"code\":{\"type\":\"string\",\"description\":\"The pure code.\"},"
	"\"language\":{\"type\":\"string\"},"
	"\"backend\":{\"type\":\"string\",\"enum\":[\"ollama\",\"gemini\"]},"
	"\"model\":{\"type\":\"string\"},"
	"\"attempts\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	    "\"properties\":{\"backend\":{\"type\":\"string\"},"
	    "\"model\":{\"type\":\"string\"},\"ok\":{\"type\":\"boolean\"},"
	    "\"ms\":{\"type\":\"number\"},"
	    "\"error\":{\"type\":\"object\",\"properties\":{"
		"\"code\":{\"type\":\"string\"},"
		"\"message\":{\"type\":\"string\"}}},"
	    "\"reasons\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},"
	    "\"required\":[\"backend\",\"model\",\"ok\",\"ms\"]}},"
	"\"usage\":{\"type\":\"object\",\"properties\":{"
	    "\"input_tokens\":{\"type\":\"integer\"},"
	    "\"output_tokens\":{\"type\":\"integer\"}}},"
	"\"timing\":{\"type\":\"object\",\"properties\":{"
	    "\"first_token_ms\":{\"type\":[\"number\",\"null\"]},"
	    "\"total_ms\":{\"type\":\"number\"},"
	    "\"tokens_per_s\":{\"type\":\"number\"}}}},"
	"\"required\":[\"code\",\"backend\",\"model\",\"attempts\"]},"
    "\"annotations\":{\"title\":\"Generate code\",\"readOnlyHint\":true,"
	"\"destructiveHint\":false,\"idempotentHint\":false,"
	"\"openWorldHint\":true}"
    "}";

static const char *const mcp_tool_args[] = {
	"task", "file_context", "language", NULL
};

/* A tools/call result with one text block. */
static struct json *
tool_result(struct json *text, struct json *structured, int is_error)
{
	struct json *r = json_object(), *content = json_array();
	struct json *block = json_object();

	json_obj_set(block, "type", json_stringz("text"));
	json_obj_set(block, "text", text);
	json_arr_push(content, block);
	json_obj_set(r, "content", content);
	if (structured != NULL)
		json_obj_set(r, "structuredContent", structured);
	if (is_error)
		json_obj_set(r, "isError", json_bool(1));
	return r;
}

/* Checks the arguments of a call; returns 0, or -1 with why set to a
 * sentence naming the bad argument. */
static int
tool_check_args(const struct json *args, struct buf *why)
{
	const struct json_member *m;
	const char *task;
	size_t i, k, len;

	for (i = 0; args != NULL && i < args->n; i++) {
		m = &args->members[i];
		for (k = 0; mcp_tool_args[k] != NULL; k++)
			if (m->keylen == strlen(mcp_tool_args[k]) &&
			    memcmp(m->key, mcp_tool_args[k], m->keylen) == 0)
				break;
		if (mcp_tool_args[k] == NULL) {
			buf_printf(why, "Unknown argument \"%.64s\": " MCP_TOOL
			    " takes task, file_context and language.", m->key);
			return -1;
		}
		if (m->val->type != JSON_STRING) {
			buf_printf(why, "Invalid argument \"%s\": it must be a "
			    "string, not %s.", m->key,
			    json_type_name(m->val->type));
			return -1;
		}
	}
	task = args != NULL ? json_obj_str(args, "task", &len) : NULL;
	if (task == NULL || len == 0) {
		buf_adds(why, "Invalid argument \"task\": a non-empty string "
		    "saying what the code must do is required.");
		return -1;
	}
	return 0;
}

struct json *
mcp_tool_record(const struct json *args)
{
	struct json *rec = json_object();
	const struct json *v;
	size_t k;

	for (k = 0; mcp_tool_args[k] != NULL; k++)
		if ((v = json_obj_get(args, mcp_tool_args[k])) != NULL)
			json_obj_set(rec, mcp_tool_args[k], json_copy(v));
	return rec;
}

/* Copies rec's field into obj when it is there. */
static void
copy_field(struct json *obj, const struct json *rec, const char *key)
{
	const struct json *v = json_obj_get(rec, key);

	if (v != NULL)
		json_obj_set(obj, key, json_copy(v));
}

/* The isError result for code too large to send. */
static struct json *
tool_too_large(const struct json *rec, size_t len)
{
	const char *backend = json_obj_str(rec, "backend", NULL);
	const char *model = json_obj_str(rec, "model", NULL);
	struct buf msg = BUF_INIT;
	struct json *text;

	buf_printf(&msg, AR_E_TOO_LARGE ": the answer is too large: %s %s "
	    "wrote %zu bytes of code, over the %u bytes an MCP reply carries",
	    backend ? backend : "the backend", model ? model : "", len,
	    MCP_MAX_CODE);
	text = json_string(buf_str(&msg), msg.len);
	buf_free(&msg);
	return tool_result(text, NULL, 1);
}

struct json *
mcp_tool_outcome(const struct json *rec)
{
	static const char *const fields[] = {
		"code", "language", "backend", "model", "attempts", "usage",
		"timing", "finish", NULL
	};
	const struct json *code = json_obj_get(rec, "code");
	const struct json *err = json_obj_get(rec, "error");
	const char *msg;
	struct json *sc;
	size_t i;

	if (err == NULL && code != NULL && code->type == JSON_STRING) {
		if (code->len > MCP_MAX_CODE)
			return tool_too_large(rec, code->len);
		sc = json_object();
		for (i = 0; fields[i] != NULL; i++)
			copy_field(sc, rec, fields[i]);
		return tool_result(json_copy(code), sc, 0);
	}
	msg = err != NULL ? json_obj_str(err, "message", NULL) : NULL;
	return tool_result(json_stringz(msg != NULL ? msg :
	    "no backend produced valid code"), NULL, 1);
}

struct json *
mcp_tool_check(const struct json *args)
{
	struct buf why = BUF_INIT;
	struct json *r = NULL;

	if (tool_check_args(args, &why) == -1)
		r = tool_result(json_string(buf_str(&why), why.len), NULL, 1);
	buf_free(&why);
	return r;
}

struct json *
mcp_tool_def(struct ar_err *e)
{
	struct json_error jerr;
	struct json *def;

	def = json_parse(mcp_tool_json, sizeof mcp_tool_json - 1,
	    sizeof mcp_tool_json, &jerr);
	if (def == NULL)
		err_set(e, AR_E_CONFIG, "tool definition: %s at %zu", jerr.msg,
		    jerr.off);
	return def;
}
