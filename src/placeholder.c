/*
 * placeholder.c - find the comment that stands for code a model left out.
 *
 * Each line is scanned for its comment (outside string literals); the
 * comment's text, and the statement before it, are matched against a few
 * patterns of the phrases models use for omitted code.
 */
#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <string.h>

#include "placeholder.h"

#define PH_TEXT_MAX	240		/* bytes of a comment looked at */

/* Word boundaries for POSIX EREs, which have no \b. */
#define B0 "(^|[^a-z0-9_])"
#define B1 "([^a-z0-9_]|$)"
#define ELLIPSIS "(\\.\\.\\.|\xE2\x80\xA6)"
#define OMITTED "(rest|remaining|remainder|existing|previous|unchanged|" \
	"omitted|same|code|implementation|logic|etc)"

/* A comment's whole text that stands for omitted code. */
static const char *const ph_comment_pats[] = {
	/* "...", "... rest of the code", "existing code ..." */
	"^" ELLIPSIS "+[.]*$",
	ELLIPSIS ".*" B0 OMITTED B1,
	B0 OMITTED B1 ".*" ELLIPSIS,
	/* "rest of the code (remains the same)" */
	"^(the )?(rest|remainder) of (the |your |this )?(code|implementation|"
	    "file|function|class|program|logic|methods?|module|script)" B1,
	/* "your code here", "existing code here", "implementation goes here" */
	"(code|implementation|logic)( goes)? here[.!]*$",
	/* "existing code", "previous code unchanged" */
	"^(existing|previous|remaining|original|other) (code|implementation|"
	    "logic|methods|functions)( (remains|stays|is|are))?"
	    "( unchanged| the same| as (before|above|is))?[.!]*$",
	/* "(implementation omitted)", "... for brevity" */
	"for brevity",
	"^[(]?(code|implementation|details|body|rest) (omitted|unchanged|"
	    "elided)[)]?[.]*$",
	/* "TODO: implement", "FIXME: add the logic" */
	"^(todo|fixme|xxx)[: ,-]*(implement|complete|finish|fill in|write|"
	    "add (the |your )?(code|logic|implementation|body))" B1,
	/* "implement", "implement me", "add your code here" */
	"^(implement|fill in)( (me|this|here|it))?[.!]*$",
	"^(add|write|put|insert) (your|the) (code|logic|implementation)"
	    "( here)?[.!]*$",
	NULL
};

/* A stub statement: the code before the comment. */
static const char *const ph_stub_pat =
    "^(pass|\\.\\.\\.|return|return (none|null|nil|0|false))[;]?$";
/* What a stub's comment says when it is a placeholder. */
static const char *const ph_stub_comment_pat =
    "^(todo|fixme|xxx|implement|fill|your code|placeholder|stub)" B1;

#define PH_NPATS (sizeof ph_comment_pats / sizeof ph_comment_pats[0] - 1)

static regex_t ph_comment_re[PH_NPATS];
static int ph_comment_ok[PH_NPATS];
static regex_t ph_stub_re, ph_stub_comment_re;
static int ph_stub_ok;
static pthread_once_t ph_once = PTHREAD_ONCE_INIT;

static void
ph_compile(void)
{
	const int fl = REG_EXTENDED | REG_ICASE | REG_NOSUB;
	size_t i;

	for (i = 0; i < PH_NPATS; i++)
		ph_comment_ok[i] = regcomp(&ph_comment_re[i],
		    ph_comment_pats[i], fl) == 0;
	ph_stub_ok = regcomp(&ph_stub_re, ph_stub_pat, fl) == 0 &&
	    regcomp(&ph_stub_comment_re, ph_stub_comment_pat, fl) == 0;
}

/* Which comment markers a language has. */
struct ph_syntax {
	int hash;		/* '#' */
	int hash_space;		/* '#' only when white space follows */
	int slash;		/* '//' and block comments */
};

static int
ph_in(const char *lang, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcmp(lang, *names) == 0)
			return 1;
	return 0;
}

static void
ph_syntax_of(const char *lang, struct ph_syntax *sx)
{
	static const char *const hash[] = { "python", "sh", "bash", "zsh",
	    "ruby", "perl", NULL };
	static const char *const slash[] = { "c", "cpp", "csharp", "go",
	    "javascript", "typescript", "kotlin", "rust", "java", NULL };

	memset(sx, 0, sizeof *sx);
	if (ph_in(lang, hash))
		sx->hash = 1;
	else if (ph_in(lang, slash))
		sx->slash = 1;
	else
		sx->hash = sx->hash_space = sx->slash = 1;
}

/* One line, split into its code and its comment text. */
struct ph_line {
	const char *code, *comment;
	size_t code_len, comment_len;
};

/* Finds the comment of s[0..n); *in_block carries an unclosed block
 * comment from line to line. */
static void
ph_split(const char *s, size_t n, const struct ph_syntax *sx, int *in_block,
    struct ph_line *pl)
{
	size_t i, end;
	char q = 0;

	memset(pl, 0, sizeof *pl);
	pl->code = s;
	pl->code_len = n;
	if (*in_block) {
		for (i = 0; i + 1 < n && !(s[i] == '*' && s[i + 1] == '/'); i++)
			;
		*in_block = i + 1 >= n;
		pl->comment = s;
		pl->comment_len = *in_block ? n : i;
		pl->code_len = 0;
		return;
	}
	for (i = 0; i < n; i++) {
		if (q != 0) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == q)
				q = 0;
			continue;
		}
		if (s[i] == '"' || s[i] == '\'' || s[i] == '`')
			q = s[i];
		else if (sx->hash && s[i] == '#' &&
		    (i == 0 || isspace((unsigned char)s[i - 1])) &&
		    (!sx->hash_space || i + 1 == n ||
		    isspace((unsigned char)s[i + 1]))) {
			pl->comment = s + i + 1;
			pl->comment_len = n - i - 1;
			pl->code_len = i;
			break;
		} else if (sx->slash && s[i] == '/' && i + 1 < n &&
		    (s[i + 1] == '/' || s[i + 1] == '*')) {
			pl->comment = s + i + 2;
			pl->comment_len = n - i - 2;
			pl->code_len = i;
			if (s[i + 1] == '*') {
				for (end = i + 2; end + 1 < n &&
				    !(s[end] == '*' && s[end + 1] == '/'); end++)
					;
				*in_block = end + 1 >= n;
				pl->comment_len = (*in_block ? n : end) - i - 2;
			}
			break;
		}
	}
}

/* Copies s[0..n) trimmed of white space, comment markers ('*', '/', '#',
 * '-') and a closing "-->" into out (NUL-terminated). */
static void
ph_text(const char *s, size_t n, char out[PH_TEXT_MAX + 1])
{
	while (n > 0 && (isspace((unsigned char)*s) || *s == '*' ||
	    *s == '/' || *s == '#' || *s == '!'))
		s++, n--;
	while (n > 0 && (isspace((unsigned char)s[n - 1]) ||
	    s[n - 1] == '*' || s[n - 1] == '/' || s[n - 1] == '>' ||
	    s[n - 1] == '-'))
		n--;
	if (n > PH_TEXT_MAX)
		n = PH_TEXT_MAX;
	memcpy(out, s, n);
	out[n] = '\0';
}

static int
ph_matches(const char *comment, const char *code)
{
	size_t i;

	if (*comment == '\0')
		return 0;
	for (i = 0; i < PH_NPATS; i++)
		if (ph_comment_ok[i] &&
		    regexec(&ph_comment_re[i], comment, 0, NULL, 0) == 0)
			return 1;
	return ph_stub_ok && regexec(&ph_stub_re, code, 0, NULL, 0) == 0 &&
	    regexec(&ph_stub_comment_re, comment, 0, NULL, 0) == 0;
}

/* Is the line a placeholder? */
static int
ph_line(const char *s, size_t n, const struct ph_syntax *sx, int *in_block)
{
	struct ph_line pl;
	char comment[PH_TEXT_MAX + 1], code[PH_TEXT_MAX + 1];

	ph_split(s, n, sx, in_block, &pl);
	if (pl.comment == NULL)
		return 0;
	ph_text(pl.comment, pl.comment_len, comment);
	ph_text(pl.code, pl.code_len, code);
	return ph_matches(comment, code);
}

int
placeholder_find(const char *code, size_t len, const char *lang,
    const char **line, size_t *line_len)
{
	const char *p = code, *end = code + len, *nl;
	struct ph_syntax sx;
	size_t n;
	int in_block = 0;

	pthread_once(&ph_once, ph_compile);
	ph_syntax_of(lang != NULL ? lang : "", &sx);
	for (; p < end; p = nl != NULL ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (!ph_line(p, n, &sx, &in_block))
			continue;
		while (n > 0 && isspace((unsigned char)*p))
			p++, n--;
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		*line = p;
		*line_len = n;
		return 1;
	}
	return 0;
}
