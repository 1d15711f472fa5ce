#!/usr/bin/env bats
# ar-validate: code extraction (fences, languages, bare code), the checks
# (empty, short, refusal, truncation, repetition, syntax) and the stream.

bats_require_minimum_version 1.5.0
load helper

setup() { ar_setup; }

# answer TEXT [LANGUAGE [FINISH]]: a record whose output is TEXT, in in.json.
answer() {
	"${PYTHON3:-python3}" -c '
import json, sys
r = {"output": sys.argv[1]}
if len(sys.argv) > 2 and sys.argv[2]:
    r["language"] = sys.argv[2]
if len(sys.argv) > 3:
    r["finish"] = sys.argv[3]
print(json.dumps(r))' "$@" >in.json
}

# validate [FLAGS...]: runs ar-validate on in.json.
validate() {
	run --separate-stderr ar-validate "$@" <in.json
}

# field F: field F of the record in $output.
field() { json_get "$1" <<<"$output"; }

# nth N: the Nth line (1-based) of $output.
nth() { sed -n "${1}p" <<<"$output"; }

assert_valid() {
	assert_success
	assert_equal "$(field valid)" true
	assert_equal "$(field reasons)" '[]'
}

# assert_invalid TEXT: invalid, exit 1, the first reason holds TEXT.
assert_invalid() {
	assert_failure 1
	assert_equal "$(field valid)" false
	[[ $(field reasons.0) == *"$1"* ]] || fail "reason '$(field reasons)' lacks '$1'"
}

PY_ADD=$'def add(a, b):\n    return a + b'

@test "a fenced python block is extracted without fences or prose" {
	answer $'Here is the function you asked for:\n\n```python\n'"$PY_ADD"$'\n```\n\nIt returns the sum.' python
	validate
	assert_valid
	assert_equal "$(field code)" "$PY_ADD"
	assert_equal "$(field language)" python
}

@test "the block in the requested language is chosen among two" {
	answer $'```sh\necho installing the package now, please wait a moment\n```\n```py\n'"$PY_ADD"$'\n```' python
	validate
	assert_valid
	assert_equal "$(field code)" "$PY_ADD"
}

@test "a shell block is chosen for language bash" {
	answer $'```python\n'"$PY_ADD"$'\n```\n```bash\necho "hello, world"\n```' bash
	validate
	assert_valid
	assert_equal "$(field code)" 'echo "hello, world"'
}

@test "without a language the longest block is chosen" {
	answer $'```sh\necho hi there\n```\n\n```python\n'"$PY_ADD"$'\n```'
	validate
	assert_valid
	assert_equal "$(field code)" "$PY_ADD"
}

@test "tilde fences and fences indented up to three spaces are understood" {
	answer $'Code:\n~~~python\n'"$PY_ADD"$'\n~~~\n'
	validate
	assert_valid
	assert_equal "$(field code)" "$PY_ADD"
	answer $'Code:\n   ```python\n   def add(a, b):\n       return a + b\n   ```\n'
	validate
	assert_valid
	assert_equal "$(field code)" "$PY_ADD"
}

@test "a longer closing fence closes; a shorter one is content" {
	answer $'````markdown\nUse:\n```\nls -l\n```\n````'
	validate --no-syntax-check
	assert_valid
	assert_equal "$(field code)" $'Use:\n```\nls -l\n```'
}

@test "bare code without fences is accepted as it is" {
	answer $'\n'"$PY_ADD"$'\n\n' python
	validate
	assert_valid
	assert_equal "$(field code)" "$PY_ADD"
}

@test "prose without code is rejected with an empty code" {
	answer 'This is a description of an algorithm. It sorts the list and then returns it to the caller.'
	validate
	assert_invalid "no code"
	assert_equal "$(field code)" ""
}

@test "an empty answer is rejected" {
	answer '   ' python
	validate
	assert_invalid "empty answer"
	assert_equal "$(field code)" ""
}

@test "an empty code block is rejected" {
	answer $'```python\n```' python
	validate
	assert_invalid "empty"
}

@test "code shorter than the minimum is rejected with its length" {
	answer $'```\nx\n```'
	validate
	assert_invalid "code too short: 1 chars, minimum 10"
	assert_equal "$(field code)" x
}

@test "AR_MIN_CHARS and --min-chars change the length check, the flag winning" {
	answer $'```sh\necho hello\n```' sh
	validate
	assert_valid
	AR_MIN_CHARS=50 validate
	assert_invalid "code too short: 10 chars, minimum 50"
	AR_MIN_CHARS=50 validate --min-chars 5
	assert_valid
	answer $'```\nx\n```'
	validate --min-chars 1
	assert_valid
	validate --min-chars 20
	assert_invalid "minimum 20"
}

@test "a bad --min-chars is a usage error" {
	answer 'x'
	validate --min-chars abc
	assert_failure 2
	assert_output ""
}

@test "each refusal pattern is rejected as a refusal, whatever its case" {
	local p
	for p in "I'm sorry, but I can't help with that request." \
	    "I am sorry, that is not possible." \
	    "I cannot write that program." \
	    "I can't do this." \
	    "I can not assist with it." \
	    "As an AI language model, I do not write malware." \
	    "I apologize, but this is not something I do." \
	    "I'm unable to produce that." \
	    "I am unable to produce that." \
	    "i CANNOT help." \
	    "Sorry. I’m unable to help with that."; do
		answer "$p" python
		validate
		assert_invalid "refusal: "
		assert_equal "$(field code)" ""
	done
}

@test "an apology followed by real code is not a refusal" {
	answer $'I apologize for the error. Here is the fix:\n```python\n'"$PY_ADD"$'\n```' python
	validate
	assert_valid
	assert_equal "$(field code)" "$PY_ADD"
}

@test "finish length or MAX_TOKENS marks the answer truncated" {
	answer $'```python\n'"$PY_ADD"$'\n```' python length
	validate
	assert_invalid "truncated: finish length"
	assert_equal "$(field code)" "$PY_ADD"
	answer $'```python\n'"$PY_ADD"$'\n```' python MAX_TOKENS
	validate
	assert_invalid "truncated: finish MAX_TOKENS"
	answer $'```python\n'"$PY_ADD"$'\n```' python stop
	validate
	assert_valid
}

@test "an unclosed fence is truncation, the code is still extracted" {
	answer $'```python\n'"$PY_ADD"$'\n' python
	validate
	assert_invalid "truncated: unclosed code fence"
	assert_equal "$(field code)" "$PY_ADD"
}

@test "one line repeated over and over is degenerate repetition" {
	answer "$(printf '```python\n'; for i in $(seq 200); do echo 'print("again")'; done; printf '```\n')" python
	validate
	assert_invalid "degenerate repetition"
}

@test "one line making up over half of the lines is degenerate repetition" {
	answer "$(printf '```python\n'; for i in $(seq 14); do echo 'x = compute()'; echo "y$i = $i"; done; printf 'x = compute()\nx = compute()\n```\n')" python
	validate
	assert_invalid "degenerate repetition: 16 of 30 lines"
	answer "$(printf '```python\n'; for i in $(seq 15); do echo 'x = compute()'; echo "y$i = $i"; done; printf '```\n')" python
	validate
	assert_valid
}

@test "a chunk repeated at the end of the text is degenerate repetition" {
	answer "$(printf '```python\nx = 1\nname = "'; for i in $(seq 100); do printf 'abcd'; done; printf '\n```\n')" python
	validate
	assert_invalid "degenerate repetition"
}

# rep N TEXT: TEXT (with \n escapes) N times.
rep() {
	local i
	for ((i = 0; i < $1; i++)); do printf "$2"; done
}

@test "data tables are not repetition: a zero-filled C table, a font bitmap" {
	answer "$(printf '```c\nstatic const int t[256] = {\n'; rep 32 '\t0, 0, 0, 0, 0, 0, 0, 0,\n'
		printf '};\n\nint\nlookup(unsigned char c)\n{\n\treturn t[c];\n}\n```\n')" c
	validate
	assert_valid
	[[ $(field code) == *"return t[c];"* ]]
	answer "$(printf '```c\nstatic const unsigned char font[128][8] = {\n'
		rep 32 '\t{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },\t/* unused */\n'
		printf '\t{ 0x18, 0x3c, 0x66, 0x66, 0x7e, 0x66, 0x66, 0x00 },\n'
		rep 95 '\t{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 },\n'
		printf '};\n\nconst unsigned char *\nglyph(int c)\n{\n\treturn font[c & 127];\n}\n```\n')" c
	validate
	assert_valid
}

@test "runs of identical assembler lines are not repetition: nop, .byte 0, db 0" {
	answer "$(printf '```asm\n\t.text\n\t.globl spin\nspin:\n'; rep 64 '\tnop\n'
		printf '\tret\n\n\t.data\nbuf:\n'; rep 300 '\t.byte 0\n'
		printf '\t.word 0xaa55\nstack:\n'; rep 64 '\t.byte 0\t# reserved\n'; printf '```\n')" asm
	validate
	assert_valid
	answer "$(printf '```nasm\n\tbits 16\n\torg 0x7c00\nstart:\n\tcli\n\thlt\n'
		rep 200 '\tdb 0\n'; printf '\tdw 0xaa55\n```\n')" nasm
	validate
	assert_valid
}

@test "identical test vectors are not repetition" {
	answer "$(printf '```python\nVECTORS = [\n'
		rep 40 '    ("00000000000000000000000000000000", "66e94bd4ef8a2c3b884cfa59ca342b2e"),\n'
		printf ']\n\nGRID = [\n'; rep 12 '    [False, False, False, False, None, 0, 0.0, -1],\n'
		printf ']\n\n\ndef test_vectors():\n    for key, want in VECTORS:\n        assert len(key) == len(want)\n```\n')" python
	validate
	assert_valid
}

@test "a block of code lines repeated many times is degenerate repetition" {
	answer "$(printf '```python\ndef count(n):\n'
		rep 150 '    if n > 0:\n        n = n - 1\n        print(n)\n    else:\n        return n\n'
		printf '```\n')" python
	validate
	assert_invalid "degenerate repetition: a block of 5 lines repeated 150 times in a row to the end of the answer: if n > 0:"
	# A loop the model got out of is still a loop.
	answer "$(printf '```c\nint\nf(int x)\n{\n'; rep 40 '\tx = x * 3;\n\tx ^= x >> 2;\n\tx += 7;\n'
		printf '\treturn x;\n}\n```\n')" c
	validate
	assert_invalid "degenerate repetition: a block of 3 lines repeated 40 times in a row: x = x * 3;"
	# Assembler code, not data.
	answer "$(printf '```asm\nstart:\n'; rep 100 '\tmov eax, 1\n\tint 0x80\n\tjmp start\n'; printf '\tret\n```\n')" asm
	validate
	assert_invalid "degenerate repetition: a block of 3 lines repeated 100 times in a row: mov eax, 1"
}

@test "a loop that ends mid-line is degenerate repetition, also of data lines" {
	answer "$(printf '```javascript\nfunction f(a) {\n'
		rep 120 '  a.push(1);\n  a.sort();\n  a.pop();\n  console.log(a);\n'
		printf '  a.push(1);\n  a.so')" javascript
	validate
	assert_invalid "degenerate repetition: a block of 4 lines repeated 120 times in a row, the answer cut off inside it: a.push(1);"
	answer "$(printf '```c\nstatic const int t[] = {\n'; rep 300 '\t0, 0, 0, 0, 0, 0, 0, 0,\n'; printf '\t0, 0, 0,')" c
	validate
	assert_invalid "degenerate repetition: a line repeated 300 times in a row, the answer cut off inside it: 0, 0, 0, 0, 0, 0, 0, 0,"
	answer "$(printf '```asm\nbuf:\n'; rep 400 '\t.byte 0\n')" asm
	validate
	assert_invalid "degenerate repetition: a line repeated 400 times in a row to the end of the answer: .byte 0"
}

@test "a python syntax error is rejected; valid python is accepted" {
	command -v python3 >/dev/null || skip "no python3"
	answer $'```python\ndef f(:\n    pass\n```' python
	validate
	assert_invalid "syntax error (python3)"
	[[ $(field reasons.0) == *"<code>:1:"*SyntaxError* ]]
	[[ $(field reasons.0) != *"/tmp"* ]]
	answer $'```python\n'"$PY_ADD"$'\n```' python
	validate
	assert_valid
}

@test "a C syntax error is rejected by the C compiler; valid C is accepted" {
	command -v cc >/dev/null || command -v gcc >/dev/null || skip "no C compiler"
	answer $'```c\nint main(void) { return 0 }\n```' c
	validate
	assert_invalid "syntax error ("
	[[ $(field reasons.0) == *"error"* ]]
	answer $'```c\n#include <stdio.h>\n\nint\nmain(void)\n{\n\tputs("hi");\n\treturn 0;\n}\n```' c
	validate
	assert_valid
}

@test "C code needing a header this machine lacks is not rejected for it" {
	command -v cc >/dev/null || command -v gcc >/dev/null || skip "no C compiler"
	answer $'```c\n#include <no/such/header.h>\n\nint\nmain(void)\n{\n\treturn 0;\n}\n```' c
	validate
	assert_valid
}

@test "a shell syntax error is found by sh -n; valid sh is accepted" {
	answer $'```sh\nif true; then\n  echo yes\n```' sh
	validate
	assert_invalid "syntax error (sh)"
	[[ $(field reasons.0) == *"<code>"* ]]
	answer $'```sh\nif true; then\n  echo yes\nfi\n```' sh
	validate
	assert_valid
}

@test "bash code is checked with bash -n" {
	command -v bash >/dev/null || skip "no bash"
	answer $'```bash\nfor ((i = 0; i < 3; i++)); do\n  echo "$i"\n```' bash
	validate
	assert_invalid "syntax error (bash)"
}

@test "a JavaScript syntax error is found by node --check; valid JavaScript is accepted" {
	command -v node >/dev/null || command -v nodejs >/dev/null || skip "no node"
	answer $'```javascript\nfunction f( {\n  return 1;\n}\n```' javascript
	validate
	assert_invalid "syntax error (node"
	[[ $(field reasons.0) == *SyntaxError* ]]
	answer $'```js\nfunction add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2));\n```' javascript
	validate
	assert_valid
	answer $'```js\nexport function add(a, b) {\n  return a + b;\n}\n```' js
	validate
	assert_valid
}

@test "the language comes from the fence when the record has none" {
	answer $'```python\ndef f(:\n    pass\n```'
	validate
	assert_invalid "syntax error (python3)"
}

@test "--no-syntax-check accepts broken python" {
	answer $'```python\ndef f(:\n    pass\n```' python
	validate --no-syntax-check
	assert_valid
	assert_equal "$(field code)" $'def f(:\n    pass'
}

@test "a missing checker is skipped silently" {
	answer $'```python\ndef f(:\n    pass\n```' python
	run --separate-stderr env PATH="$AR_BIN" ar-validate <in.json
	assert_valid
}

@test "the checker runs without a shell: \$(...) and backticks in the code run nothing" {
	mkdir tmp
	answer $'```sh\necho "$(touch pwned1)" `touch pwned2`\ntouch pwned3 ; x=$(touch pwned4)\n```' sh
	TMPDIR=$PWD/tmp validate
	assert_valid
	answer $'```python\nx = "$(touch pwned5)"\ny = "`touch pwned6`"\nprint(x, y)\n```' python
	TMPDIR=$PWD/tmp validate
	assert_valid
	run find "$BATS_TEST_TMPDIR" -name 'pwned*'
	assert_output ""
	run ls -A tmp
	assert_output ""
}

@test "python: one checker process serves every record, the code on a pipe, no temporary file" {
	# Changed on purpose (issue 9): the checker no longer gets a file.
	# The fake's own tree is all it may read besides the system's.
	real=/usr/bin/python3
	[ -x "$real" ] || skip "no /usr/bin/python3"
	mkdir fakebin tmp
	printf '#!/bin/sh\necho started >>"%s/starts"\nexec %s "$@"\n' "$PWD" "$real" >fakebin/python3
	chmod +x fakebin/python3
	"${PYTHON3:-python3}" -c '
import json
for code in ("def add(a, b):\n    return a + b", "def f(:\n    pass",
             "x = [1, 2,\n", "def sub(a, b):\n    return a - b"):
    print(json.dumps({"output": "```python\n" + code + "\n```", "language": "python"}))' >in.json
	PATH="$PWD/fakebin:$PATH" TMPDIR=$PWD/tmp validate
	assert_failure 1
	assert_equal "$(nth 1 | json_get valid)" true
	assert_equal "$(nth 2 | json_get reasons.0)" "syntax error (python3): <code>:1: SyntaxError: invalid syntax"
	[[ $(nth 3 | json_get reasons.0) == "syntax error (python3): <code>:1: SyntaxError: "* ]]
	assert_equal "$(nth 4 | json_get valid)" true
	assert_equal "$(cat starts)" started
	run ls -A tmp
	assert_output ""
}

@test "the checker's environment holds no API key" {
	mkdir fakebin
	cat >fakebin/python3 <<-EOF
	#!/bin/sh
	env >"$PWD/env.txt"
	exit 0
	EOF
	chmod +x fakebin/python3
	printf 'GEMINI_API_KEY=dotenv-secret-4242\n' >.env
	answer $'```python\n'"$PY_ADD"$'\n```' python
	GOOGLE_API_KEY=env-secret-1717 MY_GOOGLE_API_KEY=x PATH="$PWD/fakebin:$PATH" validate
	assert_valid
	[ -s env.txt ]
	grep -q '^LC_ALL=C$' env.txt
	run grep -E 'API_KEY|env-secret-1717|dotenv-secret-4242' env.txt
	assert_failure 1
	assert_output ""
}

@test "a checker stopped by the time limit is not a pass, and its whole group is killed" {
	# Changed on purpose (issue 9): a timed-out checker used to pass.
	mkdir fakebin
	printf '#!/bin/sh\nsleep 297.25 &\nsleep 297.5\n' >fakebin/python3
	chmod +x fakebin/python3
	answer $'```python\n'"$PY_ADD"$'\n```' python
	PATH="$PWD/fakebin:$PATH" run --separate-stderr timeout 120 ar-validate <in.json
	assert_invalid "syntax check stopped: time limit (python3)"
	run pgrep -f 'sleep 297\.'
	assert_failure 1
}

@test "checkers read only the code and the toolchain: #include of /etc/passwd or /dev/zero fails the check unread" {
	command -v cc >/dev/null || skip "no C compiler"
	answer $'```c\n#include "/etc/passwd"\nint x;\n```' c
	validate -v
	[[ $stderr != *unconfined* ]] || skip "no Landlock on this kernel: $stderr"
	assert_invalid "syntax error (cc): <code>:1:10: fatal error: /etc/passwd: Permission denied"
	[[ $output != *root:* ]]
	# /dev/zero is refused at open, not read until the memory limit.
	answer $'```c\n#include "/dev/zero"\nint x;\n```' c
	run --separate-stderr timeout 60 ar-validate <in.json
	assert_invalid "syntax error (cc): <code>:1:10: fatal error: /dev/zero: Permission denied"
	# A header of the toolchain is still read; a missing one still skips.
	answer $'```c\n#include <stdio.h>\nint main(void) { puts("x"); return 0; }\n```' c
	validate
	assert_valid
}

@test "a checker stopped by the memory limit is not a pass" {
	command -v perl >/dev/null || skip "no perl"
	mkdir fakebin
	printf '#!/bin/sh\ncat >/dev/null\nexec perl -e %s\n' "'\$x = \"x\" x (3 << 30); print length \$x'" >fakebin/cc
	chmod +x fakebin/cc
	answer $'```c\nint\nmain(void)\n{\n\treturn 0;\n}\n```' c
	PATH="$PWD/fakebin:$PATH" run --separate-stderr timeout 120 ar-validate <in.json
	assert_invalid "syntax check stopped: memory limit (cc)"
}

@test "SIGTERM or SIGINT to ar-validate kills its running checker's group" {
	mkdir fakebin
	printf '#!/bin/sh\nsleep 296.25 &\nsleep 296.5\n' >fakebin/python3
	chmod +x fakebin/python3
	answer $'```python\n'"$PY_ADD"$'\n```' python
	for sig in TERM INT; do
		PATH="$PWD/fakebin:$PATH" ar-validate <in.json >/dev/null 2>&1 3>&- &
		pid=$!
		for ((i = 0; i < 100; i++)); do
			pgrep -f 'sleep 296\.5' >/dev/null && break
			sleep 0.1
		done
		pgrep -f 'sleep 296\.5' >/dev/null || fail "the checker did not start"
		kill -"$sig" "$pid"
		wait "$pid" || true
		for ((i = 0; i < 50; i++)); do
			pgrep -f 'sleep 296\.' >/dev/null || break
			sleep 0.1
		done
		run pgrep -f 'sleep 296\.'
		assert_failure 1
	done
}

@test "a missing output is a bad_field naming output; a wrong type too" {
	printf '%s\n' '{"id":1,"language":"c"}' '{"id":2,"output":12}' '{"id":3,"output":"x","finish":3}' >in.json
	validate
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_equal "$(nth 1 | json_get error.code)" bad_field
	assert_equal "$(nth 1 | json_get error.stage)" ar-validate
	[[ $(nth 1 | json_get error.message) == *output* ]]
	[[ $(nth 2 | json_get error.message) == *output*number* ]]
	[[ $(nth 3 | json_get error.message) == *finish* ]]
	run json_get valid <<<"$(nth 1)"
	assert_failure
}

@test "exit 0 when every record is valid, 1 when any is invalid; fields pass through" {
	"${PYTHON3:-python3}" -c '
import json
ok = "```python\ndef add(a, b):\n    return a + b\n```"
print(json.dumps({"id": 1, "path": "a.py", "output": ok, "language": "python"}))
print(json.dumps({"id": 2, "output": ok, "backend": "ollama"}))' >in.json
	validate
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(nth 1 | json_get path)" a.py
	assert_equal "$(nth 2 | json_get backend)" ollama
	assert_equal "$(nth 2 | json_get valid)" true
	echo '{"id":3,"output":"I cannot do that."}' >>in.json
	validate
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_equal "$(nth 1 | json_get valid)" true
	assert_equal "$(nth 3 | json_get valid)" false
}

@test "a bad JSON line becomes bad_input and the next line is processed" {
	printf '%s\n' 'not json at all' '{"output":"```sh\necho hello world\n```"}' >in.json
	validate
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(nth 1 | json_get error.code)" bad_input
	[[ $(nth 1 | json_get error.message) == *"not json"* ]]
	assert_equal "$(nth 2 | json_get valid)" true
}

@test "a record carrying an error passes through untouched" {
	local in='{"id":5,"output":"x","error":{"stage":"ar-ollama","code":"timeout","message":"m"}}'
	run --separate-stderr ar-validate <<<"$in"
	assert_failure 1
	assert_equal "$output" "$in"
}

@test "-q keeps the invalid notes off stderr; without it they are logged" {
	answer 'x'
	validate
	[[ $stderr == *"code too short"* ]]
	validate -q
	assert_failure 1
	assert_equal "$stderr" ""
}

@test "--help, --version and a bad flag" {
	run --separate-stderr ar-validate --help
	assert_success
	assert_output --partial "usage: ar-validate"
	run --separate-stderr ar-validate --version
	assert_success
	assert_output --regexp '^ar-validate \(aurarouter\) [0-9]'
	run --separate-stderr ar-validate --bogus </dev/null
	assert_failure 2
	assert_output ""
	[[ $stderr == *usage:* ]]
}
