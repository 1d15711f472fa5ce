#!/usr/bin/env bats
# The inputs the fuzzers found (test/fuzz/regress/<harness>/), replayed
# through the programs: none may crash, every input record gets exactly
# one well-formed record back, every error message is one line.
bats_require_minimum_version 1.5.0
load ../helper

REGRESS="$AR_TEST_DIR/fuzz/regress"
TASK='{"id":1,"task":"write a function add(a, b)","language":"python"}'

setup_file() {
	local pf="$BATS_FILE_TMPDIR/replay.port" i
	"${PYTHON3:-python3}" "$AR_TEST_DIR/fuzz/replay_server.py" \
	    --dir "$REGRESS" --port-file "$pf" </dev/null \
	    >"$BATS_FILE_TMPDIR/replay.out" 2>&1 3>&- &
	export REPLAY_PID=$!
	for ((i = 0; i < 300; i++)); do
		[ -s "$pf" ] && break
		sleep 0.1
	done
	export REPLAY_URL="http://127.0.0.1:$(cat "$pf")"
	export REFUSED_URL="http://127.0.0.1:$(_free_port)"
}

teardown_file() {
	kill "$REPLAY_PID" 2>/dev/null || true
	wait "$REPLAY_PID" 2>/dev/null || true
}

setup() { ar_setup; }

# kept [-s] HARNESS...: sets FILES to the kept inputs of the harnesses
# (with -s, their seeds too); skips the test when there are none.
kept() {
	local h dirs=("$REGRESS")
	if [ "$1" = -s ]; then
		dirs+=("$AR_TEST_DIR/fuzz/corpus")
		shift
	fi
	FILES=()
	for h in "$@"; do
		FILES+=($(compgen -G "${dirs[0]}/$h/*" || true))
		[ "${#dirs[@]}" -eq 1 ] ||
		    FILES+=($(compgen -G "${dirs[1]}/$h/*" || true))
	done
	[ "${#FILES[@]}" -gt 0 ] || skip "no kept inputs for $*"
}

# check_records N: $output holds N JSON objects, one per line, and every
# error message in them is one line of printable text.
check_records() {
	"${PYTHON3:-python3}" -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == int(sys.argv[1]), "%d records, want %s" % (len(lines), sys.argv[1])
for l in lines:
    r = json.loads(l)
    assert isinstance(r, dict), "not an object: " + l
    m = r.get("error", {}).get("message", "")
    assert all(ord(c) >= 0x20 and c != "\x7f" for c in m), "message: %r" % m
' "$1" <<<"$output"
}

@test "kept OLLAMA_HOST inputs are a configuration error or a usable URL" {
	local f
	kept fuzz_ollama_host
	for f in "${FILES[@]}"; do
		OLLAMA_HOST=$(cat "$f") run --separate-stderr ar-ollama --status
		[ "$status" -le 2 ] || fail "$(basename "$f"): status $status"
		if [ "$status" -eq 2 ]; then
			assert_equal "$output" ""
			[[ $stderr == *OLLAMA_HOST* ]] || fail "stderr: $stderr"
		else
			check_records 1
			[[ $(json_get host <<<"$output") == http*://* ]]
		fi
	done
}

@test "an unusable OLLAMA_HOST is a configuration error naming it, exit 2" {
	OLLAMA_HOST='[::0.0.]0' run --separate-stderr ar-ollama <<<"$TASK"
	assert_equal "$status" 2
	assert_equal "$output" ""
	[[ $stderr == *"OLLAMA_HOST: not a usable Ollama address"* ]]
	OLLAMA_HOST='ftp://example.com' run --separate-stderr ar-ollama <<<"$TASK"
	assert_equal "$status" 2
}

@test "kept Ollama streams give one record each, errors on one line" {
	local f
	export OLLAMA_HOST=$REPLAY_URL
	kept fuzz_ollama_stream
	for f in "${FILES[@]}"; do
		AR_LOCAL_MODEL=$(basename "$f") run --separate-stderr \
		    ar-ollama <<<"$TASK"
		[ "$status" -le 1 ] || fail "$(basename "$f"): status $status"
		check_records 1
	done
}

@test "an Ollama error line with control characters is one line" {
	[ -f "$REGRESS/fuzz_ollama_stream/error-control-chars" ] || skip
	OLLAMA_HOST=$REPLAY_URL AR_LOCAL_MODEL=error-control-chars \
	    run --separate-stderr ar-ollama <<<"$TASK"
	assert_equal "$status" 1
	assert_equal "$(json_get error.code <<<"$output")" stream_error
	assert_equal "$(json_get error.message <<<"$output")" \
	    "Ollama:      m GiB)"
	check_records 1
}

@test "token counts beyond a long or below 0 are taken as 0" {
	OLLAMA_HOST=$REPLAY_URL AR_LOCAL_MODEL=huge-token-count \
	    run --separate-stderr ar-ollama <<<"$TASK"
	assert_success
	assert_equal "$(json_get output <<<"$output")" x
	assert_equal "$(json_get usage <<<"$output")" \
	    '{"input_tokens":0,"output_tokens":1}'
	GOOGLE_GEMINI_BASE_URL=$REPLAY_URL GEMINI_API_KEY=replay-key \
	    AR_CLOUD_MODEL=huge-token-count-reduced \
	    run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	assert_equal "$(json_get output <<<"$output")" "x = 1"
	assert_equal "$(json_get usage <<<"$output")" \
	    '{"input_tokens":0,"output_tokens":0,"thinking_tokens":0}'
}

@test "kept Gemini streams give one record each, errors on one line" {
	local f
	export GOOGLE_GEMINI_BASE_URL=$REPLAY_URL GEMINI_API_KEY=replay-key
	kept fuzz_gemini_sse
	for f in "${FILES[@]}"; do
		AR_CLOUD_MODEL=$(basename "$f") run --separate-stderr \
		    ar-gemini <<<"$TASK"
		[ "$status" -le 1 ] || fail "$(basename "$f"): status $status"
		check_records 1
	done
}

@test "kept and seed JSON inputs parse and write back to a fixed point" {
	local f out
	kept -s fuzz_json
	for f in "${FILES[@]}"; do
		run --separate-stderr "$AR_TEST_BIN/json-echo" <"$f"
		[ "$status" -le 1 ] || fail "$(basename "$f"): status $status"
		[ "$status" -eq 0 ] || continue
		out=$output
		run --separate-stderr "$AR_TEST_BIN/json-echo" <<<"$out"
		assert_success
		assert_equal "$output" "$out"
	done
}

@test "kept and seed record streams give one object per record, no crash" {
	local f
	kept -s fuzz_record
	for f in "${FILES[@]}"; do
		run --separate-stderr ar-prompt <"$f"
		[ "$status" -le 1 ] || fail "$(basename "$f"): status $status"
		"${PYTHON3:-python3}" -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert lines, "no record"
for l in lines:
    assert isinstance(json.loads(l), dict)' <<<"$output"
	done
}

@test "kept and seed .env inputs load without a crash" {
	local f
	kept -s fuzz_env
	for f in "${FILES[@]}"; do
		cp "$f" .env
		run --separate-stderr "$AR_TEST_BIN/config-dump"
		[ "$status" -le 2 ] || fail "$(basename "$f"): status $status"
	done
}

@test "kept and seed MCP sessions are answered with JSON-RPC lines only" {
	local f
	[ -x "$AR_BIN/ar-mcp" ] || skip "no ar-mcp"
	export OLLAMA_HOST=$REFUSED_URL
	kept -s fuzz_mcp
	for f in "${FILES[@]}"; do
		run --separate-stderr ar-mcp <"$f"
		assert_equal "$status" 0
		"${PYTHON3:-python3}" -c '
import json, sys
for l in sys.stdin.read().splitlines():
    assert json.loads(l)["jsonrpc"] == "2.0"' <<<"$output"
	done
}

@test "kept and seed tier lists: a chain or a configuration error without credentials" {
	local f
	kept -s fuzz_tiers
	export OPENAI_BASE_URL=$REFUSED_URL/v1 OLLAMA_HOST=$REFUSED_URL
	for f in "${FILES[@]}"; do
		# No record: the chain is parsed, no endpoint is asked.
		AR_TIERS=$(tail -c +2 "$f" | tr -d '\0') \
		    run --separate-stderr ar-route </dev/null
		[ "$status" -eq 0 ] || [ "$status" -eq 2 ] ||
		    fail "$(basename "$f"): status $status"
		assert_output ""
		! [[ $stderr =~ ://[^/?#[:space:]]*@ ]] ||
		    fail "$(basename "$f"): user information shown: $stderr"
	done
}

@test "kept and seed ledgers: ar-stats --json writes one JSON object" {
	local f
	kept -s fuzz_ledger
	for f in "${FILES[@]}"; do
		tail -c +2 "$f" >ledger.jsonl
		run --separate-stderr ar-stats --json ledger.jsonl
		assert_success
		check_records 1
	done
}
