#!/usr/bin/env bats
# ar-ollama against the mock backend: the answer record, the request it
# sends, every failure mode, OLLAMA_HOST forms and --status.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
}

REC='{"id":"r1","prompt":"write a function","system":"code only"}'

# nth N: the Nth line (1-based) of $output.
nth() { sed -n "${1}p" <<<"$output"; }

# gen_request FIELD.PATH: the value at FIELD.PATH of the body of the
# last /api/generate request the mock received.
gen_request() {
	mock_requests | grep '"/api/generate"' | tail -n 1 |
	    json_get "body${1:+.$1}"
}

# run_model MODEL [args...]: ar-ollama on $REC with AR_LOCAL_MODEL=MODEL.
run_model() {
	local m=$1
	shift
	AR_LOCAL_MODEL=$m run --separate-stderr ar-ollama "$@" <<<"$REC"
}

# assert_error CODE: the output record carries error.code CODE from
# ar-ollama, and the run failed with status 1.
assert_error() {
	assert_failure 1
	assert_equal "${#lines[@]}" 1
	assert_equal "$(json_get error.stage <<<"$output")" ar-ollama
	assert_equal "$(json_get error.code <<<"$output")" "$1"
	assert_equal "$(json_get id <<<"$output")" r1
}

@test "ok: the record gets output, backend, model, usage, timing, finish" {
	run_model ok
	assert_success
	assert_equal "${#lines[@]}" 1
	[[ $(json_get output <<<"$output") == *'```python'* ]]
	[[ $(json_get output <<<"$output") == *def* ]]
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get model <<<"$output")" ok
	assert_equal "$(json_get finish <<<"$output")" stop
	(($(json_get usage.output_tokens <<<"$output") > 0))
	json_get usage.input_tokens <<<"$output" | grep -Eq '^[0-9]+$'
	json_get timing.first_token_ms <<<"$output" | grep -Eq '^[0-9.]+$'
	json_get timing.total_ms <<<"$output" | grep -Eq '^[0-9.]+$'
	json_get timing.tokens_per_s <<<"$output" | grep -Eq '^[0-9.]+$'
	refute json_get error <<<"$output"
}

@test "ok: fields it does not own pass through unchanged" {
	run_model ok
	assert_success
	assert_equal "$(json_get id <<<"$output")" r1
	assert_equal "$(json_get prompt <<<"$output")" "write a function"
	assert_equal "$(json_get system <<<"$output")" "code only"
}

@test "the request streams, with prompt, system, num_ctx 4096 and a low temperature" {
	run_model ok
	assert_success
	assert_equal "$(gen_request stream)" true
	assert_equal "$(gen_request model)" ok
	assert_equal "$(gen_request prompt)" "write a function"
	assert_equal "$(gen_request system)" "code only"
	assert_equal "$(gen_request options.num_ctx)" 4096
	assert_equal "$(gen_request options.temperature)" 0.1
	assert_equal "$(mock_requests | grep '"/api/generate"' | tail -n 1 |
	    json_get headers.content-type)" application/json
}

@test "AR_NUM_CTX and then --num-ctx set options.num_ctx" {
	AR_NUM_CTX=2048 run_model ok
	assert_success
	assert_equal "$(gen_request options.num_ctx)" 2048
	AR_NUM_CTX=2048 run_model ok --num-ctx 1024
	assert_success
	assert_equal "$(gen_request options.num_ctx)" 1024
	AR_NUM_CTX=2048 run_model ok -c 512
	assert_equal "$(gen_request options.num_ctx)" 512
}

@test "the model comes from AR_LOCAL_MODEL, and -m/--model overrides it" {
	run_model ok.env
	assert_success
	assert_equal "$(gen_request model)" ok.env
	assert_equal "$(json_get model <<<"$output")" ok.env
	run_model ok.env -m ok.flag
	assert_success
	assert_equal "$(gen_request model)" ok.flag
	assert_equal "$(json_get model <<<"$output")" ok.flag
	run_model ok.env --model ok:latest
	assert_equal "$(gen_request model)" ok:latest
}

@test "a record with only a task gets its prompt built as ar-prompt would" {
	run --separate-stderr ar-ollama <<<'{"task":"reverse a string","language":"python"}'
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	[[ $(gen_request prompt) == *"reverse a string"* ]]
	gen_request system >/dev/null
	built=$(ar-prompt <<<'{"task":"reverse a string","language":"python"}')
	assert_equal "$(gen_request prompt)" "$(json_get prompt <<<"$built")"
	assert_equal "$(gen_request system)" "$(json_get system <<<"$built")"
}

@test "a record with neither prompt nor task is a bad_field error" {
	run --separate-stderr ar-ollama <<<'{"id":"r1","language":"c"}'
	assert_error bad_field
	[[ $(json_get error.message <<<"$output") == *prompt*task* ]]
}

@test "a prompt of the wrong type is a bad_field error naming it" {
	run --separate-stderr ar-ollama <<<'{"id":"r1","prompt":42}'
	assert_error bad_field
	[[ $(json_get error.message <<<"$output") == *prompt* ]]
}

@test "a record with a prompt and a language of the wrong type is a bad_field error naming it" {
	run --separate-stderr ar-ollama <<<'{"id":"r1","prompt":"x","language":5}'
	assert_error bad_field
	[[ $(json_get error.message <<<"$output") == 'field "language" must be a string, not number' ]]
	run --separate-stderr ar-ollama <<<'{"id":"r1","prompt":"x","files":[true]}'
	assert_error bad_field
	[[ $(json_get error.message <<<"$output") == 'field "files"[0] must be a string, not boolean' ]]
	refute grep -q /api/generate "$MOCK_LOG"
}

@test "a record carrying error passes through untouched, with no request" {
	in='{"id":"r1","error":{"stage":"ar-prompt","code":"file_error","message":"x"},"prompt":"p"}'
	run --separate-stderr ar-ollama <<<"$in"
	assert_failure 1
	assert_equal "$output" "$in"
	refute grep -q /api/generate "$MOCK_LOG"
}

@test "missing model: model_not_found with Ollama's text and an ollama pull hint" {
	run_model missing
	assert_error model_not_found
	msg=$(json_get error.message <<<"$output")
	[[ $msg == *"model 'missing' not found"* ]]
	[[ $msg == *"ollama pull missing"* ]]
	refute json_get output <<<"$output"
}

@test "HTTP 500: server_error quoting Ollama's error" {
	run_model http-500
	assert_error server_error
	[[ $(json_get error.message <<<"$output") == *500* ]]
}

@test "HTTP 503: server_error" {
	run_model http-503
	assert_error server_error
	[[ $(json_get error.message <<<"$output") == *503* ]]
}

@test "HTTP 400: http_error quoting Ollama's error" {
	run_model http-400
	assert_error http_error
	[[ $(json_get error.message <<<"$output") == *400* ]]
}

@test "an error line mid-stream: stream_error with Ollama's message" {
	run_model error-mid
	assert_error stream_error
	msg=$(json_get error.message <<<"$output")
	[[ $msg == "Ollama: "?* ]]
}

@test "a stream cut before done:true: stream_cut" {
	run_model cut
	assert_error stream_cut
}

@test "a line that is not JSON: bad_response quoting it" {
	run_model malformed
	assert_error bad_response
	[[ $(json_get error.message <<<"$output") == *"not a JSON object"* ]]
}

@test "no first token within AR_FIRST_TOKEN_TIMEOUT: timeout" {
	AR_FIRST_TOKEN_TIMEOUT=1 run_model hang
	assert_error timeout
	[[ $(json_get error.message <<<"$output") == *"no first token within 1s"* ]]
}

@test "tokens then silence past AR_TIMEOUT: timeout" {
	SECONDS=0
	AR_TIMEOUT=3 run_model hang-mid
	assert_error timeout
	[[ $(json_get error.message <<<"$output") == *"within 3s"* ]]
	((SECONDS < 60))
}

@test "-T and -t override the timeouts" {
	AR_FIRST_TOKEN_TIMEOUT=100 run_model hang -T 1
	assert_error timeout
	AR_TIMEOUT=100 run_model hang-mid --timeout 2
	assert_error timeout
	[[ $(json_get error.message <<<"$output") == *"within 2s"* ]]
}

@test "done:true on a connection held open: the complete answer at once, not a timeout" {
	SECONDS=0
	run_model hang-end -t 30
	assert_success
	((SECONDS < 10))
	assert_equal "$(json_get finish <<<"$output")" stop
	[[ $(json_get output <<<"$output") == *'```python'*'def add(a, b):'* ]]
	(($(json_get usage.input_tokens <<<"$output") > 0))
	assert_equal "$(json_get usage.output_tokens <<<"$output")" 27
	refute json_get error <<<"$output"
	# ar-ollama hung up; the mock still held the answer's end back.
	assert_equal "$(mock_gone /api/generate)" 1
}

@test "a rate under AR_MIN_TPS: too_slow with the measured rate" {
	AR_MIN_TPS=5 run_model slow
	assert_error too_slow
	[[ $(json_get error.message <<<"$output") =~ [0-9]+\.[0-9]+\ tokens/s ]]
}

@test "AR_MIN_TPS=0 disables the floor: a slow stream runs until AR_TIMEOUT" {
	AR_MIN_TPS=0 AR_TIMEOUT=4 run_model slow
	assert_error timeout
	[[ $(json_get error.message <<<"$output") == *"within 4s (AR_TIMEOUT)"* ]]
}

@test "--min-tps overrides AR_MIN_TPS" {
	AR_MIN_TPS=0 run_model slow --min-tps 5
	assert_error too_slow
}

@test "connection refused: connect_failed saying ollama serve" {
	OLLAMA_HOST=$REFUSED_URL run_model ok
	assert_error connect_failed
	[[ $(json_get error.message <<<"$output") == *"ollama serve"* ]]
}

@test "an unresolvable host: resolve_failed" {
	OLLAMA_HOST=http://no-such-host.invalid:1 run_model ok
	assert_error resolve_failed
}

@test "a 100 MB answer: too_large, bounded, no crash" {
	run_model huge
	assert_error too_large
	refute json_get output <<<"$output"
}

@test "a bad JSON line between two records: three records, the middle bad_input" {
	run --separate-stderr ar-ollama <<-EOT
	{"id":1,"prompt":"a"}
	{"id":2, nope
	{"id":3,"prompt":"c"}
	EOT
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_equal "$(nth 1 | json_get id)" 1
	assert_equal "$(nth 1 | json_get backend)" ollama
	assert_equal "$(nth 2 | json_get error.code)" bad_input
	assert_equal "$(nth 3 | json_get id)" 3
	assert_equal "$(nth 3 | json_get backend)" ollama
	refute json_get error <<<"$(nth 3)"
}

@test "every record of a stream is answered, in order" {
	run --separate-stderr ar-ollama <<-EOT
	{"id":1,"prompt":"a"}
	{"id":2,"prompt":"b"}
	EOT
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(nth 1 | json_get id)" 1
	assert_equal "$(nth 2 | json_get id)" 2
}

@test "OLLAMA_HOST as host:port without a scheme reaches the mock" {
	OLLAMA_HOST=127.0.0.1:$MOCK_PORT run_model ok
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
}

@test "OLLAMA_HOST 0.0.0.0:PORT connects to 127.0.0.1" {
	OLLAMA_HOST=0.0.0.0:$MOCK_PORT run_model ok
	assert_success
	assert_equal "$(json_get finish <<<"$output")" stop
}

@test "-H/--host overrides OLLAMA_HOST" {
	OLLAMA_HOST=$REFUSED_URL run_model ok -H "127.0.0.1:$MOCK_PORT"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
}

@test "--status: reachable, version, pulled, loaded fully in VRAM" {
	run --separate-stderr ar-ollama --status </dev/null
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get host <<<"$output")" "$MOCK_URL"
	assert_equal "$(json_get model <<<"$output")" ok
	assert_equal "$(json_get reachable <<<"$output")" true
	assert_equal "$(json_get version <<<"$output")" 0.12.0
	assert_equal "$(json_get model_pulled <<<"$output")" true
	assert_equal "$(json_get model_loaded <<<"$output")" true
	assert_equal "$(json_get vram_fraction <<<"$output")" 1
	run --separate-stderr ar-ollama --status -m ok:latest </dev/null
	assert_success
	assert_equal "$(json_get model_pulled <<<"$output")" true
}

@test "--status to a full disk: exit 1 and the write error on stderr" {
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr sh -c 'ar-ollama --status </dev/null >/dev/full'
	assert_failure 1
	[[ $stderr == *"ar-ollama: write error on standard output: No space left on device"* ]]
}

@test "--status: a model half in VRAM has vram_fraction 0.5" {
	AR_LOCAL_MODEL=partial run --separate-stderr ar-ollama --status </dev/null
	assert_success
	assert_equal "$(json_get model_loaded <<<"$output")" true
	assert_equal "$(json_get vram_fraction <<<"$output")" 0.5
}

@test "--status: a model not pulled fails with model_pulled false" {
	AR_LOCAL_MODEL=missing run --separate-stderr ar-ollama --status </dev/null
	assert_failure 1
	assert_equal "$(json_get reachable <<<"$output")" true
	assert_equal "$(json_get model_pulled <<<"$output")" false
	assert_equal "$(json_get model_loaded <<<"$output")" false
}

@test "--status: a pulled model that is not loaded" {
	AR_LOCAL_MODEL=prose run --separate-stderr ar-ollama --status </dev/null
	assert_success
	assert_equal "$(json_get model_pulled <<<"$output")" true
	assert_equal "$(json_get model_loaded <<<"$output")" false
	assert_equal "$(json_get vram_fraction <<<"$output")" 0
}

@test "--status: Ollama unreachable gives reachable false and exit 1" {
	OLLAMA_HOST=$REFUSED_URL run --separate-stderr ar-ollama --status </dev/null
	assert_failure 1
	assert_equal "$(json_get reachable <<<"$output")" false
	assert_equal "$(json_get model_pulled <<<"$output")" false
	[[ $(json_get error <<<"$output") == *"cannot connect"* ]]
}

@test "-v logs the timings on stderr, stdout holds only the record" {
	run --separate-stderr ar-ollama -v <<<"$REC"
	assert_success
	assert_equal "${#lines[@]}" 1
	[[ $stderr == *"tokens/s"* ]]
}

@test "--help prints the usage on stdout and exits 0" {
	run --separate-stderr ar-ollama --help
	assert_success
	[[ $output == usage:\ ar-ollama* ]]
	[[ $output == *--status* ]]
}

@test "--version prints the program and package version" {
	run --separate-stderr ar-ollama -V
	assert_success
	[[ $output == "ar-ollama (aurarouter) "* ]]
}

@test "a bad flag or a bad number is a usage error, exit 2, nothing read" {
	run --separate-stderr ar-ollama --no-such-flag <<<"$REC"
	assert_failure 2
	assert_equal "$output" ""
	[[ $stderr == *usage:* ]]
	run --separate-stderr ar-ollama --num-ctx abc <<<"$REC"
	assert_failure 2
	assert_equal "$output" ""
	run --separate-stderr ar-ollama -t -1 <<<"$REC"
	assert_failure 2
}
