#!/usr/bin/env bats
# Spending less cloud: repair, check commands, the cache, the ledger and
# ar-route's status line.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
	export AR_FIRST_TOKEN_TIMEOUT=30 AR_TIMEOUT=60
	export AR_LEDGER="$BATS_TEST_TMPDIR/ledger.jsonl"
}

TASK='{"id":"t1","task":"add two numbers","language":"python"}'

route() { run --separate-stderr ar-route "$@" <<<"$TASK"; }

# mcp_call ARGUMENTS: one tools/call of ar-mcp; the session in $output.
mcp_call() {
	run --separate-stderr "${PYTHON3:-python3}" "$AR_TEST_DIR/mcp_client.py" \
	    -t 60 -- ar-mcp <<EOF
send {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bats","version":"1.0"}}}
wait 0
send {"jsonrpc":"2.0","method":"notifications/initialized"}
send {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"intelligent_code_gen","arguments":$1}}
wait 1 60
EOF
}

# count PATH: how many logged requests went to PATH (a regex).
count() { mock_requests | grep -cE "\"path\":\"[^\"]*$1" || true; }
cloud_calls() { count ':(stream)?[gG]enerateContent'; }
local_calls() { count '/api/generate'; }

# generate_prompt N: the prompt of the Nth /api/generate request (from 1).
generate_prompt() {
	mock_requests | grep '"path":"/api/generate"' | sed -n "${1}p" |
	    json_get body.prompt
}

# ledger_get N PATH: PATH of the Nth ledger line (from 0).
ledger_get() {
	sed -n "$(($1 + 1))p" "$AR_LEDGER" | json_get "$2"
}

# ---- repair

@test "repair: a syntax error goes back to the local model once and saves the cloud call" {
	export AR_LOCAL_MODEL=fixable
	route
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get valid <<<"$output")" true
	assert_equal "$(json_get attempts.0.ok <<<"$output")" false
	[[ $(json_get attempts.0.reasons.0 <<<"$output") == "syntax error"* ]]
	assert_equal "$(json_get attempts.1.repair <<<"$output")" true
	assert_equal "$(json_get attempts.1.ok <<<"$output")" true
	assert_equal "$(json_get attempts.1.model <<<"$output")" fixable
	run ! json_get attempts.2 <<<"$output"
	run ! json_get attempts.0.repair <<<"$output"
	[[ $stderr == *"⚡ [LOCAL] fixable answered in "*" after 1 repair"* ]]
	assert_equal "$(cloud_calls)" 0
	assert_equal "$(local_calls)" 2
	# the repair prompt holds the task, the failed code and the diagnostics
	p=$(generate_prompt 2)
	[[ $p == *"add two numbers"* ]]
	[[ $p == *"def f(:"* ]]
	[[ $p == *"The code below was rejected for these reasons:"* ]]
	[[ $p == *"SyntaxError"* ]]
	[[ $(generate_prompt 1) != *"rejected"* ]]
}

@test "repair: a repair that fails again falls through to the cloud with the original prompt" {
	export AR_LOCAL_MODEL=syntax-error
	route
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.1.repair <<<"$output")" true
	assert_equal "$(json_get attempts.1.ok <<<"$output")" false
	assert_equal "$(json_get attempts.2.backend <<<"$output")" gemini
	assert_equal "$(local_calls)" 2
	assert_equal "$(cloud_calls)" 1
	body=$(mock_requests | grep -E 'enerateContent' | json_get body)
	[[ $body == *"add two numbers"* ]]
	[[ $body != *"rejected"* ]]
	[[ $stderr == *"☁️ [CLOUD]"*"local failed after a repair: invalid code: syntax error"* ]]
}

@test "repair: AR_REPAIRS=0 turns it off, AR_REPAIRS=2 repairs twice" {
	export AR_LOCAL_MODEL=syntax-error AR_REPAIRS=0
	route
	assert_success
	assert_equal "$(local_calls)" 1
	run ! json_get attempts.1.repair <<<"$output"
	mock_reset_log
	export AR_REPAIRS=2
	route
	assert_equal "$(local_calls)" 3
	assert_equal "$(json_get attempts.2.repair <<<"$output")" true
	assert_equal "$(json_get attempts.3.backend <<<"$output")" gemini
	AR_REPAIRS=9 run ar-route <<<"$TASK"
	assert_failure 2
}

@test "repair: a rejection a repair cannot fix (refusal) goes straight to the cloud" {
	export AR_LOCAL_MODEL=refusal
	route
	assert_success
	assert_equal "$(local_calls)" 1
	assert_equal "$(json_get attempts.1.backend <<<"$output")" gemini
}

# ---- check commands

@test "check: a failing check command rejects the answer and its output is the repair's diagnostics" {
	export AR_LOCAL_MODEL=fixable-check
	export AR_CHECK='if grep -q MARK_BAD {}; then echo "lint: MARK_BAD found in $(basename {})"; exit 3; fi'
	route
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get attempts.0.reasons.0 <<<"$output")" \
	    "check failed: lint: MARK_BAD found in code.py"
	assert_equal "$(json_get attempts.1.repair <<<"$output")" true
	assert_equal "$(json_get attempts.1.ok <<<"$output")" true
	[[ $(generate_prompt 2) == *"check failed: lint: MARK_BAD found in code.py"* ]]
	[[ $(generate_prompt 2) == *'MARKER = "MARK_BAD"'* ]]
	assert_equal "$(cloud_calls)" 0
}

@test "check: --check overrides AR_CHECK; without {} the path is appended" {
	export AR_CHECK=false AR_LOCAL_ONLY=1
	run --separate-stderr ar-route --local-only --check 'echo checked; test -f' <<<"$TASK"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	run --separate-stderr ar-route --local-only --check '! wc -c' <<<"$TASK"
	assert_failure 1
	[[ $(json_get attempts.0.reasons.0 <<<"$output") =~ ^"check failed: "[0-9]+" /".*"/ar-check."[^/]+/code.py$ ]]
}

@test "check: AR_CHECK in a .env file is never run (it may come with a cloned repository)" {
	echo "AR_CHECK='touch $BATS_TEST_TMPDIR/pwned; false'" >.env
	mkdir -p "$HOME/.config/aurarouter"
	echo "AR_CHECK='touch $BATS_TEST_TMPDIR/pwned2; false'" >"$HOME/.config/aurarouter/env"
	route --local-only
	assert_success
	[ ! -e "$BATS_TEST_TMPDIR/pwned" ]
	[ ! -e "$BATS_TEST_TMPDIR/pwned2" ]
	AR_CHECK="echo ran-from-environment; false" run --separate-stderr \
	    ar-route --local-only <<<"$TASK"
	assert_failure 1
	assert_equal "$(json_get attempts.0.reasons.0 <<<"$output")" \
	    "check failed: ran-from-environment"
}

@test "check: the command sees no key, runs in a private directory that is removed, stdin empty" {
	# Changed on purpose (issue 9): the command may write only in its
	# private directory, so it tells what it saw in its output.
	local r
	export GOOGLE_API_KEY="$MOCK_KEY" OPENAI_API_KEY=sk-test AR_MCP_TOKEN=tok
	export TMPDIR="$BATS_TEST_TMPDIR/tmp" AR_REPAIRS=0
	mkdir -p "$TMPDIR"
	export AR_CHECK='{ env; pwd; echo "stdin=[$(cat)]"; } | grep -E "^[A-Z_]*(KEY|TOKEN)[A-Z_]*=|^/|^stdin=|^TMPDIR="; touch leftover; exit 1'
	run --separate-stderr env -u MOCK_KEY ar-route --local-only <<<"$TASK"
	assert_failure 1
	r=$(json_get attempts.0.reasons.0 <<<"$output")
	[[ $r != *"$MOCK_KEY"* && $r != *API_KEY* && $r != *AR_MCP_TOKEN* ]] ||
	    fail "reason: $r"
	[[ $r =~ "check failed: TMPDIR=$TMPDIR/ar-check."[^/]+$'\n'"$TMPDIR/ar-check."[^/]+$'\n'"stdin=[]"$ ]] ||
	    fail "reason: $r"
	assert_equal "$(ls -A "$TMPDIR")" ""
}

@test "check: the command writes only in its private directory; a memory hog is stopped and says so" {
	local r
	export AR_REPAIRS=0
	AR_CHECK="echo x >$BATS_TEST_TMPDIR/outside && cp {} copy" \
	    run --separate-stderr ar-route --local-only -v <<<"$TASK"
	[[ $stderr != *"unconfined"* ]] || skip "no Landlock on this kernel"
	assert_failure 1
	r=$(json_get attempts.0.reasons.0 <<<"$output")
	[[ $r == "check failed: "*"$BATS_TEST_TMPDIR/outside: Permission denied" ]] ||
	    fail "reason: $r"
	[ ! -e "$BATS_TEST_TMPDIR/outside" ]
	# Writing in its directory (and /dev/null) works: only the write
	# outside failed.
	AR_CHECK="cp {} copy && cat copy >/dev/null" route --local-only
	assert_success
	# It reads the toolchain, not the user's files: not the key file.
	mkdir -p "$HOME/.config/aurarouter"
	echo "GEMINI_API_KEY=$MOCK_KEY" >"$HOME/.config/aurarouter/env"
	AR_CHECK="cat $HOME/.config/aurarouter/env" route --local-only
	assert_failure 1
	r=$(json_get attempts.0.reasons.0 <<<"$output")
	[[ $r == *"Permission denied"* && $r != *"$MOCK_KEY"* ]] ||
	    fail "reason: $r"
	# Not even with the home directory, or a directory whose prefix holds
	# the key file's, on PATH.
	mkdir -p "$HOME/.config/bin"
	PATH="$HOME:$HOME/.config/bin:$PATH" \
	    AR_CHECK="cat $HOME/.config/aurarouter/env" route --local-only
	assert_failure 1
	r=$(json_get attempts.0.reasons.0 <<<"$output")
	[[ $r == *"Permission denied"* && $r != *"$MOCK_KEY"* ]] ||
	    fail "reason: $r"
	# An address space over AR_CHECK_MEM_MB cannot be had.
	AR_CHECK="${PYTHON3:-python3} -c 'b = bytearray(8 << 30)'" \
	    route --local-only
	assert_failure 1
	r=$(json_get attempts.0.reasons.0 <<<"$output")
	[[ $r == "check failed: it may have hit the memory limit (4096 MiB): "*MemoryError* ]] ||
	    fail "reason: $r"
	# AR_CHECK_MEM_MB sets the limit: 512 MiB fits the default, not 256.
	AR_CHECK="${PYTHON3:-python3} -c 'b = bytearray(512 << 20)'" \
	    route --local-only
	assert_success
	AR_CHECK_MEM_MB=256 \
	    AR_CHECK="${PYTHON3:-python3} -c 'b = bytearray(512 << 20)'" \
	    route --local-only
	assert_failure 1
	r=$(json_get attempts.0.reasons.0 <<<"$output")
	[[ $r == "check failed: it may have hit the memory limit (256 MiB): "*MemoryError* ]] ||
	    fail "reason: $r"
}

@test "check: a command that hangs is killed at AR_CHECK_TIMEOUT and is not a pass" {
	export AR_CHECK='sleep 97.31 & sleep 97.31; true' AR_CHECK_TIMEOUT=1
	start=$SECONDS
	route --local-only
	assert_failure 1
	assert_equal "$(json_get attempts.0.reasons.0 <<<"$output")" \
	    "check timed out: killed after 1 s (AR_CHECK_TIMEOUT)"
	# a timeout gives no diagnostics: no repair
	assert_equal "$(local_calls)" 1
	run ! json_get attempts.1 <<<"$output"
	(( SECONDS - start < 30 ))
	run pgrep -f "sleep 97.31"
	assert_failure
}

@test "check: the cloud answer is checked too; its output is bounded" {
	export AR_CHECK='head -c 100000 /dev/zero | tr "\0" x; exit 1'
	route --cloud-only
	assert_failure 1
	r=$(json_get attempts.0.reasons.0 <<<"$output")
	[[ $r == "check failed: xxxx"* ]]
	(( ${#r} <= 4096 + 20 ))
}

@test "check: ar-mcp applies the server's AR_CHECK; the tool takes no command" {
	export AR_CHECK='echo server-check-ran; exit 1'
	mcp_call '{"task":"add two numbers","language":"python","check":"true"}'
	[[ $output == *'Unknown argument \"check\"'* ]]
	assert_equal "$(local_calls)" 0
	mcp_call '{"task":"add two numbers","language":"python"}'
	[[ $output == *"check failed: server-check-ran"* ]]
	[[ $output == *'"isError":true'* ]]
}

# ---- the cache

@test "cache: a second run is answered from the cache with no backend contacted" {
	unset AR_NO_CACHE
	route
	assert_success
	first_code=$(json_get code <<<"$output")
	mock_reset_log
	route
	assert_success
	assert_equal "$(mock_requests | wc -l)" 0
	assert_equal "$(json_get cached <<<"$output")" true
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get model <<<"$output")" ok
	assert_equal "$(json_get attempts <<<"$output")" "[]"
	assert_equal "$(json_get code <<<"$output")" "$first_code"
	assert_equal "$(json_get id <<<"$output")" t1
	[[ $stderr == *"⚡ [CACHE] ok (ollama) answered from the cache"* ]]
	ls "$XDG_CACHE_HOME/aurarouter/" | grep -Eq '^[0-9a-f]{64}\.json$'
}

@test "cache: a cloud answer is cached with its backend and model" {
	unset AR_NO_CACHE
	export AR_LOCAL_MODEL=refusal
	route
	assert_equal "$(json_get backend <<<"$output")" gemini
	mock_reset_log
	route
	assert_equal "$(mock_requests | wc -l)" 0
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get cached <<<"$output")" true
}

# miss_after VAR=VALUE...: with the cache warm, a run with the settings
# changed contacts a backend again.
miss_after() {
	route
	assert_success
	mock_reset_log
	route
	assert_equal "$(mock_requests | wc -l)" 0
	env "$@" ar-route <<<"$TASK" >"$BATS_TEST_TMPDIR/out" 2>/dev/null
	[[ $(local_calls) -ge 1 ]]
	run ! json_get cached <"$BATS_TEST_TMPDIR/out"
}

@test "cache: a miss after the prompt, the model, num_ctx or the check command changes" {
	unset AR_NO_CACHE
	miss_after AR_NUM_CTX=8192
	mock_reset_log
	miss_after AR_LOCAL_MODEL=ok:latest
	mock_reset_log
	miss_after AR_CHECK=true
	mock_reset_log
	TASK='{"id":"t1","task":"add three numbers","language":"python"}'
	route
	[[ $(local_calls) -ge 1 ]]
	run ! json_get cached <<<"$output"
}

@test "cache: a miss after the local model's digest changes (seen at the next status check)" {
	unset AR_NO_CACHE
	route
	mock_reset_log
	route
	assert_equal "$(json_get cached <<<"$output")" true
	curl -sf -d '{"salt":"repulled"}' "$MOCK_URL/mock/digest" >/dev/null
	# another task runs the status check and sees the new digest
	ar-route <<<'{"task":"something else","language":"python"}' >/dev/null 2>&1
	mock_reset_log
	route
	curl -sf -d '{"salt":""}' "$MOCK_URL/mock/digest" >/dev/null
	run ! json_get cached <<<"$output"
	assert_equal "$(local_calls)" 1
}

@test "cache: a corrupt entry is ignored and replaced" {
	unset AR_NO_CACHE
	route
	f=$(ls "$XDG_CACHE_HOME"/aurarouter/*.json)
	printf '{"key":"x", "code": tru' >"$f"
	mock_reset_log
	route
	assert_success
	run ! json_get cached <<<"$output"
	assert_equal "$(local_calls)" 1
	route
	assert_equal "$(json_get cached <<<"$output")" true
}

@test "cache: an entry whose usage is not an object is ignored" {
	local f key
	unset AR_NO_CACHE
	route
	f=$(ls "$XDG_CACHE_HOME"/aurarouter/*.json)
	key=$(json_get key <"$f")
	printf '{"key":"%s","code":"x = 1","backend":"ollama","model":"m","usage":"lots"}' \
	    "$key" >"$f"
	mock_reset_log
	route
	assert_success
	run ! json_get cached <<<"$output"
	assert_equal "$(local_calls)" 1
}

@test "cache: AR_NO_CACHE=1 and --no-cache turn it off" {
	unset AR_NO_CACHE
	route
	mock_reset_log
	AR_NO_CACHE=1 run --separate-stderr ar-route <<<"$TASK"
	run ! json_get cached <<<"$output"
	assert_equal "$(local_calls)" 1
	route --no-cache
	run ! json_get cached <<<"$output"
	assert_equal "$(local_calls)" 2
	route
	assert_equal "$(json_get cached <<<"$output")" true
}

@test "cache: AR_CACHE_MAX_MB bounds it, the oldest entries go first" {
	unset AR_NO_CACHE
	export AR_CACHE_MAX_MB=0.001	# about 1 KB: one entry or two
	for i in 1 2 3 4 5 6; do
		echo "{\"task\":\"task $i\",\"language\":\"python\"}"
	done | ar-route >/dev/null 2>&1
	total=$(cat "$XDG_CACHE_HOME"/aurarouter/*.json | wc -c)
	(( total <= 1049 ))
	run --separate-stderr ar-route <<<'{"task":"task 6","language":"python"}'
	assert_equal "$(json_get cached <<<"$output")" true
}

@test "cache: eight writers at once leave only whole entries, then every task hits" {
	unset AR_NO_CACHE
	for w in 1 2 3 4 5 6 7 8; do
		for i in 1 2 3 4 5; do
			echo "{\"task\":\"task $i\",\"language\":\"python\"}"
		done | ar-route >/dev/null 2>&1 &
	done
	wait
	for f in "$XDG_CACHE_HOME"/aurarouter/*.json; do
		json_get code <"$f" >/dev/null
	done
	assert_equal "$(ls "$XDG_CACHE_HOME"/aurarouter/ | grep -c '\.json$')" 5
	run ! ls "$XDG_CACHE_HOME"/aurarouter/.tmp.*
	mock_reset_log
	for i in 1 2 3 4 5; do
		echo "{\"task\":\"task $i\",\"language\":\"python\"}"
	done | ar-route >"$BATS_TEST_TMPDIR/out" 2>/dev/null
	assert_equal "$(grep -c '"cached":true' "$BATS_TEST_TMPDIR/out")" 5
	assert_equal "$(mock_requests | wc -l)" 0
}

# ---- the ledger

@test "ledger: one line per record with the outcome, the attempts and no task, code or key" {
	export GOOGLE_API_KEY="$MOCK_KEY"
	printf '%s\n' '{"id":"a","task":"add two numbers","language":"python"}' \
	    '{"id":"b","task":"a fixable one","language":"python"}' \
	    '{"id":"c","task":"no task field"}' '{"id":"d"}' |
	    AR_LOCAL_MODEL=fixable ar-route >/dev/null 2>&1 || true
	assert_equal "$(wc -l <"$AR_LEDGER")" 4
	assert_equal "$(ledger_get 0 id)" a
	assert_equal "$(ledger_get 0 outcome)" local
	assert_equal "$(ledger_get 0 language)" python
	assert_equal "$(ledger_get 0 backend)" ollama
	assert_equal "$(ledger_get 0 model)" fixable
	assert_equal "$(ledger_get 0 attempts.0.repair)" false
	assert_equal "$(ledger_get 0 attempts.0.reason)" "syntax error (python3): <code>:1: SyntaxError: invalid syntax"
	assert_equal "$(ledger_get 0 attempts.1.repair)" true
	assert_equal "$(ledger_get 0 attempts.1.ok)" true
	assert_equal "$(ledger_get 0 attempts.1.endpoint)" "$MOCK_URL"
	[[ $(ledger_get 0 attempts.1.input_tokens) -gt 0 ]]
	[[ $(ledger_get 0 attempts.1.output_tokens) -gt 0 ]]
	assert_equal "$(ledger_get 0 attempts.1.thinking_tokens)" 0
	[[ $(ledger_get 0 t) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
	assert_equal "$(ledger_get 3 outcome)" failed
	assert_equal "$(ledger_get 3 attempts)" "[]"
	run grep -e 'add two numbers' -e 'def ' -e "$MOCK_KEY" -e prompt "$AR_LEDGER"
	assert_failure
}

@test "ledger: the endpoint never carries credentials" {
	export OLLAMA_HOST="http://secret@127.0.0.1:$MOCK_PORT"
	route --local-only
	assert_equal "$(ledger_get 0 attempts.0.endpoint)" "http://127.0.0.1:$MOCK_PORT"
	run grep secret "$AR_LEDGER"
	assert_failure
	[[ $output != *secret* ]]
}

@test "ledger: the default place is \$XDG_STATE_HOME; AR_LEDGER=0 turns it off" {
	unset AR_LEDGER
	route
	assert_equal "$(wc -l <"$XDG_STATE_HOME/aurarouter/ledger.jsonl")" 1
	AR_LEDGER=0 run ar-route <<<"$TASK"
	assert_equal "$(wc -l <"$XDG_STATE_HOME/aurarouter/ledger.jsonl")" 1
}

@test "ledger: ar-mcp appends a line per tool call" {
	mcp_call '{"task":"add two numbers","language":"python"}'
	[[ $output == *'"backend":"ollama"'* ]]
	assert_equal "$(wc -l <"$AR_LEDGER")" 1
	assert_equal "$(ledger_get 0 outcome)" local
}

@test "ledger: eight processes appending at once lose and tear no line" {
	for w in 1 2 3 4 5 6 7 8; do
		for i in $(seq 1 20); do
			echo "{\"id\":\"w$w-$i\",\"task\":\"t\",\"language\":\"python\"}"
		done | ar-route -j 2 >/dev/null 2>&1 &
	done
	wait
	assert_equal "$(wc -l <"$AR_LEDGER")" 160
	"${PYTHON3:-python3}" -c '
import json, sys
ids = set()
for line in open(sys.argv[1]):
    ids.add(json.loads(line)["id"])
assert len(ids) == 160, len(ids)
' "$AR_LEDGER"
}

# ---- the status line

@test "progress: on a terminal one status line is kept and cleared at the end" {
	printf '%s\n' "$TASK" "$TASK" '{"task":"x"' >"$BATS_TEST_TMPDIR/in"
	script -qec "ar-route <$BATS_TEST_TMPDIR/in >$BATS_TEST_TMPDIR/out" \
	    "$BATS_TEST_TMPDIR/tty" >/dev/null 2>&1 </dev/null || true
	tty=$(cat "$BATS_TEST_TMPDIR/tty")
	[[ $tty == *"ar-route: 3 records: 2 local, 0 cloud, 0 cached, 1 failed; "*"/s; 0:0"* ]]
	# cleared at the end: after the last status line comes the erase
	# sequence, and no line holding a count
	last=${tty##*" failed; "}
	[[ $last == *$'\r\e[K'* ]]
	[[ ${last#*$'\r\e[K'} != *records* ]]
	[[ $tty == *"⚡ [LOCAL]"* ]]
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out")" 3
}

@test "progress: nothing when stderr is not a terminal, nor with -q on one" {
	run --separate-stderr ar-route <<<"$TASK"
	[[ $stderr != *records* ]]
	[[ $stderr != *$'\e['* ]]
	printf '%s\n' "$TASK" >"$BATS_TEST_TMPDIR/in"
	script -qec "ar-route -q <$BATS_TEST_TMPDIR/in >/dev/null" \
	    "$BATS_TEST_TMPDIR/tty" >/dev/null 2>&1 </dev/null
	run cat "$BATS_TEST_TMPDIR/tty"
	refute_output --partial records
}

@test "a bad spending setting stops ar-route, ar-mcp and ar-stats only where they use it" {
	for v in AR_REPAIRS=many AR_CHECK_TIMEOUT=abc AR_NO_CACHE=yes AR_CACHE_MAX_MB=big; do
		run --separate-stderr env "$v" ar-route --local-only <<<'{"task":"x"}'
		assert_failure 2
		[[ $stderr == *"${v%%=*}"* ]]
		run --separate-stderr env "$v" ar-mcp </dev/null
		assert_failure 2
		[[ $stderr == *"${v%%=*}"* ]]
		run --separate-stderr env "$v" ar-prompt -t x
		assert_success
		[[ $(json_get task <<<"$output") == x ]]
		run --separate-stderr env "$v" ar-validate <<<'{"output":"```python\ntotal = 1 + 2\n```","language":"python"}'
		assert_success
	done
	: >"$BATS_TEST_TMPDIR/l.jsonl"
	AR_REPAIRS=many run --separate-stderr ar-stats "$BATS_TEST_TMPDIR/l.jsonl"
	assert_success
	assert_line "records           0"
}
