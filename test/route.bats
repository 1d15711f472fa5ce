#!/usr/bin/env bats
# ar-route: local first, validated, cloud fallback.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
	export AR_FIRST_TOKEN_TIMEOUT=30 AR_TIMEOUT=60
}

TASK='{"id":"t1","task":"add two numbers","language":"python"}'

# route [ARGS...]: run ar-route on $TASK.
route() { run --separate-stderr ar-route "$@" <<<"$TASK"; }

# requests_to PATTERN: how many logged requests have a path matching PATTERN.
requests_to() { mock_requests | grep -c "\"path\": *\"[^\"]*$1" || true; }

# fell_back CODE: the record came from Gemini after a local failure CODE.
fell_back() {
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get valid <<<"$output")" true
	assert_equal "$(json_get attempts.0.backend <<<"$output")" ollama
	assert_equal "$(json_get attempts.0.ok <<<"$output")" false
	assert_equal "$(json_get attempts.0.error.code <<<"$output")" "$1"
	assert_equal "$(json_get attempts.1.backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.1.ok <<<"$output")" true
	[[ $stderr == *"☁️ [CLOUD]"*"local failed: $1"* ]]
	[[ $stderr != *"⚡ [LOCAL]"* ]]
}

# rejected REASON: the local answer was rejected by validation.
rejected() {
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.ok <<<"$output")" false
	[[ $(json_get attempts.0.reasons <<<"$output") == *"$1"* ]]
	[[ $stderr == *"☁️ [CLOUD]"*"invalid code"* ]]
}

@test "a local answer is validated, logged as LOCAL and carries every field" {
	route
	assert_success
	assert_equal "$(json_get id <<<"$output")" t1
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get model <<<"$output")" ok
	assert_equal "$(json_get valid <<<"$output")" true
	code=$(json_get code <<<"$output")
	[[ $code == *"def "* ]]
	[[ $code != *'```'* ]]
	[[ $(json_get usage.output_tokens <<<"$output") -gt 0 ]]
	json_get timing.total_ms <<<"$output" >/dev/null
	json_get timing.first_token_ms <<<"$output" >/dev/null
	json_get timing.tokens_per_s <<<"$output" >/dev/null
	assert_equal "$(json_get attempts <<<"$output" | grep -o '"backend"' | wc -l)" 1
	assert_equal "$(json_get attempts.0.ok <<<"$output")" true
	[[ $(grep -c '⚡ \[LOCAL\]' <<<"$stderr") -eq 1 ]]
	[[ $stderr == *'⚡ [LOCAL] ok answered in'*'id="t1"'* ]]
	[[ $stderr != *CLOUD* ]]
	assert_equal "$(requests_to 'streamGenerateContent')" 0
}

@test "a record with a prompt from ar-prompt is routed the same way" {
	run --separate-stderr bash -c "ar-prompt <<<'$TASK' | ar-route"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get id <<<"$output")" t1
	# The prompt the model got is ar-prompt's.
	mock_requests | grep '/api/generate' | grep -q 'add two numbers'
}

@test "refused connection: falls back to the cloud at once" {
	export OLLAMA_HOST=$REFUSED_URL
	route
	fell_back connect_failed
	[[ $(json_get code <<<"$output") == *"def "* ]]
}

@test "model not pulled: the status check skips local without a generate call" {
	export AR_LOCAL_MODEL=missing
	route
	fell_back model_not_found
	assert_equal "$(requests_to '/api/generate')" 0
	assert_equal "$(requests_to '/api/tags')" 1
}

@test "the status check is cached across the records of a stream" {
	export AR_LOCAL_MODEL=missing
	run --separate-stderr ar-route <<<"$TASK
$TASK
$TASK"
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_equal "$(requests_to '/api/tags')" 1
	assert_equal "$(grep -c '☁️ \[CLOUD\]' <<<"$stderr")" 3
}

@test "no first token within AR_FIRST_TOKEN_TIMEOUT: falls back" {
	export AR_LOCAL_MODEL=hang AR_FIRST_TOKEN_TIMEOUT=1
	route
	fell_back timeout
}

@test "AR_TIMEOUT exceeded mid-stream: falls back" {
	export AR_LOCAL_MODEL=hang-mid AR_TIMEOUT=3
	route
	fell_back timeout
}

@test "tokens/s below AR_MIN_TPS: falls back with too_slow" {
	export AR_LOCAL_MODEL=slow AR_MIN_TPS=5
	route
	fell_back too_slow
}

@test "HTTP 500 from Ollama: falls back" {
	export AR_LOCAL_MODEL=http-500
	route
	fell_back server_error
}

@test "malformed stream: falls back" {
	export AR_LOCAL_MODEL=malformed
	route
	fell_back bad_response
}

@test "cut stream: falls back" {
	export AR_LOCAL_MODEL=cut
	route
	fell_back stream_cut
}

@test "error line mid-stream: falls back" {
	export AR_LOCAL_MODEL=error-mid
	route
	fell_back stream_error
}

@test "a refusal is rejected by validation and goes to the cloud" {
	export AR_LOCAL_MODEL=refusal
	route
	rejected refusal
}

@test "a syntax error is rejected by validation and goes to the cloud" {
	export AR_LOCAL_MODEL=syntax-error
	route
	rejected syntax
}

@test "an empty answer is rejected and goes to the cloud" {
	export AR_LOCAL_MODEL=empty
	route
	rejected empty
}

@test "a truncated answer is rejected and goes to the cloud" {
	export AR_LOCAL_MODEL=truncated
	route
	rejected truncated
}

@test "degenerate repetition is rejected and goes to the cloud" {
	export AR_LOCAL_MODEL=repeat
	route
	rejected repetition
}

@test "both backends fail: an error explaining each attempt, exit 1" {
	export AR_LOCAL_MODEL=missing AR_CLOUD_MODEL=http-400
	route
	assert_failure 1
	assert_equal "$(json_get id <<<"$output")" t1
	assert_equal "$(json_get valid <<<"$output")" false
	assert_equal "$(json_get error.stage <<<"$output")" ar-route
	assert_equal "$(json_get error.code <<<"$output")" all_failed
	msg=$(json_get error.message <<<"$output")
	[[ $msg == *"ollama missing: model_not_found"* ]]
	[[ $msg == *"gemini http-400: http_error"* ]]
	assert_equal "$(json_get attempts.0.error.code <<<"$output")" model_not_found
	assert_equal "$(json_get attempts.1.error.code <<<"$output")" http_error
	[[ $stderr == *all_failed* ]]
	json_get code <<<"$output" && fail "a failed record must not carry code"
	true
}

@test "local fails and the cloud answers invalid code: all_failed with both reasons" {
	export AR_LOCAL_MODEL=refusal AR_CLOUD_MODEL=syntax-error
	route
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" all_failed
	[[ $(json_get attempts.0.reasons <<<"$output") == *refusal* ]]
	[[ $(json_get attempts.1.reasons <<<"$output") == *syntax* ]]
}

@test "--local-only never calls the cloud" {
	export OLLAMA_HOST=$REFUSED_URL
	route --local-only
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" all_failed
	assert_equal "$(json_get attempts.0.error.code <<<"$output")" connect_failed
	json_get attempts.1 <<<"$output" && fail "only one attempt expected"
	assert_equal "$(requests_to 'GenerateContent')" 0
}

@test "--cloud-only never calls the local model" {
	route --cloud-only
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.backend <<<"$output")" gemini
	assert_equal "$(requests_to '/api/')" 0
	[[ $stderr == *"☁️ [CLOUD]"*"cloud only"* ]]
}

@test "--local-only and --cloud-only together are a usage error" {
	route --local-only --cloud-only
	assert_failure 2
	assert_output ""
}

@test "model and timeout flags override the environment" {
	export AR_LOCAL_MODEL=missing AR_CLOUD_MODEL=missing
	route --local-model ok --cloud-model http-400 --num-ctx 1234
	assert_success
	assert_equal "$(json_get model <<<"$output")" ok
	mock_requests | grep '/api/generate' | grep -q '"num_ctx": *1234'
	export AR_LOCAL_MODEL=hang
	route -T 1 --cloud-model ok
	fell_back timeout
	route --timeout nope
	assert_failure 2
	[[ $stderr == *--timeout* ]]
}

@test "-r prints only the code" {
	route -r
	assert_success
	[[ $output == *"def "* ]]
	[[ $output != *'{'*'"backend"'* ]]
	[[ $output != *'```'* ]]
	python3 -c 'import sys; compile(sys.stdin.read(), "<code>", "exec")' <<<"$output"
}

@test "-r: a failed record writes nothing on stdout and its error on stderr" {
	export AR_LOCAL_MODEL=missing AR_CLOUD_MODEL=missing
	route -r
	assert_failure 1
	assert_output ""
	[[ $stderr == *all_failed* ]]
}

@test "pass-through fields survive routing" {
	run --separate-stderr ar-route <<<'{"id":42,"path":"out/x.py","meta":{"k":[1,"é"]},"task":"t","language":"python"}'
	assert_success
	assert_equal "$(json_get id <<<"$output")" 42
	assert_equal "$(json_get path <<<"$output")" out/x.py
	assert_equal "$(json_get meta <<<"$output")" '{"k":[1,"é"]}'
}

@test "a bad line between good ones: three records, the middle one bad_input" {
	run --separate-stderr ar-route <<<"$TASK
{oops
$TASK"
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_equal "$(sed -n 1p <<<"$output" | json_get backend)" ollama
	assert_equal "$(sed -n 2p <<<"$output" | json_get error.code)" bad_input
	assert_equal "$(sed -n 3p <<<"$output" | json_get backend)" ollama
}

@test "a record without task or prompt is a bad_field error" {
	run --separate-stderr ar-route <<<'{"id":1}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" bad_field
}

@test "a record carrying an error passes untouched" {
	rec='{"id":1,"error":{"stage":"ar-prompt","code":"file_error","message":"m"}}'
	run --separate-stderr ar-route <<<"$rec"
	assert_failure 1
	assert_output "$rec"
	rec='{"id":2,"task":"t","error":{"stage":"ar-gemini","code":"timeout","message":"m"}}'
	run --separate-stderr ar-route <<<"$rec"
	assert_failure 1
	assert_output "$rec"
	assert_equal "$(mock_requests | wc -l)" 0
}

@test "an ar-ollama error is a failed local attempt: the cloud answers" {
	rec='{"id":7,"task":"add two numbers","language":"python","model":"big","timing":{"total_ms":1234.4},"error":{"stage":"ar-ollama","code":"timeout","message":"no first token within 60s"}}'
	run --separate-stderr ar-route <<<"$rec"
	assert_success
	assert_equal "$(json_get id <<<"$output")" 7
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get valid <<<"$output")" true
	json_get error <<<"$output" && fail "the error must be removed"
	assert_equal "$(json_get attempts.0 <<<"$output")" \
	    '{"backend":"ollama","model":"big","ok":false,"ms":1234,"error":{"code":"timeout","message":"no first token within 60s"}}'
	assert_equal "$(json_get attempts.1.backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.1.ok <<<"$output")" true
	[[ $stderr == *"☁️ [CLOUD]"*"local failed: timeout: no first token"* ]]
	# Ollama is not asked again, not even for its status.
	assert_equal "$(requests_to '/api/')" 0
	assert_equal "$(requests_to 'GenerateContent')" 1
}

@test "ar-ollama | ar-route: a local failure upstream falls back, model and ms defaulted" {
	export AR_LOCAL_MODEL=http-500
	run --separate-stderr bash -c "ar-prompt <<<'$TASK' | ar-ollama 2>/dev/null | ar-route"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.model <<<"$output")" http-500
	assert_equal "$(json_get attempts.0.ms <<<"$output")" 0
	assert_equal "$(json_get attempts.0.error.code <<<"$output")" server_error
	# --local-only: all_failed with that one attempt.
	mock_reset_log
	run --separate-stderr bash -c "ar-prompt <<<'$TASK' | ar-ollama 2>/dev/null | ar-route --local-only"
	assert_failure 1
	assert_equal "$(json_get error.stage <<<"$output")" ar-route
	assert_equal "$(json_get error.code <<<"$output")" all_failed
	[[ $(json_get error.message <<<"$output") == *"ollama http-500: server_error"* ]]
	assert_equal "$(json_get attempts.0.error.code <<<"$output")" server_error
	json_get attempts.1 <<<"$output" && fail "only one attempt expected"
	assert_equal "$(requests_to 'GenerateContent')" 0
}

@test "ar-ollama | ar-route: the answer on the record is the local attempt, not asked again" {
	run --separate-stderr bash -c "ar-prompt <<<'$TASK' | ar-ollama 2>/dev/null | tee up.json | ar-route"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get valid <<<"$output")" true
	# code is extracted from the output that came on the record
	assert_equal "$(json_get output <<<"$output")" "$(json_get output <up.json)"
	[[ $(json_get output <up.json) == *"$(json_get code <<<"$output")"* ]]
	assert_equal "$(json_get usage <<<"$output")" "$(json_get usage <up.json)"
	ms=$(json_get timing.total_ms <up.json)
	assert_equal "$(json_get attempts <<<"$output")" \
	    "[{\"backend\":\"ollama\",\"model\":\"ok\",\"ok\":true,\"ms\":$(awk "BEGIN { printf \"%d\", $ms + 0.5 }"),\"finish\":\"stop\"}]"
	[[ $stderr == *"⚡ [LOCAL] ok answered"* ]]
	# One generation in all, by ar-ollama; ar-route asks nothing.
	assert_equal "$(requests_to '/api/generate')" 1
	assert_equal "$(requests_to '/api/tags')" 0
	assert_equal "$(requests_to 'GenerateContent')" 0
}

@test "ar-ollama | ar-route: an invalid answer on the record falls back to the cloud" {
	# A refusal, which a repair cannot fix: no further local call.
	export AR_LOCAL_MODEL=refusal
	run --separate-stderr bash -c "ar-prompt <<<'$TASK' | ar-ollama 2>/dev/null | ar-validate 2>/dev/null | ar-route"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.backend <<<"$output")" ollama
	assert_equal "$(json_get attempts.0.model <<<"$output")" refusal
	assert_equal "$(json_get attempts.0.ok <<<"$output")" false
	[[ $(json_get attempts.0.reasons.0 <<<"$output") == "refusal: I'm sorry"* ]]
	assert_equal "$(json_get attempts.1.backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.1.ok <<<"$output")" true
	json_get attempts.2 <<<"$output" && fail "two attempts expected"
	[[ $stderr == *"☁️ [CLOUD]"*"local failed: invalid code: refusal"* ]]
	# output, code and reasons now describe the cloud's answer
	out=$(json_get output <<<"$output")
	[[ $out != *"sorry"* ]]
	[[ $out == *"$(json_get code <<<"$output")"* ]]
	assert_equal "$(json_get reasons <<<"$output")" '[]'
	assert_equal "$(requests_to '/api/generate')" 1
	assert_equal "$(requests_to 'GenerateContent')" 1
	# --local-only: the rejected answer is the only attempt.
	mock_reset_log
	run --separate-stderr bash -c "ar-prompt <<<'$TASK' | ar-ollama 2>/dev/null | ar-route --local-only"
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" all_failed
	[[ $(json_get error.message <<<"$output") == *"ollama refusal: invalid code: refusal: "* ]]
	json_get attempts.1 <<<"$output" && fail "only one attempt expected"
	assert_equal "$(requests_to '/api/generate')" 1
	assert_equal "$(requests_to 'GenerateContent')" 0
}

@test "ar-ollama | ar-route: an answer on the record that a repair can fix is repaired" {
	export AR_LOCAL_MODEL=fixable
	run --separate-stderr bash -c "ar-prompt <<<'$TASK' | ar-ollama 2>/dev/null | ar-route"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	[[ $(json_get attempts.0.reasons.0 <<<"$output") == "syntax error"* ]]
	json_get attempts.0.repair <<<"$output" && fail "the record's answer is no repair"
	assert_equal "$(json_get attempts.1.repair <<<"$output")" true
	assert_equal "$(json_get attempts.1.ok <<<"$output")" true
	# the only local call after ar-ollama's is the repair of its answer
	assert_equal "$(requests_to '/api/generate')" 2
	p=$(mock_requests | grep '/api/generate' | sed -n 2p | json_get body.prompt)
	[[ $p == *"def f(:"* && $p == *"rejected"* ]]
	[[ $(json_get output <<<"$output") != *"def f(:"* ]]
	assert_equal "$(requests_to 'GenerateContent')" 0
}

@test "an answer on the record is not replaced by a cached one" {
	unset AR_NO_CACHE
	run --separate-stderr ar-route <<<"$TASK"
	assert_success
	rec='{"task":"add two numbers","language":"python","output":"```python\ndef plus(a, b):\n    return a + b\n```","backend":"ollama","model":"ok"}'
	run --separate-stderr ar-route <<<"$rec"
	assert_success
	json_get cached <<<"$output" && fail "answered from the cache"
	[[ $(json_get code <<<"$output") == "def plus(a, b):"* ]]
	assert_equal "$(json_get attempts.0.ok <<<"$output")" true
}

@test "ar-gemini | ar-route: a cloud answer on the record is the cloud's attempt, not sent again" {
	run --separate-stderr bash -c "ar-prompt <<<'$TASK' | ar-gemini 2>/dev/null | ar-route"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get valid <<<"$output")" true
	assert_equal "$(json_get attempts.0.backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.model <<<"$output")" ok
	assert_equal "$(json_get attempts.0.ok <<<"$output")" true
	json_get attempts.1 <<<"$output" && fail "only one attempt expected"
	[[ $stderr == *"☁️ [CLOUD] ok answered"* ]]
	assert_equal "$(requests_to 'GenerateContent')" 1
	assert_equal "$(requests_to '/api/')" 0
	# An invalid cloud answer is not sent again, nor to the local model.
	mock_reset_log
	export AR_CLOUD_MODEL=placeholder
	run --separate-stderr bash -c "ar-prompt <<<'$TASK' | ar-gemini 2>/dev/null | ar-route"
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" all_failed
	assert_equal "$(json_get attempts.0.backend <<<"$output")" gemini
	[[ $(json_get attempts.0.reasons.0 <<<"$output") == "placeholder: "* ]]
	json_get attempts.1 <<<"$output" && fail "only one attempt expected"
	assert_equal "$(requests_to 'GenerateContent')" 1
	assert_equal "$(requests_to '/api/')" 0
}

@test "an output on the record: finish, defaults and field types" {
	# A cut answer (finish length) is rejected and the cloud answers.
	run --separate-stderr ar-route <<<'{"task":"t","language":"python","output":"```python\ndef add(a, b):\n    return a + b\n```","backend":"ollama","model":"m","finish":"length"}'
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.model <<<"$output")" m
	assert_equal "$(json_get attempts.0.finish <<<"$output")" length
	[[ $(json_get attempts.0.reasons.0 <<<"$output") == "truncated: finish length"* ]]
	assert_equal "$(requests_to '/api/')" 0
	# Without backend and model: the local attempt, with the local model;
	# ms 0 without timing.
	mock_reset_log
	run --separate-stderr ar-route <<<'{"task":"t","language":"python","output":"```python\ndef add(a, b):\n    return a + b\n```"}'
	assert_success
	assert_equal "$(json_get attempts <<<"$output")" \
	    '[{"backend":"ollama","model":"ok","ok":true,"ms":0}]'
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get model <<<"$output")" ok
	assert_equal "$(mock_requests | wc -l)" 0
	# Wrong types and an unknown engine are bad_field, nothing is asked.
	for f in 'output:5' 'backend:1' 'backend:"vllm"' 'model:[]' 'finish:{}'; do
		name=${f%%:*}
		rec="{\"task\":\"t\",\"output\":\"x\",\"$name\":${f#*:}}"
		run --separate-stderr ar-route <<<"$rec"
		assert_failure 1
		assert_equal "$(json_get error.code <<<"$output")" bad_field
		[[ $(json_get error.message <<<"$output") == "field \"$name\""* ]]
	done
	assert_equal "$(mock_requests | wc -l)" 0
}

@test "the language of the answer's code block is added when the record has none" {
	run --separate-stderr ar-route <<<'{"task":"add two numbers"}'
	assert_success
	assert_equal "$(json_get language <<<"$output")" python
	export AR_LOCAL_MODEL=ok-sh
	run --separate-stderr ar-route <<<'{"task":"t","language":null}'
	assert_success
	assert_equal "$(json_get language <<<"$output")" sh
	# A requested language is kept as written.
	run --separate-stderr ar-route <<<'{"task":"t","language":"bash"}'
	assert_success
	assert_equal "$(json_get language <<<"$output")" bash
}

@test "a record with a prompt gets its language, file_context and files type-checked" {
	for f in language:5 file_context:[] 'files:"a.c"' 'files:[1]'; do
		name=${f%%:*}
		run --separate-stderr ar-route <<<"{\"prompt\":\"x\",\"$name\":${f#*:}}"
		assert_failure 1
		assert_equal "$(json_get error.stage <<<"$output")" ar-route
		assert_equal "$(json_get error.code <<<"$output")" bad_field
		[[ $(json_get error.message <<<"$output") == "field \"$name\""* ]]
	done
	assert_equal "$(mock_requests | wc -l)" 0
}

@test "the status check expires after 5 s" {
	run --separate-stderr ar-route < <(echo "$TASK"; sleep 6; echo "$TASK")
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(requests_to '/api/tags')" 2
	assert_equal "$(requests_to '/api/generate')" 2
}

@test "-j: records run in parallel and come out in input order" {
	# Every local call hangs until the first-token timeout, then the
	# cloud answers. Run in parallel, all four local calls start before
	# any cloud call; one after the other, they would alternate.
	export AR_LOCAL_MODEL=hang AR_FIRST_TOKEN_TIMEOUT=3
	for i in 1 2 3 4; do
		echo "{\"id\":$i,\"task\":\"t$i\",\"language\":\"python\"}"
	done >in.jsonl
	run --separate-stderr ar-route -j 4 <in.jsonl
	assert_success
	assert_equal "${#lines[@]}" 4
	for i in 1 2 3 4; do
		assert_equal "$(sed -n ${i}p <<<"$output" | json_get id)" "$i"
	done
	order=$(mock_requests | grep -o '"path": *"[^"]*"' | grep -v tags | sed 's/.*\(generate\|Content\).*/\1/' | tr '\n' ' ')
	assert_equal "$order" "generate generate generate generate Content Content Content Content "
}

@test "-j keeps the order when later records finish first" {
	# The mock answers record 1 two seconds late; 2 to 6 answer at once.
	echo '{"id":1,"task":"t1 mock-delay-ms=2000","language":"python"}' >in.jsonl
	for i in 2 3 4 5 6; do
		echo "{\"id\":$i,\"task\":\"t$i\",\"language\":\"python\"}"
	done >>in.jsonl
	run --separate-stderr ar-route -j 3 <in.jsonl
	assert_success
	assert_equal "${#lines[@]}" 6
	for i in 1 2 3 4 5 6; do
		assert_equal "$(sed -n ${i}p <<<"$output" | json_get id)" "$i"
	done
	# Record 1 really finished after the others (decision lines are
	# logged as records finish).
	first=$(grep -n 'id=1$' <<<"$stderr" | cut -d: -f1)
	second=$(grep -n 'id=2$' <<<"$stderr" | cut -d: -f1)
	[[ $first -gt $second ]]
}

@test "connections are kept alive across the records of a stream, per backend" {
	for i in 1 2 3; do echo "$TASK"; done >in.jsonl
	run --separate-stderr ar-route <in.jsonl
	assert_success
	peers=$(mock_requests | grep '/api/generate' | grep -o '"peer":[0-9]*' | sort -u | wc -l)
	assert_equal "$(mock_requests | grep -c '/api/generate')" 3
	assert_equal "$peers" 1
	mock_reset_log
	run --separate-stderr ar-route --cloud-only <in.jsonl
	assert_success
	assert_equal "$(mock_requests | grep -c 'GenerateContent')" 3
	peers=$(mock_requests | grep -o '"peer":[0-9]*' | sort -u | wc -l)
	assert_equal "$peers" 1
}

@test "-j rejects zero and non-numbers" {
	route -j 0
	assert_failure 2
	route -j x
	assert_failure 2
}

@test "-q silences the decision lines, -v adds detail" {
	route -q
	assert_success
	assert_equal "$stderr" ""
	route
	assert_success
	[[ $stderr == *"⚡ [LOCAL]"* ]]
	[[ $stderr != *"first token"* ]]
	route -v
	assert_success
	[[ $stderr == *"⚡ [LOCAL]"* ]]
	[[ $stderr == *"ollama ok: first token "*" ms, total "*" tokens/s, "*" tokens"* ]]
}

@test "the API key appears in no output of a fallback" {
	export OLLAMA_HOST=$REFUSED_URL
	route -v
	assert_success
	[[ $output != *"$MOCK_KEY"* ]]
	[[ $stderr != *"$MOCK_KEY"* ]]
}

@test "examples/Makefile generates every file with make -j" {
	cp -r "$AR_TEST_DIR/../examples" ex
	run make -C ex -j3 AR="$AR_BIN"
	assert_success
	for t in ex/tasks/*.task; do
		f=ex/out/$(basename "$t" .task).py
		[ -s "$f" ]
		python3 -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' "$f"
	done
	[ "$(ls ex/out | wc -l)" -eq "$(ls ex/tasks | wc -l)" ]
}

@test "examples/Makefile: a failed generation leaves no partial target and make fails" {
	cp -r "$AR_TEST_DIR/../examples" ex
	export AR_LOCAL_MODEL=missing AR_CLOUD_MODEL=missing
	run make -C ex -j3 -k AR="$AR_BIN"
	assert_failure
	[[ $output == *all_failed* ]]
	[ -z "$(ls ex/out 2>/dev/null)" ]
}

@test "-r with no record at all is an error, not an empty success" {
	run --separate-stderr ar-route -r </dev/null
	assert_failure 1
	assert_output ""
	[[ $stderr == *"ar-route: no record on standard input"* ]]
	run --separate-stderr ar-route </dev/null
	assert_success
	assert_output ""
}

@test "examples/Makefile: a failed ar-prompt fails the target and leaves no empty one" {
	cp -r "$AR_TEST_DIR/../examples" ex
	run make -C ex -j3 -k AR="$AR_BIN" AR_LANGUAGE=
	assert_failure
	[[ $output == *"ar-prompt"* ]]
	[ -z "$(ls ex/out 2>/dev/null)" ]
	run make -C ex -k -q AR="$AR_BIN" AR_LANGUAGE=
	assert_failure
}

# fake_prompt_bin DIR: programs where ar-prompt writes its record and then
# fails, so only pipefail can see the failure.
fake_prompt_bin() {
	mkdir -p "$1"
	printf '#!/bin/sh\n"%s/ar-prompt" "$@"\nexit 1\n' "$AR_BIN" >"$1/ar-prompt"
	chmod +x "$1/ar-prompt"
	ln -s "$AR_BIN/ar-route" "$1/ar-route"
}

@test "examples/Makefile uses pipefail: a failure early in the pipe fails the target" {
	cp -r "$AR_TEST_DIR/../examples" ex
	fake_prompt_bin fake
	run make -C ex -j3 -k AR="$PWD/fake"
	assert_failure
	[ -z "$(ls ex/out 2>/dev/null)" ]
}

@test "the README's Makefile recipe uses pipefail" {
	mkdir -p rd/tasks
	sed -n '/^```make$/,/^```$/p' "$AR_TEST_DIR/../README.md" | sed '1d;$d' >rd/Makefile
	grep -q 'out/%.py' rd/Makefile
	echo 'add two numbers' >rd/tasks/add.task
	fake_prompt_bin fake
	PATH=$PWD/fake:$PATH run make -C rd out/add.py
	assert_failure
	[ ! -e rd/out/add.py ]
	PATH=$AR_BIN:$PATH run make -C rd out/add.py
	assert_success
	[ -s rd/out/add.py ]
}

@test "a stray operand is named, not only the usage shown" {
	run --separate-stderr ar-route tasks.jsonl </dev/null
	assert_failure 2
	assert_output ""
	[[ $stderr == *"ar-route: unexpected operand 'tasks.jsonl': records are read from standard input"* ]]
	[[ $stderr == *"usage: ar-route"* ]]
	run --separate-stderr ar-validate x.py </dev/null
	assert_failure 2
	[[ $stderr == *"ar-validate: unexpected operand 'x.py'"* ]]
}

# readme_install: the README's first command, up to its first &&.
readme_install() {
	sed -n '/^```sh$/,/^```$/p' "$AR_TEST_DIR/../README.md" | sed -n 2p |
	    sed 's/ && .*//'
}

@test "the README's first command runs with sudo when there is one, and without it when not" {
	cmd=$(readme_install)
	[[ $cmd == *"apt-get install -y build-essential"* ]]
	mkdir nosudo withsudo
	printf '#!/bin/sh\necho "apt-get $1 ran"\n' >nosudo/apt-get
	printf '#!/bin/sh\necho "sudo ran"\nexec "$@"\n' >withsudo/sudo
	cp nosudo/apt-get withsudo/apt-get
	chmod +x nosudo/* withsudo/*
	# A fresh Debian container: root, no sudo.
	PATH=$PWD/nosudo run "$BASH" -c "$cmd"
	assert_success
	assert_output "apt-get install ran"
	# A user's machine: sudo is there.
	PATH=$PWD/withsudo run "$BASH" -c "$cmd"
	assert_success
	assert_output $'sudo ran\napt-get install ran'
}

@test "trust: a cloned ./.env cannot send the user's key to its own URL" {
	# The key lives in the user's file, as the README recommends; a
	# repository's .env points the cloud backend at its own host.
	unset GEMINI_API_KEY GOOGLE_GEMINI_BASE_URL
	mkdir -p "$HOME/.config/aurarouter"
	echo "GEMINI_API_KEY=$MOCK_KEY" >"$HOME/.config/aurarouter/env"
	chmod 600 "$HOME/.config/aurarouter/env"
	echo "GOOGLE_GEMINI_BASE_URL=$MOCK_URL" >.env
	mock_reset_log
	run --separate-stderr ar-route --local-model missing <<<"$TASK"
	assert_failure 2
	assert_output ""
	[[ $stderr == *"./.env sets GOOGLE_GEMINI_BASE_URL, but the key GEMINI_API_KEY comes from $HOME/.config/aurarouter/env"* ]]
	[[ $stderr != *"$MOCK_KEY"* ]]
	assert_equal "$(mock_requests)" ""
}
