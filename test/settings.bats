#!/usr/bin/env bats
# The settings table: which program loads which setting, the trust rule
# over the URLs a program uses, and the defaults the man pages state.

bats_require_minimum_version 1.5.0
load helper

setup() { ar_setup; cd "$BATS_TEST_TMPDIR/work"; }

PROGS="ar-prompt ar-ollama ar-openai ar-gemini ar-validate ar-route ar-mcp ar-stats"

# The settings table: NAME KIND DEFAULT MIN MAX MARKS, one line each.
settings() { "$AR_TEST_BIN/config-dump" --settings; }

# garbage KIND: a value no setting of that kind accepts; nothing for kinds
# that take any text.
garbage() {
	case $1 in
	number | duration | bool | word | list) echo abc ;;
	host) echo ftp://x ;;
	esac
}

# help_env PROG: the variables PROG's --help names after "Environment:".
help_env() {
	"$1" --help | sed -n '/^Environment:/,$p' | grep -oE '\b[A-Z][A-Z0-9_]{2,}\b'
}

@test "each program loads only the settings its --help names: a bad value fails those programs only, naming the variable and the file" {
	local name kind def rest bad prog listed checked=0
	declare -A fails
	while read -r name kind def rest; do
		bad=$(garbage "$kind")
		[[ -n $bad ]] || continue
		checked=$((checked + 1))
		for prog in $PROGS; do
			listed=0
			help_env "$prog" | grep -qx "$name" && listed=1
			# from the environment
			run --separate-stderr env "$name=$bad" \
			    OPENAI_BASE_URL=http://127.0.0.1:9/v1 "$prog" </dev/null
			if ((listed)); then
				[[ $status -eq 2 && $stderr == *"$name"* ]] ||
				    fail "$prog $name=$bad: status $status: $stderr"
				fails[$prog]=1
			else
				[[ $status -eq 0 ]] ||
				    fail "$prog does not read $name, yet $name=$bad: status $status: $stderr"
			fi
			# from ./.env: the message names the file
			echo "$name=$bad" >.env
			run --separate-stderr env -u "$name" OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
			    "$prog" </dev/null
			rm .env
			if ((listed)); then
				[[ $status -eq 2 && $stderr == *"$name"*"(from ./.env)"* ]] ||
				    fail "$prog $name=$bad in ./.env: status $status: $stderr"
			else
				[[ $status -eq 0 ]] ||
				    fail "$prog does not read $name, yet ./.env $name=$bad: status $status: $stderr"
			fi
		done
	done < <(settings)
	((checked >= 15)) || fail "only $checked settings checked"
	# Every program but ar-prompt reads some checked setting.
	for prog in $PROGS; do
		[[ $prog == ar-prompt || -n ${fails[$prog]:-} ]] ||
		    fail "$prog failed on no setting"
	done
}

@test "ar-prompt reads no setting: AR_TIMEOUT=abc and every other bad value leave it working" {
	AR_TIMEOUT=abc run --separate-stderr ar-prompt -t 'say hi'
	assert_success
	assert_equal "$stderr" ""
	[[ $output == '{"task":"say hi","system":'* ]]
	run --separate-stderr env AR_TIMEOUT=abc AR_NUM_CTX=x OLLAMA_HOST=ftp://x \
	    AR_MIN_CHARS=-5 AR_REPAIRS=9 AR_CLOUD_THINKING=x ar-prompt <<<'{"id":7,"task":"t"}'
	assert_success
	[[ $output == '{"id":7,"task":"t","system":'* ]]
	run ar-prompt --help
	assert_line "Environment: none"
}

@test "trust: only the backend URLs a program uses are checked against a key from elsewhere" {
	echo 'OLLAMA_HOST=127.0.0.1:9' >.env
	# ar-prompt, ar-validate and ar-gemini never use OLLAMA_HOST
	GEMINI_API_KEY=k run --separate-stderr ar-prompt -t hi
	assert_success
	GEMINI_API_KEY=k run --separate-stderr ar-validate <<<'{"id":1,"code":"print(\"hello world\")","language":"python"}'
	[[ $stderr != *"./.env sets"* ]] || fail "$stderr"
	[[ $output == '{"id":1,'* ]]
	GEMINI_API_KEY=k run --separate-stderr ar-gemini </dev/null
	assert_success
	assert_equal "$stderr" ""
	# ar-ollama and ar-route do
	GEMINI_API_KEY=k run --separate-stderr ar-ollama </dev/null
	assert_failure 2
	[[ $stderr == *"./.env sets OLLAMA_HOST, but the key GEMINI_API_KEY comes from the environment"* ]]
	GEMINI_API_KEY=k run --separate-stderr ar-route </dev/null
	assert_failure 2
	# ar-gemini checks its own URL
	echo 'GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9' >.env
	GEMINI_API_KEY=k run --separate-stderr ar-gemini </dev/null
	assert_failure 2
	[[ $stderr == *"./.env sets GOOGLE_GEMINI_BASE_URL"* ]]
	GEMINI_API_KEY=k run --separate-stderr ar-ollama </dev/null
	assert_success
}

# man_default PAGE NAME: the default PAGE states for NAME in the ".TP" item
# that NAME heads; fails if the item states none.
man_default() {
	awk -v n="$2" '
		item && /^\.(TP|SH|PP)/ { exit }
		item { sub(/^\.[A-Z]+ /, ""); gsub(/"/, ""); text = text " " $0; next }
		prev == ".TP" && $0 == ".B " n { item = 1 }
		{ prev = $0 }
		END { print text }' "$1" |
	    grep -oiE 'default:? +[^ ;,()]+' | head -n 1 | awk '{ print $NF }' |
	    sed 's/\.$//' | grep .
}

@test "the man pages state the defaults of the settings table" {
	local name kind def rest page stated n=0
	while read -r name kind def rest; do
		[[ $def != - ]] || continue
		for page in "$AR_TEST_DIR"/../man/*.[17]; do
			stated=$(man_default "$page" "$name") || continue
			n=$((n + 1))
			[[ $stated == "$def" ]] ||
			    fail "${page##*/}: $name: default $stated, the settings table says $def"
		done
	done < <(settings)
	# aurarouter.7 alone states 12 of them
	((n >= 20)) || fail "only $n stated defaults found"
}

@test "the settings table: each setting once, bounds around the default, trust marks on the URLs and keys" {
	run settings
	assert_success
	assert_line "AR_TIMEOUT duration 300 0.001 86400 -"
	assert_line "AR_NUM_CTX number 4096 1 16777216 -"
	assert_line "AR_REPAIRS number 1 0 3 -"
	assert_line "OLLAMA_HOST host http://127.0.0.1:11434 - - backend_url"
	assert_line "OPENAI_API_KEY key - - - key"
	assert_line "AR_TIERS list - - - url_list"
	assert_equal "$(cut -d' ' -f1 <<<"$output" | sort | uniq -d)" ""
	local name kind def min max rest
	while read -r name kind def min max rest; do
		[[ $def == - || $min == - ]] && continue
		awk -v d="$def" -v lo="$min" -v hi="$max" \
		    'BEGIN { exit !(d + 0 >= lo + 0 && d + 0 <= hi + 0) }' ||
		    fail "$name: default $def outside $min..$max"
	done <<<"$output"
}

@test "the README's settings table states the defaults of the settings table" {
	local name kind def rest stated n=0
	while read -r name kind def rest; do
		[[ $def != - ]] || continue
		stated=$(grep -E "^\| \`$name\` \|" "$AR_TEST_DIR/../README.md" |
		    cut -d'|' -f3 | tr -d '` ')
		[[ -n $stated ]] || continue
		n=$((n + 1))
		[[ $stated == "$def" ]] ||
		    fail "README: $name: default $stated, the settings table says $def"
	done < <(settings)
	((n >= 12)) || fail "only $n README defaults found"
}
