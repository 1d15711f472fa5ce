#!/usr/bin/env bats
# ar-stats: figures from a fixed ledger, computed by hand; the chart; and a
# bulk Makefile run over the examples reported through ar-stats.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	export AR_PRICE_INPUT=1 AR_PRICE_OUTPUT=10
	LEDGER="$BATS_TEST_TMPDIR/ledger.jsonl"
	cat >"$LEDGER" <<'JSONL'
{"t":"2026-11-01T10:00:00Z","id":1,"language":"python","outcome":"local","backend":"ollama","model":"coder","attempts":[{"backend":"ollama","model":"coder","endpoint":"http://127.0.0.1:11434","ok":true,"ms":100,"input_tokens":1000,"output_tokens":200,"thinking_tokens":0,"repair":false}]}
{"t":"2026-11-01T11:00:00Z","id":2,"language":"python","outcome":"local","backend":"ollama","model":"coder","attempts":[{"backend":"ollama","model":"coder","endpoint":"http://127.0.0.1:11434","ok":false,"ms":50,"input_tokens":900,"output_tokens":100,"thinking_tokens":0,"repair":false,"reason":"syntax error (python3): x"},{"backend":"ollama","model":"coder","endpoint":"http://127.0.0.1:11434","ok":true,"ms":150,"input_tokens":1200,"output_tokens":300,"thinking_tokens":0,"repair":true}]}
{"t":"2026-11-02T09:00:00Z","id":3,"language":"c","outcome":"cloud","backend":"gemini","model":"flash","attempts":[{"backend":"ollama","model":"coder","endpoint":"http://127.0.0.1:11434","ok":false,"ms":400,"input_tokens":0,"output_tokens":0,"thinking_tokens":0,"repair":false,"error":"timeout"},{"backend":"gemini","model":"flash","endpoint":"https://generativelanguage.googleapis.com","ok":true,"ms":800,"input_tokens":2000,"output_tokens":500,"thinking_tokens":100,"repair":false}]}
{"t":"2026-11-02T10:00:00Z","id":4,"language":"python","outcome":"cache","backend":"ollama","model":"coder","attempts":[],"input_tokens":1000,"output_tokens":200}
{"t":"2026-11-03T08:00:00Z","id":5,"language":null,"outcome":"failed","backend":null,"model":null,"attempts":[{"backend":"ollama","model":"coder","endpoint":"http://127.0.0.1:11434","ok":false,"ms":30,"input_tokens":0,"output_tokens":0,"thinking_tokens":0,"repair":false,"error":"connect_failed"},{"backend":"gemini","model":"flash","endpoint":"https://generativelanguage.googleapis.com","ok":false,"ms":20,"input_tokens":0,"output_tokens":0,"thinking_tokens":0,"repair":false,"error":"auth_failed"}]}
not a ledger line
{"t":"2026-11-03T09:00:00Z","id":7,"language":"sh","outcome":"cloud","backend":"gemini","model":"flash","attempts":[{"backend":"gemini","model":"flash","endpoint":"https://generativelanguage.googleapis.com","ok":true,"ms":1200,"input_tokens":1000,"output_tokens":1000,"thinking_tokens":0,"repair":false}]}
JSONL
}

# stat EXPR: the Python expression EXPR over the JSON report in $output
# (s), printed compactly.
stat() {
	"${PYTHON3:-python3}" -c '
import json, sys
s = json.loads(sys.stdin.read())
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$1" <<<"$output"
}

@test "ar-stats: the figures of a fixed ledger, as computed by hand" {
	run --separate-stderr ar-stats --json "$LEDGER"
	assert_success
	assert_equal "$(stat '[s[k] for k in ("records","local","cloud","cache","failed")]')" "[6,2,2,1,1]"
	# four records asked a local tier first (1, 2, 3, 5); two were answered there
	assert_equal "$(stat 's["local_tried"]')" 4
	assert_equal "$(stat 's["local_pass_rate"]')" 0.5
	assert_equal "$(stat '[s["repairs"], s["repairs_saved"]]')" "[1,1]"
	# cloud: record 3 (2000 in, 500 out, 100 thinking), 5 (0), 7 (1000, 1000)
	assert_equal "$(stat 's["cloud_tokens"]')" '{"input":3000,"output":1500,"thinking":100}'
	# avoided: record 1 (1000, 200), record 2's repair (1200, 300), the cache hit (1000, 200)
	assert_equal "$(stat 's["avoided_tokens"]')" '{"input":3200,"output":700}'
	# (3000 * 1 + 1600 * 10) / 1e6 and (3200 * 1 + 700 * 10) / 1e6
	assert_equal "$(stat 'round(s["usd_spent"], 9)')" 0.019
	assert_equal "$(stat 'round(s["usd_saved"], 9)')" 0.0102
	# failed local attempts: 50 + 400 + 30 ms
	assert_equal "$(stat 's["local_lost_ms"]')" 480
	assert_equal "$(stat 's["latency"]')" \
	    '[{"tier":"ollama coder","n":2,"p50_ms":100,"p95_ms":150},{"tier":"gemini flash","n":2,"p50_ms":800,"p95_ms":1200}]'
	assert_equal "$(stat 's["skipped_lines"]')" 1
	assert_equal "$(stat 's["prices"]')" '{"input":1,"output":10}'
}

@test "ar-stats: the text report says the same" {
	run --separate-stderr ar-stats "$LEDGER"
	assert_success
	assert_line "records           6"
	assert_line "  local           2 (33.3%)"
	assert_line "  cache           1 (16.7%)"
	assert_line "local pass rate   50.0% (2 of 4 records tried locally)"
	assert_line "repairs           1, 1 saved a cloud call"
	assert_line "cloud tokens      spent 3000 in, 1500 out, 100 thinking; avoided 3200 in, 700 out"
	assert_line "money (USD)       spent 0.0190, saved 0.0102 (at 1 in, 10 out per million tokens)"
	assert_line "time lost         0.5 s on failed local attempts"
	assert_line "latency           ollama coder: p50 100 ms, p95 150 ms (2)"
	assert_line "                  gemini flash: p50 800 ms, p95 1200 ms (2)"
	assert_line "skipped           1 lines that are not ledger lines"
}

@test "ar-stats --since and --by day|model|language" {
	run --separate-stderr ar-stats --json --since 2026-11-02 "$LEDGER"
	assert_equal "$(stat '[s[k] for k in ("records","local","cloud","cache","failed")]')" "[4,0,2,1,1]"
	run --separate-stderr ar-stats --json --since 2026-11-03T08:30:00Z "$LEDGER"
	assert_equal "$(stat 's["records"]')" 1
	run --separate-stderr ar-stats --json --by day "$LEDGER"
	assert_equal "$(stat '[(g["key"], g["records"], g["local"], g["cloud"], g["cache"], g["failed"]) for g in s["groups"]]')" \
	    '[["2026-11-01",2,2,0,0,0],["2026-11-02",2,0,1,1,0],["2026-11-03",2,0,1,0,1]]'
	run --separate-stderr ar-stats --json --by language "$LEDGER"
	assert_equal "$(stat '[(g["key"], g["records"]) for g in s["groups"]]')" \
	    '[["(none)",1],["c",1],["python",3],["sh",1]]'
	run --separate-stderr ar-stats --json --by model "$LEDGER"
	assert_equal "$(stat '[(g["key"], g["records"], round(g["usd_saved"], 9)) for g in s["groups"]]')" \
	    '[["(none)",1,0],["coder",3,0.0102],["flash",2,0]]'
	run --separate-stderr ar-stats --by day "$LEDGER"
	# 2000 * 1 + (500 + 100) * 10 spent, 1000 * 1 + 200 * 10 saved
	assert_line --regexp '^2026-11-02 +2 +0 +1 +1 +0 +0\.0080 +0\.0030$'
	run --separate-stderr ar-stats --since yesterday "$LEDGER"
	assert_failure 2
	run --separate-stderr ar-stats --by week "$LEDGER"
	assert_failure 2
	run --separate-stderr ar-stats --json --since 0d "$LEDGER"
	assert_equal "$(stat 's["records"]')" 0
}

@test "ar-stats: the default ledger, prices from the environment, bad input" {
	run --separate-stderr ar-stats --json
	assert_success
	assert_equal "$(stat 's["records"]')" 0
	assert_equal "$(stat 's["prices"]')" '{"input":1,"output":10}'
	mkdir -p "$XDG_STATE_HOME/aurarouter"
	cp "$LEDGER" "$XDG_STATE_HOME/aurarouter/ledger.jsonl"
	unset AR_PRICE_INPUT AR_PRICE_OUTPUT
	run --separate-stderr ar-stats --json
	assert_equal "$(stat 's["records"]')" 6
	assert_equal "$(stat 's["prices"]')" '{"input":0.75,"output":3.75}'
	AR_PRICE_INPUT=cheap run --separate-stderr ar-stats
	assert_failure 2
	[[ $stderr == *AR_PRICE_INPUT* ]]
	run --separate-stderr ar-stats "$BATS_TEST_TMPDIR/missing.jsonl"
	assert_failure 2
	run --separate-stderr ar-stats - <"$LEDGER"
	assert_line "records           6"
}

@test "ar-stats: counts too large to add are held at the largest, no overflow" {
	local big='"input_tokens":9.2e18,"output_tokens":9.2e18'
	cat >"$LEDGER" <<JSONL
{"t":"2026-11-01T10:00:00Z","outcome":"cloud","attempts":[{"backend":"gemini","ok":true,"ms":1e308,$big},{"backend":"gemini","ok":true,"ms":1e308,$big}]}
{"t":"2026-11-01T11:00:00Z","outcome":"local","attempts":[{"backend":"ollama","ok":false,"ms":1e308},{"backend":"ollama","ok":true,"ms":1,$big}]}
{"t":"2026-11-01T12:00:00Z","outcome":"local","attempts":[{"backend":"ollama","ok":true,"ms":1,$big}]}
JSONL
	run --separate-stderr ar-stats --json "$LEDGER"
	assert_success
	assert_equal "$(stat '[s["cloud_tokens"]["input"], s["avoided_tokens"]["input"], s["local_lost_ms"]]')" \
	    "[9223372036854775807,9223372036854775807,9223372036854775807]"
	run --separate-stderr ar-stats --svg "$BATS_TEST_TMPDIR/c.svg" "$LEDGER"
	assert_success
	grep -q "3 records: 2 local" "$BATS_TEST_TMPDIR/c.svg"
}

@test "ar-stats --svg: a well-formed chart of answers per day and money saved" {
	run --separate-stderr ar-stats --svg "$BATS_TEST_TMPDIR/chart.svg" "$LEDGER"
	assert_success
	assert_line "records           6"
	"${PYTHON3:-python3}" - "$BATS_TEST_TMPDIR/chart.svg" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
texts = [t.text or "" for t in root.iter(ns + "text")]
for want in ("2026-11-01", "2026-11-02", "2026-11-03", "local", "cache",
             "cloud", "failed", "money saved per day (USD)"):
    assert any(want in t for t in texts), want
titles = sorted(t.text for t in root.iter(ns + "title"))
# one bar segment per day and source with answers, one point per day
assert "2026-11-01 local: 2" in titles, titles
assert "2026-11-02 cache: 1" in titles and "2026-11-02 cloud: 1" in titles, titles
assert "2026-11-03 failed: 1" in titles, titles
# (1000 + 1200) * 1 + (200 + 300) * 10 tokens at 1 and 10 USD per million
assert "2026-11-01 saved $0.0072" in titles, titles
assert len(list(root.iter(ns + "circle"))) == 3
assert len(list(root.iter(ns + "polyline"))) == 1
PY
	if command -v rsvg-convert >/dev/null; then
		rsvg-convert "$BATS_TEST_TMPDIR/chart.svg" -o "$BATS_TEST_TMPDIR/chart.png"
		[[ $(head -c 8 "$BATS_TEST_TMPDIR/chart.png" | od -An -c | tr -d ' ') == '211PNG\r\n032\n' ]]
	fi
	# an empty ledger still gives a valid chart
	: >"$BATS_TEST_TMPDIR/empty.jsonl"
	run --separate-stderr ar-stats --svg "$BATS_TEST_TMPDIR/empty.svg" "$BATS_TEST_TMPDIR/empty.jsonl"
	assert_success
	"${PYTHON3:-python3}" -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$BATS_TEST_TMPDIR/empty.svg"
	grep -q 'no records' "$BATS_TEST_TMPDIR/empty.svg"
	run --separate-stderr ar-stats --svg /nonexistent/dir/x.svg "$LEDGER"
	assert_failure 2
}

@test "a Makefile bulk run over the examples: ar-stats shows local, repaired, cached and cloud cost" {
	use_mock
	export AR_CLOUD_MODEL=cloudy
	unset AR_NO_CACHE
	export AR_LEDGER="$BATS_TEST_TMPDIR/run.jsonl"
	cp -r "$AR_TEST_DIR/../examples" "$BATS_TEST_TMPDIR/ex"
	chmod -R u+w "$BATS_TEST_TMPDIR/ex"
	rm -rf "$BATS_TEST_TMPDIR/ex/out"
	echo "Write a function f(x). mock-model=fixable" >"$BATS_TEST_TMPDIR/ex/tasks/repaired.task"
	echo "Write a function g(x). mock-model=refusal" >"$BATS_TEST_TMPDIR/ex/tasks/cloud.task"
	run make -s -C "$BATS_TEST_TMPDIR/ex" -j4 AR="$AR_BIN"
	assert_success
	assert_equal "$(ls "$BATS_TEST_TMPDIR/ex/out" | wc -l)" 5
	# the same tasks again: the cache answers every one, no backend is asked
	make -s -C "$BATS_TEST_TMPDIR/ex" clean
	mock_reset_log
	run make -s -C "$BATS_TEST_TMPDIR/ex" -j4 AR="$AR_BIN"
	assert_success
	assert_equal "$(mock_requests | wc -l)" 0
	run --separate-stderr make -s -C "$BATS_TEST_TMPDIR/ex" stats AR="$AR_BIN"
	assert_success
	assert_line "records           10"
	assert_line "  local           4 (40.0%)"
	assert_line "  cloud           1 (10.0%)"
	assert_line "  cache           5 (50.0%)"
	assert_line "repairs           1, 1 saved a cloud call"
	assert_line --regexp '^money \(USD\) +spent 0\.000[0-9]+, saved 0\.00[0-9]+ '
	assert_line --regexp '^ok +8 +4 +0 +4 +0 +0\.0000 +0\.00[0-9]+$'
	assert_line --regexp '^cloudy +2 +0 +1 +1 +0 +0\.000[1-9] +0\.000[0-9]+$'
	run --separate-stderr ar-stats --json "$AR_LEDGER"
	[[ $(stat 's["cloud_tokens"]["input"]') -gt 0 ]]
	[[ $(stat 's["avoided_tokens"]["input"]') -gt 0 ]]
}
