# MCP test helpers over stdio (test/mcp_client.py) and HTTP: loaded by
# the ar-mcp Bats files.

# mcp_setup: the per-test sandbox with the mock as both backends.
mcp_setup() {
	ar_setup
	use_mock
	export AR_FIRST_TOKEN_TIMEOUT=30 AR_TIMEOUT=60
}

INIT='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bats","version":"1.0"}}}'
INITED='{"jsonrpc":"2.0","method":"notifications/initialized"}'
TASK='{"task":"add two numbers","language":"python"}'

# mcp [ARGS...]: runs ar-mcp ARGS under the driver, the script on stdin.
mcp() {
	run --separate-stderr "${PYTHON3:-python3}" "$AR_TEST_DIR/mcp_client.py" \
	    -t 60 -- ar-mcp "$@"
}

# call ID ARGUMENTS [META]: a tools/call request line.
call() {
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"intelligent_code_gen","arguments":%s%s}}' \
	    "$1" "$2" "${3:+,\"_meta\":$3}"
}

# ping ID: a ping request line.
ping() { printf '{"jsonrpc":"2.0","id":%s,"method":"ping"}' "$1"; }

# q EXPR: evaluates the Python expression EXPR over the session in $output
# and prints the value (strings raw, anything else as compact JSON).
# rpc: the protocol messages in arrival order (a batch response's items
# in place; batches: the batch responses); reply(ID): the one response
# to ID (JSON type included); notes(): the progress notifications;
# meta(KEY): the driver's line carrying KEY; at(M): the index of M in rpc.
q() {
	"${PYTHON3:-python3}" -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin if l.strip()]
batches = [m for m in lines if isinstance(m, list)]
rpc = [x for m in lines for x in (m if isinstance(m, list) else [m])
       if not any(k.startswith("_") for k in x)]
def reply(i):
    r = [m for m in rpc if "method" not in m and "id" in m
         and type(m["id"]) is type(i) and m["id"] == i]
    return r[0] if len(r) == 1 else "%d replies to %r" % (len(r), i)
def notes(method="notifications/progress"):
    return [m for m in rpc if m.get("method") == method]
def meta(k):
    return [m for m in lines if isinstance(m, dict) and k in m][0][k]
def at(m):
    return [i for i, x in enumerate(rpc) if x is m][0]
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$1" <<<"$output"
}

# protocol_only: the session ended with exit 0 and every line ar-mcp wrote
# on stdout is a JSON-RPC 2.0 message (response or notification).
protocol_only() {
	assert_success
	assert_equal "$(q 'meta("_exit")')" 0
	assert_equal "$(q '[l for l in lines if isinstance(l, dict) and "_nonjson" in l]')" "[]"
	assert_equal "$(q '[m for m in rpc if m.get("jsonrpc") != "2.0" or
	    not ("method" in m or "result" in m or "error" in m)]')" "[]"
}

# no_secret: the API key is in neither stdout nor stderr.
no_secret() {
	[[ $output != *"$MOCK_KEY"* ]]
	[[ $stderr != *"$MOCK_KEY"* ]]
}

# live_conns: established (or half-closed) TCP connections with the mock,
# counting both ends.
live_conns() {
	"${PYTHON3:-python3}" -c '
import sys
port, n = int(sys.argv[1]), 0
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        rows = open(f).read().splitlines()[1:]
    except OSError:
        continue
    for r in rows:
        p = r.split()
        ends = [int(x.rsplit(":", 1)[1], 16) for x in p[1:3]]
        if p[3] in ("01", "08") and port in ends:
            n += 1
print(n)' "$MOCK_PORT"
}

# conns_closed: waits (up to 15 s) until no connection with the mock is
# left, then prints the count.
conns_closed() {
	local i
	for ((i = 0; i < 75; i++)); do
		[ "$(live_conns)" = 0 ] && break
		sleep 0.2
	done
	live_conns
}
export -f live_conns conns_closed	# for the driver's exec steps

# http_start ADDR [ARGS...]: ar-mcp --http ADDR ARGS in the background;
# sets URL (the line it prints once listening) and HTTP_PID.
http_start() {
	local addr=$1 i
	shift
	ar-mcp --http "$addr" "$@" >url.txt 2>http.err &
	HTTP_PID=$!
	for ((i = 0; i < 150; i++)); do
		[ -s url.txt ] && break
		sleep 0.1
	done
	URL=$(head -1 url.txt)
	[[ $URL == http://*/mcp ]]
}

# http_stop: stops the server http_start started, if it still runs.
http_stop() { [ -z "${HTTP_PID:-}" ] || kill "$HTTP_PID" 2>/dev/null || true; }
