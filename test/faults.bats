#!/usr/bin/env bats
# The fault matrix: every backend fault against ar-ollama, ar-gemini,
# ar-route and ar-mcp, each checked for its outcome, bounded time and
# memory, no crash, one output per input and no API key in any output.
# Then the key in child processes and core files, a reader that goes away,
# signals during a request, and a full disk.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
	# Small timeouts keep the matrix fast; no rate floor, so a slow drip
	# ends on AR_TIMEOUT.
	export AR_FIRST_TOKEN_TIMEOUT=2 AR_TIMEOUT=2 AR_MIN_TPS=0
	printf '{"id":%d,"task":"add two numbers","language":"python"}\n' \
	    1 2 3 >in.jsonl
}

# One row per fault: its name, the local and the cloud target, then the
# outcome expected from ar-ollama, from ar-gemini, and of ar-route's local
# and cloud attempts. A target is a model name (the mock's behaviour; "@"
# becomes a name new to this run) or @refused / @unresolvable for the
# backend's URL. An outcome is an error code, "ok" (an answer and no
# error) or "~WORD" (an answer that validation rejects, a reason holding
# WORD).
FAULTS=(
	"refused      @refused      @refused          connect_failed connect_failed connect_failed connect_failed"
	"unresolvable @unresolvable @unresolvable     resolve_failed resolve_failed resolve_failed resolve_failed"
	"hang         hang          hang              timeout        timeout        timeout        timeout"
	"hang-mid     hang-mid      hang-mid          timeout        timeout        timeout        timeout"
	"slow         slow          slow              timeout        timeout        timeout        timeout"
	"4xx          http-400      http-400          http_error     http_error     http_error     http_error"
	"5xx          http-500      http-500          server_error   server_error   server_error   server_error"
	"429-daily    http-429      rate-limit-daily  http_error     rate_limited   http_error     rate_limited"
	"429-retry    http-429      rate-limit-once.@ http_error     ok             http_error     ok"
	"malformed    malformed     malformed         bad_response   bad_response   bad_response   bad_response"
	"cut          cut           cut               stream_cut     stream_cut     stream_cut     stream_cut"
	"cut-hard     cut-hard      cut-hard          stream_cut     stream_cut     stream_cut     stream_cut"
	"error-mid    error-mid     error-mid         stream_error   stream_error   stream_error   stream_error"
	"empty        empty         empty             ok             empty_answer   ~empty         empty_answer"
	"refusal      refusal       refusal           ok             ok             ~refusal       ~refusal"
	"truncated    truncated     truncated         ok             ok             ~truncated     ~truncated"
	"huge         huge          huge              too_large      too_large      too_large      too_large"
)

# Bounds every fault case must keep: seconds, and peak RSS in KiB (the
# 100 MB answer included). AddressSanitizer's shadow memory and quarantine
# need more room.
FAULT_SECS=60
if [ -n "${ASAN_OPTIONS:-}" ]; then
	FAULT_RSS_KB=$((256 << 10))
else
	FAULT_RSS_KB=$((64 << 10))
fi

# point SIDE TARGET: appends to the array cfg the settings that send the
# requests of SIDE (local or cloud) to TARGET.
point() {
	local url=OLLAMA_HOST model=AR_LOCAL_MODEL
	if [ "$1" = cloud ]; then
		url=GOOGLE_GEMINI_BASE_URL model=AR_CLOUD_MODEL
	fi
	case $2 in
	@refused) cfg+=("$url=$REFUSED_URL") ;;
	@unresolvable) cfg+=("$url=http://no-such-host.invalid") ;;
	*) cfg+=("$model=${2//@/$BATS_TEST_NUMBER-$RANDOM}") ;;
	esac
}

# no_key LABEL FILE...: the API key appears in none of the files.
no_key() {
	local label=$1 f
	shift
	for f; do
		if grep -qF -- "$MOCK_KEY" "$f"; then
			fail "$label: the API key is in $(basename "$f")"
		fi
	done
}

# fault_run LABEL CMD...: runs CMD on in.jsonl under a watchdog and, when
# present, GNU time; sets rc, secs and rss (KiB, empty when not measured)
# and leaves stdout and stderr in out and err. Then checks what every
# fault case owes: exit status 0 or 1 (no crash, no watchdog), at most
# FAULT_SECS seconds, a peak RSS under FAULT_RSS_KB, no key in any output.
# Without GNU time, an address space limit of 1 GiB stands in for it.
fault_run() {
	local label=$1 t0=$SECONDS
	shift
	rc=0 rss=
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -q -f %M -o rss.txt timeout -k 5 90 "$@" \
		    <in.jsonl >out 2>err || rc=$?
		rss=$(tail -n 1 rss.txt)
	elif [ -n "${ASAN_OPTIONS:-}" ]; then
		timeout -k 5 90 "$@" <in.jsonl >out 2>err || rc=$?
	else
		(ulimit -v $((1 << 20)) && exec timeout -k 5 90 "$@") \
		    <in.jsonl >out 2>err || rc=$?
	fi
	secs=$((SECONDS - t0))
	((rc == 0 || rc == 1)) ||
	    fail "$label: exit status $rc; stderr: $(head -c 600 err)"
	((secs <= FAULT_SECS)) || fail "$label: took $secs s"
	[ -z "$rss" ] || ((rss < FAULT_RSS_KB)) ||
	    fail "$label: peak RSS $rss KiB"
	no_key "$label" out err
}

# verdict KIND WANT...: checks the output in the file out against the
# expected outcomes; prints what is wrong, or nothing. KIND: stage (one
# record per input, WANT for each), fallback (ar-route answered by gemini
# after a local attempt matching WANT), both (local WANT1, cloud WANT2:
# all_failed, or the cloud's answer when WANT2 is ok), mcp-fallback and
# mcp-both (the same for the replies to tools/call ids 1-3 of ar-mcp).
verdict() {
	"${PYTHON3:-python3}" - "$@" <<-'EOF'
	import json, sys
	kind, want = sys.argv[1], sys.argv[2:]

	def bad(msg):
	    print(msg)
	    sys.exit(0)

	def match(w, err, reasons, ok):
	    if w == "ok":
	        return err is None and ok is True
	    if w.startswith("~"):
	        return err is None and any(w[1:] in r for r in reasons or [])
	    return isinstance(err, dict) and err.get("code") == w

	def attempts(r, n=2):
	    a = r.get("attempts")
	    if not isinstance(a, list) or len(a) != n:
	        bad("attempts: %r" % (a,))
	    if [x.get("backend") for x in a] != ["ollama", "gemini"][:n]:
	        bad("attempt backends: %r" % (a,))
	    return a

	def check_attempt(a, w):
	    if not match(w, a.get("error"), a.get("reasons"), a.get("ok")):
	        bad("%s attempt, want %s: %s" % (a["backend"], w,
	                                         json.dumps(a)[:400]))

	try:
	    lines = [json.loads(l) for l in open("out") if l.strip()]
	except ValueError as e:
	    bad("output is not JSON lines: %s" % e)
	if kind.startswith("mcp"):
	    meta = [m for m in lines if any(k.startswith("_") for k in m)]
	    if meta != [m for m in meta if "_exit" in m] or len(meta) != 1 \
	            or meta[0]["_exit"] != 0:
	        bad("driver: %r" % meta)
	    recs = []
	    for i in (1, 2, 3):
	        r = [m for m in lines if m.get("id") == i and "method" not in m]
	        if len(r) != 1:
	            bad("%d replies to call %d" % (len(r), i))
	        recs.append(r[0].get("result") or bad("no result: %r" % r[0]))
	else:
	    recs = lines
	    if len(recs) != 3:
	        bad("%d output records for 3 input records" % len(recs))
	    if [r.get("id") for r in recs] != [1, 2, 3]:
	        bad("ids out of order: %r" % [r.get("id") for r in recs])
	for r in recs:
	    if kind == "stage":
	        if not match(want[0], r.get("error"), None, "output" in r):
	            bad("want %s: %s" % (want[0], json.dumps(r)[:400]))
	    elif kind in ("fallback", "both") and want[-1] == "ok":
	        if r.get("backend") != "gemini" or r.get("valid") is not True \
	                or "error" in r:
	            bad("not answered by gemini: %s" % json.dumps(r)[:400])
	        a = attempts(r)
	        check_attempt(a[0], want[0])
	        check_attempt(a[1], "ok")
	    elif kind == "both":
	        e = r.get("error") or {}
	        if e.get("code") != "all_failed" or r.get("valid") is not False:
	            bad("not all_failed: %s" % json.dumps(r)[:400])
	        a = attempts(r)
	        check_attempt(a[0], want[0])
	        check_attempt(a[1], want[1])
	    elif kind == "mcp-fallback" or (kind == "mcp-both" and want[1] == "ok"):
	        s = r.get("structuredContent") or {}
	        if r.get("isError") or s.get("backend") != "gemini":
	            bad("not answered by gemini: %s" % json.dumps(r)[:400])
	        check_attempt(attempts(s)[0], want[0])
	    elif kind == "mcp-both":
	        text = r.get("content", [{}])[0].get("text", "")
	        if r.get("isError") is not True:
	            bad("not isError: %s" % json.dumps(r)[:400])
	        for side, w in zip(("ollama", "gemini"), want):
	            if side + " " not in text or w.lstrip("~") not in text:
	                bad("%s: %s not in %r" % (side, w, text[:400]))
	EOF
}

# judge LABEL KIND WANT...: fails with LABEL when verdict finds a fault.
judge() {
	local label=$1 v
	shift
	v=$(verdict "$@")
	[ -z "$v" ] || fail "$label: $v; stderr: $(head -c 600 err)"
}

# mcp_session: the driver's script for ar-mcp: three calls at once.
mcp_session() {
	local i
	echo 'send {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bats","version":"1.0"}}}'
	echo 'send {"jsonrpc":"2.0","method":"notifications/initialized"}'
	for i in 1 2 3; do
		echo "send {\"jsonrpc\":\"2.0\",\"id\":$i,\"method\":\"tools/call\",\"params\":{\"name\":\"intelligent_code_gen\",\"arguments\":{\"task\":\"add two numbers\",\"language\":\"python\"}}}"
	done
	echo 'wait 1'
	echo 'wait 2'
	echo 'wait 3'
}

# ---------------------------------------------------------------- matrix

@test "ar-ollama: every local fault is its error code on each record, bounded, no key" {
	local name lt ct wo wg wl wc cfg
	for row in "${FAULTS[@]}"; do
		read -r name lt ct wo wg wl wc <<<"$row"
		cfg=()
		point local "$lt"
		fault_run "ar-ollama $name" env "${cfg[@]}" ar-ollama -v
		judge "ar-ollama $name" stage "$wo"
	done
}

@test "ar-gemini: every cloud fault is its error code on each record, a 429 once is waited out" {
	local name lt ct wo wg wl wc cfg
	for row in "${FAULTS[@]}"; do
		read -r name lt ct wo wg wl wc <<<"$row"
		cfg=()
		point cloud "$ct"
		fault_run "ar-gemini $name" env "${cfg[@]}" ar-gemini -v
		judge "ar-gemini $name" stage "$wg"
	done
}

@test "ar-route: every local fault falls back to gemini, attempts[0] naming it" {
	local name lt ct wo wg wl wc cfg
	for row in "${FAULTS[@]}"; do
		read -r name lt ct wo wg wl wc <<<"$row"
		cfg=()
		point local "$lt"
		fault_run "ar-route $name" env "${cfg[@]}" ar-route -v
		((rc == 0)) || fail "ar-route $name: exit $rc"
		judge "ar-route $name" fallback "$wl"
	done
}

@test "ar-route -j 3: every fault on both sides is all_failed naming each attempt" {
	local name lt ct wo wg wl wc cfg
	for row in "${FAULTS[@]}"; do
		read -r name lt ct wo wg wl wc <<<"$row"
		cfg=()
		point local "$lt"
		point cloud "$ct"
		fault_run "ar-route both $name" env "${cfg[@]}" ar-route -v -j 3
		[ "$rc" = "$([ "$wc" = ok ] && echo 0 || echo 1)" ] ||
		    fail "ar-route both $name: exit $rc"
		judge "ar-route both $name" both "$wl" "$wc"
	done
}

@test "ar-mcp: every local fault falls back to gemini in each call's result" {
	local name lt ct wo wg wl wc cfg
	for row in "${FAULTS[@]}"; do
		read -r name lt ct wo wg wl wc <<<"$row"
		cfg=()
		point local "$lt"
		mcp_session >in.jsonl
		fault_run "ar-mcp $name" env "${cfg[@]}" \
		    "${PYTHON3:-python3}" "$AR_TEST_DIR/mcp_client.py" -t 60 -- \
		    ar-mcp -v
		judge "ar-mcp $name" mcp-fallback "$wl"
	done
}

@test "ar-mcp: every fault on both sides is isError naming each backend's failure" {
	local name lt ct wo wg wl wc cfg
	for row in "${FAULTS[@]}"; do
		read -r name lt ct wo wg wl wc <<<"$row"
		cfg=()
		point local "$lt"
		point cloud "$ct"
		mcp_session >in.jsonl
		fault_run "ar-mcp both $name" env "${cfg[@]}" \
		    "${PYTHON3:-python3}" "$AR_TEST_DIR/mcp_client.py" -t 60 -- \
		    ar-mcp -v
		judge "ar-mcp both $name" mcp-both "$wl" "$wc"
	done
}

# --------------------------------------------------------------- secrets

# fake PROG...: puts in ./fake a stand-in for each PROG found in PATH that
# logs its argv and environment into fake.log, then runs the real one;
# prints the new PATH.
fake() {
	local prog real
	mkdir -p fake
	for prog; do
		real=$(command -v "$prog") || continue
		printf '#!/bin/sh\n{ echo "argv: $0 $*"; env; } >>"%s/fake.log"\nexec %s "$@"\n' \
		    "$PWD" "$real" >"fake/$prog"
		chmod +x "fake/$prog"
	done
	echo "$PWD/fake:$PATH"
}

@test "syntax checkers run without the key in their argv or environment" {
	export GOOGLE_API_KEY=$MOCK_KEY
	export -n MOCK_KEY	# the test's own copy, not the programs'
	PYTHON3=${PYTHON3:-$(command -v python3)}
	PATH=$(fake python3 cc sh)
	fence='```'
	for lang in python c sh; do
		case $lang in
		python) code='def add(a, b):\n    return a + b\n' ;;
		c) code='int\nadd(int a, int b)\n{\n\treturn a + b;\n}\n' ;;
		sh) code='greet() {\n\techo hello\n}\n' ;;
		esac
		printf '{"language":"%s","output":"%s%s\\n%s%s\\n"}\n' \
		    "$lang" "$fence" "$lang" "$code" "$fence"
	done >in.jsonl
	fault_run "ar-validate" ar-validate -v
	[ "$rc" = 0 ] || fail "ar-validate: exit $rc: $(cat out err)"
	printf '{"id":%d,"task":"add two numbers","language":"python"}\n' \
	    1 2 3 >in.jsonl
	fault_run "ar-route" env AR_LOCAL_MODEL=refusal ar-route -v
	judge "ar-route" fallback "~refusal"
	# The key in ./.env instead of the environment.
	unset GOOGLE_API_KEY GEMINI_API_KEY
	echo "GEMINI_API_KEY=$MOCK_KEY" >.env
	chmod 600 .env
	fault_run "ar-route, key in .env" ar-route -v --cloud-only
	[ "$rc" = 0 ] || fail "ar-route --cloud-only: exit $rc: $(cat err)"
	# Every checker ran, and the key is in none of their argv or env.
	for prog in python3 cc sh; do
		[ ! -x "fake/$prog" ] || grep -q "^argv: .*/$prog " fake.log ||
		    fail "$prog never ran"
	done
	no_key "children" fake.log
	run grep -c 'API_KEY' fake.log
	assert_output 0
}

# core_of DIR CMD...: runs CMD in DIR on one record with the hanging
# model, core files allowed, aborts it (SIGABRT) once its request reached
# the mock, and prints the names of the files it left in DIR (or that no
# request came).
core_of() {
	local dir=$1 pid i
	shift
	mkdir -p "$dir"
	mock_reset_log
	(
		cd "$dir" && ulimit -c unlimited 2>/dev/null &&
		    exec "$@" <<<'{"task":"add"}' >/dev/null 2>&1
	) &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q hang "$MOCK_LOG" && break
		sleep 0.1
	done
	grep -q hang "$MOCK_LOG" || echo "$*: no request within 10 s"
	kill -ABRT "$pid"
	wait "$pid" || true
	ls -A "$dir"
}

@test "a process holding the key writes no core file; without a key it does" {
	pattern=$(cat /proc/sys/kernel/core_pattern)
	case $pattern in
	'|'* | */*) skip "core files go to $pattern, not to the working directory" ;;
	esac
	export AR_FIRST_TOKEN_TIMEOUT=60 AR_TIMEOUT=60
	# The control: without a key the process stays dumpable.
	[ -n "$(core_of nokey env -u GEMINI_API_KEY ar-ollama -m hang)" ] ||
	    skip "no core file is written here (ulimit -c, sanitizer)"
	assert_equal "$(core_of gemini ar-gemini -m hang)" ""
	assert_equal "$(core_of ollama ar-ollama -m hang)" ""
	assert_equal "$(core_of route ar-route --local-model hang)" ""
	# The key from a file, not the environment.
	mkdir -p xdg/aurarouter
	echo "GEMINI_API_KEY=$MOCK_KEY" >xdg/aurarouter/env
	chmod 600 xdg/aurarouter/env
	assert_equal "$(core_of dotenv env -u GEMINI_API_KEY \
	    XDG_CONFIG_HOME="$PWD/xdg" ar-gemini -m hang)" ""
	mock_requests | grep -qF "$MOCK_KEY"	# that request carried it
}

# ------------------------------------------------------ signals, output

# sigdfl CMD...: runs CMD with SIGINT, SIGTERM and SIGPIPE at their
# default, as in a terminal's foreground job (a background job of a
# script inherits SIGINT ignored). sigign CMD...: with the three ignored.
SIGDFL='import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
    signal.signal(s, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])'
sigdfl() { "${PYTHON3:-python3}" -c "$SIGDFL" "$@"; }
sigign() { "${PYTHON3:-python3}" -c "${SIGDFL/SIG_DFL/SIG_IGN}" "$@"; }

# many: 300 records every filter accepts.
many() {
	local i
	for ((i = 1; i <= 300; i++)); do
		printf '{"id":%d,"task":"add","output":"```python\\ndef add(a, b):\\n    return a + b\\n```\\n"}\n' "$i"
	done
}

FILTERS=(ar-prompt ar-ollama ar-gemini ar-validate ar-route "ar-route -j 4" "ar-route -r")

@test "a reader that goes away ends every filter at once by SIGPIPE, nothing on stderr" {
	many >many.jsonl
	for f in "${FILTERS[@]}"; do
		t0=$SECONDS
		sigdfl $f -q <many.jsonl 2>err | head -c 0
		rc=${PIPESTATUS[0]}
		assert_equal "$f: $rc" "$f: 141"
		assert_equal "$f: $(cat err)" "$f: "
		((SECONDS - t0 < 30)) || fail "$f: took $((SECONDS - t0)) s"
	done
}

@test "a reader that goes away with SIGPIPE ignored: exit 1, nothing on stderr" {
	many >many.jsonl
	for f in "${FILTERS[@]}"; do
		[ "$f" != "ar-route -r" ] || continue	# writes by itself
		sigign $f -q <many.jsonl 2>err | head -c 0
		rc=${PIPESTATUS[0]}
		assert_equal "$f: $rc" "$f: 1"
		assert_equal "$f: $(cat err)" "$f: "
	done
}

# signal_during PROG SIG ARGS...: starts PROG on one record with the
# hanging model, waits until its request reached the mock, checks that
# the signal is neither blocked nor ignored, sends it, and checks the
# process ends by it within 5 s.
signal_during() {
	local prog=$1 sig=$2 pid i mask bit
	shift 2
	mock_reset_log
	# Not through a function, so $! is the program's own pid.
	"${PYTHON3:-python3}" -c "$SIGDFL" "$prog" "$@" \
	    <<<'{"task":"add"}' >out 2>err &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '"/api/generate"\|GenerateContent' "$MOCK_LOG" && break
		sleep 0.1
	done
	grep -q '"/api/generate"\|GenerateContent' "$MOCK_LOG" ||
	    fail "$prog: no request within 10 s"
	bit=$(($(kill -l "$sig") - 1))
	for mask in SigBlk SigIgn; do
		v=$(awk -v m="$mask:" '$1 == m { print $2 }' "/proc/$pid/status")
		((((0x$v >> bit) & 1) == 0)) || fail "$prog: SIG$sig in $mask ($v)"
	done
	kill -"$sig" "$pid"
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "$prog: still running 5 s after SIG$sig"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$prog $sig: $rc" "$prog $sig: $((128 + $(kill -l "$sig")))"
	assert_equal "$prog $sig: $(cat out)" "$prog $sig: "
}

@test "SIGINT or SIGTERM during a request ends ar-ollama, ar-gemini and ar-route at once" {
	export AR_FIRST_TOKEN_TIMEOUT=60 AR_TIMEOUT=60
	for sig in INT TERM; do
		signal_during ar-ollama "$sig" -m hang
		signal_during ar-gemini "$sig" -m hang
		signal_during ar-route "$sig" --local-model hang
		signal_during ar-route "$sig" -j 3 --cloud-only --cloud-model hang
	done
}

# full CMD...: runs CMD with its standard output on /dev/full.
full() { "$@" >/dev/full; }

@test "a full disk: every program reports the failed write on stderr and exits 1" {
	[ -w /dev/full ] || skip "no /dev/full"
	many | head -n 3 >three.jsonl
	for f in "${FILTERS[@]}" "ar-prompt -t add"; do
		run --separate-stderr full $f <three.jsonl
		assert_equal "$f: $status" "$f: 1"
		why=": No space left on device"
		[ "$f" != "ar-route -r" ] || why=	# writes by itself
		[[ $stderr == *"write error on standard output$why"* ]] ||
		    fail "$f: stderr: $stderr"
	done
	run --separate-stderr full ar-mcp <<<'{"jsonrpc":"2.0","id":1,"method":"ping"}'
	assert_equal "ar-mcp: $status" "ar-mcp: 1"
	[[ $stderr == *"write error on standard output"* ]]
	for p in ar-prompt ar-ollama ar-gemini ar-validate ar-route ar-mcp; do
		for flag in -h -V; do
			run --separate-stderr full "$p" "$flag"
			assert_equal "$p $flag: $status" "$p $flag: 1"
			[[ $stderr == *"write error on standard output"* ]] ||
			    fail "$p $flag: stderr: $stderr"
		done
	done
}

@test "closed standard descriptors: ar-mcp <&- ends at once, nothing lands on fd 1 but /dev/null" {
	# Closed stdin: the signal pipe must not become fd 0 and wait forever.
	# (Inside sh: "run" itself would put its capture pipe on fd 0.)
	run --separate-stderr timeout 20 sh -c 'exec ar-mcp <&-'
	assert_success
	assert_output ""
	# Closed stdout: records go to /dev/null, not into curl's socketpair.
	run --separate-stderr timeout 60 sh -c 'exec ar-route -v >&- <in.jsonl'
	assert_success
	[[ $stderr == *"⚡ [LOCAL]"*"id=3"* ]]
	[[ $stderr != *"write error"* ]]
	# While a program runs, fds 0-2 it was started without are /dev/null.
	mkfifo hold
	ar-route 0<hold >&- 2>&- 3>&- &
	pid=$!
	exec 7>hold
	for ((i = 0; i < 100; i++)); do
		[ -e "/proc/$pid/fd/2" ] && break
		sleep 0.1
	done
	assert_equal "$(readlink "/proc/$pid/fd/1")" /dev/null
	assert_equal "$(readlink "/proc/$pid/fd/2")" /dev/null
	exec 7>&-
	wait "$pid"
}

@test "a TLS failure (https:// to the plain-HTTP mock) is transport_error, never connect_failed" {
	use_mock
	local tls="https://127.0.0.1:$MOCK_PORT" code
	local rec='{"id":"r1","prompt":"write a function","system":"code only"}'
	OLLAMA_HOST=$tls run --separate-stderr ar-ollama <<<"$rec"
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" transport_error
	OPENAI_BASE_URL=$tls/v1 run --separate-stderr ar-openai -m ok <<<"$rec"
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" transport_error
	GOOGLE_GEMINI_BASE_URL=$tls run --separate-stderr ar-gemini -t 2 \
	    <<<'{"id":"r1","task":"add two numbers","language":"python"}'
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" transport_error
	# The status checks map it alike: ar-route's ollama tier is checked
	# before its request, an openai tier's --status names the failure.
	AR_TIERS="ollama:ok@$tls openai:ok@$tls/v1 gemini:ok@$tls" \
	    run --separate-stderr ar-route -t 2 <<<"$rec"
	assert_failure 1
	assert_equal "$(json_get error.code <<<"$output")" all_failed
	for i in 0 1 2; do
		code=$(json_get "attempts.$i.error.code" <<<"$output")
		assert_equal "$code" transport_error
	done
	refute_output --partial connect_failed
}
