#!/usr/bin/env bats
# ar-openai against the mock's OpenAI-compatible server: the answer record,
# the request it sends, the key, reasoning deltas, the servers' error
# bodies, a cut stream, timeouts and --status.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	export OPENAI_BASE_URL="$MOCK_URL/v1"
}

REC='{"id":"r1","prompt":"write a function","system":"code only"}'
OKEY="sk-openai-TEST-SECRET-51c2"

# chat_request PATH: the value at PATH of the body of the last chat
# completion the mock received.
chat_request() {
	mock_requests | grep '/chat/completions"' | tail -n 1 |
	    json_get "body${1:+.$1}"
}

# run_model MODEL [args...]: ar-openai on $REC with model MODEL.
run_model() {
	local m=$1
	shift
	run --separate-stderr ar-openai -m "$m" "$@" <<<"$REC"
}

# assert_error CODE: one record with error.code CODE from ar-openai; exit 1.
assert_error() {
	assert_failure 1
	assert_equal "${#lines[@]}" 1
	assert_equal "$(json_get error.stage <<<"$output")" ar-openai
	assert_equal "$(json_get error.code <<<"$output")" "$1"
	assert_equal "$(json_get id <<<"$output")" r1
}

@test "ok: output, backend openai, model, usage from the usage chunk, finish" {
	run_model ok
	assert_success
	[[ $(json_get output <<<"$output") == *'```python'* ]]
	assert_equal "$(json_get backend <<<"$output")" openai
	assert_equal "$(json_get model <<<"$output")" ok
	assert_equal "$(json_get finish <<<"$output")" stop
	(($(json_get usage.input_tokens <<<"$output") > 0))
	(($(json_get usage.output_tokens <<<"$output") > 0))
	json_get timing.first_token_ms <<<"$output" | grep -Eq '^[0-9.]+$'
	refute json_get error <<<"$output"
}

@test "the request: messages, stream, stream_options.include_usage, no key by default" {
	run_model ok
	assert_success
	assert_equal "$(chat_request model)" ok
	assert_equal "$(chat_request stream)" true
	assert_equal "$(chat_request stream_options.include_usage)" true
	assert_equal "$(chat_request messages.0.role)" system
	assert_equal "$(chat_request messages.0.content)" "code only"
	assert_equal "$(chat_request messages.1.role)" user
	assert_equal "$(chat_request messages.1.content)" "write a function"
	assert_equal "$(mock_requests | grep -ci '"authorization"')" 0
}

@test "OPENAI_API_KEY goes as Authorization: Bearer and nowhere else" {
	OPENAI_API_KEY=$OKEY run --separate-stderr ar-openai -v -m ok <<<"$REC"
	assert_success
	assert_equal "$(mock_requests | grep '/chat/completions"' | tail -n 1 |
	    json_get headers.authorization)" "Bearer $OKEY"
	refute grep -q "$OKEY" <<<"$output$stderr"
	OPENAI_API_KEY=$OKEY run --separate-stderr ar-openai -m missing <<<"$REC"
	refute grep -q "$OKEY" <<<"$output$stderr"
}

@test "reasoning_content deltas are activity, never the answer; reasoning_tokens reported" {
	run_model think -T 2
	assert_success
	out=$(json_get output <<<"$output")
	[[ $out == *'```python'* ]]
	[[ $out != *"user wants"* ]]
	(($(json_get usage.thinking_tokens <<<"$output") > 0))
}

@test "vLLM-style reasoning deltas are activity, never the answer" {
	run_model think-r -T 2
	assert_success
	[[ $(json_get output <<<"$output") != *"user wants"* ]]
}

@test "a finish other than stop is kept: truncated -> length" {
	run_model truncated
	assert_success
	assert_equal "$(json_get finish <<<"$output")" length
}

@test "llama-server 400 exceed_context_size_error -> context_overflow" {
	run_model ctx-overflow
	assert_error context_overflow
	[[ $(json_get error.message <<<"$output") == *"exceeds the available context size"* ]]
}

@test "vLLM 400 maximum context length -> context_overflow" {
	run_model ctx-overflow-vllm
	assert_error context_overflow
	[[ $(json_get error.message <<<"$output") == *"maximum context length"* ]]
}

# big_rec BYTES: a record whose prompt is BYTES bytes long.
big_rec() {
	python3 -c 'import json,sys; print(json.dumps({"id": "r1", "prompt": "x" * int(sys.argv[1])}))' "$1"
}

@test "AR_LOCAL_THINK: true/false as chat_template_kwargs.enable_thinking, a level as reasoning_effort" {
	run_model ok
	assert_success
	refute chat_request chat_template_kwargs
	refute chat_request reasoning_effort
	AR_LOCAL_THINK=false run_model ok
	assert_success
	assert_equal "$(chat_request chat_template_kwargs.enable_thinking)" false
	refute chat_request reasoning_effort
	AR_LOCAL_THINK=true run_model ok
	assert_equal "$(chat_request chat_template_kwargs.enable_thinking)" true
	AR_LOCAL_THINK=high run_model ok
	assert_success
	assert_equal "$(chat_request reasoning_effort)" high
	refute chat_request chat_template_kwargs
}

@test "a prompt over vLLM's max_model_len is context_overflow before any completion request" {
	mock_reset_log
	big_rec 30000 >"$BATS_TEST_TMPDIR/big"
	run --separate-stderr ar-openai -m ok <"$BATS_TEST_TMPDIR/big"
	assert_error context_overflow
	[[ $(json_get error.message <<<"$output") == *"server's context for model ok is 8192 tokens"* ]]
	assert_equal "$(mock_requests | grep -c '/chat/completions"' || true)" 0
	# one that fits (with room for the answer) is sent
	big_rec 18000 >"$BATS_TEST_TMPDIR/fits"
	run --separate-stderr ar-openai -m ok <"$BATS_TEST_TMPDIR/fits"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" openai
}

@test "llama-server's n_ctx from /props bounds the prompt; the size is asked once per process" {
	export OPENAI_BASE_URL="$MOCK_URL/llama/v1"
	mock_reset_log
	{ big_rec 12000; big_rec 12000; } >"$BATS_TEST_TMPDIR/big"
	run --separate-stderr ar-openai -m ok <"$BATS_TEST_TMPDIR/big"
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(sed -n 2p <<<"$output" | json_get error.code)" context_overflow
	[[ $(sed -n 2p <<<"$output" | json_get error.message) == *"is 4096 tokens"* ]]
	assert_equal "$(mock_requests | grep -c '"path":"/llama/props' || true)" 1
	assert_equal "$(mock_requests | grep -c '/chat/completions"' || true)" 0
	big_rec 6000 >"$BATS_TEST_TMPDIR/fits"
	run --separate-stderr ar-openai -m ok <"$BATS_TEST_TMPDIR/fits"
	assert_success
}

@test "a server that tells no context size: AR_MAX_CTX bounds the prompt, unset the server judges" {
	export OPENAI_BASE_URL="$MOCK_URL/nosize/v1"
	big_rec 9000 >"$BATS_TEST_TMPDIR/big"
	AR_MAX_CTX=2048 run --separate-stderr ar-openai -m ok <"$BATS_TEST_TMPDIR/big"
	assert_error context_overflow
	[[ $(json_get error.message <<<"$output") == *"AR_MAX_CTX for model ok is 2048 tokens"* ]]
	run --separate-stderr ar-openai -m ok <"$BATS_TEST_TMPDIR/big"
	assert_success
}

@test "a /models that hangs is asked once per client, and its time is the attempt's" {
	export OPENAI_BASE_URL="$MOCK_URL/slowlist/v1"
	# Two records on one client: the status time-out (5 s) is paid once,
	# the second record does not ask again.
	printf '%s\n' '{"task":"a"}' '{"task":"b"}' >"$BATS_TEST_TMPDIR/two"
	run --separate-stderr ar-openai -m ok <"$BATS_TEST_TMPDIR/two"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(mock_requests | grep -c '"path":"/slowlist/v1/models' || true)" 1
	assert_equal "$(mock_requests | grep -c '/chat/completions"' || true)" 2
	# The question counts against AR_TIMEOUT: after a 5 s wait a 3 s
	# attempt is over.
	AR_TIMEOUT=3 run --separate-stderr ar-openai -m ok <<<"$REC"
	assert_error timeout
}

@test "404 unknown model -> model_not_found quoting the server" {
	run_model missing
	assert_error model_not_found
	[[ $(json_get error.message <<<"$output") == *"does not exist"* ]]
}

@test "429 -> rate_limited, 500 -> server_error, 401 -> auth_failed, 400 -> http_error" {
	run_model http-429
	assert_error rate_limited
	run_model http-500
	assert_error server_error
	run_model http-401
	assert_error auth_failed
	run_model http-400
	assert_error http_error
}

@test "llama-server loading a model: 503 Loading model -> server_error" {
	OPENAI_BASE_URL="$MOCK_URL/loading/v1" run_model ok
	assert_error server_error
	[[ $(json_get error.message <<<"$output") == *"Loading model"* ]]
}

@test "an error object mid-stream -> stream_error; no [DONE] -> stream_cut" {
	run_model error-mid
	assert_error stream_error
	run_model cut
	assert_error stream_cut
	run_model cut-hard
	assert_error stream_cut
	run_model malformed
	assert_error bad_response
}

@test "first-token timeout, and the tokens/s floor, as Ollama's" {
	run_model hang -T 1
	assert_error timeout
	[[ $(json_get error.message <<<"$output") == *AR_FIRST_TOKEN_TIMEOUT* ]]
	run_model slow --min-tps 100
	assert_error too_slow
}

@test "[DONE] on a connection held open: the complete answer at once, usage kept" {
	SECONDS=0
	run_model hang-end -t 30
	assert_success
	((SECONDS < 10))
	assert_equal "$(json_get finish <<<"$output")" stop
	[[ $(json_get output <<<"$output") == *'```python'*'def add(a, b):'* ]]
	(($(json_get usage.input_tokens <<<"$output") > 0))
	assert_equal "$(json_get usage.output_tokens <<<"$output")" 27
	refute json_get error <<<"$output"
	assert_equal "$(mock_gone /v1/chat/completions)" 1
}

@test "connection refused -> connect_failed naming the endpoint" {
	OPENAI_BASE_URL="$REFUSED_URL/v1" run_model ok
	assert_error connect_failed
	[[ $(json_get error.message <<<"$output") == *"$REFUSED_URL/v1"* ]]
}

@test "no OPENAI_BASE_URL is a configuration error (exit 2)" {
	unset OPENAI_BASE_URL
	run --separate-stderr ar-openai -m ok <<<"$REC"
	assert_failure 2
	assert_output ""
	[[ $stderr == *OPENAI_BASE_URL* ]]
}

@test "--status: reachable and model present; loading is not down" {
	run --separate-stderr ar-openai --status -m ok
	assert_success
	assert_equal "$(json_get reachable <<<"$output")" true
	assert_equal "$(json_get model_present <<<"$output")" true
	assert_equal "$(json_get loading <<<"$output")" false
	assert_equal "$(json_get endpoint <<<"$output")" "$MOCK_URL/v1"
	OPENAI_BASE_URL="$MOCK_URL/loading/v1" run --separate-stderr ar-openai --status -m ok
	assert_failure 1
	assert_equal "$(json_get reachable <<<"$output")" true
	assert_equal "$(json_get loading <<<"$output")" true
	run --separate-stderr ar-openai --status -m nope-not-there
	assert_failure 1
	assert_equal "$(json_get model_present <<<"$output")" false
	OPENAI_BASE_URL="$REFUSED_URL/v1" run --separate-stderr ar-openai --status -m ok
	assert_failure 1
	assert_equal "$(json_get reachable <<<"$output")" false
}

@test "bad input and a record without prompt still yield one record each" {
	run --separate-stderr ar-openai -m ok <<<'nope
{"id":"r2"}'
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(sed -n 1p <<<"$output" | json_get error.code)" bad_input
	assert_equal "$(sed -n 2p <<<"$output" | json_get error.code)" bad_field
}

@test "a password holding '@' is not shown in part in an error" {
	OPENAI_BASE_URL="http://user:pw@at-9e1@127.0.0.1:1/v1" \
	    run --separate-stderr ar-openai <<<'{"task":"x"}'
	assert_failure 1
	# libcurl refuses the URL or cannot connect; either way the server is
	# named without its user information.
	[[ $output == *'"code":"'* ]] || fail "output: $output"
	[[ $output == *"at http://127.0.0.1:1/v1"* ]] || fail "output: $output"
	[[ $output != *at-9e1* && $stderr != *at-9e1* ]] ||
	    fail "part of the password shown: $output $stderr"
	[[ $output != *pw@* && $stderr != *pw@* ]]
}
