#!/usr/bin/env bats
# ar-gemini: the Gemini backend against the mock (test/mock_backend.py):
# the request on the wire, the answer record, every failure mode, the
# retry policy, and the API key never leaking.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
}

REC='{"id":"r1","task":"add two numbers","language":"python"}'

# refute_key: the API key (and GOOGLE_API_KEY when set) is on neither
# stdout nor stderr of the last run.
refute_key() {
	local k
	for k in "$MOCK_KEY" ${GOOGLE_API_KEY:+"$GOOGLE_API_KEY"}; do
		[[ $output != *"$k"* ]] || fail "the API key appears on stdout"
		[[ $stderr != *"$k"* ]] || fail "the API key appears on stderr"
	done
}

# gem [ARGS...]: run ar-gemini on stdin, stdout and stderr apart, and
# check that the key leaked nowhere.
gem() {
	run --separate-stderr ar-gemini "$@"
	refute_key
}

# nreq: how many requests the mock received in this test.
nreq() { mock_requests | grep -c . || true; }

# req_get N PATH: the field at PATH of the mock's Nth logged request.
req_get() { mock_requests | sed -n "${1}p" | json_get "$2"; }

# check EXPR: a python expression over the record r on stdin is true.
check() {
	python3 -c 'import json, sys
r = json.loads(sys.stdin.readline())
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
}

# assert_error CODE: one record, carrying error CODE from ar-gemini, id kept.
assert_error() {
	assert_failure 1
	assert_equal "${#lines[@]}" 1
	assert_equal "$(json_get error.code <<<"$output")" "$1"
	assert_equal "$(json_get error.stage <<<"$output")" ar-gemini
	assert_equal "$(json_get id <<<"$output")" r1
	check '"output" not in r' <<<"$output"
}

@test "ok: output, backend, model, usage, timing and finish STOP; fields pass through" {
	gem <<<"$REC"
	assert_success
	assert_equal "${#lines[@]}" 1
	r=$output
	assert_equal "$(json_get id <<<"$r")" r1
	assert_equal "$(json_get task <<<"$r")" "add two numbers"
	assert_equal "$(json_get backend <<<"$r")" gemini
	assert_equal "$(json_get model <<<"$r")" ok
	assert_equal "$(json_get finish <<<"$r")" STOP
	[[ $(json_get output <<<"$r") == *'```python'*'def add(a, b):'* ]]
	check 'r["usage"]["input_tokens"] > 0 and r["usage"]["output_tokens"] > 0' <<<"$r"
	check 'set(r["timing"]) == {"first_token_ms", "total_ms", "tokens_per_s"}' <<<"$r"
	check '0 <= r["timing"]["first_token_ms"] <= r["timing"]["total_ms"]' <<<"$r"
	check 'r["timing"]["tokens_per_s"] > 0' <<<"$r"
	check '"error" not in r' <<<"$r"
}

@test "the finishReason event on a connection held open: the complete answer at once" {
	SECONDS=0
	gem -m hang-end -t 30 <<<"$REC"
	assert_success
	((SECONDS < 10))
	r=$output
	assert_equal "$(json_get finish <<<"$r")" STOP
	[[ $(json_get output <<<"$r") == *'```python'*'def add(a, b):'* ]]
	check 'r["usage"]["input_tokens"] > 0 and r["usage"]["output_tokens"] == 27' <<<"$r"
	check '"error" not in r' <<<"$r"
	assert_equal "$(nreq)" 1
	assert_equal "$(mock_gone /v1beta/models/hang-end:streamGenerateContent)" 1
}

@test "request: POST streamGenerateContent?alt=sse, key only in x-goog-api-key" {
	gem <<<'{"id":"r1","system":"SYS-MARK","prompt":"PROMPT-MARK"}'
	assert_success
	assert_equal "$(nreq)" 1
	assert_equal "$(req_get 1 method)" POST
	assert_equal "$(req_get 1 path)" /v1beta/models/ok:streamGenerateContent
	assert_equal "$(req_get 1 query)" alt=sse
	assert_equal "$(req_get 1 headers.x-goog-api-key)" "$MOCK_KEY"
	assert_equal "$(req_get 1 headers.content-type)" application/json
	assert_equal "$(req_get 1 body.contents.0.role)" user
	assert_equal "$(req_get 1 body.contents.0.parts.0.text)" PROMPT-MARK
	assert_equal "$(req_get 1 body.systemInstruction.parts.0.text)" SYS-MARK
	assert_equal "$(req_get 1 body.generationConfig.candidateCount)" 1
	assert_equal "$(req_get 1 body.generationConfig.temperature)" 0.1
	mock_requests | K=$MOCK_KEY python3 -c 'import json, os, sys
k = os.environ["K"]
for l in sys.stdin:
    r = json.loads(l)
    assert k not in r["path"] and k not in r["query"] and k not in r["raw"], r'
}

@test "request from a task-only record carries a systemInstruction" {
	gem <<<"$REC"
	assert_success
	run json_get body.systemInstruction.parts.0.text < <(mock_requests)
	assert_success
	[ -n "$output" ]
	[[ $(req_get 1 body.contents.0.parts.0.text) == *"add two numbers"* ]]
}

@test "GOOGLE_API_KEY wins over GEMINI_API_KEY" {
	export GOOGLE_API_KEY="google-$MOCK_KEY"
	gem <<<"$REC"
	assert_success
	assert_equal "$(req_get 1 headers.x-goog-api-key)" "$GOOGLE_API_KEY"
}

@test "no key: no_api_key naming GOOGLE_API_KEY and GEMINI_API_KEY, no request" {
	unset GEMINI_API_KEY
	gem <<<"$REC"
	assert_error no_api_key
	msg=$(json_get error.message <<<"$output")
	[[ $msg == *GOOGLE_API_KEY* && $msg == *GEMINI_API_KEY* ]]
	assert_equal "$(nreq)" 0
}

@test "no key is a per-record error: one error record per input, exit 1" {
	unset GEMINI_API_KEY
	gem <<-EOT
	$REC
	$REC
	EOT
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(sed -n 2p <<<"$output" | json_get error.code)" no_api_key
}

@test "a rejected key (400 API_KEY_INVALID): auth_failed quoting Google, not the key" {
	export GEMINI_API_KEY=bad-key
	gem <<<"$REC"
	assert_error auth_failed
	msg=$(json_get error.message <<<"$output")
	[[ $msg == *"API key not valid"* ]]
	[[ $msg == *GEMINI_API_KEY* ]]
	[[ $msg != *bad-key* && $stderr != *bad-key* ]]
	assert_equal "$(nreq)" 1
}

@test "thought parts are not part of the output" {
	export AR_CLOUD_MODEL=thought
	gem <<<"$REC"
	assert_success
	out=$(json_get output <<<"$output")
	[[ $out == *'def add(a, b):'* ]]
	[[ $out != *"Planning the function"* ]]
}

@test "blocked prompt: blocked, naming SAFETY" {
	export AR_CLOUD_MODEL=blocked
	gem <<<"$REC"
	assert_error blocked
	[[ $(json_get error.message <<<"$output") == *"prompt blocked: SAFETY"* ]]
}

@test "empty answer: empty_answer" {
	export AR_CLOUD_MODEL=empty
	gem <<<"$REC"
	assert_error empty_answer
	assert_equal "$(json_get error.message <<<"$output")" \
	    "Gemini returned an empty answer"
}

@test "429 with retryDelay 1s once: success after one retry" {
	export AR_CLOUD_MODEL=rate-limit-once.$BATS_TEST_NUMBER
	gem <<<"$REC"
	assert_success
	assert_equal "$(json_get model <<<"$output")" "$AR_CLOUD_MODEL"
	[[ $(json_get output <<<"$output") == *'def add'* ]]
	assert_equal "$(nreq)" 2
	[[ $stderr == *retrying* ]]
}

# gap: seconds between the mock's first and second request.
gap() { awk -v a="$(req_get 1 t)" -v b="$(req_get 2 t)" 'BEGIN { print b - a }'; }

@test "429 with retryDelay 2.5s: the retry waits at least the server's delay" {
	# The first backoff is 1 s: only honouring RetryInfo makes it 2.5 s.
	export AR_CLOUD_MODEL=rate-limit-slow-once.$BATS_TEST_NUMBER
	gem <<<"$REC"
	assert_success
	assert_equal "$(nreq)" 2
	awk -v g="$(gap)" 'BEGIN { exit !(g >= 2.45) }'
}

@test "503 with Retry-After: 2: the retry waits at least 2 s" {
	export AR_CLOUD_MODEL=retry-after-once.$BATS_TEST_NUMBER
	gem <<<"$REC"
	assert_success
	assert_equal "$(nreq)" 2
	awk -v g="$(gap)" 'BEGIN { exit !(g >= 1.95) }'
}

@test "a connection closed without an answer is retried" {
	export AR_CLOUD_MODEL=reset-once.$BATS_TEST_NUMBER
	gem <<<"$REC"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(nreq)" 2
	[[ $stderr == *retrying* ]]
}

@test "-q: a retry logs nothing" {
	export AR_CLOUD_MODEL=rate-limit-once.$BATS_TEST_NUMBER
	gem -q <<<"$REC"
	assert_success
	assert_equal "$(nreq)" 2
	assert_equal "$stderr" ""
}

@test "503 once: success after one retry" {
	export AR_CLOUD_MODEL=unavailable-once.$BATS_TEST_NUMBER
	gem <<<"$REC"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(nreq)" 2
}

@test "daily quota: rate_limited after exactly one request" {
	export AR_CLOUD_MODEL=rate-limit-daily
	gem <<<"$REC"
	assert_error rate_limited
	msg=$(json_get error.message <<<"$output")
	[[ $msg == *"1 try"* && $msg == *daily* && $msg == *"exceeded your current quota"* ]]
	assert_equal "$(nreq)" 1
}

@test "retryDelay past the time budget: rate_limited after one request" {
	export AR_CLOUD_MODEL=retry-long
	gem <<<"$REC"
	assert_error rate_limited
	[[ $(json_get error.message <<<"$output") == *"retry delay 3600 s"* ]]
	assert_equal "$(nreq)" 1
}

@test "HTTP 500 every time: server_error after AR_GEMINI_MAX_TRIES (4) requests" {
	export AR_CLOUD_MODEL=http-500
	gem <<<"$REC"
	assert_error server_error
	msg=$(json_get error.message <<<"$output")
	[[ $msg == *"4 tries"* && $msg == *"internal error"* ]]
	assert_equal "$(nreq)" 4
}

@test "HTTP 400: http_error, not retried" {
	export AR_CLOUD_MODEL=http-400
	gem <<<"$REC"
	assert_error http_error
	[[ $(json_get error.message <<<"$output") == *"invalid argument"* ]]
	assert_equal "$(nreq)" 1
}

@test "unknown model (404): model_not_found" {
	export AR_CLOUD_MODEL=missing
	gem <<<"$REC"
	assert_error model_not_found
	[[ $(json_get error.message <<<"$output") == *"'missing'"* ]]
	assert_equal "$(nreq)" 1
}

@test "a raw error object mid-stream: stream_error with Google's message" {
	export AR_CLOUD_MODEL=error-mid
	gem <<<"$REC"
	assert_error stream_error
	[[ $(json_get error.message <<<"$output") == *"internal error"* ]]
}

@test "a stream that ends without finishReason: stream_cut" {
	export AR_CLOUD_MODEL=cut
	gem <<<"$REC"
	assert_error stream_cut
	assert_equal "$(nreq)" 1
}

@test "a connection closed mid-chunk: stream_cut" {
	export AR_CLOUD_MODEL=cut-hard
	gem <<<"$REC"
	assert_error stream_cut
	assert_equal "$(nreq)" 1
}

@test "an event that is not JSON: bad_response quoting it" {
	export AR_CLOUD_MODEL=malformed
	gem <<<"$REC"
	assert_error bad_response
	[[ $(json_get error.message <<<"$output") == *candidates* ]]
}

@test "no answer within AR_TIMEOUT: timeout, in bounded time" {
	export AR_CLOUD_MODEL=hang AR_TIMEOUT=3
	SECONDS=0
	gem <<<"$REC"
	assert_error timeout
	[ "$SECONDS" -lt 60 ]
	assert_equal "$(nreq)" 1
}

@test "-t overrides AR_TIMEOUT" {
	export AR_CLOUD_MODEL=hang AR_TIMEOUT=600
	SECONDS=0
	gem -t 2 <<<"$REC"
	assert_error timeout
	[ "$SECONDS" -lt 60 ]
}

@test "a 100 MB answer: too_large" {
	export AR_CLOUD_MODEL=huge
	gem <<<"$REC"
	assert_error too_large
}

@test "connection refused: connect_failed at once, not retried" {
	export GOOGLE_GEMINI_BASE_URL=$REFUSED_URL
	gem <<<"$REC"
	assert_error connect_failed
	[[ $(json_get error.message <<<"$output") == *"(1 try"* ]]
	[[ $stderr != *retrying* ]]
}

@test "a record carrying error passes untouched, with no request" {
	in='{"id":"r1","task":"x","error":{"stage":"ar-prompt","code":"file_error","message":"m"}}'
	gem <<<"$in"
	assert_failure 1
	assert_equal "$output" "$in"
	assert_equal "$(nreq)" 0
}

@test "a bad JSON line between good records: bad_input for it, the others answered" {
	gem <<-EOT
	{"id":1,"task":"a"}
	{not json
	{"id":3,"task":"c"}
	EOT
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_equal "$(sed -n 1p <<<"$output" | json_get backend)" gemini
	assert_equal "$(sed -n 2p <<<"$output" | json_get error.code)" bad_input
	assert_equal "$(sed -n 3p <<<"$output" | json_get id)" 3
	assert_equal "$(sed -n 3p <<<"$output" | json_get backend)" gemini
	assert_equal "$(nreq)" 2
}

@test "a record without task or prompt: bad_field, no request" {
	gem <<<'{"id":"r1"}'
	assert_error bad_field
	assert_equal "$(nreq)" 0
}

@test "a record with a prompt and a language of the wrong type: bad_field naming it, no request" {
	gem <<<'{"id":"r1","prompt":"x","language":5}'
	assert_error bad_field
	assert_equal "$(json_get error.message <<<"$output")" 'field "language" must be a string, not number'
	gem <<<'{"id":"r1","prompt":"x","file_context":{}}'
	assert_error bad_field
	assert_equal "$(json_get error.message <<<"$output")" 'field "file_context" must be a string, not object'
	assert_equal "$(nreq)" 0
}

@test "-v: the key appears nowhere, whatever happens" {
	for m in ok rate-limit-once.$BATS_TEST_NUMBER http-400 missing \
	    error-mid malformed blocked; do
		AR_CLOUD_MODEL=$m gem -v <<<"$REC"
		[[ $stderr == *streamGenerateContent* ]]
	done
	export GEMINI_API_KEY=bad-key GOOGLE_API_KEY=$MOCK_KEY
	gem -v <<<"$REC"
	assert_success
	mock_requests | K=$MOCK_KEY python3 -c 'import json, os, sys
k = os.environ["K"]
for l in sys.stdin:
    r = json.loads(l)
    assert k not in r["path"] + r["query"] + r["raw"], r'
}

@test "GOOGLE_GEMINI_BASE_URL with a trailing slash works" {
	export GOOGLE_GEMINI_BASE_URL=$MOCK_URL/
	gem <<<"$REC"
	assert_success
	assert_equal "$(req_get 1 path)" /v1beta/models/ok:streamGenerateContent
}

@test "-m overrides AR_CLOUD_MODEL" {
	export AR_CLOUD_MODEL=missing
	gem -m ok <<<"$REC"
	assert_success
	assert_equal "$(json_get model <<<"$output")" ok
	assert_equal "$(req_get 1 path)" /v1beta/models/ok:streamGenerateContent
	gem --model=thought <<<"$REC"
	assert_success
	assert_equal "$(json_get model <<<"$output")" thought
}

@test "--help and --version print on stdout, exit 0" {
	gem --help
	assert_success
	[[ $output == usage:\ ar-gemini* ]]
	gem -h
	assert_success
	gem --version
	assert_success
	[[ $output == "ar-gemini (aurarouter) "* ]]
	gem -V
	assert_success
}

@test "a bad flag or a bad --timeout: usage error, exit 2, nothing read" {
	gem --no-such-flag <<<"$REC"
	assert_failure 2
	assert_equal "$output" ""
	[[ $stderr == *usage:* ]]
	gem -t abc <<<"$REC"
	assert_failure 2
	assert_equal "$output" ""
	assert_equal "$(nreq)" 0
}
