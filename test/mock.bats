#!/usr/bin/env bats
# Tests of the test infrastructure itself: test/mock_backend.py and helper.bash.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() { ar_setup; }

# mcurl ARGS...: curl against the mock, never through a proxy.
mcurl() {
	curl -sS --noproxy '*' --max-time 60 "$@"
}

# gem MODEL [ARGS...]: POST a prompt to Gemini streamGenerateContent (SSE).
gem() {
	local model=$1
	shift
	mcurl -H "x-goog-api-key: $MOCK_KEY" -H 'Content-Type: application/json' \
	    -d '{"contents":[{"role":"user","parts":[{"text":"write add"}]}]}' \
	    "$@" "$MOCK_URL/v1beta/models/$model:streamGenerateContent?alt=sse"
}

@test "mock: Ollama ok stream is NDJSON whose last line is done with usage and valid python" {
	run mcurl -d '{"model":"ok","prompt":"write add"}' "$MOCK_URL/api/generate"
	assert_success
	python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
assert len(lines) > 5, lines
assert all(not l["done"] for l in lines[:-1])
last = lines[-1]
assert last["done"] is True and last["done_reason"] == "stop", last
assert last["eval_count"] == len(lines) - 1 and last["eval_duration"] > 0
assert last["prompt_eval_count"] > 0
text = "".join(l["response"] for l in lines)
code = text.split("```python\n")[1].split("```")[0]
compile(code, "ok", "exec")
' "$output"
}

@test "mock: Gemini SSE events parse and the last has finishReason STOP and usageMetadata" {
	run gem ok.sse
	assert_success
	python3 -c '
import json, sys
evs = [json.loads(e[len("data: "):]) for e in sys.argv[1].split("\r\n\r\n") if e]
assert len(evs) > 5
last = evs[-1]
assert last["candidates"][0]["finishReason"] == "STOP"
u = last["usageMetadata"]
assert u["totalTokenCount"] == u["promptTokenCount"] + u["candidatesTokenCount"]
text = "".join(p["text"] for e in evs for p in e["candidates"][0]["content"]["parts"])
assert text.startswith("```python\n"), text
' "$output"
}

@test "mock: Gemini rate-limit-once answers 429 with RetryInfo first, then 200" {
	run gem rate-limit-once.m1 -w '\n%{http_code}'
	assert_success
	assert_line --index -1 429
	body=$(printf '%s\n' "$output" | sed '$d')
	run json_get error.status <<<"$body"
	assert_output RESOURCE_EXHAUSTED
	run json_get error.details.2.retryDelay <<<"$body"
	assert_output 1s
	run json_get error.details.0.violations.0.quotaId <<<"$body"
	assert_output GenerateRequestsPerMinutePerProjectPerModel-FreeTier
	run gem rate-limit-once.m1 -o /dev/null -w '%{http_code}'
	assert_output 200
}

@test "mock: Gemini key check gives 403 without a key and 400 API_KEY_INVALID for bad-key" {
	run mcurl -d '{"contents":[]}' "$MOCK_URL/v1beta/models/ok:generateContent"
	run json_get error.code <<<"$output"
	assert_output 403
	run mcurl -H 'x-goog-api-key: bad-key' -d '{"contents":[]}' "$MOCK_URL/v1beta/models/ok:generateContent"
	run json_get error.details.0.reason <<<"$output"
	assert_output API_KEY_INVALID
}

@test "mock: request log records method, path, query, lowercased headers and parsed body" {
	gem ok.log >/dev/null
	run mock_requests
	assert_equal "${#lines[@]}" 1
	run json_get headers.x-goog-api-key <<<"$output"
	assert_output "$MOCK_KEY"
	run json_get query < <(mock_requests)
	assert_output alt=sse
	run json_get path < <(mock_requests)
	assert_output /v1beta/models/ok.log:streamGenerateContent
	run json_get body.contents.0.parts.0.text < <(mock_requests)
	assert_output "write add"
	mock_reset_log
	run mock_requests
	assert_output ""
}

@test "mock: hang does not block other requests, Ollama health and tags answer" {
	mcurl --max-time 2 -d '{"model":"hang","prompt":"x"}' "$MOCK_URL/api/generate" 3>&- &
	run mcurl "$MOCK_URL/"
	assert_output "Ollama is running"
	run json_get version < <(mcurl "$MOCK_URL/api/version")
	assert_output 0.12.0
	run mcurl "$MOCK_URL/api/tags"
	assert_output --partial '"name":"ok:latest"'
	refute_output --partial '"missing:latest"'
	run json_get models.1.size_vram < <(mcurl "$MOCK_URL/api/ps")
	assert_output 4000000000
	wait
}

@test "mock: Ollama error-mid ends with an error line and no done line; missing is 404" {
	run mcurl -d '{"model":"error-mid","prompt":"x"}' "$MOCK_URL/api/generate"
	assert_success
	refute_output --partial '"done":true'
	run json_get error <<<"${lines[-1]}"
	assert_output --partial 'unexpected EOF'
	run mcurl -w '\n%{http_code}' -d '{"model":"missing","prompt":"x"}' "$MOCK_URL/api/generate"
	assert_line --index 0 '{"error":"model '\''missing'\'' not found"}'
	assert_line --index 1 404
}

@test "mock: helper sandbox clears AR_ and backend variables and REFUSED_URL refuses" {
	[ "$HOME" = "$BATS_TEST_TMPDIR/home" ]
	[ "$PWD" = "$BATS_TEST_TMPDIR/work" ]
	run env
	refute_line --regexp '^(OLLAMA_|GOOGLE_|GEMINI_|XDG_CONFIG_HOME=)'
	refute_line --regexp '^AR_(LOCAL|CLOUD|MIN|MAX|LOG)'
	assert_line "AR_BIN=$AR_BIN"
	use_mock
	[ "$OLLAMA_HOST" = "$MOCK_URL" ] && [ "$GEMINI_API_KEY" = "$MOCK_KEY" ]
	run curl -sS --noproxy '*' --max-time 10 "$REFUSED_URL/"
	assert_failure 7
	run json_get a.1.b <<<'{"a":[0,{"b":{"c":true}}]}'
	assert_output '{"c":true}'
	run json_get a.2 <<<'{"a":[0,1]}'
	assert_failure
	assert_output ""
}

@test "mock: Ollama think streams thinking chunks with an empty response before the answer" {
	run mcurl -d '{"model":"think","prompt":"write add"}' "$MOCK_URL/api/generate"
	assert_success
	python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
first = next(i for i, l in enumerate(lines) if l["response"])
assert first >= 10, first
assert all(l.get("thinking") and l["response"] == "" for l in lines[:first])
assert not any(l.get("thinking") for l in lines[first:])
' "$output"
	run mcurl -d '{"model":"ok","prompt":"write add","think":true}' -w '\n%{http_code}' "$MOCK_URL/api/generate"
	assert_line --index -1 400
	assert_line --index 0 '{"error":"\"ok\" does not support thinking"}'
}

@test "mock: Ollama ctx-cut reports prompt_eval_count equal to the num_ctx asked" {
	run mcurl -d '{"model":"ctx-cut","prompt":"write add","options":{"num_ctx":2048}}' "$MOCK_URL/api/generate"
	assert_success
	assert_equal "$(tail -n 1 <<<"$output" | json_get prompt_eval_count)" 2048
}

@test "mock: Gemini bom, cr, index-order, safety-mid and bad-gateway-once as a real server sends them" {
	gem bom >bom.out
	assert_equal "$(head -c 3 bom.out | od -An -tx1 | tr -d ' ')" efbbbf
	gem cr >cr.out
	python3 -c '
import sys
d = open("cr.out", "rb").read()
assert b"\n" not in d and d.count(b"\r\r") > 5, d[:200]
'
	run gem index-order
	python3 -c '
import json, sys
ev = json.loads(sys.argv[1].split("\r\n\r\n")[0][len("data: "):])
assert [c["index"] for c in ev["candidates"]] == [1, 0], ev
' "$output"
	run gem safety-mid
	python3 -c '
import json, sys
evs = [json.loads(e[len("data: "):]) for e in sys.argv[1].split("\r\n\r\n") if e]
assert evs[-1]["candidates"][0]["finishReason"] == "SAFETY"
assert "".join(p["text"] for e in evs for p in e["candidates"][0]["content"]["parts"])
' "$output"
	run gem bad-gateway-once.m1 -o /dev/null -w '%{http_code}'
	assert_output 502
	run gem bad-gateway-once.m1 -o /dev/null -w '%{http_code}'
	assert_output 200
}

@test "mock: a request sent as to a proxy is logged proxied, with its Host" {
	run curl -sS --max-time 60 --proxy "$MOCK_URL" http://ollama.invalid:11434/api/version
	assert_success
	assert_equal "$(json_get version <<<"$output")" "0.12.0"
	mock_requests | tail -n 1 | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
assert r["proxied"] is True and r["path"] == "/api/version", r
assert r["headers"]["host"] == "ollama.invalid:11434", r
'
}
