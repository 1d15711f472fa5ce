#!/usr/bin/env bats
# ar-mcp --http: Streamable HTTP at /mcp, both eras, sessions for the
# legacy one, SSE for progress, the security checks and the limits.

bats_require_minimum_version 1.5.0
load helper
load mcp_helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() { mcp_setup; }
teardown() {
	http_stop
	[ -z "${HOLD_PID:-}" ] || kill "$HOLD_PID" 2>/dev/null || true
}

CLIENT() { "${PYTHON3:-python3}" "$AR_TEST_DIR/mcp_http_client.py" "$@"; }

# hpost BODY [CURL-ARGS...]: POSTs BODY to $URL as a client does; sets
# status, body and ctype; the headers are in resp.hdrs. ACCEPT and CTYPE
# replace the Accept and Content-Type headers.
hpost() {
	local data=$1
	shift
	status=$(curl -s -o resp.body -D resp.hdrs -w '%{http_code}' \
	    -H "Content-Type: ${CTYPE:-application/json}" \
	    -H "Accept: ${ACCEPT:-application/json, text/event-stream}" "$@" \
	    --data-binary "$data" "$URL")
	body=$(cat resp.body)
	ctype=$(hdr Content-Type)
}

# hdr NAME: the value of response header NAME (case-insensitive).
hdr() { grep -i "^$1:" resp.hdrs | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# jget PATH: json_get over $body.
jget() { json_get "$1" <<<"$body"; }

# init: initializes a legacy session; sets SID.
init() {
	hpost "$INIT"
	SID=$(hdr Mcp-Session-Id)
}

MODERN='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'
# mpost METHOD PARAMS [CURL-ARGS...]: a modern request, headers matching.
mpost() {
	local m=$1 p=$2
	shift 2
	hpost "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"$m\",\"params\":{$p}}" \
	    -H 'MCP-Protocol-Version: 2026-07-28' -H "Mcp-Method: $m" "$@"
}

@test "legacy: initialize opens a session, requests carry it, DELETE ends it" {
	http_start 127.0.0.1:0
	init
	assert_equal "$status" 200
	assert_equal "$ctype" application/json
	[[ $SID =~ ^[0-9a-f]{32}$ ]]
	assert_equal "$(jget result.protocolVersion)" 2025-11-25
	assert_equal "$(jget result.serverInfo.name)" aurarouter
	hpost '{"jsonrpc":"2.0","method":"notifications/initialized"}' -H "Mcp-Session-Id: $SID"
	assert_equal "$status" 202
	assert_equal "$body" ""
	hpost '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 2025-11-25'
	assert_equal "$status" 200
	assert_equal "$(jget result.tools.0.name)" intelligent_code_gen
	assert_equal "$(jget id)" 2
	assert_equal "$(hdr Mcp-Session-Id)" ""
	hpost '{"jsonrpc":"2.0","id":3,"method":"tools/list"}'
	assert_equal "$status" 400
	[[ $(jget error.message) == *"Mcp-Session-Id header is required"* ]]
	hpost '{"jsonrpc":"2.0","id":4,"method":"tools/list"}' -H 'Mcp-Session-Id: 0123456789abcdef0123456789abcdef'
	assert_equal "$status" 404
	hpost '{"jsonrpc":"2.0","id":5,"method":"ping"}' -H "Mcp-Session-Id: $SID" -H 'MCP-Protocol-Version: 1999-01-01'
	assert_equal "$status" 400
	run curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Mcp-Session-Id: $SID" "$URL"
	assert_output 200
	hpost '{"jsonrpc":"2.0","id":6,"method":"ping"}' -H "Mcp-Session-Id: $SID"
	assert_equal "$status" 404
	run curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Mcp-Session-Id: $SID" "$URL"
	assert_output 404
}

@test "legacy: a failed initialize opens no session" {
	http_start 127.0.0.1:0
	hpost '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}'
	assert_equal "$status" 200
	assert_equal "$(jget error.code)" -32602
	assert_equal "$(hdr Mcp-Session-Id)" ""
}

@test "modern: served without a session; header mismatches, versions, _meta and unknown methods" {
	http_start 127.0.0.1:0
	mpost server/discover "$MODERN"
	assert_equal "$status" 200
	assert_equal "$(jget result.supportedVersions)" '["2026-07-28"]'
	assert_equal "$(jget result.resultType)" complete
	assert_equal "$(hdr Mcp-Session-Id)" ""
	mpost tools/list "$MODERN"
	assert_equal "$(jget result.cacheScope)" public
	hpost "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\",\"params\":{$MODERN}}" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: prompts/list'
	assert_equal "$status" 400
	assert_equal "$(jget error.code)" -32020
	assert_equal "$(jget id)" 7
	hpost "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"intelligent_code_gen\",\"arguments\":{\"task\":\"x\"},$MODERN}}" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: other'
	assert_equal "$status" 400
	assert_equal "$(jget error.code)" -32020
	mpost nope/nope "$MODERN"
	assert_equal "$status" 404
	assert_equal "$(jget error.code)" -32601
	hpost '{"jsonrpc":"2.0","id":7,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}}}' \
	    -H 'MCP-Protocol-Version: 2099-01-01' -H 'Mcp-Method: server/discover'
	assert_equal "$status" 400
	assert_equal "$(jget error.code)" -32022
	assert_equal "$(jget error.data.supported)" '["2026-07-28"]'
	mpost server/discover '"_meta":{}'
	assert_equal "$status" 400
	assert_equal "$(jget error.code)" -32602
	assert_equal "$(jget id)" 7
	mpost server/discover '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}'
	assert_equal "$status" 400
	assert_equal "$(jget error.code)" -32602
}

@test "status codes: 405 GET, 404 path, 406 Accept, 415 Content-Type, 413 body, 400 bad JSON" {
	http_start 127.0.0.1:0
	run curl -s -D - -o /dev/null "$URL"
	[[ $output == "HTTP/1.1 405"* ]]
	[[ $output == *"Allow: POST, DELETE"* ]]
	run curl -s -o /dev/null -w '%{http_code}' -X PUT "$URL"
	assert_output 405
	run curl -s -o /dev/null -w '%{http_code}' "${URL%/mcp}/other"
	assert_output 404
	ACCEPT=text/html hpost "$INIT"
	assert_equal "$status" 406
	ACCEPT=application/json hpost "$INIT"
	assert_equal "$status" 406
	CTYPE=text/plain hpost "$INIT"
	assert_equal "$status" 415
	head -c 5000000 /dev/zero | tr '\0' ' ' >big.json
	hpost @big.json
	assert_equal "$status" 413
	hpost '{"jsonrpc":'
	assert_equal "$status" 400
	assert_equal "$(jget error.code)" -32700
	# Still serving.
	init
	assert_equal "$status" 200
}

@test "Origin and Host: a foreign one is 403, localhost ones pass" {
	http_start 127.0.0.1:0
	hpost "$INIT" -H 'Origin: http://evil.example.com'
	assert_equal "$status" 403
	hpost "$INIT" -H 'Host: evil.example.com'
	assert_equal "$status" 403
	hpost "$INIT" -H 'Host: evil.example.com' -H 'Origin: http://evil.example.com'
	assert_equal "$status" 403
	hpost "$INIT" -H 'Origin: http://localhost:3000'
	assert_equal "$status" 200
	hpost "$INIT" -H 'Origin: http://127.0.0.1' -H 'Host: localhost:1234'
	assert_equal "$status" 200
}

@test "AR_MCP_TOKEN: Bearer required (401), the token never logged" {
	export AR_MCP_TOKEN=s3cret-token-value
	http_start 127.0.0.1:0 -v
	hpost "$INIT"
	assert_equal "$status" 401
	assert_equal "$(hdr WWW-Authenticate)" Bearer
	hpost "$INIT" -H 'Authorization: Bearer wrong'
	assert_equal "$status" 401
	hpost "$INIT" -H 'Authorization: Bearer s3cret-token-valu'
	assert_equal "$status" 401
	hpost "$INIT" -H "Authorization: Bearer $AR_MCP_TOKEN"
	assert_equal "$status" 200
	run curl -s -o /dev/null -w '%{http_code}' "$URL"
	assert_output 401
	kill "$HTTP_PID"
	wait "$HTTP_PID" || true
	! grep -q s3cret http.err url.txt
}

@test "a non-loopback address without a token is refused with exit 2; with one it serves" {
	run --separate-stderr ar-mcp --http 0.0.0.0:0
	assert_equal "$status" 2
	[[ $stderr == *"not a loopback address, and AR_MCP_TOKEN is not set"* ]]
	run --separate-stderr ar-mcp --http '[::]:0'
	assert_equal "$status" 2
	run --separate-stderr ar-mcp --http 127.0.0.1:99999
	assert_equal "$status" 2
	[[ $stderr == *"port must be a number"* ]]
	AR_MCP_TOKEN=t http_start 0.0.0.0:0
	[[ $URL == http://0.0.0.0:*/mcp ]]
}

@test "tools/call: JSON without a progress token, SSE with progress events then the response" {
	http_start 127.0.0.1:0
	init
	hpost "$(call 1 "$TASK")" -H "Mcp-Session-Id: $SID"
	assert_equal "$status" 200
	assert_equal "$ctype" application/json
	[[ $(jget result.content.0.text) == "def add("* ]]
	assert_equal "$(jget result.structuredContent.backend)" ollama
	hpost "$(call 2 "$TASK" '{"progressToken":"p-2"}')" -H "Mcp-Session-Id: $SID"
	assert_equal "$status" 200
	assert_equal "$ctype" text/event-stream
	run "${PYTHON3:-python3}" -c '
import json, sys
ev = [json.loads(l[6:]) for l in open("resp.body").read().split("\n") if l.startswith("data: ")]
notes = [m for m in ev if m.get("method") == "notifications/progress"]
print(len(notes) >= 2, all(n["params"]["progressToken"] == "p-2" for n in notes),
      "method" not in ev[-1] and ev[-1]["id"] == 2,
      ev[-1]["result"]["content"][0]["text"].startswith("def add("))'
	assert_output "True True True True"
	grep -q '^event: message$' resp.body
}

@test "tools/call over HTTP writes write_to inside the working directory, refuses escapes" {
	http_start 127.0.0.1:0
	run CLIENT "$URL" call '{"task":"add two numbers","language":"python","write_to":"add.py"}'
	assert_success
	[[ $output == *'"text": "Wrote add.py: '* ]]
	[[ $(head -1 add.py) == "def add("* ]]
	run CLIENT "$URL" call '{"task":"x","write_to":"../escape.py"}'
	[[ $output == *'Refused: write_to \"../escape.py\"'* ]]
	[ ! -e ../escape.py ]
}

@test "a client that disconnects cancels its call and frees the backend" {
	export AR_LOCAL_MODEL=hang
	http_start 127.0.0.1:0
	init
	run curl -s -m 3 -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' \
	    -H "Mcp-Session-Id: $SID" --data-binary "$(call 1 "$TASK")" "$URL"
	assert_equal "$status" 28	# curl gave up: a timeout
	assert_equal "$(mock_requests | grep '/api/generate' | grep -c '"model": *"hang"')" 1
	assert_equal "$(conns_closed)" 0
	# The same id is free again (the call is gone) and the server serves.
	export AR_LOCAL_MODEL=ok
	hpost '{"jsonrpc":"2.0","id":9,"method":"ping"}' -H "Mcp-Session-Id: $SID"
	assert_equal "$status" 200
	assert_equal "$body" '{"jsonrpc":"2.0","id":9,"result":{}}'
}

@test "32 concurrent calls from 8 clients are all answered, none crossing sessions" {
	http_start 127.0.0.1:0
	run CLIENT "$URL" many 8 4
	assert_success
	assert_equal "$(grep -c . <<<"$output")" 32
	run "${PYTHON3:-python3}" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
bad = [r for r in rows if r["status"] != 200 or r["type"] != "text/event-stream"
       or r["id"] != r["call"] or r["responses"] != 1 or r["text"] != "def add("
       or r["tokens"] != ["c%d-k%d" % (r["client"], r["call"])]]
print(len(rows), len({r["session"] for r in rows}), len(bad))' <<<"$output"
	assert_output "32 8 0"
}

@test "SIGTERM drains: the call in flight is answered, then exit 0" {
	http_start 127.0.0.1:0
	init
	( curl -s -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' \
	    -H "Mcp-Session-Id: $SID" \
	    --data-binary "$(call 1 '{"task":"add two numbers mock-delay-ms=1500","language":"python"}')" \
	    "$URL" >late.json ) &
	local curl_pid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		mock_requests | grep -q mock-delay-ms && break
		sleep 0.1
	done
	kill -TERM "$HTTP_PID"
	wait "$curl_pid"
	local rc=0
	wait "$HTTP_PID" || rc=$?
	HTTP_PID=
	assert_equal "$rc" 0
	[[ $(json_get result.content.0.text <late.json) == "def add("* ]]
}

@test "idle sessions expire (--session-idle)" {
	http_start 127.0.0.1:0 --session-idle 1
	init
	hpost '{"jsonrpc":"2.0","id":1,"method":"ping"}' -H "Mcp-Session-Id: $SID"
	assert_equal "$status" 200
	sleep 3
	hpost '{"jsonrpc":"2.0","id":2,"method":"ping"}' -H "Mcp-Session-Id: $SID"
	assert_equal "$status" 404
}

@test "--max-connections: connections over the limit are refused, the others served" {
	http_start 127.0.0.1:0 --max-connections 2
	local port=${URL##*:}
	port=${port%/mcp}
	"${PYTHON3:-python3}" -c '
import socket, sys, time
s = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(2)]
print("held", flush=True)
time.sleep(60)' "$port" >hold.out &
	HOLD_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s hold.out ] && break
		sleep 0.1
	done
	sleep 1.5	# time for the server to accept both
	run curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    -H 'Accept: application/json, text/event-stream' --data-binary "$INIT" "$URL"
	assert_output 000
	kill "$HOLD_PID"
	HOLD_PID=
	sleep 0.5
	init
	assert_equal "$status" 200
}
