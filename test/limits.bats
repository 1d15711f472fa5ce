#!/usr/bin/env bats
# The limits of aurarouter(7), each at the limit and just past it: record
# size, nesting depth, answer size, context size and the timeouts. (One
# file's size is in prompt.bats; the JSON module's own bounds in json.bats.)

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
}

# nth N: the Nth line (1-based) of $output.
nth() { sed -n "${1}p" <<<"$output"; }

# py EXPR: evaluates the Python expression EXPR over the records of
# $output (recs: a list) and prints it.
py() {
	"${PYTHON3:-python3}" -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.strip()]
print(eval(sys.argv[1]))' "$1" <<<"$output"
}

@test "a record of exactly 16 MiB is read whole; one byte more is bad_input, and the stream goes on" {
	"${PYTHON3:-python3}" -c '
import sys
def rec(i, size):
    head = "{\"id\":%d,\"task\":\"t\",\"pad\":\"" % i
    return head + "x" * (size - len(head) - 2) + "\"}\n"
sys.stdout.write("{\"id\":1,\"task\":\"t\"}\n")
sys.stdout.write(rec(2, 16 << 20))
sys.stdout.write(rec(3, (16 << 20) + 1))
sys.stdout.write("{\"id\":4,\"task\":\"t\"}\n")' >big.jsonl
	assert_equal "$(sed -n 2p big.jsonl | wc -c)" $(((16 << 20) + 1))
	run --separate-stderr ar-prompt <big.jsonl
	assert_failure 1
	assert_equal "$(py 'len(recs)')" 4
	assert_equal "$(py '[r.get("id") for r in recs]')" "[1, 2, None, 4]"
	# 16 MiB less {"id":2,"task":"t","pad":" and "}
	assert_equal "$(py 'len(recs[1]["pad"])')" $(((16 << 20) - 28))
	assert_equal "$(py '"error" in recs[1]')" False
	assert_equal "$(py 'recs[2]["error"]["code"]')" bad_input
	[[ $(py 'recs[2]["error"]["message"]') == *"larger than 16777216 bytes"* ]]
}

@test "a record nested 64 deep passes through; 65 deep is bad_input" {
	# The record itself is the first level.
	deep() { printf '{"id":%d,"task":"t","deep":' "$1"; printf '%.0s[' $(seq "$2");
	    printf '%.0s]' $(seq "$2"); printf '}\n'; }
	{ deep 1 63; deep 2 64; deep 3 1; } >deep.jsonl
	run --separate-stderr ar-prompt <deep.jsonl
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	[[ $(nth 1) == *'"deep":'"$(printf '%.0s[' {1..63})"']'* ]]
	assert_equal "$(nth 1 | json_get error)" ""
	assert_equal "$(nth 2 | json_get error.code)" bad_input
	[[ $(nth 2 | json_get error.message) == *"nesting deeper than 64"* ]]
	assert_equal "$(nth 3 | json_get id)" 3
}

# answer PROG N: runs PROG on one task with the mock's size-N model.
answer() {
	run --separate-stderr "$1" -m "size-$2" <<<'{"task":"add two numbers"}'
}

@test "an answer of exactly 8 MiB is kept whole; one byte more is too_large (ar-ollama, ar-gemini)" {
	for prog in ar-ollama ar-gemini; do
		answer "$prog" $((8 << 20))
		assert_success
		assert_equal "$(py 'len(recs[0]["output"].encode())')" $((8 << 20))
		assert_equal "$(py 'recs[0]["output"].startswith("```python\n")')" True
		assert_equal "$(py '"error" in recs[0]')" False
		answer "$prog" $(((8 << 20) + 1))
		assert_failure 1
		assert_equal "$(py 'recs[0]["error"]["code"]')" too_large
		assert_equal "$(py '"output" in recs[0]')" False
	done
}

@test "4 MiB of context in all is read; one byte more is a file_error" {
	for i in 1 2 3 4; do
		head -c $((1 << 20)) /dev/zero | tr '\0' a >"f$i.txt"
	done
	run --separate-stderr ar-prompt <<<'{"task":"t","files":["f1.txt","f2.txt","f3.txt","f4.txt"]}'
	assert_success
	assert_equal "$(py 'recs[0]["prompt"].count("a" * 1024)')" 4096
	run --separate-stderr ar-prompt <<<'{"task":"t","file_context":"b","files":["f1.txt","f2.txt","f3.txt","f4.txt"]}'
	assert_failure 1
	assert_equal "$(py 'recs[0]["error"]["code"]')" file_error
	[[ $(py 'recs[0]["error"]["message"]') == *"context too large at f4.txt"*4194304* ]]
}

@test "a file_context of exactly 4 MiB is read; one byte more is a file_error" {
	"${PYTHON3:-python3}" -c '
for n in (4 << 20, (4 << 20) + 1):
    print("{\"task\":\"t\",\"file_context\":\"%s\"}" % ("c" * n))' >ctx.jsonl
	run --separate-stderr ar-prompt <ctx.jsonl
	assert_failure 1
	assert_equal "$(py '"error" in recs[0]')" False
	assert_equal "$(py 'recs[0]["prompt"].count("c" * 1024)')" 4096
	assert_equal "$(py 'recs[1]["error"]["code"]')" file_error
	[[ $(py 'recs[1]["error"]["message"]') == *"file_context too large"*4194304* ]]
}

@test "AR_FIRST_TOKEN_TIMEOUT: a first token 1 s late is taken, 4 s late is a timeout" {
	export AR_FIRST_TOKEN_TIMEOUT=3 AR_TIMEOUT=60
	run --separate-stderr ar-ollama <<<'{"task":"mock-delay-ms=1000"}'
	assert_success
	[[ $(json_get output <<<"$output") == *"def add("* ]]
	t0=$SECONDS
	run --separate-stderr ar-ollama <<<'{"task":"mock-delay-ms=4000"}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" timeout
	[[ $(json_get error.message <<<"$output") == *"within 3s (AR_FIRST_TOKEN_TIMEOUT)"* ]]
	((SECONDS - t0 < 30))
}

@test "AR_TIMEOUT: a Gemini answer 1 s late is taken, 4 s late is a timeout" {
	export AR_TIMEOUT=3
	run --separate-stderr ar-gemini <<<'{"task":"mock-delay-ms=1000"}'
	assert_success
	[[ $(json_get output <<<"$output") == *"def add("* ]]
	t0=$SECONDS
	run --separate-stderr ar-gemini <<<'{"task":"mock-delay-ms=4000"}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" timeout
	[[ $(json_get error.message <<<"$output") == *"AR_TIMEOUT"* ]]
	((SECONDS - t0 < 30))
}

@test "AR_TIMEOUT: a whole Ollama answer within it is taken, tokens then silence past it time out" {
	export AR_FIRST_TOKEN_TIMEOUT=60 AR_TIMEOUT=2
	run --separate-stderr ar-ollama <<<'{"task":"add"}'
	assert_success
	t0=$SECONDS
	run --separate-stderr ar-ollama -m hang-mid <<<'{"task":"add"}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" timeout
	[[ $(json_get error.message <<<"$output") == *"AR_TIMEOUT"* ]]
	((SECONDS - t0 < 30))
}

@test "the timeouts take 0.001 to 86400 seconds; 0 and 86401 are usage errors" {
	for var in AR_FIRST_TOKEN_TIMEOUT AR_TIMEOUT; do
		for v in 0.001 86400; do
			env "$var=$v" ar-ollama </dev/null ||
			    fail "$var=$v: exit $?"
		done
		for v in 0 86401 -1; do
			run --separate-stderr env "$var=$v" ar-ollama </dev/null
			assert_failure 2
			[[ $stderr == *"$var"* ]] || fail "$var=$v: $stderr"
		done
	done
	run --separate-stderr ar-route -t 86400.5 </dev/null
	assert_failure 2
	[[ $stderr == *--timeout* ]]
}

# deep_doc LEVELS: one record line {"id":1,"task":"a","d":[[...]]} LEVELS deep.
deep_doc() {
	"${PYTHON3:-python3}" -c '
import sys
n = int(sys.argv[1])
sys.stdout.write("{\"id\":1,\"task\":\"a\",\"d\":" + "[" * n + "]" * n + "}\n")' "$1"
}

@test "nesting is refused before tokenizing: 750000 levels cost no more than 64" {
	# Before, jsmn walked the chain of open brackets at every close:
	# quadratic, minutes for this record.
	{ deep_doc 750000; echo '{"id":2,"task":"t"}'; } >deep.jsonl
	run --separate-stderr timeout 20 ar-prompt <deep.jsonl
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(nth 1 | json_get error.code)" bad_input
	[[ $(nth 1 | json_get error.message) == *"nesting deeper than 64"* ]]
	assert_equal "$(nth 2 | json_get id)" 2
	# The same in ar-route and ar-validate (every record goes through one parser).
	run --separate-stderr timeout 20 ar-validate <deep.jsonl
	assert_equal "$(nth 1 | json_get error.code)" bad_input
}

@test "a 16 MiB record of any shape is accepted or refused at once" {
	"${PYTHON3:-python3}" -c '
import sys
m = (16 << 20) - 64
def line(s):
    sys.stdout.write(s[:16 << 20] + "\n")
line("{\"id\":1,\"d\":" + "[" * (m // 2) + "]" * (m // 2) + "}")
line("{\"id\":2,\"d\":[" + ",".join(["[" * 62 + "]" * 62] * 8000) + "]}")
line("{\"id\":3,\"d\":\"" + "[" * m + "\"}")
line("{\"id\":4,\"d\":[" + "0," * 900000 + "0]}")' >shapes.jsonl
	run --separate-stderr timeout 20 ar-prompt <shapes.jsonl
	assert_equal "${#lines[@]}" 4
	[[ $(nth 1 | json_get error.message) == *"nesting deeper than 64"* ]]
	[[ $(nth 2 | json_get error.message) == *"field \"task\" is required"* ]]
	[[ $(nth 3 | json_get error.message) == *"field \"task\" is required"* ]]
	[[ $(nth 4 | json_get error.message) == *"field \"task\" is required"* ]]
}

@test "a backend line nested 750000 deep is a bad_response at once (ar-ollama, ar-gemini)" {
	run --separate-stderr timeout 20 ar-ollama -m deep -t 60 <<<'{"task":"add two numbers"}'
	assert_failure 1
	assert_equal "$(py 'recs[0]["error"]["code"]')" bad_response
	[[ $(py 'recs[0]["error"]["message"]') == *"Ollama sent a line that is not a JSON object"* ]]
	# Gemini: 64 KiB of "[" lines, a body spread over lines that never closes.
	run --separate-stderr timeout 20 ar-gemini -m deep -t 60 <<<'{"task":"add two numbers"}'
	assert_failure 1
	assert_equal "$(py 'recs[0]["error"]["code"]')" bad_response
	[[ $(py 'recs[0]["error"]["message"]') == *"Gemini sent JSON nested deeper than 64 levels"* ]]
}
