/*
 * placeholder.h - code that leaves parts out: "# ... rest of the code
 * here", "// existing code here", "# TODO: implement", "pass  # implement".
 */
#ifndef AR_PLACEHOLDER_H
#define AR_PLACEHOLDER_H
#include <stddef.h>

/*
 * Looks for a line of code[0..len) whose comment stands for code left out.
 * lang is the canonical language name ("python", "c"...; "" unknown): it
 * decides which comment markers count ('#' for Python and the shells,
 * '//' and block comments for the C family, both for an unknown language,
 * '#' then only before white space). Only comments are read: strings,
 * docstrings, Python's "..." and "raise NotImplementedError" are code.
 * Returns 1 and points *line / *line_len at the line (trimmed), else 0.
 * Thread-safe.
 */
int placeholder_find(const char *code, size_t len, const char *lang,
    const char **line, size_t *line_len);

#endif
