#!/usr/bin/env bats
# ar-mcp: the MCP server on stdio, driven by test/mcp_client.py.

bats_require_minimum_version 1.5.0
load helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
	export AR_FIRST_TOKEN_TIMEOUT=30 AR_TIMEOUT=60
}

load mcp_helper

# fake_ollama MODE: starts a stand-in Ollama on a free port and exports
# OLLAMA_HOST for it. MODE silent: connections are accepted and never
# answered. MODE big: model "big" is pulled and answers a ```go block of
# about 5 MB of distinct lines. Stopped by teardown.
fake_ollama() {
	"${PYTHON3:-python3}" -c '
import json, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        body = json.dumps({"models": [{"name": "big:latest",
                                       "model": "big:latest"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        text = "```go\n" + "".join("// line %07d of a very large answer\n"
                                    % i for i in range(140000)) + "```\n"
        for i in range(0, len(text), 65536):
            self.wfile.write((json.dumps({"model": "big", "done": False,
                "response": text[i:i + 65536]}) + "\n").encode())
        self.wfile.write((json.dumps({"model": "big", "response": "",
            "done": True, "done_reason": "stop", "prompt_eval_count": 1,
            "eval_count": 100, "eval_duration": 10**9}) + "\n").encode())
if sys.argv[1] == "silent":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    conns = []
    print(s.getsockname()[1], flush=True)
    while True:
        conns.append(s.accept())
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
' "$1" >fake.port 3>&- &
	FAKE_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s fake.port ] && break
		sleep 0.1
	done
	export OLLAMA_HOST=127.0.0.1:$(cat fake.port)
}
teardown() { [ -z "${FAKE_PID:-}" ] || kill "$FAKE_PID" 2>/dev/null || true; }

@test "initialize echoes each supported protocol version" {
	for v in 2025-11-25 2025-06-18 2025-03-26 2024-11-05; do
		mcp <<-EOF
		send {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"$v","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
		wait 1
		EOF
		protocol_only
		assert_equal "$(q 'reply(1)["result"]["protocolVersion"]')" "$v"
	done
}

@test "initialize offers 2025-11-25 for a version it does not support" {
	for v in 2024-10-07 2026-07-28 1.0; do
		mcp <<-EOF
		send {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"$v","capabilities":{}}}
		wait 1
		EOF
		protocol_only
		assert_equal "$(q 'reply(1)["result"]["protocolVersion"]')" 2025-11-25
	done
}

@test "initialize: serverInfo, tools capability and instructions" {
	mcp <<-EOF
	send $INIT
	wait 0
	EOF
	protocol_only
	version=$(ar-mcp -V)
	assert_equal "$(q 'reply(0)["result"]["serverInfo"]["name"]')" aurarouter
	assert_equal "$(q 'reply(0)["result"]["serverInfo"]["title"]')" AuraRouter
	assert_equal "ar-mcp (aurarouter) $(q 'reply(0)["result"]["serverInfo"]["version"]')" "$version"
	assert_equal "$(q 'reply(0)["result"]["capabilities"]')" '{"tools":{"listChanged":false},"logging":{}}'
	[[ $(q 'reply(0)["result"]["instructions"]') == *"Call intelligent_code_gen whenever"*"local model first"*"Gemini"* ]]
	assert_equal "$stderr" ""
}

@test "notifications never get a response" {
	mcp <<-EOF
	send $INIT
	wait 0
	send $INITED
	send {"jsonrpc":"2.0","method":"notifications/roots/list_changed"}
	send {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}}
	send {"jsonrpc":"2.0","method":"notifications/cancelled","params":"bad"}
	send {"jsonrpc":"2.0","method":"no/such/notification","params":{}}
	send {"jsonrpc":"2.0","method":"tools/list"}
	send {"jsonrpc":"2.0","method":"ping"}
	send {"jsonrpc":"1.0","method":"ping"}
	# Responses (this server sends no requests) are not answered either.
	send {"jsonrpc":"2.0","id":5,"result":{}}
	send {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"}}
	send $(ping 1)
	wait 1
	EOF
	protocol_only
	assert_equal "$(q '[m.get("id") for m in rpc]')" '[0,1]'
}

@test "ping is answered before initialize; other methods are refused until then" {
	mcp <<-EOF
	send $(ping 1)
	send {"jsonrpc":"2.0","id":2,"method":"tools/list"}
	send $(call 3 "$TASK")
	wait 3
	send $INIT
	send {"jsonrpc":"2.0","id":4,"method":"tools/list"}
	wait 4
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)')" '{"jsonrpc":"2.0","id":1,"result":{}}'
	assert_equal "$(q 'reply(2)["error"]["code"]')" -32600
	[[ $(q 'reply(2)["error"]["message"]') == *"not initialized"* ]]
	assert_equal "$(q 'reply(3)["error"]["code"]')" -32600
	[[ $(q 'reply(3)["error"]["message"]') == *"not initialized"* ]]
	assert_equal "$(q 'reply(4)["result"]["tools"][0]["name"]')" intelligent_code_gen
	# Refused at once: no backend was asked.
	assert_equal "$(mock_requests | grep -c generate)" 0
}

@test "unknown methods get -32601 before and after initialize" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":1,"method":"resources/list","params":{}}
	send {"jsonrpc":"2.0","id":2,"method":"nope"}
	wait 2
	send $INIT
	send $INITED
	send {"jsonrpc":"2.0","id":3,"method":"server/Discover"}
	send {"jsonrpc":"2.0","id":4,"method":"resources/list"}
	send {"jsonrpc":"2.0","id":5,"method":"prompts/list"}
	send {"jsonrpc":"2.0","id":6,"method":"logging/setlevel","params":{"level":"debug"}}
	send {"jsonrpc":"2.0","id":7,"method":"tools/List"}
	wait 7
	EOF
	protocol_only
	for i in 1 2 3 4 5 6 7; do
		assert_equal "$(q "reply($i)[\"error\"][\"code\"]")" -32601
	done
	[[ $(q 'reply(1)["error"]["message"]') == *"resources/list"* ]]
}

@test "a line that is not JSON gets -32700 with \"id\": null" {
	mcp <<-EOF
	send not json
	send {"jsonrpc":"2.0","id":1,"method":"ping"
	send {"jsonrpc":"2.0","id":2,"method":"ping"}}
	send {"jsonrpc":"2.0","id":3,"method":"ping",}
	send $(ping 4)
	wait 4
	EOF
	protocol_only
	# JSON-RPC 2.0: an id that cannot be read is answered as null.
	assert_equal "$(q '[(m["error"]["code"], "id" in m, m.get("id")) for m in rpc[:4]]')" \
	    '[[-32700,true,null],[-32700,true,null],[-32700,true,null],[-32700,true,null]]'
	[[ $output == *'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,'* ]]
	[[ $(q 'rpc[0]["error"]["message"]') == "Parse error"* ]]
	assert_equal "$(q 'reply(4)["result"]')" '{}'
}

@test "invalid requests get -32600, with the id when it is usable" {
	mcp <<-EOF
	send [{"jsonrpc":"2.0","id":1,"method":"ping"}]
	send []
	send "ping"
	send 42
	send {"jsonrpc":"1.0","id":"v1","method":"ping"}
	send {"id":"v2","method":"ping"}
	send {"jsonrpc":"2.0","id":null,"method":"ping"}
	send {"jsonrpc":"2.0","id":true,"method":"ping"}
	send {"jsonrpc":"2.0","id":1.5,"method":"ping"}
	send {"jsonrpc":"2.0","id":1e3,"method":"ping"}
	send {"jsonrpc":"2.0","id":{"a":1},"method":"ping"}
	send {"jsonrpc":"2.0","id":[1],"method":"ping"}
	send {"jsonrpc":"2.0","id":"m","method":7}
	send {"jsonrpc":"2.0","id":"n"}
	send {"jsonrpc":"2.0"}
	send $(ping '"end"')
	wait "end"
	EOF
	protocol_only
	assert_equal "$(q '[m["error"]["code"] for m in rpc[:-1]]')" \
	    "[$(printf -- '-32600,%.0s' {1..14})-32600]"
	assert_equal "$(q '[m.get("id") for m in rpc[:-1]]')" \
	    '[null,null,null,null,"v1","v2",null,null,null,null,null,null,"m","n",null]'
	[[ $(q 'rpc[0]["error"]["message"]') == *"batch"* ]]
	assert_equal "$(q 'reply("end")["result"]')" '{}'
}

@test "invalid params get -32602" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}
	send $INIT
	send {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"arguments":{}}}
	send {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":5}}
	send {"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"intelligent_code_gen","arguments":"task"}}
	send {"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"intelligent_code_gen","arguments":["task"]}}
	send {"jsonrpc":"2.0","id":6,"method":"tools/list","params":{"cursor":"abc"}}
	send {"jsonrpc":"2.0","id":7,"method":"ping","params":"x"}
	send {"jsonrpc":"2.0","id":8,"method":"tools/call","params":[1]}
	send $(ping 9)
	wait 9
	EOF
	protocol_only
	for i in 1 2 3 4 5 6 7 8; do
		assert_equal "$(q "reply($i)[\"error\"][\"code\"]")" -32602
	done
	[[ $(q 'reply(1)["error"]["message"]') == *protocolVersion* ]]
}

@test "an unknown tool is a -32602 error" {
	mcp <<-EOF
	send $INIT
	send {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope","arguments":{"task":"x"}}}
	wait 1
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)["error"]["code"]')" -32602
	assert_equal "$(q 'reply(1)["error"]["message"]')" "Unknown tool: nope"
}

@test "ids are echoed with their JSON type" {
	mcp <<-EOF
	send $(ping '"7"')
	send $(ping 7)
	send $(ping '""')
	send $(ping -3)
	send $(ping 0)
	send $(ping 12345678901234567890)
	send $(ping '"é ü"')
	send $INIT
	send {"jsonrpc":"2.0","id":"s1","method":"tools/list"}
	send $(call '"c1"' "$TASK")
	send $(call 41 "$TASK")
	wait 41
	wait "c1"
	EOF
	protocol_only
	assert_equal "$(q 'reply("7")["id"]')" 7
	assert_equal "$(q 'type(reply("7")["id"]).__name__')" str
	assert_equal "$(q 'type(reply(7)["id"]).__name__')" int
	assert_equal "$(q 'reply("")["result"]')" '{}'
	assert_equal "$(q 'reply(-3)["result"]')" '{}'
	# ping 0, then initialize 0: an id may be reused once answered.
	assert_equal "$(q '[list(m["result"]) for m in rpc if m.get("id") == 0]')" '[[],["protocolVersion","capabilities","serverInfo","instructions"]]'
	assert_equal "$(q 'reply(12345678901234567890)["result"]')" '{}'
	assert_equal "$(q 'reply("é ü")["result"]')" '{}'
	assert_equal "$(q 'reply("s1")["result"]["tools"][0]["name"]')" intelligent_code_gen
	assert_equal "$(q 'reply("c1")["result"]["structuredContent"]["backend"]')" ollama
	assert_equal "$(q 'reply(41)["result"]["structuredContent"]["backend"]')" ollama
	# The id is copied as written, not reformatted.
	[[ $output == *'{"jsonrpc":"2.0","id":12345678901234567890,"result":{}}'* ]]
	[[ $output == *'{"jsonrpc":"2.0","id":"7","result":{}}'* ]]
}

@test "a message over the size limit gets -32700 and the server goes on" {
	mcp <<-EOF
	big 17000000
	send $(ping 1)
	wait 1
	EOF
	protocol_only
	assert_equal "$(q 'rpc[0]["error"]["code"]')" -32700
	assert_equal "$(q '"id" in rpc[0] and rpc[0]["id"] is None')" true
	[[ $(q 'rpc[0]["error"]["message"]') == *"longer than"* ]]
	assert_equal "$(q 'reply(1)["result"]')" '{}'
}

@test "tools/list: intelligent_code_gen with title, description, schemas and annotations" {
	mcp <<-EOF
	send $INIT
	send $INITED
	send {"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}
	send {"jsonrpc":"2.0","id":2,"method":"tools/list"}
	wait 2
	EOF
	protocol_only
	assert_equal "$(q 'len(reply(1)["result"]["tools"])')" 1
	assert_equal "$(q '"nextCursor" in reply(1)["result"]')" false
	assert_equal "$(q 'reply(1) == dict(reply(2), id=1)')" true
	t='reply(1)["result"]["tools"][0]'
	assert_equal "$(q "$t[\"name\"]")" intelligent_code_gen
	[[ -n $(q "$t[\"title\"]") ]]
	[[ $(q "$t[\"description\"]") == *"returns only the code"*"local model"*"Gemini"* ]]
	assert_equal "$(q "$t[\"inputSchema\"][\"type\"]")" object
	assert_equal "$(q "sorted($t[\"inputSchema\"][\"properties\"])")" '["file_context","files","language","overwrite","task","write_to"]'
	assert_equal "$(q "[p[\"type\"] for p in $t[\"inputSchema\"][\"properties\"].values()]")" '["string","string",["string","null"],"array","string","boolean"]'
	assert_equal "$(q "$t[\"inputSchema\"][\"required\"]")" '["task"]'
	assert_equal "$(q "$t[\"inputSchema\"][\"additionalProperties\"]")" false
	assert_equal "$(q "$t[\"outputSchema\"][\"type\"]")" object
	assert_equal "$(q "sorted($t[\"outputSchema\"][\"properties\"])")" \
	    '["attempts","backend","code","language","model","timing","usage","written"]'
	# It may write a file (write_to), replacing one only with overwrite.
	assert_equal "$(q "$t[\"annotations\"][\"readOnlyHint\"]")" false
	assert_equal "$(q "$t[\"annotations\"][\"openWorldHint\"]")" true
	assert_equal "$(q "$t[\"annotations\"][\"destructiveHint\"]")" true
	assert_equal "$(q "$t[\"annotations\"][\"idempotentHint\"]")" false
}

@test "tools/call: a local answer is the pure code, with structuredContent from ollama" {
	mcp <<-EOF
	send $INIT
	send $INITED
	send $(call 1 "$TASK")
	wait 1
	EOF
	protocol_only
	no_secret
	r='reply(1)["result"]'
	assert_equal "$(q "[c[\"type\"] for c in $r[\"content\"]]")" '["text"]'
	text=$(q "$r[\"content\"][0][\"text\"]")
	[[ $text == "def add("* ]]
	[[ $text != *'```'* ]]
	assert_equal "$(q "$r[\"content\"][0][\"text\"] == $r[\"structuredContent\"][\"code\"]")" true
	assert_equal "$(q "$r.get(\"isError\", False)")" false
	s="$r[\"structuredContent\"]"
	assert_equal "$(q "$s[\"backend\"]")" ollama
	assert_equal "$(q "$s[\"model\"]")" ok
	assert_equal "$(q "$s[\"language\"]")" python
	assert_equal "$(q "[(a[\"backend\"], a[\"ok\"]) for a in $s[\"attempts\"]]")" '[["ollama",true]]'
	[[ $(q "$s[\"usage\"][\"output_tokens\"]") -gt 0 ]]
	assert_equal "$(q "sorted($s[\"timing\"])")" '["first_token_ms","tokens_per_s","total_ms"]'
	# No progress token, no progress notifications; nothing on stderr.
	assert_equal "$(q 'notes()')" '[]'
	assert_equal "$stderr" ""
	assert_equal "$(mock_requests | grep -c GenerateContent)" 0
}

@test "tools/call: structuredContent names the language of the answer when none was asked" {
	export AR_CLOUD_MODEL=ok-c
	mcp <<-EOF
	send $INIT
	send $(call 1 '{"task":"add two numbers"}')
	wait 1
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)["result"]["structuredContent"]["language"]')" python
	export AR_LOCAL_MODEL=missing
	mcp <<-EOF
	send $INIT
	send $(call 1 '{"task":"add two numbers"}')
	wait 1
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)["result"]["structuredContent"]["backend"]')" gemini
	assert_equal "$(q 'reply(1)["result"]["structuredContent"]["language"]')" c
}

@test "tools/call: code over 4 MiB is isError too_large, not a reply over the clients' line limit" {
	fake_ollama big
	export AR_LOCAL_MODEL=big
	mcp <<-EOF
	send $INIT
	send $(call 1 '{"task":"a big table","language":"go"}')
	wait 1
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)["result"]["isError"]')" true
	assert_equal "$(q '"structuredContent" in reply(1)["result"]')" false
	text=$(q 'reply(1)["result"]["content"][0]["text"]')
	[[ $text == "too_large: the answer is too large: ollama big wrote "*" bytes of code, over the 4194304 bytes"* ]]
	(($(wc -c <<<"$output") < 100000))
}

@test "tools/call: a missing local model falls back to gemini, attempts say why" {
	export AR_LOCAL_MODEL=missing
	mcp <<-EOF
	send $INIT
	send $(call 1 '{"task":"add two numbers","file_context":"# utils.py\n","language":"python"}')
	wait 1
	EOF
	protocol_only
	no_secret
	s='reply(1)["result"]["structuredContent"]'
	assert_equal "$(q "$s[\"backend\"]")" gemini
	assert_equal "$(q "$s[\"model\"]")" ok
	assert_equal "$(q "[(a[\"backend\"], a[\"ok\"]) for a in $s[\"attempts\"]]")" '[["ollama",false],["gemini",true]]'
	assert_equal "$(q "$s[\"attempts\"][0][\"error\"][\"code\"]")" model_not_found
	[[ $(q "$s[\"attempts\"][0][\"error\"][\"message\"]") == *missing* ]]
	[[ $(q 'reply(1)["result"]["content"][0]["text"]') == "def add("* ]]
	# The file context reached the model.
	mock_requests | grep GenerateContent | grep -q 'utils.py'
}

@test "tools/call: every backend failing is isError with the reason of each" {
	export AR_LOCAL_MODEL=missing AR_CLOUD_MODEL=http-400
	mcp <<-EOF
	send $INIT
	send $(call 1 "$TASK")
	wait 1
	EOF
	protocol_only
	no_secret
	assert_equal "$(q 'reply(1)["result"]["isError"]')" true
	assert_equal "$(q '"structuredContent" in reply(1)["result"]')" false
	text=$(q 'reply(1)["result"]["content"][0]["text"]')
	[[ $text == *"ollama missing: model_not_found"* ]]
	[[ $text == *"gemini http-400: http_error"* ]]
}

@test "tools/call: an invalid argument is isError naming it, and calls no backend" {
	mcp <<-EOF
	send $INIT
	send {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"intelligent_code_gen"}}
	send $(call 2 '{}')
	send $(call 3 '{"task":""}')
	send $(call 4 '{"task":5}')
	send $(call 5 '{"task":"x","language":3}')
	send $(call 6 '{"task":"x","file_context":null}')
	send $(call 7 '{"task":"x","files":["/etc/passwd"]}')
	send $(call 8 '{"task":"x","bogus":"y"}')
	send $(ping 9)
	wait 9
	EOF
	protocol_only
	for i in 1 2 3 4 5 6 7 8; do
		assert_equal "$(q "reply($i)[\"result\"][\"isError\"]")" true
		assert_equal "$(q "\"structuredContent\" in reply($i)[\"result\"]")" false
	done
	for i in 1 2 3 4; do
		[[ $(q "reply($i)[\"result\"][\"content\"][0][\"text\"]") == *'"task"'* ]]
	done
	[[ $(q 'reply(5)["result"]["content"][0]["text"]') == *'"language"'*string* ]]
	[[ $(q 'reply(6)["result"]["content"][0]["text"]') == *'"file_context"'*string* ]]
	[[ $(q 'reply(7)["result"]["content"][0]["text"]') == 'Refused: files "/etc/passwd": outside the working directory'* ]]
	[[ $(q 'reply(8)["result"]["content"][0]["text"]') == *'Unknown argument "bogus"'* ]]
	assert_equal "$(mock_requests | grep -c generate)" 0
}

@test "tools/call: \"language\": null is accepted as ar-route accepts it; a blank task is not" {
	mcp <<-EOF
	send $INIT
	send $(call 1 '{"task":"add two numbers","language":null}')
	send $(call 2 '{"task":" \t\n "}')
	send $(call 3 '{"task":"x","language":null,"file_context":null}')
	wait 1
	wait 2
	wait 3
	EOF
	protocol_only
	assert_equal "$(q '"isError" in reply(1)["result"]')" false
	assert_equal "$(q 'reply(1)["result"]["structuredContent"]["backend"]')" ollama
	assert_equal "$(q 'reply(1)["result"]["structuredContent"]["language"]')" python
	assert_equal "$(q 'reply(2)["result"]["isError"]')" true
	[[ $(q 'reply(2)["result"]["content"][0]["text"]') == *'Invalid argument "task"'*'not only white space'* ]]
	[[ $(q 'reply(3)["result"]["content"][0]["text"]') == *'"file_context"'*string* ]]
	assert_equal "$(mock_requests | grep -c '"path": *"/api/generate"')" 1
}

@test "progress: each phase is notified with increasing progress, all before the response" {
	mcp <<-EOF
	send $INIT
	send $(call 1 "$TASK" '{"progressToken":"tok-1"}')
	wait 1
	sleep 0.5
	EOF
	protocol_only
	# (token updates are rate-limited: a fast answer may have none)
	assert_equal "$(q '[n["params"]["message"] for n in notes() if "tokens)" not in n["params"]["message"]]')" \
	    '["checking local model","local model generating","validating"]'
	assert_equal "$(q '[n["params"]["progress"] for n in notes()] == list(range(1, len(notes()) + 1))')" true
	assert_equal "$(q 'list(set(n["params"]["progressToken"] for n in notes()))')" '["tok-1"]'
	assert_equal "$(q 'max(at(n) for n in notes()) < at(reply(1))')" true
}

@test "progress: token counts while generating, then the fallback phases" {
	export AR_LOCAL_MODEL=slow AR_TIMEOUT=3
	mcp <<-EOF
	send $INIT
	send $(call 1 "$TASK" '{"progressToken":77}')
	wait 1
	sleep 0.5
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)["result"]["structuredContent"]["backend"]')" gemini
	assert_equal "$(q 'list(set(n["params"]["progressToken"] for n in notes()))')" '[77]'
	assert_equal "$(q 'all(type(n["params"]["progressToken"]) is int for n in notes())')" true
	msgs=$(q '[n["params"]["message"] for n in notes()]')
	[[ $msgs == '["checking local model","local model generating",'*'"local model generating ('[0-9]*' tokens)",'*'"falling back to the cloud","cloud model generating",'*'"validating"]' ]]
	# Strictly increasing, token counts growing, all before the response.
	assert_equal "$(q 'all(a["params"]["progress"] < b["params"]["progress"] for a, b in zip(notes(), notes()[1:]))')" true
	assert_equal "$(q 'len([n for n in notes() if "tokens)" in n["params"]["message"]]) >= 2')" true
	assert_equal "$(q 'max(at(n) for n in notes()) < at(reply(1))')" true
}

@test "cancellation: no response, the Ollama connection is closed, pings still answered" {
	export AR_LOCAL_MODEL=hang
	mcp <<-EOF
	send $INIT
	send $(call 5 "$TASK" '{"progressToken":"c"}')
	progress local model generating
	sleep 0.5
	exec echo before=\$(live_conns)
	send {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5,"reason":"user"}}
	send $(ping 6)
	wait 6
	exec echo after=\$(conns_closed)
	send $(ping 7)
	wait 7
	close
	EOF
	protocol_only
	assert_equal "$(q 'reply(5)')" "0 replies to 5"
	assert_equal "$(q 'reply(6)["result"]')" '{}'
	assert_equal "$(q 'reply(7)["result"]')" '{}'
	# The hanging request reached the mock, whose side saw it closed.
	assert_equal "$(mock_requests | grep '/api/generate' | grep -c '"model": *"hang"')" 1
	assert_equal "$(mock_gone /api/generate)" 1
	[[ $(q '[l["_exec"] for l in lines if "_exec" in l]') == '["before='[1-9]*'\n","after=0\n"]' ]]
	# Nothing about the cancelled call after the cancellation: the last
	# progress notification precedes the ping's response.
	assert_equal "$(q 'max(at(n) for n in notes()) < at(reply(6))')" true
	assert_equal "$(mock_requests | grep -c GenerateContent)" 0
	assert_equal "$(q 'meta("_secs") < 5')" true
}

@test "a call id already in flight is refused with -32600" {
	export AR_LOCAL_MODEL=hang
	mcp <<-EOF
	send $INIT
	send $(call 1 "$TASK")
	send $(call 1 "$TASK")
	send $(ping 2)
	wait 2
	close
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)["error"]["code"]')" -32600
}

@test "two calls run concurrently and a ping is answered while they run" {
	export AR_LOCAL_MODEL=hang AR_FIRST_TOKEN_TIMEOUT=3
	mcp <<-EOF
	send $INIT
	send $(call 1 "$TASK")
	send $(call 2 "$TASK")
	sleep 0.5
	send $(ping 3)
	wait 3
	wait 1 60
	wait 2 60
	EOF
	protocol_only
	for i in 1 2; do
		assert_equal "$(q "reply($i)[\"result\"][\"structuredContent\"][\"backend\"]")" gemini
		assert_equal "$(q "reply($i)[\"result\"][\"structuredContent\"][\"attempts\"][0][\"error\"][\"code\"]")" timeout
	done
	assert_equal "$(q 'at(reply(3)) < min(at(reply(1)), at(reply(2)))')" true
	# Both local requests reached the mock before either call fell back:
	# served one after the other, a cloud request would come in between.
	order=$(mock_requests | grep -o '"path": *"[^"]*"' | grep -v tags |
	    sed 's/.*\(generate\|Content\).*/\1/' | tr '\n' ' ')
	assert_equal "$order" "generate generate Content Content "
}

@test "more calls than workers queue up and are all answered" {
	script="send $INIT"$'\n'
	for i in $(seq 1 12); do
		script+="send $(call "$i" "$TASK")"$'\n'
	done
	for i in $(seq 1 12); do
		script+="wait $i"$'\n'
	done
	mcp <<<"$script"
	protocol_only
	assert_equal "$(q 'sorted(m["id"] for m in rpc if m.get("id") and m["result"]["structuredContent"]["backend"] == "ollama")')" \
	    '[1,2,3,4,5,6,7,8,9,10,11,12]'
}

@test "stdout carries only protocol messages, also with -v; logs go to stderr" {
	export AR_LOCAL_MODEL=missing
	mcp -v <<-EOF
	send garbage
	send $INIT
	send $(call 1 "$TASK" '{"progressToken":1}')
	send {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}
	wait 1
	EOF
	protocol_only
	no_secret
	[[ $stderr == *"☁️ [CLOUD]"* ]]
	[[ $output != *"[CLOUD]"* ]]
	assert_equal "$(q 'reply(1)["result"]["structuredContent"]["backend"]')" gemini
}

@test "end of input with a hanging call in flight: exit 0 promptly, no response" {
	export AR_LOCAL_MODEL=hang
	mcp <<-EOF
	send $INIT
	send $(call 1 "$TASK" '{"progressToken":1}')
	progress local model generating
	close
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)')" "0 replies to 1"
	assert_equal "$(q 'meta("_secs") < 5')" true
	assert_equal "$stderr" ""
}

@test "SIGTERM with a hanging call in flight: clean exit 0, no response" {
	export AR_LOCAL_MODEL=hang
	mcp <<-EOF
	send $INIT
	send $(call 1 "$TASK" '{"progressToken":1}')
	progress local model generating
	signal TERM
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)')" "0 replies to 1"
	assert_equal "$(q 'meta("_secs") < 5')" true
	assert_equal "$stderr" ""
}

@test "SIGTERM during a slow status check: exit 0 at once, not after the check's timeout" {
	fake_ollama silent
	mcp <<-EOF
	send $INIT
	send $(call 1 "$TASK" '{"progressToken":1}')
	send $(call 2 "$TASK")
	progress checking local model
	sleep 0.5
	signal TERM
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)')" "0 replies to 1"
	assert_equal "$(q 'reply(2)')" "0 replies to 2"
	# The status check alone would hold it for 5 s.
	assert_equal "$(q 'meta("_secs") < 3')" true
	assert_equal "$stderr" ""
}

@test "a call cancelled during a slow status check ends at once" {
	fake_ollama silent
	mcp <<-EOF
	send $INIT
	send $(call 1 "$TASK" '{"progressToken":1}')
	progress checking local model
	sleep 0.5
	send {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}
	sleep 1.5
	send $(ping 2)
	wait 2
	close
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)')" "0 replies to 1"
	assert_equal "$(q 'reply(2)["result"]')" '{}'
	# At the close nothing was left running: the cancelled check ended.
	assert_equal "$(q 'meta("_secs") < 2')" true
}

@test "SIGTERM while idle: clean exit 0" {
	mcp <<-EOF
	send $INIT
	wait 0
	signal TERM
	sleep 2
	EOF
	protocol_only
	assert_equal "$(q 'meta("_secs") < 5')" true
}

@test "model flags override the environment" {
	export AR_LOCAL_MODEL=ok AR_CLOUD_MODEL=missing
	mcp --local-model hang --cloud-model ok-c -T 1 -t 40 <<-EOF
	send $INIT
	send $(call 1 '{"task":"add two numbers","language":"c"}')
	wait 1
	EOF
	protocol_only
	s='reply(1)["result"]["structuredContent"]'
	assert_equal "$(q "$s[\"backend\"]")" gemini
	assert_equal "$(q "$s[\"model\"]")" ok-c
	assert_equal "$(q "$s[\"attempts\"][0][\"model\"]")" hang
	assert_equal "$(q "$s[\"attempts\"][0][\"ok\"]")" false
	assert_equal "$(q "$s[\"attempts\"][0][\"error\"][\"code\"]")" timeout
	[[ $(q "$s[\"attempts\"][0][\"error\"][\"message\"]") == *"within 1s (AR_FIRST_TOKEN_TIMEOUT)"* ]]
	# -t: AR_TIMEOUT is 60 here; the flag's 2 s ends a stalled stream.
	mcp --local-model hang-mid --cloud-model ok-c -t 2 <<-EOF
	send $INIT
	send $(call 1 '{"task":"add two numbers","language":"c"}')
	wait 1
	EOF
	protocol_only
	assert_equal "$(q "$s[\"attempts\"][0][\"error\"][\"code\"]")" timeout
	[[ $(q "$s[\"attempts\"][0][\"error\"][\"message\"]") == *"within 2s (AR_TIMEOUT)"* ]]
}

@test "-h, -V and a bad flag" {
	run ar-mcp -h
	assert_success
	assert_output --partial "usage: ar-mcp"
	run ar-mcp -V
	assert_success
	assert_output --regexp '^ar-mcp \(aurarouter\) [0-9]'
	run --separate-stderr ar-mcp --bogus
	assert_failure 2
	assert_equal "$output" ""
	[[ $stderr == *"usage: ar-mcp"* ]]
	run --separate-stderr ar-mcp -t abc
	assert_failure 2
	[[ $stderr == *"--timeout"* ]]
	run --separate-stderr ar-mcp extra
	assert_failure 2
}

@test "trust: a ./.env URL with the user's key fails the start with a message" {
	unset OLLAMA_HOST
	echo "OLLAMA_HOST=$MOCK_URL" >.env
	mock_reset_log
	# Run directly: the server may exit before a driver could write.
	run --separate-stderr timeout 60 ar-mcp <<<"$INIT"
	assert_failure 2
	assert_output ""
	[[ $stderr == *"ar-mcp: ./.env sets OLLAMA_HOST, but the key GEMINI_API_KEY comes from the environment"* ]]
	no_secret
	assert_equal "$(mock_requests)" ""
}

@test "a message nested 500000 deep gets -32700 at once and pings are answered" {
	deep=$("${PYTHON3:-python3}" -c 'print("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\",\"params\":{\"d\":" + "[" * 500000 + "]" * 500000 + "}}")')
	mcp <<-EOF
	send $deep
	send $(ping 1)
	wait 1 20
	EOF
	protocol_only
	assert_equal "$(q 'rpc[0]["error"]["code"]')" -32700
	[[ $(q 'rpc[0]["error"]["message"]') == *"nesting deeper than 64"* ]]
	assert_equal "$(q 'reply(1)["result"]')" '{}'
}

# cancel_stops N: a call is cancelled once a process `sleep N.5` (from its
# syntax checker or check command, with `sleep N.25` in its group) runs:
# the whole group is gone, the call gets no reply, pings are answered and
# no LOCAL answer is logged.
cancel_stops() {
	mcp -v <<-EOF
	send $INIT
	wait 0
	send $INITED
	send $(call 1 "$TASK")
	exec for i in \$(seq 150); do pgrep -f 'sleep $1\.5' >/dev/null && break; sleep 0.1; done; pgrep -f 'sleep $1\.5' >/dev/null && echo started
	send {"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"user"}}
	exec for i in \$(seq 50); do pgrep -f 'sleep $1\.' >/dev/null || break; sleep 0.1; done; pgrep -f 'sleep $1\.' || echo gone
	send $(ping 2)
	wait 2
	EOF
	protocol_only
	assert_equal "$(q '[m["_exec"] for m in lines if "_exec" in m]')" '["started\n","gone\n"]'
	assert_equal "$(q 'reply(1)')" "0 replies to 1"
	assert_equal "$(q 'reply(2)["result"]')" '{}'
	[[ $stderr != *"⚡ [LOCAL]"* ]]
}

@test "a cancelled call stops its syntax checker and logs no LOCAL answer" {
	mkdir fakebin
	printf '#!/bin/sh\nsleep 295.25 &\nsleep 295.5\n' >fakebin/python3
	chmod +x fakebin/python3
	# The driver's own python, run directly: a pyenv shim would put its
	# own python3 first in the PATH ar-mcp gets.
	PYTHON3=$("${PYTHON3:-python3}" -c 'import sys; print(sys.executable)')
	export PYTHON3
	export PATH="$PWD/fakebin:$PATH"
	cancel_stops 295
}

@test "a cancelled call stops its check command's group and logs no LOCAL answer" {
	export AR_CHECK='sleep 293.25 & sleep 293.5; : {}' AR_CHECK_TIMEOUT=600
	cancel_stops 293
}

@test "SIGTERM to ar-mcp during a syntax check kills the checker's group" {
	mkdir fakebin
	printf '#!/bin/sh\nsleep 294.25 &\nsleep 294.5\n' >fakebin/python3
	chmod +x fakebin/python3
	PYTHON3=$("${PYTHON3:-python3}" -c 'import sys; print(sys.executable)')
	export PYTHON3
	export PATH="$PWD/fakebin:$PATH"
	mcp <<-EOF
	send $INIT
	wait 0
	send $INITED
	send $(call 1 "$TASK")
	exec for i in \$(seq 150); do pgrep -f 'sleep 294\.5' >/dev/null && break; sleep 0.1; done; pgrep -f 'sleep 294\.5' >/dev/null && echo started
	signal TERM
	EOF
	assert_equal "$(q 'meta("_exit")')" 0
	assert_equal "$(q '[m["_exec"] for m in lines if "_exec" in m]')" '["started\n"]'
	# Not after the checker's 10 s limit, as before: the stop cancels it.
	assert_equal "$(q 'meta("_secs") < 8')" true
	for ((i = 0; i < 50; i++)); do
		pgrep -f 'sleep 294\.' >/dev/null || break
		sleep 0.1
	done
	run pgrep -f 'sleep 294\.'
	assert_failure 1
}
