#!/usr/bin/env bats
# AR_TIERS: a chain of engines (ollama, openai, gemini), several endpoints
# per tier, the cooldown shared by processes, and ar-route --status.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
	export OPENAI_BASE_URL="$MOCK_URL/v1"
}

REC='{"id":"t1","task":"add two numbers","language":"python"}'
OKEY="sk-openai-TIER-SECRET-9d1e"

# attempt N FIELD: FIELD of attempts[N] of the record in $output.
attempt() { json_get "attempts.$1.$2" <<<"$output"; }

# requests_to PATTERN: how many logged requests have a path matching it.
requests_to() { mock_requests | grep -c "\"path\":\"$1" || true; }

@test "three tiers fall through each failure in turn: ollama, openai, gemini" {
	AR_TIERS="ollama:http-500 openai:cut gemini:ok" \
	    run --separate-stderr ar-route <<<"$REC"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(attempt 0 backend)" ollama
	assert_equal "$(attempt 0 error.code)" server_error
	assert_equal "$(attempt 0 endpoint)" "$MOCK_URL"
	assert_equal "$(attempt 1 backend)" openai
	assert_equal "$(attempt 1 model)" cut
	assert_equal "$(attempt 1 error.code)" stream_cut
	assert_equal "$(attempt 1 endpoint)" "$MOCK_URL/v1"
	assert_equal "$(attempt 2 backend)" gemini
	assert_equal "$(attempt 2 ok)" true
	assert_equal "$(attempt 2 endpoint)" "$MOCK_URL"
	[[ $stderr == *"[CLOUD]"* ]]
}

@test "the second tier answers: an openai tier is local" {
	AR_TIERS="ollama:missing openai:ok gemini:ok" \
	    run --separate-stderr ar-route <<<"$REC"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" openai
	assert_equal "$(json_get model <<<"$output")" ok
	assert_equal "$(attempt 0 error.code)" model_not_found
	refute attempt 2 backend
	[[ $stderr == *"[LOCAL]"* ]]
	assert_equal "$(requests_to '/v1beta')" 0
}

@test "an openai tier gets AR_LOCAL_THINK; a prompt over its context is skipped with context_overflow" {
	AR_LOCAL_THINK=low AR_TIERS="openai:ok gemini:ok" \
	    run --separate-stderr ar-route <<<"$REC"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" openai
	assert_equal "$(mock_requests | grep '/chat/completions"' | tail -n 1 |
	    json_get body.reasoning_effort)" low
	mock_reset_log
	python3 -c 'import json; print(json.dumps({"id": "t1", "language": "python",
	    "task": "add two numbers " + "y" * 30000}))' >big.jsonl
	AR_TIERS="openai:ok gemini:ok" run --separate-stderr ar-route <big.jsonl
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(attempt 0 backend)" openai
	assert_equal "$(attempt 0 error.code)" context_overflow
	assert_equal "$(mock_requests | grep -c '/chat/completions"' || true)" 0
}

@test "--tiers overrides AR_TIERS; invalid answers fall through too" {
	AR_TIERS="gemini:ok" run --separate-stderr ar-route \
	    --tiers "openai:refusal openai:syntax-error openai:ok" <<<"$REC"
	assert_success
	assert_equal "$(attempt 0 backend)" openai
	assert_equal "$(attempt 0 ok)" false
	assert_equal "$(attempt 1 ok)" false
	# a local tier's rejected answer gets its repair (AR_REPAIRS) there
	assert_equal "$(attempt 2 model)" syntax-error
	assert_equal "$(attempt 2 repair)" true
	assert_equal "$(attempt 3 model)" ok
	assert_equal "$(attempt 3 ok)" true
	assert_equal "$(requests_to '/v1beta')" 0
}

@test "the key of one tier never reaches another tier's endpoint" {
	export OPENAI_API_KEY=$OKEY
	AR_TIERS="ollama:http-500 openai:http-500 gemini:ok" \
	    run --separate-stderr ar-route -v <<<"$REC"
	assert_success
	# openai: the Bearer token, never the Gemini key
	mock_requests | grep '/chat/completions"' >chat.log
	[ -s chat.log ]
	assert_equal "$(json_get headers.authorization <chat.log)" "Bearer $OKEY"
	refute grep -q "$MOCK_KEY" chat.log
	# gemini: its own key header, never the OpenAI key
	mock_requests | grep '/v1beta/' >gem.log
	[ -s gem.log ]
	refute grep -q "$OKEY" gem.log
	refute grep -qi '"authorization"' gem.log
	# ollama: neither
	mock_requests | grep '"/api/' >oll.log
	[ -s oll.log ]
	refute grep -q "$OKEY" oll.log
	refute grep -q "$MOCK_KEY" oll.log
	# and neither in the output or the log
	refute grep -q "$OKEY" <<<"$output$stderr"
}

@test "--local-only keeps ollama and openai tiers, --cloud-only keeps gemini tiers" {
	export AR_TIERS="ollama:http-500 openai:missing gemini:missing gemini:ok"
	run --separate-stderr ar-route --local-only <<<"$REC"
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" all_failed
	assert_equal "$(attempt 0 backend)" ollama
	assert_equal "$(attempt 1 backend)" openai
	refute attempt 2 backend
	assert_equal "$(requests_to '/v1beta')" 0
	mock_reset_log
	run --separate-stderr ar-route --cloud-only <<<"$REC"
	assert_success
	assert_equal "$(attempt 0 backend)" gemini
	assert_equal "$(attempt 0 error.code)" model_not_found
	assert_equal "$(attempt 1 model)" ok
	assert_equal "$(requests_to '/api/')" 0
	assert_equal "$(requests_to '/v1/chat')" 0
}

@test "a tier list that cannot work is a configuration error (exit 2)" {
	unset OPENAI_BASE_URL
	AR_TIERS="ollama:ok openai:ok" run --separate-stderr ar-route <<<"$REC"
	assert_failure 2
	assert_output ""
	[[ $stderr == *OPENAI_BASE_URL* ]]
	AR_TIERS="vllm:ok" run --separate-stderr ar-route <<<"$REC"
	assert_failure 2
	[[ $stderr == *"BACKEND"* ]]
	run --separate-stderr ar-route --tiers "ollama:" <<<"$REC"
	assert_failure 2
	run --separate-stderr ar-mcp --tiers "openai:ok" </dev/null
	assert_failure 2
}

@test "a tier error shows that tier only, and no URL's user information" {
	AR_TIERS="openai:m@https://user:tier-pw-53c1@h/v1 ollama:ok" \
	    run --separate-stderr ar-route <<<"$REC"
	assert_failure 2
	assert_output ""
	[[ $stderr == *"tier openai:m@https://h/v1: a URL must start with"* ]] ||
	    fail "stderr: $stderr"
	[[ $stderr != *tier-pw-53c1* && $stderr != *user:* ]]
	AR_TIERS="gemini:g@ftp://x ollama:ok" \
	    run --separate-stderr ar-route <<<"$REC"
	assert_failure 2
	[[ $stderr == *"tier gemini:g@ftp://x: a URL must"* ]]
	[[ $stderr != *ollama:ok* ]] || fail "another tier shown: $stderr"
}

@test "ar-mcp routes over AR_TIERS too" {
	AR_TIERS="ollama:http-500 openai:ok" run "${PYTHON3:-python3}" \
	    "$AR_TEST_DIR/mcp_client.py" -t 60 -- ar-mcp <<'EOF2'
send {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
send {"jsonrpc":"2.0","method":"notifications/initialized"}
send {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"intelligent_code_gen","arguments":{"task":"add two numbers","language":"python"}}}
wait 2
EOF2
	assert_success
	[[ $output == *'"backend":"openai"'* || $output == *'"backend": "openai"'* ]]
	assert_equal "$(requests_to '/v1/chat')" 1
}

@test "two endpoints of a tier share the load under -j 4" {
	local i
	for i in 1 2 3 4 5 6 7 8; do
		printf '{"id":%d,"task":"add two numbers mock-delay-ms=400 n%d","language":"python"}\n' "$i" "$i"
	done >in.jsonl
	AR_TIERS="openai:ok@$MOCK_URL/a/v1,$MOCK_URL/b/v1" \
	    run --separate-stderr ar-route -j 4 <in.jsonl
	assert_success
	assert_equal "${#lines[@]}" 8
	a=$(requests_to '/a/v1/chat')
	b=$(requests_to '/b/v1/chat')
	assert_equal "$((a + b))" 8
	((a >= 2 && b >= 2)) || fail "a=$a b=$b"
	# each attempt names the endpoint that answered
	grep -c "\"endpoint\":\"$MOCK_URL/a/v1\"" <<<"$output" | grep -qx "$a"
}

@test "several Ollama hosts: a refused one is left for the other" {
	AR_TIERS="ollama:ok@$REFUSED_URL,$MOCK_URL" \
	    run --separate-stderr ar-route -j 2 <<<"$REC
$REC
$REC"
	assert_equal "${#lines[@]}" 3
	[ "$(grep -c '"valid":true' <<<"$output")" -ge 1 ]
}

@test "a failing endpoint cools down: a second process skips it at once" {
	unset AR_COOLDOWN
	export AR_TIERS="openai:ok@$REFUSED_URL/v1 gemini:ok"
	run --separate-stderr ar-route <<<"$REC"
	assert_success
	assert_equal "$(attempt 0 error.code)" connect_failed
	ls "$XDG_STATE_HOME/aurarouter/cooldown/" | grep -q .
	run --separate-stderr ar-route <<<"$REC"
	assert_success
	assert_equal "$(attempt 0 error.code)" cooling_down
	assert_equal "$(attempt 0 endpoint)" "$REFUSED_URL/v1"
	assert_equal "$(attempt 0 ms)" 0
	assert_equal "$(attempt 1 backend)" gemini
	# --status tells the cooldown left
	run --separate-stderr ar-route --status
	assert_success
	left=$(head -n 1 <<<"$output" | json_get cooldown_left)
	((left > 0 && left <= 30)) || fail "cooldown_left $left"
}

@test "AR_COOLDOWN=0 turns the cooldown off; a cooldown ends after AR_COOLDOWN" {
	export AR_TIERS="openai:ok@$REFUSED_URL/v1 gemini:ok"
	run --separate-stderr ar-route <<<"$REC"
	run --separate-stderr ar-route <<<"$REC"
	assert_equal "$(attempt 0 error.code)" connect_failed
	export AR_COOLDOWN=1
	run --separate-stderr ar-route <<<"$REC"
	run --separate-stderr ar-route <<<"$REC"
	assert_equal "$(attempt 0 error.code)" cooling_down
	sleep 1.5
	run --separate-stderr ar-route <<<"$REC"
	assert_equal "$(attempt 0 error.code)" connect_failed
}

@test "a cooldown note that is not a time is no cooldown" {
	local f
	unset AR_COOLDOWN
	export AR_TIERS="openai:ok@$REFUSED_URL/v1 gemini:ok"
	run --separate-stderr ar-route <<<"$REC"
	assert_equal "$(attempt 0 error.code)" connect_failed
	for f in "$XDG_STATE_HOME"/aurarouter/cooldown/*; do
		printf 'nan\n' >"$f"
	done
	run --separate-stderr ar-route --status
	assert_equal "$(head -n 1 <<<"$output" | json_get cooldown_left)" 0
	run --separate-stderr ar-route <<<"$REC"
	assert_equal "$(attempt 0 error.code)" connect_failed
}

@test "a model error does not cool the endpoint down; a success ends a cooldown" {
	unset AR_COOLDOWN
	AR_TIERS="openai:missing gemini:ok" run --separate-stderr ar-route <<<"$REC"
	AR_TIERS="openai:missing gemini:ok" run --separate-stderr ar-route <<<"$REC"
	assert_equal "$(attempt 0 error.code)" model_not_found
	[ ! -d "$XDG_STATE_HOME/aurarouter/cooldown" ] ||
	    [ -z "$(ls "$XDG_STATE_HOME/aurarouter/cooldown")" ]
	# a first token too late cools openai:ok down ...
	export AR_TIERS="openai:ok gemini:ok" AR_COOLDOWN=2
	AR_FIRST_TOKEN_TIMEOUT=1 run --separate-stderr ar-route \
	    <<<'{"task":"add two numbers mock-delay-ms=3000"}'
	assert_equal "$(attempt 0 error.code)" timeout
	assert_equal "$(ls "$XDG_STATE_HOME/aurarouter/cooldown" | wc -l)" 1
	# ... and once it is over, the first success removes its file
	sleep 2.2
	run --separate-stderr ar-route <<<"$REC"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" openai
	assert_equal "$(ls "$XDG_STATE_HOME/aurarouter/cooldown" | wc -l)" 0
}

@test "make -j over many targets with a hanging first endpoint pays the first-token timeout only in the first wave" {
	unset AR_COOLDOWN
	export AR_TIERS="openai:ok@$MOCK_URL/hang/v1 ollama:ok"
	export AR_FIRST_TOKEN_TIMEOUT=2
	local i
	{
		printf 'all:'
		for i in $(seq 1 16); do printf ' t%d.py' "$i"; done
		printf '\n\nt%%.py:\n\tar-route -r -q --tiers "$$AR_TIERS" <<<'"'"'{"task":"add two numbers $@"}'"'"' >$@\n'
	} >Makefile
	run make -s -j4 SHELL=/bin/bash
	assert_success
	for i in $(seq 1 16); do grep -q 'def ' "t$i.py"; done
	hung=$(requests_to '/hang/v1/chat')
	((hung >= 1 && hung <= 4)) || fail "the hanging endpoint got $hung requests"
}

@test "--status: one record per tier endpoint; exit 0 when one tier can serve" {
	AR_TIERS="ollama:partial openai:ok@$MOCK_URL/v1,$MOCK_URL/loading/v1 gemini:ok" \
	    run --separate-stderr ar-route --status
	assert_success
	assert_equal "${#lines[@]}" 4
	l1=$(sed -n 1p <<<"$output")
	assert_equal "$(json_get tier <<<"$l1")" ollama:partial
	assert_equal "$(json_get reachable <<<"$l1")" true
	assert_equal "$(json_get model_loaded <<<"$l1")" true
	assert_equal "$(json_get vram_fraction <<<"$l1")" 0.5
	assert_equal "$(json_get cooldown_left <<<"$l1")" 0
	l2=$(sed -n 2p <<<"$output")
	assert_equal "$(json_get endpoint <<<"$l2")" "$MOCK_URL/v1"
	assert_equal "$(json_get model_present <<<"$l2")" true
	l3=$(sed -n 3p <<<"$output")
	assert_equal "$(json_get endpoint <<<"$l3")" "$MOCK_URL/loading/v1"
	assert_equal "$(json_get loading <<<"$l3")" true
	l4=$(sed -n 4p <<<"$output")
	assert_equal "$(json_get tier <<<"$l4")" gemini:ok
	AR_TIERS="openai:ok@$REFUSED_URL/v1" run --separate-stderr ar-route --status
	assert_failure 1
	assert_equal "$(json_get reachable <<<"$output")" false
	AR_TIERS="ollama:ok openai:ok" run --separate-stderr ar-route --status --cloud-only
	assert_failure 1
	assert_output ""
}
