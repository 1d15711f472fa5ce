/*
 * mcp_tool.h - inside the MCP server: its one tool, intelligent_code_gen
 * (mcp_tool.c). The definition tools/list shows, the check of a call's
 * arguments (files and write_to confined to the roots), the record
 * route_record() works on, and the routed record as the call's result
 * (the code, or what was written to write_to). For mcp.c only.
 */
#ifndef AR_MCP_TOOL_H
#define AR_MCP_TOOL_H

#include "confine.h"
#include "err.h"
#include "json.h"

/* One call's checked arguments. */
struct mcp_tool_call {
	struct json *rec;	/* the record route_record() works on; owned */
	char *write_to;		/* the resolved path to write, or NULL; owned */
	char *write_name;	/* write_to as the client wrote it; owned */
};

/* The tool's definition, as tools/list shows it; owned by the caller.
 * NULL with e set when it does not parse (a bug). */
struct json *mcp_tool_def(struct ar_err *e);

/*
 * Checks the arguments of a call (an object, or NULL when absent) and
 * resolves files and write_to inside roots. Returns NULL when they are
 * good, with tc filled (mcp_tool_call_free() it), else the isError
 * tools/call result naming the bad argument (owned; tc left empty).
 */
struct json *mcp_tool_prepare(const struct json *args,
    const struct confine *roots, struct mcp_tool_call *tc);

void mcp_tool_call_free(struct mcp_tool_call *tc);

/* The tools/call result once tc->rec was routed: the code, or, with
 * write_to, the code written there and the result saying so; owned. */
struct json *mcp_tool_outcome(const struct mcp_tool_call *tc);

#endif
