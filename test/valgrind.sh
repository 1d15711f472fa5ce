#!/bin/bash
# valgrind.sh [BINDIR] - run a representative set of cases under valgrind
# memcheck against the mock backend: every program on a good record, on an
# error path and on bad input, ar-route on a fallback, a repair, a check
# command, a cache hit and with -j, ar-stats, ar-ollama --status, an ar-mcp
# session. Fails on any memcheck error or a definite
# leak (valgrind exits 99), and on an unexpected exit status or record
# count. BINDIR holds the ar-* programs of a normal (not sanitized) build;
# default: $AR_BIN, else bin/ of the source tree.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-${AR_BIN:-$top/bin}}" && pwd) || exit 2
work=$(mktemp -d "${TMPDIR:-/tmp}/ar-valgrind.XXXXXX")
vg="valgrind -q --error-exitcode=99 --leak-check=full"
vg="$vg --errors-for-leak-kinds=definite --show-leak-kinds=definite"
vg="$vg --num-callers=30"
fail=0 n=0
mock_pid=

cleanup() {
	[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null
	[ -n "$mock_pid" ] && wait "$mock_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

command -v valgrind >/dev/null || { echo "valgrind.sh: no valgrind" >&2; exit 2; }
for p in ar-prompt ar-ollama ar-gemini ar-validate ar-route; do
	[ -x "$bin/$p" ] || { echo "valgrind.sh: no $bin/$p" >&2; exit 2; }
done

# The mock backend, and a sandbox: no .env, no key but the mock's.
"${PYTHON3:-python3}" "$top/test/mock_backend.py" --port-file "$work/port" \
    --log "$work/mock.log" </dev/null >"$work/mock.out" 2>&1 &
mock_pid=$!
for ((i = 0; i < 300; i++)); do
	[ -s "$work/port" ] && break
	sleep 0.1
done
[ -s "$work/port" ] || { echo "valgrind.sh: the mock did not start" >&2; exit 2; }
mock="http://127.0.0.1:$(cat "$work/port")"
refused="http://127.0.0.1:1"
mkdir -p "$work/home" "$work/cwd"
cd "$work/cwd" || exit 2
unset GOOGLE_API_KEY XDG_CONFIG_HOME $(env | sed -n 's/^\(AR_[A-Z_]*\)=.*/\1/p')
export HOME="$work/home" LC_ALL=C
export OLLAMA_HOST="$mock" GOOGLE_GEMINI_BASE_URL="$mock"
export GEMINI_API_KEY="AIzaSy-TEST-SECRET-7f3a9c"
export AR_LOCAL_MODEL=ok AR_CLOUD_MODEL=ok AR_TIMEOUT=60

TASK='{"id":1,"task":"write a function add(a, b) returning a + b","language":"python"}'
GOOD='{"id":2,"language":"python","output":"```python\ndef add(a, b):\n    return a + b\n```"}'
BAD='{"id":3,"language":"python","output":"```python\ndef f(:\n    return 1\n```"}'

# vg_report FILE: true if valgrind's log FILE holds a report. valgrind
# does not know the Landlock syscalls (444-446): it says so and returns
# ENOSYS, and the checkers then run unconfined; that note is no report.
vg_report() {
	grep -v -E '^--[0-9]+-- (WARNING: unhandled amd64-linux syscall: 44[4-6]$|You may be able to write your own handler|Read the file README_MISSING_SYSCALL_OR_IOCTL|Nevertheless we consider this a bug|it at http://valgrind.org/support/bug_reports.html)' \
	    "$1" | grep -q .
}

# vcase NAME STATUS RECORDS INPUT [ENV=VALUE...] -- PROGRAM [ARGS...]:
# runs PROGRAM under valgrind with INPUT on stdin; expects exit STATUS and
# RECORDS output lines (- for any).
vcase() {
	local name=$1 want=$2 nrec=$3 input=$4 rc lines
	shift 4
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	n=$((n + 1))
	printf '%s\n' "$input" | env "${envs[@]}" $vg --log-file="$work/vg.$n" \
	    "$bin/$@" >"$work/out.$n" 2>"$work/err.$n"
	rc=$?
	lines=$(grep -c . "$work/out.$n")
	if [ "$rc" -eq 99 ] || vg_report "$work/vg.$n"; then
		echo "FAIL $name: valgrind found errors" >&2
		cat "$work/vg.$n" >&2
		fail=1
	elif [ "$rc" -ne "$want" ] || { [ "$nrec" != - ] &&
	    [ "$lines" -ne "$nrec" ]; }; then
		echo "FAIL $name: exit $rc (want $want), $lines records" \
		    "(want $nrec)" >&2
		head -c 2000 "$work/err.$n" "$work/out.$n" >&2
		fail=1
	else
		echo "ok   $name"
	fi
}

vcase "ar-prompt: a task" 0 1 "$TASK" -- ar-prompt
vcase "ar-prompt: bad input" 1 2 "not json
{\"task\":1}" -- ar-prompt
vcase "ar-ollama: an answer" 0 1 "$TASK" -- ar-ollama
vcase "ar-ollama: error line mid-stream" 1 1 "$TASK" AR_LOCAL_MODEL=error-mid -- ar-ollama
vcase "ar-ollama: malformed stream" 1 1 "$TASK" AR_LOCAL_MODEL=malformed -- ar-ollama
vcase "ar-ollama: cut stream" 1 1 "$TASK" AR_LOCAL_MODEL=cut -- ar-ollama
vcase "ar-ollama: HTTP 500" 1 1 "$TASK" AR_LOCAL_MODEL=http-500 -- ar-ollama
vcase "ar-ollama: refused" 1 1 "$TASK" OLLAMA_HOST=$refused -- ar-ollama
vcase "ar-ollama: --status" 0 1 "" -- ar-ollama --status
vcase "ar-ollama: bad input" 1 1 "[1,2" -- ar-ollama
vcase "ar-gemini: an answer" 0 1 "$TASK" -- ar-gemini
vcase "ar-gemini: blocked" 1 1 "$TASK" AR_CLOUD_MODEL=blocked -- ar-gemini
vcase "ar-gemini: daily quota" 1 1 "$TASK" AR_CLOUD_MODEL=rate-limit-daily -- ar-gemini
vcase "ar-gemini: no key" 1 1 "$TASK" GEMINI_API_KEY= -- ar-gemini
vcase "ar-gemini: a retry after 429" 0 1 "$TASK" AR_CLOUD_MODEL=rate-limit-once -- ar-gemini
vcase "ar-validate: good code" 0 1 "$GOOD" -- ar-validate
vcase "ar-validate: a syntax error" 1 1 "$BAD" -- ar-validate
vcase "ar-validate: bad input" 1 1 '{"output": tru}' -- ar-validate
vcase "ar-route: local answer" 0 1 "$TASK" -- ar-route
vcase "ar-route: fallback to the cloud" 0 1 "$TASK" AR_LOCAL_MODEL=syntax-error -- ar-route
vcase "ar-route: both fail" 1 1 "$TASK" OLLAMA_HOST=$refused GEMINI_API_KEY= -- ar-route
vcase "ar-route: -j 2, three records" 0 3 "$TASK
$TASK
$TASK" -- ar-route -j 2
vcase "ar-route: bad input" 1 1 "}{" -- ar-route
vcase "ar-route: a repair saves the cloud call" 0 1 "$TASK" AR_LOCAL_MODEL=fixable -- ar-route
vcase "ar-route: a failing check command" 1 1 "$TASK" AR_CHECK=false -- ar-route --no-cache
vcase "ar-route: a cache hit" 0 1 "$TASK" -- ar-route
vcase "ar-openai: an answer" 0 1 "$TASK" OPENAI_BASE_URL=$mock/v1 -- ar-openai
vcase "ar-openai: cut stream" 1 1 "$TASK" OPENAI_BASE_URL=$mock/v1 AR_LOCAL_MODEL=cut -- ar-openai
vcase "ar-openai: --status" 0 1 "" OPENAI_BASE_URL=$mock/v1 -- ar-openai --status
vcase "ar-route: three tiers fall through, -j 2" 0 2 "$TASK
$TASK" AR_TIERS="ollama:http-500 openai:cut@$mock/v1,$mock/b/v1 gemini:ok" -- ar-route -j 2
vcase "ar-route: a refused endpoint cools down" 0 1 "$TASK" AR_TIERS="openai:ok@$refused/v1 gemini:ok" -- ar-route
vcase "ar-route: a tier cooling down is skipped" 0 1 "$TASK" AR_TIERS="openai:ok@$refused/v1 gemini:ok" -- ar-route
vcase "ar-route: --status of the tiers" 0 3 "" AR_TIERS="ollama:ok openai:ok@$mock/v1 gemini:ok" -- ar-route --status
vcase "ar-stats: the ledger" 0 - "" -- ar-stats --by day
vcase "ar-stats: --json --svg" 0 1 "" -- ar-stats --json --svg "$work/chart.svg"
vcase "ar-route: bad flag" 2 0 "" -- ar-route --no-such-flag
vcase "ar-route: flags that exclude each other" 2 0 "" -- ar-route --local-only --cloud-only
vcase "ar-validate: --version" 0 1 "" -- ar-validate --version

if [ -x "$bin/ar-mcp" ]; then
	INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"vg","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":2,"method":"tools/list"}
not json
{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"intelligent_code_gen","arguments":{"task":"add two numbers","language":"python"},"_meta":{"progressToken":"t"}}}'
	# The session stays open until the call is answered.
	n=$((n + 1))
	mkfifo "$work/mcp.in"
	$vg --log-file="$work/vg.$n" "$bin/ar-mcp" <"$work/mcp.in" \
	    >"$work/out.$n" 2>"$work/err.$n" &
	pid=$!
	exec 3>"$work/mcp.in"
	printf '%s\n' "$INIT" >&3
	for ((i = 0; i < 1200; i++)); do
		grep -q '"id":3' "$work/out.$n" && break
		sleep 0.1
	done
	exec 3>&-
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 99 ] || vg_report "$work/vg.$n"; then
		echo "FAIL ar-mcp: valgrind found errors" >&2
		cat "$work/vg.$n" >&2
		fail=1
	elif [ "$rc" -ne 0 ] || ! grep -q '"id":3,"result"' "$work/out.$n"; then
		echo "FAIL ar-mcp: exit $rc or the call was not answered" >&2
		head -c 2000 "$work/err.$n" "$work/out.$n" >&2
		fail=1
	else
		echo "ok   ar-mcp: a session with a tool call"
	fi
fi
exit $fail
