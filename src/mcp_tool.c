/*
 * mcp_tool.c - the MCP server's tool, intelligent_code_gen: its schema,
 * its arguments as a record for route_record(), and the routed record as
 * a tools/call result (the code as text and as structuredContent).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "confine.h"
#include "defaults.h"
#include "err.h"
#include "json.h"
#include "mcp.h"
#include "mcp_tool.h"
#include "xalloc.h"

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
	"in file_context (or its paths in files) and name the language. "
	"When the code is meant for a file, pass write_to: the server writes "
	"it there and the result only says what was written, so you need "
	"not repeat the code. structuredContent says "
	"which backend and model answered and why earlier attempts "
	"failed.\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
	"\"task\":{\"type\":\"string\",\"minLength\":1,\"description\":"
	    "\"What the code must do, in plain words.\"},"
	"\"file_context\":{\"type\":\"string\",\"description\":"
	    "\"Existing code or text the task refers to, such as the file "
	    "being edited.\"},"
	"\"language\":{\"type\":[\"string\",\"null\"],\"description\":"
	    "\"The programming language, such as python, c, sh or "
	    "javascript; null or left out: the answer's own.\"},"
	"\"files\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
	    "\"description\":\"Paths of files the server reads as context "
	    "(inside its working directory), instead of pasting them into "
	    "file_context.\"},"
	"\"write_to\":{\"type\":\"string\",\"minLength\":1,"
	    "\"description\":\"A path (inside the server's working "
	    "directory) the code is written to, atomically; the result then "
	    "says what was written instead of repeating the code, so prefer "
	    "it when the code is meant for a file.\"},"
	"\"overwrite\":{\"type\":\"boolean\",\"description\":"
	    "\"Replace an existing write_to file (default false: refused).\"}},"
	"\"required\":[\"task\"],\"additionalProperties\":false},"
    "\"outputSchema\":{\"type\":\"object\",\"properties\":{"
	"\"code\":{\"type\":\"string\",\"description\":\"The pure code "
	    "(absent when it was written to write_to).\"},"
	"\"written\":{\"type\":\"object\",\"description\":\"What was "
	    "written to write_to.\",\"properties\":{"
	    "\"path\":{\"type\":\"string\"},"
	    "\"lines\":{\"type\":\"integer\"},"
	    "\"bytes\":{\"type\":\"integer\"}},"
	    "\"required\":[\"path\",\"lines\",\"bytes\"]},"
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
	"\"required\":[\"backend\",\"model\",\"attempts\"]},"
    "\"annotations\":{\"title\":\"Generate code\",\"readOnlyHint\":false,"
	"\"destructiveHint\":true,\"idempotentHint\":false,"
	"\"openWorldHint\":true}"
    "}";

/* The arguments, the JSON type each must have, and whether null stands
 * for "not given" (language, as ar-route reads it). */
static const struct tool_arg {
	const char *name;
	enum json_type type;
	int nullable;
} mcp_tool_args[] = {
	{ "task", JSON_STRING, 0 },
	{ "file_context", JSON_STRING, 0 },
	{ "language", JSON_STRING, 1 },
	{ "files", JSON_ARRAY, 0 },
	{ "write_to", JSON_STRING, 0 },
	{ "overwrite", JSON_BOOL, 0 },
	{ NULL, JSON_NULL, 0 }
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

/* The isError result saying why (a sentence). */
static struct json *
tool_error(const char *why)
{
	return tool_result(json_stringz(why), NULL, 1);
}

/* Checks the names and types of the arguments; returns 0, or -1 with
 * why set to a sentence naming the bad argument. */
static int
tool_check_args(const struct json *args, struct buf *why)
{
	const struct json_member *m;
	const struct json *files;
	const char *task;
	size_t i, k, len;

	for (i = 0; args != NULL && i < args->n; i++) {
		m = &args->members[i];
		for (k = 0; mcp_tool_args[k].name != NULL; k++)
			if (m->keylen == strlen(mcp_tool_args[k].name) &&
			    memcmp(m->key, mcp_tool_args[k].name, m->keylen) == 0)
				break;
		if (mcp_tool_args[k].name == NULL) {
			buf_printf(why, "Unknown argument \"%.64s\": " MCP_TOOL
			    " takes task, file_context, language, files, "
			    "write_to and overwrite.", m->key);
			return -1;
		}
		if (m->val->type != mcp_tool_args[k].type &&
		    !(m->val->type == JSON_NULL && mcp_tool_args[k].nullable)) {
			buf_printf(why, "Invalid argument \"%s\": it must be %s, "
			    "not %s.", m->key, mcp_tool_args[k].type ==
			    JSON_STRING ? "a string" : mcp_tool_args[k].type ==
			    JSON_BOOL ? "a boolean" : "an array of strings",
			    json_type_name(m->val->type));
			return -1;
		}
	}
	files = args != NULL ? json_obj_get(args, "files") : NULL;
	for (i = 0; files != NULL && i < files->n; i++)
		if (files->items[i]->type != JSON_STRING) {
			buf_printf(why, "Invalid argument \"files\": item %zu "
			    "must be a string, not %s.", i,
			    json_type_name(files->items[i]->type));
			return -1;
		}
	task = args != NULL ? json_obj_str(args, "task", &len) : NULL;
	if (task == NULL || buf_blank(task, len)) {
		buf_adds(why, "Invalid argument \"task\": a string saying what "
		    "the code must do is required, not only white space.");
		return -1;
	}
	return 0;
}

/* rec.files: the paths of args.files resolved inside the roots. */
static int
tool_files(const struct json *args, const struct confine *roots,
    struct json *rec, struct ar_err *e)
{
	const struct json *files = json_obj_get(args, "files");
	struct json *paths;
	char *path;
	size_t i;

	if (files == NULL)
		return 0;
	paths = json_array();
	json_obj_set(rec, "files", paths);
	for (i = 0; i < files->n; i++) {
		if (confine_read_path(roots, files->items[i]->s, &path,
		    e) == -1)
			return -1;
		json_arr_push(paths, json_stringz(path));
		free(path);
	}
	return 0;
}

/* tc->write_to: args.write_to resolved inside the roots; an existing
 * file only with overwrite. */
static int
tool_write_to(const struct json *args, const struct confine *roots,
    struct mcp_tool_call *tc, struct ar_err *e)
{
	const char *path = json_obj_str(args, "write_to", NULL);
	const struct json *ow = json_obj_get(args, "overwrite");
	int exists;

	if (path == NULL)
		return 0;
	if (confine_write_path(roots, path, &tc->write_to, &exists, e) == -1)
		return -1;
	tc->write_name = xstrdup(path);
	if (exists && (ow == NULL || !ow->b))
		return err_set(e, AR_E_FILE, "write_to \"%.200s\": the file "
		    "exists; pass overwrite true to replace it", path);
	return 0;
}

struct json *
mcp_tool_prepare(const struct json *args, const struct confine *roots,
    struct mcp_tool_call *tc)
{
	static const char *const copied[] = {
		"task", "file_context", "language", NULL
	};
	struct buf why = BUF_INIT;
	struct ar_err e;
	const struct json *v;
	struct json *r;
	size_t k;

	memset(tc, 0, sizeof *tc);
	if (tool_check_args(args, &why) == -1) {
		r = tool_error(buf_str(&why));
		buf_free(&why);
		return r;
	}
	tc->rec = json_object();
	for (k = 0; copied[k] != NULL; k++)
		if ((v = json_obj_get(args, copied[k])) != NULL)
			json_obj_set(tc->rec, copied[k], json_copy(v));
	err_clear(&e);
	if (tool_files(args, roots, tc->rec, &e) == -1 ||
	    tool_write_to(args, roots, tc, &e) == -1) {
		mcp_tool_call_free(tc);
		buf_printf(&why, "Refused: %s.", e.msg);
		r = tool_error(buf_str(&why));
		buf_free(&why);
		return r;
	}
	return NULL;
}

void
mcp_tool_call_free(struct mcp_tool_call *tc)
{
	json_free(tc->rec);
	free(tc->write_to);
	free(tc->write_name);
	memset(tc, 0, sizeof *tc);
}

/* The routed record's outcome, read once (tool_answer_read); strings
 * borrowed from the record. */
struct tool_answer {
	const struct json *code;	/* a string; NULL: no valid code */
	const char *language, *backend, *model;	/* NULL when absent */
	const char *error;		/* error.message, NULL when none */
};

static void
tool_answer_read(const struct json *rec, struct tool_answer *an)
{
	const struct json *err = json_obj_get(rec, "error");
	const struct json *code = json_obj_get(rec, "code");

	an->code = err == NULL && code != NULL && code->type == JSON_STRING ?
	    code : NULL;
	an->language = json_obj_str(rec, "language", NULL);
	an->backend = json_obj_str(rec, "backend", NULL);
	an->model = json_obj_str(rec, "model", NULL);
	an->error = err != NULL ? json_obj_str(err, "message", NULL) : NULL;
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
tool_too_large(const struct tool_answer *an, size_t len)
{
	const char *backend = an->backend, *model = an->model;
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

/* Lines of code: newlines, plus one for a last line without its own. */
static long
count_lines(const char *s, size_t len)
{
	long n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len > 0 && s[len - 1] != '\n');
}

/* Writes the code to tc->write_to and says so, in text and in
 * structuredContent (sc, taken), without the code. */
static struct json *
tool_written(const struct mcp_tool_call *tc, const struct tool_answer *an,
    struct json *sc)
{
	const struct json *code = an->code;
	const char *lang = an->language, *backend = an->backend;
	const char *model = an->model;
	struct buf data = BUF_INIT, text = BUF_INIT;
	struct json *w, *r;
	struct ar_err e;
	long lines;

	buf_add(&data, code->s, code->len);
	if (code->len > 0 && code->s[code->len - 1] != '\n')
		buf_addc(&data, '\n');
	if (confine_write_atomic(tc->write_to, buf_str(&data), data.len,
	    &e) == -1) {
		buf_printf(&text, "%s: %s (the code was generated by %s %s "
		    "but not written)", AR_E_FILE, e.msg, backend, model);
		json_free(sc);
		r = tool_error(buf_str(&text));
	} else {
		lines = count_lines(data.s, data.len);
		json_obj_del(sc, "code");
		w = json_object();
		json_obj_set(w, "path", json_stringz(tc->write_name));
		json_obj_set(w, "lines", json_int(lines));
		json_obj_set(w, "bytes", json_int((long long)data.len));
		json_obj_set(sc, "written", w);
		buf_printf(&text, "Wrote %s: %ld lines of %s (%zu bytes), "
		    "generated by %s %s.", tc->write_name, lines,
		    lang != NULL ? lang : "code", data.len, backend, model);
		r = tool_result(json_string(buf_str(&text), text.len), sc, 0);
	}
	buf_free(&data);
	buf_free(&text);
	return r;
}

struct json *
mcp_tool_outcome(const struct mcp_tool_call *tc)
{
	static const char *const fields[] = {
		"code", "language", "backend", "model", "attempts", "usage",
		"timing", "finish", NULL
	};
	struct tool_answer an;
	struct json *sc;
	size_t i;

	tool_answer_read(tc->rec, &an);
	if (an.code == NULL)
		return tool_error(an.error != NULL ? an.error :
		    "no backend produced valid code");
	if (an.code->len > MCP_MAX_CODE && tc->write_to == NULL)
		return tool_too_large(&an, an.code->len);
	sc = json_object();
	for (i = 0; fields[i] != NULL; i++)
		copy_field(sc, tc->rec, fields[i]);
	if (tc->write_to != NULL)
		return tool_written(tc, &an, sc);
	return tool_result(json_copy(an.code), sc, 0);
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
