#!/usr/bin/env bats
# What real models and servers send (DESIGN.md, "What real models send"):
# reasoning, context overflow, provider stops, placeholders, Gemini stream
# details and proxies, in ar-ollama, ar-gemini, ar-validate, ar-route and
# ar-mcp, against the mock backend.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
	export AR_FIRST_TOKEN_TIMEOUT=30 AR_TIMEOUT=60
}

REC='{"id":"r1","prompt":"write a function that adds two numbers","system":"code only"}'
TASK='{"id":"t1","task":"add two numbers","language":"python"}'
THINKING='Okay, the user wants'

# last_request PATH_PATTERN FIELD: FIELD of the body of the last logged
# request whose path matches PATH_PATTERN.
last_request() {
	mock_requests | grep "\"path\": *\"[^\"]*$1" | tail -n 1 |
	    json_get "body${2:+.$2}"
}

# requests_to PATTERN: how many logged requests have a path matching it.
requests_to() { mock_requests | grep -c "\"path\": *\"[^\"]*$1" || true; }

# check EXPR: a python expression over the record r on stdin is true.
check() {
	python3 -c 'import json, sys
r = json.loads(sys.stdin.readline())
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
}

# answer TEXT [LANG] [FINISH]: a record for ar-validate.
answer() {
	python3 -c 'import json, sys
r = {"output": sys.argv[1]}
if len(sys.argv) > 2 and sys.argv[2]:
    r["language"] = sys.argv[2]
if len(sys.argv) > 3 and sys.argv[3]:
    r["finish"] = sys.argv[3]
print(json.dumps(r))' "$@"
}

# validate TEXT [LANG] [FINISH]: ar-validate (no syntax check) on it.
validate() {
	run --separate-stderr ar-validate --no-syntax-check < <(answer "$@")
}

# big_task BYTES: a task record whose file_context is BYTES long.
big_task() {
	python3 -c 'import json, sys
n = int(sys.argv[1])
line = "value_%06d = compute(%d)  # a line of the file being edited\n"
ctx = "".join(line % (i, i) for i in range(n // 50 + 1))[:n]
print(json.dumps({"id": "big", "task": "add a docstring to compute",
                  "language": "python", "file_context": ctx}))' "$1"
}

# ---- reasoning ----------------------------------------------------------

@test "thinking chunks count as the first token: a model thinking for 4 s passes -T 1" {
	AR_LOCAL_MODEL=think run --separate-stderr ar-ollama -T 1 <<<"$REC"
	assert_success
	assert_equal "$(json_get finish <<<"$output")" stop
	[[ $(json_get output <<<"$output") == *"def add"* ]]
	[[ $(json_get output <<<"$output") != *"$THINKING"* ]]
	check 'r["timing"]["first_token_ms"] is not None' <<<"$output"
	check '"thinking_tokens" not in r["usage"]' <<<"$output"
}

@test "thinking chunks count for the tokens/s floor after the grace period" {
	AR_MIN_TPS=2 AR_LOCAL_MODEL=think run --separate-stderr ar-ollama <<<"$REC"
	assert_success
	[[ $(json_get output <<<"$output") == *"def add"* ]]
}

@test "AR_LOCAL_THINK reaches Ollama as think; unset sends nothing" {
	AR_LOCAL_THINK=high AR_LOCAL_MODEL=think run --separate-stderr ar-ollama <<<"$REC"
	assert_success
	assert_equal "$(last_request /api/generate think)" high
	AR_LOCAL_THINK=False AR_LOCAL_MODEL=think run --separate-stderr ar-ollama <<<"$REC"
	assert_success
	assert_equal "$(last_request /api/generate think)" false
	AR_LOCAL_THINK=true AR_LOCAL_MODEL=think run --separate-stderr ar-ollama <<<"$REC"
	assert_equal "$(last_request /api/generate think)" true
	run --separate-stderr ar-ollama <<<"$REC"
	assert_success
	run ! last_request /api/generate think
}

@test "ar-route passes AR_LOCAL_THINK and a thinking model answers locally under -T 1" {
	AR_LOCAL_THINK=medium AR_LOCAL_MODEL=think AR_FIRST_TOKEN_TIMEOUT=1 \
		run --separate-stderr ar-route <<<"$TASK"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	assert_equal "$(json_get valid <<<"$output")" true
	assert_equal "$(last_request /api/generate think)" medium
	assert_equal "$(requests_to streamGenerateContent)" 0
}

@test "AR_CLOUD_THINKING: a level is thinkingLevel, a number thinkingBudget, unset nothing" {
	AR_CLOUD_THINKING=low run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	assert_equal "$(last_request streamGenerateContent generationConfig.thinkingConfig)" '{"thinkingLevel":"LOW"}'
	AR_CLOUD_THINKING=2048 run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	assert_equal "$(last_request streamGenerateContent generationConfig.thinkingConfig)" '{"thinkingBudget":2048}'
	AR_CLOUD_THINKING=-1 run --separate-stderr ar-route --cloud-only <<<"$TASK"
	assert_success
	assert_equal "$(last_request streamGenerateContent generationConfig.thinkingConfig)" '{"thinkingBudget":-1}'
	run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	run ! last_request streamGenerateContent generationConfig.thinkingConfig
}

@test "Gemini thought parts are never the answer and thoughtsTokenCount is usage.thinking_tokens" {
	AR_CLOUD_MODEL=thought run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	assert_equal "$(json_get usage.thinking_tokens <<<"$output")" 12
	[[ $(json_get output <<<"$output") != *Planning* ]]
	AR_CLOUD_MODEL=thought run --separate-stderr ar-route --cloud-only <<<"$TASK"
	assert_success
	assert_equal "$(json_get usage.thinking_tokens <<<"$output")" 12
	[[ $(json_get code <<<"$output") != *Planning* ]]
}

@test "Gemini thought parts are skipped in a whole (not SSE) response too" {
	AR_CLOUD_MODEL=unary-thought run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	assert_equal "$(json_get finish <<<"$output")" STOP
	[[ $(json_get output <<<"$output") == '```python'* ]]
	[[ $(json_get output <<<"$output") != *Planning* ]]
	assert_equal "$(json_get usage.thinking_tokens <<<"$output")" 12
}

@test "a bad AR_LOCAL_THINK or AR_CLOUD_THINKING stops only the programs that use it" {
	export AR_LOCAL_THINK=maybe
	run --separate-stderr ar-ollama <<<"$REC"
	assert_failure 2
	assert_output ""
	[[ $stderr == *AR_LOCAL_THINK*maybe* ]]
	run --separate-stderr ar-route <<<"$TASK"
	assert_failure 2
	[[ $stderr == *AR_LOCAL_THINK* ]]
	run --separate-stderr ar-mcp </dev/null
	assert_failure 2
	[[ $stderr == *AR_LOCAL_THINK* ]]
	run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	run --separate-stderr ar-validate < <(answer $'```python\nx = 1\ny = 2\n```')
	assert_success
	unset AR_LOCAL_THINK
	for v in extreme 1.5 9999999999; do
		AR_CLOUD_THINKING=$v run --separate-stderr ar-gemini <<<"$TASK"
		assert_failure 2
		[[ $stderr == *AR_CLOUD_THINKING* ]]
	done
	AR_CLOUD_THINKING=extreme run --separate-stderr ar-ollama <<<"$REC"
	assert_success
	AR_CLOUD_THINKING=extreme run --separate-stderr ar-prompt -t x
	assert_success
	AR_MAX_CTX=lots run --separate-stderr ar-ollama <<<"$REC"
	assert_failure 2
	[[ $stderr == *AR_MAX_CTX* ]]
	AR_MAX_CTX=lots run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
}

@test "an inline <think> block is removed before extraction: its longer draft is not the code" {
	AR_LOCAL_MODEL=think-inline run --separate-stderr ar-ollama <<<"$REC"
	assert_success
	[[ $(json_get output <<<"$output") == *"<think>"* ]]
	run --separate-stderr ar-validate --no-syntax-check <<<"$output"
	assert_success
	code=$(json_get code <<<"$output")
	[[ $code == *"def add(a, b):"* ]]
	[[ $code != *"def total"* ]]
	AR_LOCAL_MODEL=think-inline run --separate-stderr ar-route <<<"$TASK"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	[[ $(json_get code <<<"$output") == *"def add(a, b):"* ]]
	[[ $(json_get code <<<"$output") != *"def total"* ]]
}

@test "thinking forms: an opening tag left to the template, <thinking>, thinking cut off" {
	validate $'The user wants a function.\n```python\ndef draft():\n    return 1 + 2 + 3\n```\n</think>\n\n```python\nadd = lambda a, b: a + b\n```'
	assert_success
	assert_equal "$(json_get code <<<"$output")" "add = lambda a, b: a + b"
	validate $'<thinking>\n```python\ndef draft():\n    return 1 + 2 + 3\n```\n</thinking>\n```python\nadd = lambda a, b: a + b\n```'
	assert_equal "$(json_get code <<<"$output")" "add = lambda a, b: a + b"
	validate $'<think>\nLet me write:\n```python\ndef add(a, b):\n    return a + b\n```\n' python length
	assert_failure 1
	assert_equal "$(json_get code <<<"$output")" ""
	# A tag inside a line of code is code.
	validate $'```python\nEND = "</think>"\nprint(END.upper())\n```' python
	assert_success
	[[ $(json_get code <<<"$output") == *'END = "</think>"'* ]]
}

# ---- context ------------------------------------------------------------

@test "a prompt that cannot fit num_ctx is not sent: context_overflow naming AR_MAX_CTX" {
	run --separate-stderr ar-ollama < <(big_task 30000)
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" context_overflow
	assert_equal "$(json_get error.stage <<<"$output")" ar-ollama
	[[ $(json_get error.message <<<"$output") == *AR_MAX_CTX* ]]
	assert_equal "$(requests_to /api/generate)" 0
}

@test "AR_MAX_CTX lets the request ask for a larger num_ctx, in steps of 1024" {
	AR_MAX_CTX=32768 run --separate-stderr ar-ollama < <(big_task 30000)
	assert_success
	n=$(last_request /api/generate options.num_ctx)
	[[ $n -gt 10000 && $n -le 32768 && $((n % 1024)) -eq 0 ]]
	# A small prompt keeps AR_NUM_CTX.
	AR_MAX_CTX=32768 run --separate-stderr ar-ollama <<<"$REC"
	assert_equal "$(last_request /api/generate options.num_ctx)" 4096
}

@test "ar-route skips the local tier on context_overflow and the cloud answers" {
	run --separate-stderr ar-route < <(big_task 30000)
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.backend <<<"$output")" ollama
	assert_equal "$(json_get attempts.0.error.code <<<"$output")" context_overflow
	assert_equal "$(json_get attempts.1.ok <<<"$output")" true
	assert_equal "$(requests_to /api/generate)" 0
	[[ $stderr == *"☁️ [CLOUD]"*"local failed: context_overflow"* ]]
}

@test "a prompt_eval_count at num_ctx means Ollama cut the prompt: context_overflow" {
	AR_LOCAL_MODEL=ctx-cut run --separate-stderr ar-ollama <<<"$REC"
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" context_overflow
	[[ $(json_get error.message <<<"$output") == *"prompt_eval_count 4096"* ]]
	AR_LOCAL_MODEL=ctx-cut run --separate-stderr ar-route <<<"$TASK"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.error.code <<<"$output")" context_overflow
	# ar-ollama | ar-route: the record's error is the failed local attempt.
	AR_LOCAL_MODEL=ctx-cut run --separate-stderr bash -c 'ar-ollama | ar-route' <<<"$TASK"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.error.code <<<"$output")" context_overflow
}

# ---- provider stops -----------------------------------------------------

@test "Gemini SAFETY after half a program: ar-gemini keeps finish, ar-validate rejects it" {
	AR_CLOUD_MODEL=safety-mid run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	assert_equal "$(json_get finish <<<"$output")" SAFETY
	[[ -n $(json_get output <<<"$output") ]]
	run --separate-stderr ar-validate --no-syntax-check <<<"$output"
	assert_failure 1
	assert_equal "$(json_get valid <<<"$output")" false
	[[ $(json_get reasons <<<"$output") == *"stopped by the provider: finish SAFETY"* ]]
}

@test "ar-route: SAFETY and RECITATION finishes are invalid, named, and finish is kept" {
	AR_CLOUD_MODEL=safety-mid run --separate-stderr ar-route --cloud-only <<<"$TASK"
	assert_failure 1
	assert_equal "$(json_get valid <<<"$output")" false
	assert_equal "$(json_get attempts.0.finish <<<"$output")" SAFETY
	[[ $(json_get attempts.0.reasons <<<"$output") == *"finish SAFETY"* ]]
	AR_LOCAL_MODEL=missing AR_CLOUD_MODEL=recitation-mid run --separate-stderr ar-route <<<"$TASK"
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" all_failed
	assert_equal "$(json_get attempts.1.finish <<<"$output")" RECITATION
	[[ $(json_get attempts.1.reasons <<<"$output") == *"stopped by the provider: finish RECITATION"* ]]
	# A valid answer carries its finish.
	run --separate-stderr ar-route <<<"$TASK"
	assert_success
	assert_equal "$(json_get finish <<<"$output")" stop
	run --separate-stderr ar-route --cloud-only <<<"$TASK"
	assert_equal "$(json_get finish <<<"$output")" STOP
}

@test "ar-validate: every finish but a normal stop is invalid and named" {
	code=$'```python\ndef add(a, b):\n    return a + b\n```'
	for f in SAFETY RECITATION PROHIBITED_CONTENT BLOCKLIST SPII OTHER content_filter LANGUAGE; do
		validate "$code" python "$f"
		assert_failure 1
		[[ $(json_get reasons.0 <<<"$output") == "stopped by the provider: finish $f"* ]]
	done
	validate "$code" python length
	assert_equal "$(json_get reasons.0 <<<"$output")" "truncated: finish length"
	for f in stop STOP ""; do
		validate "$code" python "$f"
		assert_success
		assert_equal "$(json_get valid <<<"$output")" true
	done
}

# ---- placeholders -------------------------------------------------------

@test "placeholders for omitted code are rejected, naming the line" {
	local -a cases=(
		$'def run(x):\n    x += 1\n    # ... rest of the code here\n    return x'
		$'function run(x) {\n  x += 1;\n  // existing code here\n  return x;\n}'
		$'def run(x):\n    x += 1\n    # TODO: implement\n    return x'
		$'def run(x):\n    x += 1\n    pass  # implement'
		$'int run(int x)\n{\n\tx += 1;\n\t/* ... */\n\treturn x;\n}'
		$'class Cache:\n    def get(self, k):\n        return self.d[k]\n\n    # ... (other methods unchanged)'
		$'def run(x):\n    x += 1\n    # Your code here\n    return x'
		$'run() {\n\tx=1\n\t# ... rest of the script\n}'
		$'int run(int x)\n{\n\tx++;\n\t// TODO: Implement the parser\n\treturn x;\n}'
	)
	local -a want=(
		"# ... rest of the code here"
		"// existing code here"
		"# TODO: implement"
		"pass  # implement"
		"/* ... */"
		"# ... (other methods unchanged)"
		"# Your code here"
		"# ... rest of the script"
		"// TODO: Implement the parser"
	)
	local n
	for n in "${!cases[@]}"; do
		validate $'```\n'"${cases[$n]}"$'\n```'
		assert_failure 1
		assert_equal "$(json_get reasons.0 <<<"$output")" "placeholder: ${want[$n]}"
	done
}

@test "ordinary comments, docstrings, Ellipsis and NotImplementedError are not placeholders" {
	validate $'```python\nfrom abc import ABC, abstractmethod\nfrom typing import Protocol\n\n\nclass Shape(Protocol):\n    def area(self) -> float: ...\n\n    def name(self) -> str:\n        ...\n\n\nclass Base(ABC):\n    @abstractmethod\n    def run(self) -> None:\n        """Run the rest of the steps ... in order; code here must be fast."""\n        raise NotImplementedError\n\n\ndef scale(x):\n    # TODO: handle negative numbers later (see issue 4)\n    y = x * 2  # keeps the existing code path for ASCII\n    return y  # values 1...n\n```' python
	assert_success
	assert_equal "$(json_get reasons <<<"$output")" "[]"
	validate $'```c\n#include <stdio.h>\n/* The TODO list lives in the README. */\nint\nmain(void)\n{\n\tprintf("// ... rest of the code\\n");\n\treturn 0;\n}\n```' c
	assert_success
	validate $'```sh\nn=$#\necho "${#n} # ... rest"\nprintf "%s\\n" "$n"  # print the count\n```' sh
	assert_success
	validate $'```python\ndef stub():\n    ...\n\n\nclass Port:\n    def send(self, data: bytes) -> None:\n        raise NotImplementedError("subclasses send")\n```' python
	assert_success
}

@test "ar-route sends a local answer with a placeholder to the cloud" {
	AR_LOCAL_MODEL=placeholder run --separate-stderr ar-route <<<"$TASK"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" gemini
	assert_equal "$(json_get attempts.0.ok <<<"$output")" false
	assert_equal "$(json_get attempts.0.reasons.0 <<<"$output")" "placeholder: # ... rest of the code here"
}

# ---- Gemini stream details ----------------------------------------------

@test "Gemini: the candidate with index 0 is the answer, wherever it is listed" {
	AR_CLOUD_MODEL=index-order run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	[[ $(json_get output <<<"$output") == *"def add"* ]]
	[[ $(json_get output <<<"$output") != *sorry* ]]
	AR_CLOUD_MODEL=index-order run --separate-stderr ar-route --cloud-only <<<"$TASK"
	assert_success
	assert_equal "$(json_get valid <<<"$output")" true
}

@test "Gemini: a UTF-8 BOM at the start and bare-CR line endings are understood" {
	for m in bom cr; do
		AR_CLOUD_MODEL=$m run --separate-stderr ar-gemini <<<"$TASK"
		assert_success
		assert_equal "$(json_get finish <<<"$output")" STOP
		[[ $(json_get output <<<"$output") == *'```python'*"return result"*'```'* ]]
		[[ $(json_get usage.output_tokens <<<"$output") -gt 0 ]]
	done
}

@test "Gemini: a CRLF cut after its CR is one line end, inside a two-line data event" {
	AR_CLOUD_MODEL=crlf-split run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	assert_equal "$(json_get finish <<<"$output")" STOP
	[[ $(json_get output <<<"$output") == *'```python'*"return result"*'```'* ]]
}

@test "Gemini: 502 is retried as 500/503/504 are" {
	AR_CLOUD_MODEL=bad-gateway-once run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	[[ $(json_get output <<<"$output") == *"def add"* ]]
	assert_equal "$(requests_to streamGenerateContent)" 2
	[[ $stderr == *"HTTP 502"*retrying* ]]
}

# ---- proxies --------------------------------------------------------------

@test "loopback never goes through a proxy, whatever the proxy variables say" {
	dead="http://127.0.0.1:$(_free_port)"
	unset NO_PROXY no_proxy
	export http_proxy=$dead HTTP_PROXY=$dead https_proxy=$dead all_proxy=$dead ALL_PROXY=$dead
	run --separate-stderr ar-ollama --status </dev/null
	assert_success
	assert_equal "$(json_get reachable <<<"$output")" true
	run --separate-stderr ar-ollama <<<"$REC"
	assert_success
	OLLAMA_HOST="localhost:$MOCK_PORT" run --separate-stderr ar-ollama --status </dev/null
	assert_success
	run --separate-stderr ar-route <<<"$TASK"
	assert_success
	assert_equal "$(json_get backend <<<"$output")" ollama
	run --separate-stderr ar-gemini <<<"$TASK"
	assert_success
	run ! grep -q '"proxied": *true' "$MOCK_LOG"
}

@test "other hosts follow http_proxy, and the user's no_proxy is kept" {
	unset NO_PROXY no_proxy
	export http_proxy=$MOCK_URL OLLAMA_HOST=http://ollama.invalid:11434
	run --separate-stderr ar-ollama --status </dev/null
	assert_success
	assert_equal "$(json_get reachable <<<"$output")" true
	mock_requests | grep '"/api/version"' | tail -n 1 | check 'r["proxied"] and r["headers"]["host"] == "ollama.invalid:11434"'
	mock_reset_log
	NO_PROXY=ollama.invalid run --separate-stderr ar-ollama --status </dev/null
	assert_failure 1
	assert_equal "$(json_get reachable <<<"$output")" false
	assert_equal "$(requests_to /api/version)" 0
}
