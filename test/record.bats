#!/usr/bin/env bats
# The record stream, common to every program: framing, bad input,
# pass-through, the common flags and the exit status. ar-prompt is the
# filter used here because it needs no backend.

bats_require_minimum_version 1.5.0
load helper

setup() { ar_setup; }

# nth N: the Nth line (1-based) of $output.
nth() { sed -n "${1}p" <<<"$output"; }

@test "one output record per input record, in order, ids passed through" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"id":1,"task":"a"}
	{"id":2,"task":"b"}
	{"id":3,"task":"c"}
	EOT
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_equal "$(nth 1 | json_get id)" 1
	assert_equal "$(nth 2 | json_get id)" 2
	assert_equal "$(nth 3 | json_get id)" 3
	assert_equal "$(nth 3 | json_get task)" c
}

@test "any whitespace between objects: several per line, one across lines" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"id":1,"task":"a"} {"id":2,"task":"b"}

	{
	  "id": 3,
	  "task": "c"
	}
	EOT
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_equal "$(nth 2 | json_get id)" 2
	assert_equal "$(nth 3 | json_get id)" 3
}

@test "CRLF line ends are accepted" {
	run --separate-stderr ar-prompt < <(printf '{"id":1,"task":"a"}\r\n{"id":2,"task":"b"}\r\n')
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(nth 2 | json_get id)" 2
}

@test "a line that is not JSON becomes a bad_input record quoting it; the next line goes on" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"id":1,"task":"a"}
	this is not json at all
	{"id":3,"task":"c"}
	EOT
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_equal "$(nth 1 | json_get id)" 1
	assert_equal "$(nth 2 | json_get error.code)" bad_input
	assert_equal "$(nth 2 | json_get error.stage)" ar-prompt
	[[ $(nth 2 | json_get error.message) == *"'this is not json at all'"* ]]
	assert_equal "$(nth 3 | json_get id)" 3
	assert_equal "$(nth 3 | json_get task)" c
}

@test "bad JSON inside an object: jsmn-accepted forms are still rejected" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"task":tru}
	{"task":}
	{"task":"a",}
	{"task":"a"}x
	{"task":"b"}
	EOT
	assert_failure 1
	assert_equal "$(nth 1 | json_get error.code)" bad_input
	assert_equal "$(nth 2 | json_get error.code)" bad_input
	assert_equal "$(nth 3 | json_get error.code)" bad_input
	# "{...}x": the object is fine, the trailing x is a bad line of its own.
	assert_equal "$(nth 4 | json_get task)" a
	assert_equal "$(nth 5 | json_get error.code)" bad_input
	assert_equal "$(nth 6 | json_get task)" b
	assert_equal "${#lines[@]}" 6
}

@test "a JSON value that is not an object is a bad_input record naming its type" {
	run --separate-stderr ar-prompt <<-'EOT'
	42
	["task"]
	{"task":"ok"}
	EOT
	assert_failure 1
	[[ $(nth 1 | json_get error.message) == *"not a JSON object but number"* ]]
	[[ $(nth 2 | json_get error.message) == *"not a JSON object but array"* ]]
	assert_equal "$(nth 3 | json_get task)" ok
}

@test "an unterminated string resynchronises at the next line" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"task":"never closed
	{"id":2,"task":"b"}
	EOT
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(nth 1 | json_get error.code)" bad_input
	assert_equal "$(nth 2 | json_get id)" 2
}

@test "an object left open at end of input costs only its own line" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"id":1,"task":"a"
	{"id":2,"task":"b"}
	EOT
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(nth 1 | json_get error.code)" bad_input
	assert_equal "$(nth 2 | json_get id)" 2
}

@test "invalid UTF-8 is rejected and quoted as valid text" {
	run --separate-stderr ar-prompt < <(printf '{"task":"\xff\xfe"}\n{"task":"ok"}\n')
	assert_failure 1
	assert_equal "$(nth 1 | json_get error.code)" bad_input
	[[ $(nth 1 | json_get error.message) == *UTF-8* ]]
	assert_equal "$(nth 2 | json_get task)" ok
}

@test "unicode and escapes in pass-through fields come back intact" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"task":"t","note":"caf\u00e9 ☕ \ud83d\ude00","ctl":"a\u0001b\tc","n":1.50e3,"deep":{"a":[1,{"b":null}]}}
	EOT
	assert_success
	assert_equal "$(json_get note <<<"$output")" "café ☕ 😀"
	[[ $output == *'"ctl":"a\u0001b\tc"'* ]]
	[[ $output == *'"n":1.50e3'* ]]
	[[ $output == *'"deep":{"a":[1,{"b":null}]}'* ]]
}

@test "a record over the size limit is one bad_input record, then the stream goes on" {
	"${PYTHON3:-python3}" -c '
import sys
sys.stdout.write("{\"id\":1,\"task\":\"a\"}\n")
sys.stdout.write("{\"task\":\"" + "x" * (17 << 20) + "\"}\n")
sys.stdout.write("{\"id\":3,\"task\":\"c\"}\n")' >big.jsonl
	run --separate-stderr ar-prompt <big.jsonl
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_equal "$(nth 1 | json_get id)" 1
	assert_equal "$(nth 2 | json_get error.code)" bad_input
	[[ $(nth 2 | json_get error.message) == *limit* ]]
	assert_equal "$(nth 3 | json_get id)" 3
}

@test "a very long line that is not JSON does not crash and loses nothing after it" {
	"${PYTHON3:-python3}" -c '
import sys
sys.stdout.write("x" * (20 << 20) + "\n{\"id\":2,\"task\":\"b\"}\n")' >long.txt
	run --separate-stderr ar-prompt <long.txt
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(nth 1 | json_get error.code)" bad_input
	assert_equal "$(nth 2 | json_get id)" 2
}

@test "empty input gives no record and exit 0" {
	run --separate-stderr ar-prompt </dev/null
	assert_success
	assert_output ""
}

@test "every program answers --help and --version, and rejects a bad flag with 2" {
	for p in ar-prompt ar-ollama ar-gemini ar-validate; do
		run --separate-stderr "$p" --help
		assert_success
		[[ $output == *usage:*$p* ]]
		run --separate-stderr "$p" -h
		assert_success
		run --separate-stderr "$p" --version
		assert_success
		assert_output --regexp "^$p \\(aurarouter\\) [0-9]+\\.[0-9]+"
		run --separate-stderr "$p" -V
		assert_success
		run --separate-stderr "$p" --no-such-flag </dev/null
		assert_failure 2
		assert_output ""
		[[ $stderr == *usage:* ]]
	done
}

@test "a record carrying error passes every stage untouched" {
	rec='{"id":7,"error":{"stage":"earlier","code":"timeout","message":"m"}}'
	for p in ar-prompt ar-ollama ar-gemini ar-validate; do
		run --separate-stderr "$p" <<<"$rec"
		assert_failure 1
		assert_output "$rec"
	done
}

@test "an object left open is reported as soon as the next record arrives, not at end of input" {
	coproc AR { ar-prompt 2>/dev/null; }
	printf '{"id":1,"task":"a"\n{"id":2,"task":"b"}\n' >&"${AR[1]}"
	# Standard input stays open: both answers must come anyway.
	read -r -t 20 -u "${AR[0]}" first
	read -r -t 20 -u "${AR[0]}" second
	exec {AR[1]}>&-
	wait "$AR_PID" || true
	assert_equal "$(json_get error.code <<<"$first")" bad_input
	[[ $(json_get error.message <<<"$first") == *'{"id":1,"task":"a"'* ]]
	assert_equal "$(json_get id <<<"$second")" 2
}

@test "a pretty-printed record with indented nested objects is one record" {
	run --separate-stderr ar-prompt <<-'EOT'
	{
	  "id": 1,
	  "task": "a",
	  "meta": {
	    "k": [{"x": 1}, {"y": 2}]
	  }
	}
	EOT
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_equal "$(json_get meta.k.1.y <<<"$output")" 2
}
