#!/usr/bin/env bash
# bench.sh - what the gateway costs on top of the backend, as ratios
# against curl making the same requests to the same mock backend in the
# same process tree. Not a test: it prints figures.
#
#   test/bench.sh [BIN_DIR]        (default: bin/ next to test/)
#
# Figures (each the best of $ROUNDS rounds, wall clock):
#  1. a stream of $N records through ar-route (local answers) against curl
#     posting the same $N bodies over one keep-alive connection: the
#     overhead per record and the ratio;
#  2. one file through `ar-prompt | ar-route -r` against one curl call;
#  3. both backends refusing connections: time to the error record;
#  3b. a chain of three tiers whose first two are down (ollama refusing,
#     an openai endpoint refusing) against the cloud tier alone: the time
#     to the cloud answer over the cloud's own (target < 50 ms), and with
#     both down tiers cooling down (AR_COOLDOWN) after a first failure;
#  4. one record through ar-route answered from the answer cache against
#     the same record routed to the (instant) mock: a hit and a miss.
# Figures 1 to 3 run with the cache off (AR_NO_CACHE=1: the same record
# again would be a hit) and the ledger on, in a temporary directory.
#  5. ar-mcp: the characters of the tools/call results the calling model
#     reads for the examples' tasks, with the code in the result and with
#     write_to (the mock's answers, so the code is short: real code is
#     longer and saves more).
#  6. hostile nesting: a record nested 750000 deep through ar-prompt
#     against a flat record of the same size, and a Gemini body of 64 KiB
#     of "[" lines against a normal answer (both linear: ratio near 1);
#  7. the Python syntax check per record: $N records through ar-validate
#     (one checker process per worker) against one python3 process per
#     record, as before.
#  8. deadlines and cancel against a mock that holds its answer back: how
#     late ar-ollama's first-token timeout (-T 0.3, a silent server) and
#     whole timeout (-t 2.5, 2 tokens then silence) fire, past the run
#     time of an instant answer, the worst of $ROUNDS runs (target
#     < 100 ms), and how long after an MCP
#     notifications/cancelled the mock sees the Ollama connection close
#     (target < 100 ms).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:-$here/../bin}" && pwd)
N=${N:-200}
FILES=${FILES:-30}
ROUNDS=${ROUNDS:-3}
PY=${PYTHON3:-python3}

tmp=$(mktemp -d)
trap 'kill $mock 2>/dev/null; rm -rf "$tmp"' EXIT
"$PY" "$here/mock_backend.py" --port-file "$tmp/port" --log /dev/null \
    </dev/null >"$tmp/mock.out" 2>&1 &
mock=$!
for _ in $(seq 300); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$tmp/port")"
refused="http://127.0.0.1:$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

export OLLAMA_HOST=$url GOOGLE_GEMINI_BASE_URL=$url AR_LOCAL_MODEL=ok \
    AR_CLOUD_MODEL=ok GEMINI_API_KEY=bench-key LC_ALL=C
unset XDG_CONFIG_HOME AR_LEDGER
export XDG_CACHE_HOME=$tmp/cache XDG_STATE_HOME=$tmp/state AR_NO_CACHE=1
cd "$tmp"

now() { date +%s%N; }
# best CMD...: the fastest of $ROUNDS runs of CMD, in microseconds.
best() {
	local b= t0 t1 i
	for ((i = 0; i < ROUNDS; i++)); do
		t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
		t=$(((t1 - t0) / 1000))
		[ -z "$b" ] || [ "$t" -lt "$b" ] && b=$t
	done
	echo "$b"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# The body ar-route sends, for curl to send too.
"$bin/ar-prompt" -t 'add two numbers' -l python >rec.json
"$PY" - <<'PY'
import json
r = json.load(open("rec.json"))
json.dump({"model": "ok", "prompt": r["prompt"], "system": r["system"],
           "stream": True, "options": {"num_ctx": 4096, "temperature": 0.1}},
          open("body.json", "w"))
PY
for ((i = 0; i < N; i++)); do cat rec.json; done >stream.jsonl
{
	for ((i = 0; i < N; i++)); do
		[ "$i" -gt 0 ] && echo next
		echo "url = \"$url/api/generate\""
		echo 'data-binary = "@body.json"'
		echo 'silent'
		echo 'output = "/dev/null"'
	done
} >curl.cfg

stream_route() { "$bin/ar-route" -q --no-syntax-check <stream.jsonl; }
stream_route_checked() { "$bin/ar-route" -q <stream.jsonl; }
stream_curl() { curl -K curl.cfg; }
per_file_route() {
	local i
	for ((i = 0; i < FILES; i++)); do
		"$bin/ar-prompt" -t 'add two numbers' -l python |
		    "$bin/ar-route" -q -r --no-syntax-check >out.py
	done
}
per_file_route_checked() {
	local i
	for ((i = 0; i < FILES; i++)); do
		"$bin/ar-prompt" -t 'add two numbers' -l python |
		    "$bin/ar-route" -q -r >out.py
	done
}
per_file_curl() {
	local i
	for ((i = 0; i < FILES; i++)); do
		curl -s --data-binary @body.json "$url/api/generate" >out.ndjson
	done
}
refused() {
	OLLAMA_HOST=$refused GOOGLE_GEMINI_BASE_URL=$refused \
	    "$bin/ar-route" -q <rec.json
}

t_route=$(best stream_route)
t_route_chk=$(best stream_route_checked)
t_curl=$(best stream_curl)
over=$(awk -v a="$t_route" -v b="$t_curl" -v n="$N" 'BEGIN { printf "%.0f", (a - b) / n }')
over_chk=$(awk -v a="$t_route_chk" -v b="$t_curl" -v n="$N" 'BEGIN { printf "%.0f", (a - b) / n }')
echo "stream of $N records: ar-route $t_route us, curl keep-alive $t_curl us"
echo "  overhead per record: $over us (target < 100 us); ratio $(ratio "$t_route" "$t_curl")"
echo "  with syntax checks (one python3 checker per worker): $over_chk us per record; ratio $(ratio "$t_route_chk" "$t_curl")"

p_route=$(best per_file_route)
p_route_chk=$(best per_file_route_checked)
p_curl=$(best per_file_curl)
echo "per file ($FILES files): ar-prompt | ar-route -r $((p_route / FILES)) us, one curl call $((p_curl / FILES)) us"
echo "  ratio $(ratio "$p_route" "$p_curl") (target < 1.5)"
echo "  with syntax checks: $((p_route_chk / FILES)) us per file; ratio $(ratio "$p_route_chk" "$p_curl")"

t_ref=$(best refused)
echo "both backends refusing: error record in $((t_ref / 1000)) ms (target < 50 ms)"

chain3() {
	AR_COOLDOWN=0 "$bin/ar-route" -q --no-syntax-check \
	    --tiers "ollama:ok@$refused openai:ok@$refused/v1 gemini:ok" <rec.json
}
chain3_cool() {
	AR_COOLDOWN=300 "$bin/ar-route" -q --no-syntax-check \
	    --tiers "ollama:ok@$refused openai:ok@$refused/v1 gemini:ok" <rec.json
}
cloud1() {
	"$bin/ar-route" -q --no-syntax-check --tiers "gemini:ok" <rec.json
}
t_chain=$(best chain3)
chain3_cool >/dev/null 2>&1 || true
t_chain_cool=$(best chain3_cool)
t_cloud=$(best cloud1)
echo "three tiers, first two down: cloud answer in $((t_chain / 1000)) ms, cloud tier alone $((t_cloud / 1000)) ms"
echo "  over the cloud's own: $(((t_chain - t_cloud) / 1000)) ms (target < 50 ms); both cooling down: $(((t_chain_cool - t_cloud) / 1000)) ms"

# 4. The cache: a miss routes to the mock (a fresh cache directory each
# time), a hit reads the entry a first run wrote; per process (where
# starting ar-route, which loads libcurl and its libraries, is the floor:
# `ar-route -h`) and per record of a stream of $N different records.
cache_miss() {
	local i
	for ((i = 0; i < FILES; i++)); do
		XDG_CACHE_HOME=$tmp/miss-$RANDOM$i AR_NO_CACHE=0 \
		    "$bin/ar-route" -q --no-syntax-check <rec.json
	done
}
cache_hit() {
	local i
	for ((i = 0; i < FILES; i++)); do
		AR_NO_CACHE=0 "$bin/ar-route" -q --no-syntax-check <rec.json
	done
}
floor() {
	local i
	for ((i = 0; i < FILES; i++)); do
		"$bin/ar-route" -h
	done
}
for ((i = 0; i < N; i++)); do
	echo "{\"task\":\"add $i numbers\",\"language\":\"python\"}"
done >distinct.jsonl
stream_miss() {
	XDG_CACHE_HOME=$tmp/miss-$RANDOM AR_NO_CACHE=0 \
	    "$bin/ar-route" -q --no-syntax-check <distinct.jsonl
}
stream_hit() { AR_NO_CACHE=0 "$bin/ar-route" -q --no-syntax-check <distinct.jsonl; }
AR_NO_CACHE=0 "$bin/ar-route" -q --no-syntax-check <rec.json >/dev/null
AR_NO_CACHE=0 "$bin/ar-route" -q --no-syntax-check <rec.json | grep -q '"cached":true'
stream_hit >/dev/null
c_miss=$(best cache_miss)
c_hit=$(best cache_hit)
c_floor=$(best floor)
s_miss=$(best stream_miss)
s_hit=$(best stream_hit)
echo "cache, one record per process ($FILES runs): hit $((c_hit / FILES)) us, miss $((c_miss / FILES)) us, ratio $(ratio "$c_hit" "$c_miss")"
echo "  of which starting ar-route (ar-route -h): $((c_floor / FILES)) us; the hit itself $(((c_hit - c_floor) / FILES)) us (target < 5 ms)"
echo "cache, a stream of $N different records: hit $((s_hit / N)) us, miss $((s_miss / N)) us per record, ratio $(ratio "$s_hit" "$s_miss")"
# 5. What the calling model reads: every result of ar-mcp for the
# examples' tasks, as JSON, once with the code and once with write_to.
mcp_chars() {
	"$PY" - "$here/../examples/tasks" "$1" <<'PY' >mcp.script
import glob, json, os, sys
tasks, write = sorted(glob.glob(os.path.join(sys.argv[1], "*.task"))), sys.argv[2]
print("send " + json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize",
      "params": {"protocolVersion": "2025-06-18", "capabilities": {}}}))
for i, t in enumerate(tasks, 1):
    args = {"task": open(t).read().strip(), "language": "python"}
    if write == "1":
        args.update(write_to=os.path.basename(t)[:-5] + ".py", overwrite=True)
    print("send " + json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call",
          "params": {"name": "intelligent_code_gen", "arguments": args}}))
    print("wait %d" % i)
PY
	"$PY" "$here/mcp_client.py" -- "$bin/ar-mcp" <mcp.script |
	    "$PY" -c '
import json, sys
n = c = k = 0
for l in sys.stdin:
    m = json.loads(l)
    if isinstance(m, dict) and m.get("id", 0) != 0 and "result" in m:
        n += 1
        c += len(json.dumps(m["result"], separators=(",", ":"), ensure_ascii=False))
        k += len(m["result"].get("structuredContent", {}).get("code", ""))
print(n, c, k)'
}
read -r n_code c_code k_code < <(mcp_chars 0)
read -r _ c_write _ < <(mcp_chars 1)
echo "ar-mcp results for $n_code example tasks: without write_to the calling model reads $c_code characters"
echo "  and writes the $k_code characters of code again into its own file write: $((c_code + k_code)) in all;"
echo "  with write_to it reads $c_write and writes nothing: ratio $(ratio "$c_write" "$((c_code + k_code))")"
"$PY" -c '
import sys
n = 750000
open("deep.jsonl", "w").write("{\"task\":\"a\",\"d\":" + "[" * n + "]" * n + "}\n")
open("flat.jsonl", "w").write("{\"task\":\"a\",\"d\":\"" + "x" * (2 * n) + "\"}\n")'
prompt_deep() { "$bin/ar-prompt" <deep.jsonl; }
prompt_flat() { "$bin/ar-prompt" <flat.jsonl; }
gemini_deep() { "$bin/ar-gemini" -m deep <rec.json; }
gemini_ok() { "$bin/ar-gemini" -m ok <rec.json; }
t_deep=$(best prompt_deep)
t_flat=$(best prompt_flat)
echo "a record nested 750000 deep (1.5 MB): ar-prompt $((t_deep / 1000)) ms, a flat one $((t_flat / 1000)) ms; ratio $(ratio "$t_deep" "$t_flat") (target < 2)"
g_deep=$(best gemini_deep)
g_ok=$(best gemini_ok)
echo "Gemini body of 64 KiB of '[' lines: ar-gemini $((g_deep / 1000)) ms, a normal answer $((g_ok / 1000)) ms; ratio $(ratio "$g_deep" "$g_ok") (target < 2)"

"$PY" -c '
import json, sys
code = "def add(a, b):\n    return a + b\n"
open("code.py", "w").write(code)
with open("py.jsonl", "w") as f:
    for i in range(int(sys.argv[1])):
        f.write(json.dumps({"id": i, "language": "python",
                            "output": "```python\n" + code + "```"}) + "\n")' "$N"
py_checked() { "$bin/ar-validate" -q <py.jsonl; }
py_unchecked() { "$bin/ar-validate" -q --no-syntax-check <py.jsonl; }
py_per_process() {
	local i
	for ((i = 0; i < N; i++)); do
		python3 -c 'import sys; compile(open(sys.argv[1], "rb").read(), sys.argv[1], "exec", dont_inherit=True)' code.py
	done
}
v_chk=$(best py_checked)
v_no=$(best py_unchecked)
v_old=$(best py_per_process)
echo "python syntax check per record ($N records): $(awk -v a="$v_chk" -v b="$v_no" -v n="$N" 'BEGIN { printf "%.2f", (a - b) / n / 1000 }') ms (target < 5 ms); one python3 per record $(awk -v a="$v_old" -v n="$N" 'BEGIN { printf "%.2f", a / n / 1000 }') ms; ratio $(ratio "$v_old" "$((v_chk - v_no))")"

# 8. Deadlines and cancel. A mock of its own, whose log says when a
# client left a held request (LOG.gone).
"$PY" "$here/mock_backend.py" --port-file "$tmp/port8" --log "$tmp/mock8.log" \
    </dev/null >"$tmp/mock8.out" 2>&1 &
mock8=$!
trap 'kill $mock $mock8 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 300); do [ -s "$tmp/port8" ] && break; sleep 0.1; done
url8="http://127.0.0.1:$(cat "$tmp/port8")"
# late MS CMD...: the worst of $ROUNDS runs of CMD past MS milliseconds.
late() {
	local ms=$1 w= t0 t1 i d
	shift
	for ((i = 0; i < ROUNDS; i++)); do
		t0=$(now); "$@" <rec.json >/dev/null 2>&1 || true; t1=$(now)
		d=$(((t1 - t0) / 1000000 - ms))
		[ -z "$w" ] || [ "$d" -gt "$w" ] && w=$d
	done
	echo "$w"
}
o_ok() { OLLAMA_HOST=$url8 "$bin/ar-ollama" -m ok <rec.json; }
o_floor=$(($(best o_ok) / 1000))
o_first=$(OLLAMA_HOST=$url8 late $((300 + o_floor)) "$bin/ar-ollama" -m hang -T 0.3 -t 60)
o_total=$(OLLAMA_HOST=$url8 late $((2500 + o_floor)) "$bin/ar-ollama" -m hang-mid -T 60 -t 2.5)
echo "deadlines, worst of $ROUNDS, past the $o_floor ms of an instant answer: -T 0.3 (a silent server) fires $o_first ms late,"
echo "  -t 2.5 (2 tokens, then silence) $o_total ms late (target < 100 ms)"
cancel_ms=$(OLLAMA_HOST=$url8 AR_LOCAL_MODEL=hang AR_FIRST_TOKEN_TIMEOUT=60 \
    "$PY" - "$bin/ar-mcp" "$tmp/mock8.log.gone" "$ROUNDS" <<'PY'
import json, os, subprocess, sys, time
mcp, gone, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = subprocess.Popen([mcp], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, text=True)
def send(m):
    p.stdin.write(json.dumps(m) + "\n")
    p.stdin.flush()
def until(pred):
    for l in p.stdout:
        if pred(json.loads(l)):
            return
    sys.exit("ar-mcp ended")
def gone_lines():
    try:
        return open(gone).read().splitlines()
    except OSError:
        return []
send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
      "params": {"protocolVersion": "2025-06-18", "capabilities": {}}})
until(lambda m: m.get("id") == 0)
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
worst = 0
for i in range(1, rounds + 1):
    n = len(gone_lines())
    send({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {
        "name": "intelligent_code_gen", "_meta": {"progressToken": i},
        "arguments": {"task": "add two numbers", "language": "python"}}})
    until(lambda m: m.get("method") == "notifications/progress" and
          m["params"].get("message") == "local model generating")
    time.sleep(0.3)
    t = time.time()
    send({"jsonrpc": "2.0", "method": "notifications/cancelled",
          "params": {"requestId": i}})
    end = time.time() + 10
    while len(gone_lines()) == n and time.time() < end:
        time.sleep(0.005)
    lines = gone_lines()
    d = (json.loads(lines[n])["t"] - t) * 1000 if len(lines) > n else 10000
    worst = max(worst, d)
p.stdin.close()
p.wait()
print("%.0f" % worst)
PY
)
echo "ar-mcp: a cancelled call's Ollama connection closes $cancel_ms ms after notifications/cancelled, worst of $ROUNDS (target < 100 ms)"
