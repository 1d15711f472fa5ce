#!/usr/bin/env bats
# json.bats - the JSON module, through test/json-echo (parse, write back).

bats_require_minimum_version 1.5.0
load helper

setup() { ar_setup; }

# echo_json TEXT: feeds TEXT (printf %b escapes allowed) to json-echo.
echo_json() {
	printf '%b' "$1" | "$AR_TEST_BIN/json-echo" "${@:2}"
}

# rejects TEXT PATTERN: json-echo fails on TEXT with a message matching
# the extended regex PATTERN.
rejects() {
	run echo_json "$1"
	assert_failure 1
	assert_output --regexp "^error at [0-9]+: $2\$"
}

# hex TEXT [json-echo args]: the hex bytes json-echo writes.
hex() {
	echo_json "$@" | od -An -tx1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}

@test "a nested record round-trips compactly in key order" {
	run echo_json ' { "task" : "sum", "n": [1, 2.5, -3e2, {"deep": [null, true, false]}],\n "empty": {}, "none": [] , "s": "a\\\\b\\"c" }\n'
	assert_success
	assert_output '{"task":"sum","n":[1,2.5,-3e2,{"deep":[null,true,false]}],"empty":{},"none":[],"s":"a\\b\"c"}'
}

@test "a scalar root value is accepted" {
	run echo_json ' 42 '
	assert_success
	assert_output '42'
	run echo_json '"x"'
	assert_output '"x"'
	run echo_json 'null'
	assert_output 'null'
}

@test "an invalid literal inside an array is rejected: [tru]" {
	rejects '[tru]' "invalid literal 'tru'"
	assert_output --partial 'error at 1:'
}

@test "an object key without a value is rejected: {\"a\":}" {
	rejects '{"a":}' "expected a value after ':'.*"
}

@test "an object key without a colon is rejected: {\"a\" 1}" {
	rejects '{"a" 1}' "expected ':' after object key.*"
}

@test "two root values are rejected: {} {}" {
	rejects '{} {}' 'trailing data after JSON value'
	assert_output 'error at 3: trailing data after JSON value'
}

@test "trailing garbage after the value is rejected: {}x" {
	rejects '{}x' 'trailing data after JSON value'
	assert_output 'error at 2: trailing data after JSON value'
}

@test "a number with a leading zero is rejected: 01" {
	rejects '01' "invalid number '01'"
	rejects '[01]' "invalid number '01'"
}

@test "a number without fraction digits is rejected: 1." {
	rejects '1.' "invalid number '1\.'"
	rejects '[1.]' "invalid number '1\.'"
}

@test "a lone minus sign is rejected: -" {
	rejects '-' "invalid number '-'"
	rejects '{"a":-}' "invalid number '-'"
}

@test "missing or extra commas are rejected" {
	rejects '[1 2]' "expected ',' or '\]'.*"
	rejects '[1,]' "expected ',' or '\]'.*"
	rejects '[,1]' "unexpected ','"
	rejects '{"a":1,}' "expected ',' or '}'.*"
	rejects '{"a":1 "b":2}' "expected ',' or '}'.*"
}

@test "a bad escape in a string is rejected" {
	rejects '"a\\xb"' "invalid escape '\\\\x' in string"
	assert_output --partial 'error at 2:'
}

@test "a raw newline in a string is rejected" {
	rejects '"a\nb"' 'control character 0x0a in string.*'
	assert_output --partial 'error at 2:'
}

@test "a lone high surrogate is rejected" {
	rejects '"\\ud83d"' 'lone high surrogate .*'
	rejects '"\\ud83dx"' 'lone high surrogate .*'
	rejects '"\\ud83d\\u0041"' 'lone high surrogate .*'
}

@test "a lone low surrogate is rejected" {
	rejects '"\\ude00"' 'lone low surrogate .*'
	rejects '"\\ude00\\ud83d"' 'lone low surrogate .*'
}

@test "a surrogate pair escape becomes the 4 UTF-8 bytes F0 9F 98 80" {
	run hex '{"k":"\\ud83d\\ude00"}' -s k
	assert_output 'f0 9f 98 80'
}

@test "\\u00e9 becomes the UTF-8 bytes C3 A9" {
	run hex '{"k":"\\u00e9"}' -s k
	assert_output 'c3 a9'
	run hex '{"k":"\\u00E9\\/\\t"}' -s k
	assert_output 'c3 a9 2f 09'
}

@test "an invalid UTF-8 byte in a string is rejected" {
	rejects '"a\xff"' 'invalid UTF-8 in string'
	assert_output 'error at 2: invalid UTF-8 in string'
}

@test "an overlong UTF-8 encoding is rejected" {
	rejects '"\xc0\xaf"' 'invalid UTF-8 in string'
	rejects '"\xe0\x80\xaf"' 'invalid UTF-8 in string'
}

@test "a UTF-8 encoded surrogate is rejected" {
	rejects '"\xed\xa0\x80"' 'invalid UTF-8 in string'
}

@test "UTF-8 above U+10FFFF and truncated sequences are rejected" {
	rejects '"\xf4\x90\x80\x80"' 'invalid UTF-8 in string'
	rejects '"\xc3"' 'invalid UTF-8 in string'
}

@test "control characters are written escaped" {
	run echo_json '"a\\u0001b\\nc\\td\\u001f\\u007f\\r\\b\\f"'
	assert_success
	assert_output '"a\u0001b\nc\td\u001f\u007f\r\b\f"'
	run hex '"\\u0001\\n"'
	# no raw control byte besides the final newline
	assert_output '22 5c 75 30 30 30 31 5c 6e 22 0a'
}

@test "UTF-8 text passes through intact" {
	run hex '"\xc3\xa9\xf0\x9f\x98\x80"'
	assert_output '22 c3 a9 f0 9f 98 80 22 0a'
}

@test "nesting 64 deep is accepted" {
	in=$(printf '%.0s[' {1..64}; printf '%.0s]' {1..64})
	run echo_json "$in"
	assert_success
	assert_output "$in"
}

@test "nesting 65 deep is rejected" {
	rejects "$(printf '%.0s[' {1..65}; printf '%.0s]' {1..65})" \
	    'nesting deeper than 64'
	assert_output 'error at 64: nesting deeper than 64'
	rejects "$(printf '%.0s{"a":' {1..65}; printf '1'; printf '%.0s}' {1..65})" \
	    'nesting deeper than 64'
}

@test "\\u0000 in a string round-trips as \\u0000" {
	run echo_json '{"k":"a\\u0000b"}'
	assert_success
	assert_output '{"k":"a\u0000b"}'
	run hex '{"k":"a\\u0000b"}' -s k
	assert_output '61 00 62'
}

@test "numbers keep their text" {
	run echo_json '[1e5, -0.5, 12345678901234567890, 0, -0, 1E-2, 2.50]'
	assert_success
	assert_output '[1e5,-0.5,12345678901234567890,0,-0,1E-2,2.50]'
}

@test "empty or blank input is an error" {
	rejects '' 'no JSON value'
	rejects ' \n\t ' 'no JSON value'
}

@test "an unterminated string or container is an error" {
	rejects '"abc' 'unterminated string'
	assert_output 'error at 0: unterminated string'
	rejects '[1,2' 'unexpected end of input'
	rejects '{"a":[1}' "unexpected '}'"
}

@test "a duplicate key keeps its first position and last value" {
	run echo_json '{"a":1,"b":2,"a":3}'
	assert_success
	assert_output '{"a":3,"b":2}'
}

@test "a raw NUL byte outside strings is rejected" {
	rejects '[1]\0' 'trailing data after JSON value'
	rejects '[1\0]' 'unexpected byte 0x00'
}

@test "input larger than the record limit is rejected" {
	"${PYTHON3:-python3}" -c 'import sys; sys.stdout.write("\"" + "a" * (16 << 20) + "\"")' >big.json
	run "$AR_TEST_BIN/json-echo" <big.json
	assert_failure 1
	assert_output --regexp '^error at [0-9]+: input larger than 16777216 bytes$'
}

@test "a document of 1048576 values is accepted, one more is rejected" {
	# jsmn counts the array itself and each element: 1 + (2^20 - 1).
	"${PYTHON3:-python3}" -c 'print("[" + ",".join(["1"] * ((1 << 20) - 1)) + "]")' >at.json
	run "$AR_TEST_BIN/json-echo" <at.json
	assert_success
	[ "${#output}" -eq "$(($(wc -c <at.json) - 1))" ]
	"${PYTHON3:-python3}" -c 'print("[" + ",".join(["1"] * (1 << 20)) + "]")' >past.json
	run "$AR_TEST_BIN/json-echo" <past.json
	assert_failure 1
	assert_output "error at 0: more than 1048576 JSON values"
}
