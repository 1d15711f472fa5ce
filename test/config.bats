#!/usr/bin/env bats
# Settings: defaults, environment, .env files, OLLAMA_HOST parsing.

bats_require_minimum_version 1.5.0
load helper

setup() { ar_setup; }

dump() { "$AR_TEST_BIN/config-dump" "$@"; }

@test "defaults are the documented ones" {
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get ollama_url <<<"$output")" "http://127.0.0.1:11434"
	assert_equal "$(json_get local_model <<<"$output")" "deepseek-coder-v2:lite"
	assert_equal "$(json_get num_ctx <<<"$output")" "4096"
	assert_equal "$(json_get cloud_model <<<"$output")" "gemini-flash-latest"
	assert_equal "$(json_get gemini_base_url <<<"$output")" "https://generativelanguage.googleapis.com"
	assert_equal "$(json_get first_token_timeout <<<"$output")" "60"
	assert_equal "$(json_get timeout <<<"$output")" "300"
	assert_equal "$(json_get min_tps <<<"$output")" "5"
	assert_equal "$(json_get min_chars <<<"$output")" "10"
	assert_equal "$(json_get api_key_var <<<"$output")" "null"
}

@test "the environment sets every variable" {
	AR_LOCAL_MODEL=qwen AR_NUM_CTX=2048 AR_CLOUD_MODEL=gemini-x \
	GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9/ AR_FIRST_TOKEN_TIMEOUT=1.5 \
	AR_TIMEOUT=20 AR_MIN_TPS=0 AR_MIN_CHARS=3 OLLAMA_HOST=127.0.0.1:9 \
		run --separate-stderr dump
	assert_success
	assert_equal "$(json_get local_model <<<"$output")" "qwen"
	assert_equal "$(json_get num_ctx <<<"$output")" "2048"
	assert_equal "$(json_get cloud_model <<<"$output")" "gemini-x"
	assert_equal "$(json_get gemini_base_url <<<"$output")" "http://127.0.0.1:9"
	assert_equal "$(json_get first_token_timeout <<<"$output")" "1.5"
	assert_equal "$(json_get timeout <<<"$output")" "20"
	assert_equal "$(json_get min_tps <<<"$output")" "0"
	assert_equal "$(json_get min_chars <<<"$output")" "3"
	assert_equal "$(json_get ollama_url <<<"$output")" "http://127.0.0.1:9"
}

@test "a malformed number is a configuration error naming the variable" {
	AR_NUM_CTX=12abc run --separate-stderr dump
	assert_failure 2
	assert_output ""
	[[ $stderr == *AR_NUM_CTX* ]]
	[[ $stderr == *12abc* ]]
	AR_TIMEOUT=-1 run --separate-stderr dump
	assert_failure 2
	[[ $stderr == *AR_TIMEOUT* ]]
}

@test "GOOGLE_API_KEY wins over GEMINI_API_KEY" {
	GEMINI_API_KEY=g-key run --separate-stderr dump
	assert_equal "$(json_get api_key_var <<<"$output")" "GEMINI_API_KEY"
	GEMINI_API_KEY=g-key GOOGLE_API_KEY=o-key run --separate-stderr dump
	assert_equal "$(json_get api_key_var <<<"$output")" "GOOGLE_API_KEY"
	# An empty variable counts as unset.
	GEMINI_API_KEY=g-key GOOGLE_API_KEY= run --separate-stderr dump
	assert_equal "$(json_get api_key_var <<<"$output")" "GEMINI_API_KEY"
}

@test ".env: KEY=VALUE lines, comments, quotes and export" {
	cat >.env <<-'EOT'
	# a comment
	AR_LOCAL_MODEL="quoted model"
	export AR_CLOUD_MODEL='single'
	AR_NUM_CTX=1024 # trailing comment

	not a setting
	AR_MIN_CHARS = 7
	EOT
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get local_model <<<"$output")" "quoted model"
	assert_equal "$(json_get cloud_model <<<"$output")" "single"
	assert_equal "$(json_get num_ctx <<<"$output")" "1024"
	assert_equal "$(json_get min_chars <<<"$output")" "7"
}

@test "the environment wins over ./.env, which wins over the XDG file" {
	echo 'AR_LOCAL_MODEL=from-dotenv' >.env
	echo 'AR_CLOUD_MODEL=from-dotenv' >>.env
	mkdir -p "$HOME/.config/aurarouter"
	printf '%s\n' AR_LOCAL_MODEL=from-xdg AR_CLOUD_MODEL=from-xdg \
	    AR_NUM_CTX=512 >"$HOME/.config/aurarouter/env"
	AR_LOCAL_MODEL=from-env run --separate-stderr dump
	assert_equal "$(json_get local_model <<<"$output")" "from-env"
	assert_equal "$(json_get cloud_model <<<"$output")" "from-dotenv"
	assert_equal "$(json_get num_ctx <<<"$output")" "512"
}

@test "XDG_CONFIG_HOME moves the user file" {
	mkdir -p "$BATS_TEST_TMPDIR/xdg/aurarouter"
	echo 'AR_LOCAL_MODEL=from-xdg-home' >"$BATS_TEST_TMPDIR/xdg/aurarouter/env"
	XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg" run --separate-stderr dump
	assert_equal "$(json_get local_model <<<"$output")" "from-xdg-home"
}

@test "a key in .env is used and a readable .env gets a warning" {
	echo 'GEMINI_API_KEY=secret-from-file' >.env
	chmod 644 .env
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get api_key_var <<<"$output")" "GEMINI_API_KEY"
	[[ $stderr == *"warning: .env holds an API key"* ]]
	[[ $stderr != *secret-from-file* ]]
	chmod 600 .env
	run --separate-stderr dump
	assert_equal "$stderr" ""
}

@test "a key in the XDG file that others can read gets a warning naming it" {
	mkdir -p "$BATS_TEST_TMPDIR/xdg/aurarouter"
	f="$BATS_TEST_TMPDIR/xdg/aurarouter/env"
	echo 'GOOGLE_API_KEY=secret-from-xdg' >"$f"
	chmod 640 "$f"
	XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg" run --separate-stderr dump
	assert_success
	assert_equal "$(json_get api_key_var <<<"$output")" "GOOGLE_API_KEY"
	[[ $stderr == *"warning: $f holds an API key"* ]]
	[[ $stderr != *secret-from-xdg* ]]
	chmod 600 "$f"
	XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg" run --separate-stderr dump
	assert_equal "$stderr" ""
}

@test "OLLAMA_HOST is parsed as Ollama parses it" {
	run dump "" "127.0.0.1" "127.0.0.1:1234" "example.com:1234" \
	    "http://example.com" "https://example.com" "https://example.com/ollama/" \
	    "0.0.0.0" "0.0.0.0:5000" "[::1]" "::1" "[::]:8080" ":56789" \
	    "example.com:99999" "ollama.com" " \"127.0.0.1:7\" "
	assert_success
	assert_equal "$output" "http://127.0.0.1:11434
http://127.0.0.1:11434
http://127.0.0.1:1234
http://example.com:1234
http://example.com:80
https://example.com:443
https://example.com:443/ollama
http://127.0.0.1:11434
http://127.0.0.1:5000
http://[::1]:11434
http://[::1]:11434
http://[::1]:8080
http://127.0.0.1:56789
http://example.com:11434
https://ollama.com:443
http://127.0.0.1:7"
}

@test "a key in the environment is never shadowed by a key in a file" {
	echo 'GOOGLE_API_KEY=stale-file-key' >.env
	chmod 600 .env
	GEMINI_API_KEY=env-key run --separate-stderr dump
	assert_success
	assert_equal "$(json_get api_key_var <<<"$output")" "GEMINI_API_KEY"
	# With both in the environment, GOOGLE_API_KEY still wins.
	GEMINI_API_KEY=env-key GOOGLE_API_KEY=env-key2 run --separate-stderr dump
	assert_equal "$(json_get api_key_var <<<"$output")" "GOOGLE_API_KEY"
}

@test ".env: a quoted value may be followed by a comment" {
	cat >.env <<-'EOT'
	AR_LOCAL_MODEL="qwen:7b"   # my model
	AR_CLOUD_MODEL='a # b'
	OLLAMA_HOST=127.0.0.1:7	# a tab before the comment
	EOT
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get local_model <<<"$output")" "qwen:7b"
	assert_equal "$(json_get cloud_model <<<"$output")" "a # b"
	assert_equal "$(json_get ollama_url <<<"$output")" "http://127.0.0.1:7"
}

@test "a bad variable does not stop --help, and a flag that sets it overrides it" {
	AR_TIMEOUT=abc run --separate-stderr ar-route --help
	assert_success
	[[ $output == usage:* ]]
	rec='{"id":1,"error":{"stage":"x","code":"timeout","message":"m"}}'
	# The flag replaces the bad value: the record passes through.
	AR_TIMEOUT=abc run --separate-stderr ar-gemini -t 5 <<<"$rec"
	assert_failure 1
	assert_output "$rec"
	# Without the flag the bad value is a configuration error.
	AR_TIMEOUT=abc run --separate-stderr ar-gemini <<<"$rec"
	assert_failure 2
	assert_output ""
	[[ $stderr == *AR_TIMEOUT*abc* ]]
}

@test "an unusable OLLAMA_HOST is refused, as a value and as a flag" {
	run dump "ftp://example.com" "http://exa mple.com" "[::0.0.]0" "127.0.0.1:11434"
	assert_success
	assert_equal "$output" "(unusable)
(unusable)
(unusable)
http://127.0.0.1:11434"
	OLLAMA_HOST=ftp://x run --separate-stderr dump
	assert_failure 2
	[[ $stderr == *OLLAMA_HOST*"not a usable Ollama"* ]]
	run --separate-stderr ar-ollama --host 'ftp://x' </dev/null
	assert_failure 2
	[[ $stderr == *--host*"not a usable Ollama"* ]]
}

@test "AR_LOCAL_THINK, AR_CLOUD_THINKING and AR_MAX_CTX: defaults, values, normalised" {
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get local_think <<<"$output")" null
	assert_equal "$(json_get cloud_thinking <<<"$output")" null
	assert_equal "$(json_get max_ctx <<<"$output")" 4096
	AR_LOCAL_THINK=HIGH AR_CLOUD_THINKING=Medium AR_MAX_CTX=32768 run --separate-stderr dump
	assert_success
	assert_equal "$(json_get local_think <<<"$output")" high
	assert_equal "$(json_get cloud_thinking <<<"$output")" medium
	assert_equal "$(json_get max_ctx <<<"$output")" 32768
	# AR_MAX_CTX is never below AR_NUM_CTX; a budget is a whole number.
	AR_NUM_CTX=8192 AR_MAX_CTX=2048 AR_CLOUD_THINKING=0 run --separate-stderr dump
	assert_equal "$(json_get max_ctx <<<"$output")" 8192
	assert_equal "$(json_get cloud_thinking <<<"$output")" 0
	for v in "AR_LOCAL_THINK=max" "AR_LOCAL_THINK=" "AR_CLOUD_THINKING=true" "AR_CLOUD_THINKING=-2" "AR_MAX_CTX=0"; do
		env "$v" "$AR_TEST_BIN/config-dump" >/dev/null 2>err.txt && [[ $v == *= ]] && continue
		run cat err.txt
		[[ $output == *"${v%%=*}"* ]] || fail "$v: $output"
	done
}

# user_key VAR: puts VAR=user-secret-key in the user's own file (mode 600).
user_key() {
	mkdir -p "$HOME/.config/aurarouter"
	echo "$1=user-secret-key" >"$HOME/.config/aurarouter/env"
	chmod 600 "$HOME/.config/aurarouter/env"
}

@test "trust: a backend URL from ./.env with a key from the user's file is a configuration error" {
	user_key GEMINI_API_KEY
	echo 'GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9' >.env
	run --separate-stderr dump
	assert_failure 2
	assert_output ""
	[[ $stderr == *"./.env sets GOOGLE_GEMINI_BASE_URL"* ]]
	[[ $stderr == *"GEMINI_API_KEY comes from $HOME/.config/aurarouter/env"* ]]
	[[ $stderr != *user-secret-key* ]]
	# Every backend URL of the settings follows the rule.
	echo 'OLLAMA_HOST=127.0.0.1:9' >.env
	run --separate-stderr dump
	assert_failure 2
	[[ $stderr == *"./.env sets OLLAMA_HOST"* ]]
}

@test "trust: a backend URL from ./.env with a key from the environment is a configuration error" {
	echo 'GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9' >.env
	GOOGLE_API_KEY=env-secret-key run --separate-stderr dump
	assert_failure 2
	[[ $stderr == *"./.env sets GOOGLE_GEMINI_BASE_URL, but the key GOOGLE_API_KEY comes from the environment"* ]]
	[[ $stderr != *env-secret-key* ]]
	# A key in ./.env does not help when the environment's key is the one used.
	printf 'GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9\nGEMINI_API_KEY=k\n' >.env
	chmod 600 .env
	GOOGLE_API_KEY=env-secret-key run --separate-stderr dump
	assert_failure 2
}

@test "trust: key and URL from the same ./.env, or a URL from elsewhere, are fine" {
	printf 'GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9\nGEMINI_API_KEY=k\n' >.env
	chmod 600 .env
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get gemini_base_url <<<"$output")" "http://127.0.0.1:9"
	assert_equal "$(json_get api_key_var <<<"$output")" "GEMINI_API_KEY"
	# URL in the user's file or the environment, key from the environment.
	rm .env
	mkdir -p "$HOME/.config/aurarouter"
	echo 'GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8' >"$HOME/.config/aurarouter/env"
	GEMINI_API_KEY=k run --separate-stderr dump
	assert_success
	assert_equal "$(json_get gemini_base_url <<<"$output")" "http://127.0.0.1:8"
	echo 'GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9' >.env
	GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:7 GEMINI_API_KEY=k run --separate-stderr dump
	assert_success
	assert_equal "$(json_get gemini_base_url <<<"$output")" "http://127.0.0.1:7"
	# Without any key the URL from ./.env is used.
	rm "$HOME/.config/aurarouter/env"
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get gemini_base_url <<<"$output")" "http://127.0.0.1:9"
}

@test "trust: a flag that sets the URL replaces the one from ./.env" {
	echo 'OLLAMA_HOST=127.0.0.1:9' >.env
	GEMINI_API_KEY=k run --separate-stderr ar-route -H 127.0.0.1:1 --help
	assert_success
	rec='{"id":1,"error":{"stage":"x","code":"timeout","message":"m"}}'
	GEMINI_API_KEY=k run --separate-stderr ar-ollama -H 127.0.0.1:1 <<<"$rec"
	assert_failure 1
	assert_output "$rec"
	GEMINI_API_KEY=k run --separate-stderr ar-ollama <<<"$rec"
	assert_failure 2
	assert_output ""
	[[ $stderr == *"./.env sets OLLAMA_HOST"* ]]
}

@test "every program's --help gives each option of its synopsis a line with its meaning, and the environment it reads" {
	local prog opt line
	for prog in ar-prompt ar-ollama ar-openai ar-gemini ar-validate ar-route ar-mcp ar-stats; do
		run --separate-stderr "$prog" --help
		assert_success
		[[ $output == *"Environment:"* ]] || fail "$prog: no Environment line"
		for opt in $(grep -o -- '--[a-z][a-z-]*' <<<"$(sed -n '/^usage:/,/^$/p' <<<"$output")" | sort -u) --help --version --verbose --quiet; do
			line=$(grep -E -- "^ +(-[A-Za-z], )?$opt( |$)" <<<"$output") ||
			    fail "$prog: no help line for $opt"
			# a meaning follows the option (on its line or the next)
			grep -qE -- "$opt( [^ ]+)? +[a-z(]|$opt [A-Z]+$" <<<"$line" ||
			    fail "$prog: $opt has no meaning: $line"
		done
	done
	run --separate-stderr ar-route --help
	for v in AR_TIERS AR_COOLDOWN OPENAI_BASE_URL OPENAI_API_KEY GOOGLE_API_KEY OLLAMA_HOST; do
		[[ $output == *"$v"* ]] || fail "ar-route --help does not name $v"
	done
}

@test "trust: OPENAI_BASE_URL, and a tier URL in AR_TIERS, from ./.env are never sent a key from elsewhere" {
	echo 'OPENAI_BASE_URL=http://127.0.0.1:9/v1' >.env
	OPENAI_API_KEY=sk-env-secret run --separate-stderr dump
	assert_failure 2
	[[ $stderr == *"./.env sets OPENAI_BASE_URL, but the key OPENAI_API_KEY comes from the environment"* ]]
	[[ $stderr != *sk-env-secret* ]]
	echo 'AR_TIERS=ollama:m gemini:g@http://127.0.0.1:9' >.env
	GEMINI_API_KEY=env-secret run --separate-stderr dump
	assert_failure 2
	[[ $stderr == *"./.env sets AR_TIERS"* ]]
	[[ $stderr != *env-secret* ]]
	# A tier list that names no URL only picks engines and models.
	echo 'AR_TIERS=ollama:m gemini:g' >.env
	GEMINI_API_KEY=env-secret run --separate-stderr dump
	assert_success
}

@test ".env: a duplicate key keeps the last value, as dotenv and sh do" {
	printf '%s\n' AR_LOCAL_MODEL=first AR_NUM_CTX=100 AR_LOCAL_MODEL=last \
	    AR_NUM_CTX=200 >.env
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get local_model <<<"$output")" "last"
	assert_equal "$(json_get num_ctx <<<"$output")" "200"
	# Within the user's file too; ./.env still wins over it.
	mkdir -p "$HOME/.config/aurarouter"
	printf '%s\n' AR_CLOUD_MODEL=old AR_CLOUD_MODEL=new AR_LOCAL_MODEL=user \
	    >"$HOME/.config/aurarouter/env"
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get cloud_model <<<"$output")" "new"
	assert_equal "$(json_get local_model <<<"$output")" "last"
}

@test "trust: a URL that ./.env sets last is caught, whatever came before" {
	user_key GEMINI_API_KEY
	printf '%s\n' GOOGLE_GEMINI_BASE_URL= \
	    GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9 >.env
	run --separate-stderr dump
	assert_failure 2
	assert_output ""
	[[ $stderr == *"./.env sets GOOGLE_GEMINI_BASE_URL"* ]]
	# Emptied again by a later line: unset, the default is used.
	printf '%s\n' GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9 \
	    GOOGLE_GEMINI_BASE_URL= >.env
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get gemini_base_url <<<"$output")" "https://generativelanguage.googleapis.com"
}

@test ".env: a UTF-8 byte order mark at the start is skipped" {
	printf '\xef\xbb\xbfAR_LOCAL_MODEL=bom-model\nAR_NUM_CTX=300\n' >.env
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get local_model <<<"$output")" "bom-model"
	assert_equal "$(json_get num_ctx <<<"$output")" "300"
	mkdir -p "$HOME/.config/aurarouter"
	printf '\xef\xbb\xbfexport AR_CLOUD_MODEL=bom-cloud\n' \
	    >"$HOME/.config/aurarouter/env"
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get cloud_model <<<"$output")" "bom-cloud"
}

@test ".env: escapes in double quotes as dotenv reads them; single quotes are literal" {
	cat >.env <<-'EOT'
	AR_LOCAL_MODEL="a\"b"
	AR_CLOUD_MODEL="c\\d\ne" # comment "here"
	GOOGLE_GEMINI_BASE_URL='f\"g\n'
	EOT
	run --separate-stderr dump
	assert_success
	assert_equal "$(json_get local_model <<<"$output")" 'a"b'
	assert_equal "$(json_get cloud_model <<<"$output")" $'c\\d\ne'
	assert_equal "$(json_get gemini_base_url <<<"$output")" 'f\"g\n'
}

@test "an invalid value from a file names the file" {
	echo 'AR_TIMEOUT=10s' >.env
	run --separate-stderr dump
	assert_failure 2
	assert_output ""
	[[ $stderr == *"AR_TIMEOUT: invalid number '10s'"*"(from ./.env)"* ]]
	rm .env
	mkdir -p "$HOME/.config/aurarouter"
	echo 'OLLAMA_HOST=ftp://x' >"$HOME/.config/aurarouter/env"
	run --separate-stderr dump
	assert_failure 2
	[[ $stderr == *"OLLAMA_HOST: not a usable Ollama address"*"(from $HOME/.config/aurarouter/env)"* ]]
	# From the environment: no file is named.
	rm "$HOME/.config/aurarouter/env"
	AR_TIMEOUT=10s run --separate-stderr dump
	assert_failure 2
	[[ $stderr == *"AR_TIMEOUT: invalid number '10s'"* ]]
	[[ $stderr != *"(from "* ]]
}
