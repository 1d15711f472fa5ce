/*
 * fuzz_cache - libFuzzer harness for what ar-route reads back from its
 * state: a cache entry (cache_get()) and a tier's cooldown note
 * (tier_cooldown_left()). Both are files another process wrote, which a
 * crash, a full disk or another version may have left corrupt: a corrupt
 * one must count as a miss, never as an answer or a wild cooldown.
 *
 * The first byte chooses what the rest is (bit 0: a cooldown note, else
 * a cache entry) and whether the record has a language (bit 1). The file
 * is written under a directory on /dev/shm (or $TMPDIR), as it is read.
 *
 * Checks: a hit fills the record with a string code, true valid, string
 * backend and model, an object usage if any, "cached": true and empty
 * attempts, and the record writes as JSON that parses back; a miss leaves
 * the record as it was; a cooldown is a finite number of seconds between
 * 0 and AR_COOLDOWN.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "defaults.h"
#include "fuzz_tmp.h"
#include "json.h"
#include "tier.h"

#define KEY "3f9a5c0e7b2d41869a0c5e7f1b3d5a7c9e1f3b5d7a9c1e3f5b7d9a1c3e5f7b9d"
#define COOLDOWN 60.0

static const char *dir;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_tmp_make("fuzz_cache");
	return 0;
}

static void
write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
		abort();
}

static int
is_type(const struct json *rec, const char *key, enum json_type type)
{
	const struct json *v = json_obj_get(rec, key);

	return v != NULL && v->type == type;
}

static void
check_entry(const uint8_t *data, size_t size, int lang)
{
	struct json *rec = json_object(), *back, *usage;
	struct json_error je;
	struct buf before = BUF_INIT, after = BUF_INIT;
	char path[512];

	json_obj_set(rec, "id", json_int(7));
	json_obj_set(rec, "task", json_stringz("write add"));
	if (lang)
		json_obj_set(rec, "language", json_stringz("python"));
	json_write(&before, rec);
	snprintf(path, sizeof path, "%s/%s.json", dir, KEY);
	write_file(path, data, size);
	if (cache_get(dir, KEY, rec)) {
		if (!is_type(rec, "code", JSON_STRING) ||
		    !is_type(rec, "backend", JSON_STRING) ||
		    !is_type(rec, "model", JSON_STRING) ||
		    !is_type(rec, "valid", JSON_BOOL) ||
		    !json_obj_get(rec, "valid")->b ||
		    !is_type(rec, "cached", JSON_BOOL) ||
		    !is_type(rec, "attempts", JSON_ARRAY) ||
		    json_obj_get(rec, "attempts")->n != 0)
			abort();
		if ((usage = json_obj_get(rec, "usage")) != NULL &&
		    usage->type != JSON_OBJECT)
			abort();
		if (lang && strcmp(json_obj_str(rec, "language", NULL),
		    "python") != 0)
			abort();	/* the record's own language stays */
		json_write(&after, rec);
		back = json_parse(buf_str(&after), after.len, AR_MAX_RECORD,
		    &je);
		if (back == NULL || back->type != JSON_OBJECT)
			abort();
		json_free(back);
	} else {
		json_write(&after, rec);
		if (after.len != before.len ||
		    memcmp(after.s, before.s, after.len) != 0)
			abort();	/* a miss changed the record */
	}
	json_free(rec);
	buf_free(&before);
	buf_free(&after);
}

static void
check_cooldown(const uint8_t *data, size_t size)
{
	static char model[] = "qwen2.5-coder:7b";
	static struct tiers ts;
	struct tier *t = &ts.t[0];
	char *text = strndup((const char *)data, size);
	double left;

	ts.n = 1;
	ts.cooldown = COOLDOWN;
	ts.state_dir = (char *)dir;
	t->model = model;
	t->n_ep = 1;
	t->ep[0].url = "http://127.0.0.1:11434";
	if (cache_note_put(dir, "cooldown", t->ep[0].url, model, text) != 0)
		abort();
	left = tier_cooldown_left(&ts, t, &t->ep[0]);
	if (!isfinite(left) || left < 0 || left > COOLDOWN)
		abort();
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		check_cooldown(data + 1, size - 1);
	else
		check_entry(data + 1, size - 1, data[0] & 2);
	return 0;
}
