#!/usr/bin/env bats
# ar-prompt: the strict engineering prompt, from records on stdin or from
# the command line (-t/-l/-c/-f), files read from disk, bad fields.

bats_require_minimum_version 1.5.0
load helper

setup() { ar_setup; }

# nth N: the Nth line (1-based) of $output.
nth() { sed -n "${1}p" <<<"$output"; }

# has FIELD TEXT: the string at FIELD of the record in $output holds TEXT.
has() {
	local v
	v=$(json_get "$1" <<<"$output") || fail "no field $1 in: $output"
	[[ $v == *"$2"* ]] || fail "field $1 does not hold '$2': $v"
}

@test "a record from stdin gets system and prompt with task, language and the one-fenced-block demand" {
	run --separate-stderr ar-prompt <<<'{"task":"add two numbers","language":"python"}'
	assert_success
	assert_equal "${#lines[@]}" 1
	has system "senior software engineer"
	has system "exactly one fenced code block in python"
	has system "no prose before or after"
	has system "no placeholders"
	has prompt "add two numbers"
	has prompt "python"
	has prompt "exactly one fenced code block in python"
	assert_equal "$(json_get task <<<"$output")" "add two numbers"
	assert_equal "$(json_get language <<<"$output")" python
}

@test "without a language the prompt asks for the language the task implies" {
	run --separate-stderr ar-prompt <<<'{"task":"a fizzbuzz"}'
	assert_success
	has system "the language the task implies"
	has prompt "the language the task implies"
	run json_get language <<<"$output"
	assert_failure
}

@test "file_context appears in the prompt inside a fence" {
	run --separate-stderr ar-prompt <<<'{"task":"rename f","language":"c","file_context":"int f(void) { return 1; }"}'
	assert_success
	has prompt $'```\nint f(void) { return 1; }\n```'
	has system "keep its style"
}

@test "-t -l -f builds a record from the arguments without reading stdin" {
	printf 'def old():\n    return 1\n' >old.py
	run --separate-stderr ar-prompt -t "refactor old" -l python -f old.py </dev/null
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_equal "$(json_get task <<<"$output")" "refactor old"
	assert_equal "$(json_get language <<<"$output")" python
	assert_equal "$(json_get files <<<"$output")" '["old.py"]'
	has prompt "File: old.py"
	has prompt $'def old():\n    return 1\n'
	has system "in python"
}

@test "-t does not wait for stdin that never ends" {
	mkfifo never
	exec 5<>never		# a pipe with a writer that never writes
	run --separate-stderr timeout 30 ar-prompt -t "say hi" -l sh <&5
	exec 5>&-
	assert_success
	assert_equal "$(json_get task <<<"$output")" "say hi"
	has prompt "say hi"
}

@test "-f FILE... takes several files as operands, and -f may repeat" {
	echo 'int a;' >a.c
	echo 'int b;' >b.c
	echo 'int c;' >c.c
	run --separate-stderr ar-prompt -t "merge" -l c -f a.c b.c c.c
	assert_success
	assert_equal "$(json_get files <<<"$output")" '["a.c","b.c","c.c"]'
	has prompt $'File: a.c\n```\nint a;\n```'
	has prompt $'File: b.c\n```\nint b;\n```'
	has prompt $'File: c.c\n```\nint c;\n```'
	run --separate-stderr ar-prompt -t "merge" -f a.c -f b.c
	assert_success
	assert_equal "$(json_get files <<<"$output")" '["a.c","b.c"]'
	has prompt "int b;"
}

@test "-c gives the file context on the command line" {
	run --separate-stderr ar-prompt -t "use it" -c 'x = 1'
	assert_success
	assert_equal "$(json_get file_context <<<"$output")" "x = 1"
	has prompt $'```\nx = 1\n```'
}

@test "files of a record from stdin appear in the prompt under their path" {
	mkdir sub
	printf 'echo hello\n' >sub/hi.sh
	run --separate-stderr ar-prompt <<<'{"id":4,"task":"extend","files":["sub/hi.sh"]}'
	assert_success
	has prompt $'# File: sub/hi.sh\n```\necho hello\n```'
	assert_equal "$(json_get id <<<"$output")" 4
}

@test "a file holding backticks is fenced with a longer fence" {
	printf 'Use ```code``` here\n' >doc.md
	run --separate-stderr ar-prompt -t "summarise" -f doc.md
	assert_success
	has prompt $'````\nUse ```code``` here\n````'
}

@test "an unreadable file is an error record naming it, exit 1" {
	run --separate-stderr ar-prompt <<<'{"id":"r1","task":"t","files":["nope.txt"]}'
	assert_failure 1
	assert_equal "$(json_get error.stage <<<"$output")" ar-prompt
	assert_equal "$(json_get error.code <<<"$output")" file_error
	has error.message "cannot read nope.txt"
	has error.message "No such file"
	assert_equal "$(json_get id <<<"$output")" r1
	run json_get prompt <<<"$output"
	assert_failure
}

@test "-t with an unreadable file writes an error record, exit 1, not a usage error" {
	run --separate-stderr ar-prompt -t t -f missing.c </dev/null
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" file_error
	has error.message "missing.c"
	assert_equal "$(json_get task <<<"$output")" t
}

@test "a directory given as a file is a file_error naming it" {
	mkdir adir
	run --separate-stderr ar-prompt -t t -f adir
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" file_error
	has error.message "cannot read adir"
}

@test "a file over the size limit is a file_error naming it and the limit" {
	head -c 1048577 /dev/zero | tr '\0' a >big.txt
	run --separate-stderr ar-prompt <<<'{"task":"t","files":["big.txt"]}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" file_error
	has error.message "big.txt"
	has error.message "1048576"
}

@test "a file exactly at the size limit is read" {
	head -c 1048576 /dev/zero | tr '\0' a >edge.txt
	run --separate-stderr ar-prompt <<<'{"task":"t","files":["edge.txt"]}'
	assert_success
	has prompt "File: edge.txt"
	run json_get error <<<"$output"
	assert_failure
}

@test "a binary file is a file_error saying it is not UTF-8 text" {
	printf 'ab\000cd\377' >bin.dat
	run --separate-stderr ar-prompt <<<'{"task":"t","files":["bin.dat"]}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" file_error
	has error.message "bin.dat is not UTF-8 text"
}

@test "files of the wrong type is a bad_field naming files" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"task":"t","files":"a.txt"}
	{"task":"t","files":[1]}
	EOT
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(nth 1 | json_get error.code)" bad_field
	[[ $(nth 1 | json_get error.message) == *files*string* ]]
	assert_equal "$(nth 2 | json_get error.code)" bad_field
	[[ $(nth 2 | json_get error.message) == *files*number* ]]
}

@test "a missing task is a bad_field naming task" {
	run --separate-stderr ar-prompt <<<'{"id":9,"language":"c"}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" bad_field
	has error.message task
	assert_equal "$(json_get id <<<"$output")" 9
}

@test "a task of the wrong type is a bad_field naming task and the type" {
	run --separate-stderr ar-prompt <<<'{"task":42}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" bad_field
	has error.message task
	has error.message number
}

@test "an empty task is a bad_field" {
	run --separate-stderr ar-prompt <<<'{"task":""}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" bad_field
	has error.message task
}

@test "language and file_context of the wrong type are bad_field naming them" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"task":"t","language":["c"]}
	{"task":"t","file_context":true}
	EOT
	assert_failure 1
	[[ $(nth 1 | json_get error.message) == *language*array* ]]
	[[ $(nth 2 | json_get error.message) == *file_context*bool* ]]
}

@test "id, path, extra fields and unicode pass through" {
	run --separate-stderr ar-prompt <<<'{"id":"x1","path":"out/a.py","extra":{"n":[1,2.5,null]},"task":"écrire 日本 😀","language":"python"}'
	assert_success
	assert_equal "$(json_get id <<<"$output")" x1
	assert_equal "$(json_get path <<<"$output")" out/a.py
	assert_equal "$(json_get extra <<<"$output")" '{"n":[1,2.5,null]}'
	assert_equal "$(json_get task <<<"$output")" "écrire 日本 😀"
	has prompt "écrire 日本 😀"
}

@test "a bad JSON line between good ones: 3 records, the middle one bad_input quoting it, exit 1" {
	run --separate-stderr ar-prompt <<-'EOT'
	{"id":1,"task":"a"}
	this is {not json
	{"id":3,"task":"c"}
	EOT
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_equal "$(nth 1 | json_get id)" 1
	nth 1 | json_get prompt >/dev/null
	assert_equal "$(nth 2 | json_get error.code)" bad_input
	[[ $(nth 2 | json_get error.message) == *"this is {not"* ]]
	assert_equal "$(nth 3 | json_get id)" 3
	nth 3 | json_get prompt >/dev/null
}

@test "a record carrying an error passes through untouched" {
	local in='{"id":5,"task":"t","error":{"stage":"ar-x","code":"timeout","message":"m"}}'
	run --separate-stderr ar-prompt <<<"$in"
	assert_failure 1
	assert_equal "$output" "$in"
}

@test "--help prints usage on stdout and exits 0; --version names the program" {
	run --separate-stderr ar-prompt --help
	assert_success
	assert_output --partial "usage: ar-prompt"
	run --separate-stderr ar-prompt --version
	assert_success
	assert_output --regexp '^ar-prompt \(aurarouter\) [0-9]'
}

@test "a bad flag is a usage error: exit 2, usage on stderr, nothing on stdout" {
	run --separate-stderr ar-prompt --bogus </dev/null
	assert_failure 2
	assert_output ""
	[[ $stderr == *usage:* ]]
}

@test "operands without -t are a usage error, exit 2" {
	run --separate-stderr ar-prompt a.c </dev/null
	assert_failure 2
	assert_output ""
	run --separate-stderr ar-prompt -l c </dev/null
	assert_failure 2
}
