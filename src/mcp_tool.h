/*
 * mcp_tool.h - inside the MCP server: its one tool, intelligent_code_gen
 * (mcp_tool.c). The definition tools/list shows, the check of a call's
 * arguments, and the mapping of a call to the record route_record() works
 * on and of the routed record to the call's result. For mcp.c only.
 */
#ifndef AR_MCP_TOOL_H
#define AR_MCP_TOOL_H

#include "err.h"
#include "json.h"

/* The tool's definition, as tools/list shows it; owned by the caller.
 * NULL with e set when it does not parse (a bug). */
struct json *mcp_tool_def(struct ar_err *e);

/* Checks the arguments of a call (an object, or NULL when absent).
 * Returns NULL when they are good, else the isError tools/call result
 * naming the bad argument (owned). */
struct json *mcp_tool_check(const struct json *args);

/* The record route_record() works on, from checked arguments; owned. */
struct json *mcp_tool_record(const struct json *args);

/* The tools/call result for a routed record; owned. */
struct json *mcp_tool_outcome(const struct json *rec);

#endif
