/*
 * validate.c - extract the code from a model's answer and check it.
 *
 * The answer is split into fenced blocks (CommonMark rules: ``` or ~~~,
 * indented at most three spaces, closed by a fence of the same character
 * at least as long). The checks each add one short reason; the syntax
 * check runs the language's own checker (syntax.c).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "defaults.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "record.h"
#include "placeholder.h"
#include "repeat.h"
#include "syntax.h"
#include "think.h"
#include "validate.h"
#include "xalloc.h"

#define V_LANG_MAX	32		/* bytes of a language name kept */
#define V_REFUSAL_SPAN	200		/* refusals are looked for this near the start */
#define V_QUOTE_MAX	100		/* bytes of text quoted in a reason */

/* One fenced block. */
struct vblock {
	char lang[V_LANG_MAX];		/* canonical language of the info string */
	struct buf code;		/* content, fence indentation removed */
	int closed;
};

struct vblocks {
	struct vblock *v;
	size_t n, cap;
};

/* ---- languages -------------------------------------------------------- */

static const struct {
	const char *alias, *canon;
} v_langs[] = {
	{ "bash", "bash" }, { "c", "c" }, { "c#", "csharp" },
	{ "c++", "cpp" }, { "cc", "cpp" }, { "cjs", "javascript" },
	{ "cpp", "cpp" }, { "cs", "csharp" }, { "csharp", "csharp" },
	{ "cxx", "cpp" }, { "go", "go" }, { "golang", "go" }, { "h", "c" },
	{ "hh", "cpp" }, { "hpp", "cpp" }, { "hxx", "cpp" },
	{ "javascript", "javascript" }, { "js", "javascript" },
	{ "kotlin", "kotlin" }, { "kt", "kotlin" }, { "mjs", "javascript" },
	{ "node", "javascript" }, { "nodejs", "javascript" },
	{ "perl", "perl" }, { "pl", "perl" }, { "py", "python" },
	{ "py3", "python" }, { "python", "python" }, { "python3", "python" },
	{ "rb", "ruby" }, { "rs", "rust" }, { "ruby", "ruby" },
	{ "rust", "rust" }, { "sh", "sh" }, { "shell", "sh" },
	{ "ts", "typescript" }, { "typescript", "typescript" },
	{ "zsh", "zsh" },
};

static int
v_langchar(int c)
{
	return isalnum(c) || c == '+' || c == '#' || c == '_' || c == '-';
}

/* The canonical name of the language named by s[0..len) into out
 * ("" when none): its first word, lower case, through the alias table. */
static void
v_lang_canon(const char *s, size_t len, char out[V_LANG_MAX])
{
	size_t i = 0, n = 0, k;

	while (i < len && (isspace((unsigned char)s[i]) || s[i] == '{' ||
	    s[i] == '.'))
		i++;
	for (; i < len && n + 1 < V_LANG_MAX &&
	    v_langchar((unsigned char)s[i]); i++)
		out[n++] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	for (k = 0; k < sizeof v_langs / sizeof v_langs[0]; k++)
		if (strcmp(out, v_langs[k].alias) == 0) {
			strcpy(out, v_langs[k].canon);
			return;
		}
}

static int
v_is_shell(const char *lang)
{
	return !strcmp(lang, "sh") || !strcmp(lang, "bash") ||
	    !strcmp(lang, "zsh");
}

static int
v_lang_match(const char *a, const char *b)
{
	return *a && (!strcmp(a, b) || (v_is_shell(a) && v_is_shell(b)));
}

/* ---- small text helpers ----------------------------------------------- */

/* Trims s[0..*len): leading blank lines and trailing white space. */
static const char *
v_trim_code(const char *s, size_t *len)
{
	const char *nl;

	while (*len > 0 && (nl = memchr(s, '\n', *len)) != NULL &&
	    buf_blank(s, (size_t)(nl - s))) {
		*len -= (size_t)(nl + 1 - s);
		s = nl + 1;
	}
	while (*len > 0 && isspace((unsigned char)s[*len - 1]))
		(*len)--;
	if (buf_blank(s, *len))
		*len = 0;
	return s;
}

/* Trims white space at both ends. */
static const char *
v_trim(const char *s, size_t *len)
{
	while (*len > 0 && isspace((unsigned char)*s)) {
		s++;
		(*len)--;
	}
	while (*len > 0 && isspace((unsigned char)s[*len - 1]))
		(*len)--;
	return s;
}

static size_t
v_utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static void
v_reason(struct validate_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
v_reason(struct validate_result *res, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	res->reasons = xrealloc(res->reasons,
	    (res->n_reasons + 1) * sizeof *res->reasons);
	res->reasons[res->n_reasons++] = buf_detach(&b);
}

/* ---- fenced blocks ---------------------------------------------------- */

struct vfence {
	char ch;		/* '`' or '~' */
	size_t count;		/* fence length */
	size_t indent;		/* spaces before it */
	const char *info;	/* info string, trimmed */
	size_t infolen;
};

/* Is line[0..len) a fence? Fills f. */
static int
v_fence(const char *line, size_t len, struct vfence *f)
{
	size_t i = 0, n;

	while (i < len && i < 4 && line[i] == ' ')
		i++;
	if (i > 3 || i >= len || (line[i] != '`' && line[i] != '~'))
		return 0;
	f->indent = i;
	f->ch = line[i];
	for (n = 0; i < len && line[i] == f->ch; i++)
		n++;
	if (n < 3)
		return 0;
	f->count = n;
	f->infolen = len - i;
	f->info = v_trim(line + i, &f->infolen);
	if (f->ch == '`' && memchr(f->info, '`', f->infolen) != NULL)
		return 0;
	return 1;
}

static int
v_closes(const char *line, size_t len, const struct vfence *open)
{
	struct vfence f;

	return v_fence(line, len, &f) && f.ch == open->ch &&
	    f.count >= open->count && f.infolen == 0;
}

static struct vblock *
v_block_new(struct vblocks *bs, const struct vfence *f)
{
	struct vblock *b;

	if (bs->n == bs->cap) {
		bs->cap = bs->cap ? bs->cap * 2 : 4;
		bs->v = xrealloc(bs->v, bs->cap * sizeof *bs->v);
	}
	b = &bs->v[bs->n++];
	memset(b, 0, sizeof *b);
	v_lang_canon(f->info, f->infolen, b->lang);
	return b;
}

/* Adds a content line, less up to indent leading spaces. */
static void
v_block_line(struct vblock *b, const char *line, size_t len, size_t indent)
{
	size_t i;

	for (i = 0; i < indent && i < len && line[i] == ' '; i++)
		;
	buf_add(&b->code, line + i, len - i);
	buf_addc(&b->code, '\n');
}

static void
v_find_blocks(const char *s, size_t len, struct vblocks *bs)
{
	struct vblock *cur = NULL;
	struct vfence open;
	const char *p = s, *end = s + len, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (nl ? nl : end) - p;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (cur == NULL && v_fence(p, n, &open))
			cur = v_block_new(bs, &open);
		else if (cur != NULL && v_closes(p, n, &open)) {
			cur->closed = 1;
			cur = NULL;
		} else if (cur != NULL)
			v_block_line(cur, p, n, open.indent);
		p = nl ? nl + 1 : end;
	}
}

static void
v_blocks_free(struct vblocks *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++)
		buf_free(&bs->v[i].code);
	free(bs->v);
}

/* The block in lang (the longest such), else the only one, else the
 * longest; NULL when there is none. */
static const struct vblock *
v_pick(const struct vblocks *bs, const char *lang)
{
	const struct vblock *best = NULL;
	size_t i;

	for (i = 0; i < bs->n; i++)
		if (v_lang_match(lang, bs->v[i].lang) &&
		    (best == NULL || bs->v[i].code.len > best->code.len))
			best = &bs->v[i];
	if (best != NULL)
		return best;
	for (i = 0; i < bs->n; i++)
		if (best == NULL || bs->v[i].code.len > best->code.len)
			best = &bs->v[i];
	return best;
}

/* ---- prose, code and refusals ------------------------------------------ */

static int
v_prose_line(const char *l, size_t n)
{
	size_t i, words = 1;

	if (n == 0 || !isalpha((unsigned char)l[0]))
		return 0;
	for (i = 0; i < n; i++) {
		if (l[i] != '\0' && strchr("(){}[];=<>#$_`|&*\\@", l[i]))
			return 0;
		if (l[i] == ' ' && i + 1 < n && l[i + 1] != ' ')
			words++;
	}
	if (words < 3)
		return 0;
	return isupper((unsigned char)l[0]) ||
	    (l[n - 1] != '\0' && strchr(".!?:,", l[n - 1]) != NULL);
}

/* Is the unfenced text s[0..len) plainly code: its first line and at
 * least three lines in four not prose? */
static int
v_plain_code(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *nl;
	size_t n, lines = 0, prose = 0;
	int first = -1, is;

	for (; p < end; p = nl ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (nl ? nl : end) - p;
		if (buf_blank(p, n))
			continue;
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		is = v_prose_line(p, n);
		if (first == -1)
			first = is;
		lines++;
		prose += is;
	}
	return lines > 0 && first == 0 && prose * 4 <= lines;
}

static const char *const v_refusals[] = {
	"I'm sorry", "I am sorry", "I cannot", "I can't", "I can not",
	"As an AI", "I apologize", "I'm unable", "I am unable", NULL
};

/* Does s start with pat, case-insensitively, where pat's "'" also
 * matches a right single quotation mark? Returns the length matched. */
static size_t
v_match(const char *s, size_t len, const char *pat)
{
	size_t i = 0;

	for (; *pat; pat++) {
		if (*pat == '\'' && i + 3 <= len &&
		    !memcmp(s + i, "\xE2\x80\x99", 3)) {
			i += 3;
			continue;
		}
		if (i >= len || tolower((unsigned char)s[i]) !=
		    tolower((unsigned char)*pat))
			return 0;
		i++;
	}
	return i;
}

/* Is there a refusal near the start of s? */
static int
v_refusal(const char *s, size_t len)
{
	size_t i, k, span = len < V_REFUSAL_SPAN ? len : V_REFUSAL_SPAN;

	for (i = 0; i < span; i++) {
		if (i > 0 && !isspace((unsigned char)s[i - 1]) &&
		    !strchr(".,;:!?(*_", s[i - 1]))
			continue;
		for (k = 0; v_refusals[k] != NULL; k++)
			if (v_match(s + i, len - i, v_refusals[k]))
				return 1;
	}
	return 0;
}

/* ---- repetition ---------------------------------------------------- */

static void
v_repetition(struct validate_result *res, const char *s, size_t len)
{
	struct buf why = BUF_INIT;

	if (repeat_find(s, len, &why))
		v_reason(res, "degenerate repetition: %s", buf_str(&why));
	buf_free(&why);
}

/* ---- syntax ---------------------------------------------------------- */

/* The line of the checker's output that says what is wrong: the first
 * one mentioning an error, else the first non-blank one. */
static void
v_check_msg(const struct buf *out, struct buf *msg)
{
	const char *p, *end, *nl, *hit = NULL, *first = NULL;
	size_t n, hitlen = 0, firstlen = 0;

	end = out->s ? out->s + out->len : NULL;
	for (p = out->s; p != NULL && p < end; p = nl ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (nl ? nl : end) - p;
		if (buf_blank(p, n))
			continue;
		if (first == NULL) {
			first = p;
			firstlen = n;
		}
		if (memmem(p, n, "error:", 6) || memmem(p, n, "Error", 5) ||
		    memmem(p, n, "syntax error", 12)) {
			hit = p;
			hitlen = n;
			break;
		}
	}
	if (hit == NULL) {
		hit = first;
		hitlen = firstlen;
	}
	if (hit != NULL) {
		hit = v_trim(hit, &hitlen);
		buf_add_oneline(msg, hit, hitlen, 200);
	}
}

/* A checker stopped by a limit or a cancel is not a pass. */
static void
v_syntax(struct validate_result *res, const char *lang, const char *code,
    size_t len, const volatile int *cancel)
{
	struct syntax_result sr;
	struct buf msg = BUF_INIT;

	switch (syntax_check(lang, code, len, cancel, &sr)) {
	case SYNTAX_REJECTED:
		v_check_msg(&sr.out, &msg);
		if (msg.len == 0)
			buf_printf(&msg, "exit status %d", sr.status);
		v_reason(res, "syntax error (%s): %s", sr.prog, buf_str(&msg));
		break;
	case SYNTAX_STOPPED:
		v_reason(res, "syntax check stopped: %s (%s)", sr.why,
		    sr.prog);
		break;
	case SYNTAX_CANCELLED:
		v_reason(res, "syntax check cancelled");
		break;
	case SYNTAX_PASS:
		break;
	}
	buf_free(&msg);
	syntax_result_free(&sr);
}

/* ---- the checks -------------------------------------------------------- */

/* Why there is no code: an empty answer, a refusal, or prose. */
static void
v_no_code(struct validate_result *res, const char *s, size_t len,
    size_t nblocks)
{
	struct buf q = BUF_INIT;
	const char *nl;

	s = v_trim(s, &len);
	if (len == 0) {
		v_reason(res, "empty answer");
	} else if (v_refusal(s, len)) {
		nl = memchr(s, '\n', len);
		buf_add_oneline(&q, s, nl ? (size_t)(nl - s) : len,
		    V_QUOTE_MAX);
		v_reason(res, "refusal: %s", buf_str(&q));
		buf_free(&q);
	} else if (nblocks > 0) {
		v_reason(res, "empty code block");
	} else {
		v_reason(res, "no code in the answer, only prose");
	}
}

/* What a provider's stop means, for the reason. */
static const struct {
	const char *finish, *why;
} v_stops[] = {
	{ "SAFETY", "the safety filter" },
	{ "RECITATION", "recitation of its training data" },
	{ "PROHIBITED_CONTENT", "prohibited content" },
	{ "BLOCKLIST", "a blocklisted term" },
	{ "SPII", "sensitive personal information" },
	{ "OTHER", "an unspecified reason" },
	{ "content_filter", "the content filter" },
	{ "LANGUAGE", "an unsupported language" },
};

/* Every finish but a normal stop makes the answer invalid: truncation
 * ("length", "MAX_TOKENS") or a provider's stop, named. */
static void
v_finish(struct validate_result *res, const char *finish)
{
	struct buf q = BUF_INIT;
	size_t i;

	if (finish == NULL || *finish == '\0' || !strcasecmp(finish, "stop"))
		return;
	buf_add_oneline(&q, finish, strlen(finish), 40);
	if (!strcasecmp(finish, "length") || !strcasecmp(finish, "max_tokens")) {
		v_reason(res, "truncated: finish %s", buf_str(&q));
		buf_free(&q);
		return;
	}
	for (i = 0; i < sizeof v_stops / sizeof v_stops[0]; i++)
		if (!strcasecmp(finish, v_stops[i].finish))
			break;
	if (i < sizeof v_stops / sizeof v_stops[0])
		v_reason(res, "stopped by the provider: finish %s (%s)",
		    buf_str(&q), v_stops[i].why);
	else
		v_reason(res, "stopped by the provider: finish %s",
		    buf_str(&q));
	buf_free(&q);
}

/* A line standing for code left out. */
static void
v_placeholder(struct validate_result *res, const char *lang,
    const char *code, size_t len)
{
	struct buf q = BUF_INIT;
	const char *line;
	size_t n;

	if (!placeholder_find(code, len, lang, &line, &n))
		return;
	buf_add_oneline(&q, line, n, V_QUOTE_MAX);
	v_reason(res, "placeholder: %s", buf_str(&q));
	buf_free(&q);
}

static void
v_truncation(struct validate_result *res, const char *finish,
    const struct vblocks *bs, const struct vblock *picked)
{
	const struct vblock *last = bs->n ? &bs->v[bs->n - 1] : NULL;

	v_finish(res, finish);
	if (last != NULL && !last->closed &&
	    (last == picked || !buf_blank(last->code.s, last->code.len)))
		v_reason(res, "truncated: unclosed code fence");
}

/* The language to check the code as: the record's, else the fence's;
 * a fence naming a particular shell refines a record's "sh". */
static const char *
v_check_lang(const char *want, const struct vblock *picked)
{
	if (!*want)
		return picked ? picked->lang : "";
	if (picked && !strcmp(want, "sh") && v_is_shell(picked->lang))
		return picked->lang;
	return want;
}

void
validate_output(const char *output, size_t len, const char *language,
    const char *finish, const struct validate_opts *opts,
    struct validate_result *res)
{
	struct vblocks bs = { NULL, 0, 0 };
	const struct vblock *picked;
	char want[V_LANG_MAX];
	const char *code, *lang;
	size_t clen, nchars;

	memset(res, 0, sizeof *res);
	output = think_strip(output, len, &len);
	code = output;
	clen = len;
	v_lang_canon(language ? language : "", language ? strlen(language) : 0,
	    want);
	v_find_blocks(output, len, &bs);
	if ((picked = v_pick(&bs, want)) != NULL) {
		code = picked->code.s ? picked->code.s : "";
		clen = picked->code.len;
	} else if (!v_plain_code(output, len))
		clen = 0;
	code = v_trim_code(code, &clen);
	res->code = xstrndup(code, clen);
	if (picked != NULL && picked->lang[0] != '\0')
		res->language = xstrdup(picked->lang);
	if (clen == 0)
		v_no_code(res, output, len, bs.n);
	else if (opts->min_chars > 0 &&
	    (nchars = v_utf8_count(code, clen)) < (size_t)opts->min_chars)
		v_reason(res, "code too short: %zu chars, minimum %ld",
		    nchars, opts->min_chars);
	if (clen > 0 && memchr(code, '\0', clen) != NULL)
		v_reason(res, "code holds a NUL byte");
	lang = v_check_lang(want, picked);
	if (clen > 0)
		v_repetition(res, code, clen);
	if (clen > 0)
		v_placeholder(res, lang, code, clen);
	v_truncation(res, finish, &bs, picked);
	if (res->n_reasons == 0 && opts->syntax_check)
		v_syntax(res, lang, res->code, clen, opts->cancel);
	res->valid = res->n_reasons == 0;
	v_blocks_free(&bs);
}

void
validate_result_free(struct validate_result *res)
{
	size_t i;

	for (i = 0; i < res->n_reasons; i++)
		free(res->reasons[i]);
	free(res->reasons);
	free(res->code);
	free(res->language);
	memset(res, 0, sizeof *res);
}

void
validate_to_record(const struct validate_result *res, struct json *rec)
{
	struct json *reasons = json_array();
	size_t i;

	for (i = 0; i < res->n_reasons; i++)
		json_arr_push(reasons, json_stringz(res->reasons[i]));
	json_obj_set(rec, "code", json_stringz(res->code));
	json_obj_set(rec, "valid", json_bool(res->valid));
	json_obj_set(rec, "reasons", reasons);
}

int
validate_record(struct json *rec, const struct validate_opts *opts,
    struct ar_err *e)
{
	struct validate_result res;
	struct buf why = BUF_INIT;
	const char *output, *lang, *finish;
	size_t len, i;

	if (record_opt_str(rec, "output", &output, e) == -1 ||
	    record_opt_str(rec, "language", &lang, e) == -1 ||
	    record_opt_str(rec, "finish", &finish, e) == -1)
		return -1;
	if (output == NULL)
		return err_set(e, AR_E_BAD_FIELD, "field \"output\" is missing");
	json_obj_str(rec, "output", &len);
	validate_output(output, len, lang, finish, opts, &res);
	for (i = 0; i < res.n_reasons; i++)
		buf_printf(&why, "%s%s", i ? "; " : "", res.reasons[i]);
	if (why.len > 0)
		log_info("invalid: %s", buf_str(&why));
	buf_free(&why);
	validate_to_record(&res, rec);
	validate_result_free(&res);
	return 0;
}
