#!/usr/bin/env bats
# ar-mcp: both protocol eras on stdio. Modern (2026-07-28) requests carry
# the version in _meta and need no initialize; legacy sessions negotiate
# with initialize, and 2025-03-26 takes JSON-RPC batches.

bats_require_minimum_version 1.5.0
load helper
load mcp_helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() { mcp_setup; }

# modern [VERSION]: the _meta members of a modern request.
modern() {
	printf '"_meta":{"io.modelcontextprotocol/protocolVersion":"%s","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bats","version":"1"}}' \
	    "${1:-2026-07-28}"
}

# modern_result R: asserts that result R carries resultType and serverInfo.
modern_result() {
	assert_equal "$(q "$1[\"resultType\"]")" complete
	assert_equal "$(q "$1[\"_meta\"][\"io.modelcontextprotocol/serverInfo\"][\"name\"]")" aurarouter
	[ -n "$(q "$1[\"_meta\"][\"io.modelcontextprotocol/serverInfo\"][\"version\"]")" ]
}

@test "server/discover before initialize: modern versions, tools, cache hints, serverInfo in _meta" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":1,"method":"server/discover","params":{$(modern)}}
	wait 1
	EOF
	protocol_only
	r='reply(1)["result"]'
	assert_equal "$(q "$r[\"supportedVersions\"]")" '["2026-07-28"]'
	assert_equal "$(q "$r[\"capabilities\"]")" '{"tools":{}}'
	assert_equal "$(q "$r[\"cacheScope\"]")" public
	[[ $(q "$r[\"ttlMs\"]") -gt 0 ]]
	[[ $(q "$r[\"instructions\"]") == *"write_to"* ]]
	assert_equal "$(q "\"serverInfo\" in $r")" false
	modern_result "$r"
}

@test "modern tools/list and tools/call are served without initialize" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":1,"method":"tools/list","params":{$(modern)}}
	send {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"intelligent_code_gen","arguments":$TASK,$(modern)}}
	wait 1
	wait 2
	EOF
	protocol_only
	r='reply(1)["result"]'
	assert_equal "$(q "[t[\"name\"] for t in $r[\"tools\"]]")" '["intelligent_code_gen"]'
	assert_equal "$(q "$r[\"cacheScope\"]")" public
	[[ $(q "$r[\"ttlMs\"]") -gt 0 ]]
	modern_result "$r"
	r='reply(2)["result"]'
	[[ $(q "$r[\"content\"][0][\"text\"]") == "def add("* ]]
	assert_equal "$(q "$r[\"structuredContent\"][\"backend\"]")" ollama
	modern_result "$r"
}

@test "an unsupported version in _meta is -32022 with the supported list, also on server/discover" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":1,"method":"server/discover","params":{$(modern 2099-01-01)}}
	send {"jsonrpc":"2.0","id":2,"method":"tools/list","params":{$(modern 2025-11-25)}}
	wait 2
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)["error"]["code"]')" -32022
	assert_equal "$(q 'reply(1)["error"]["data"]')" '{"supported":["2026-07-28"],"requested":"2099-01-01"}'
	assert_equal "$(q 'reply(2)["error"]["code"]')" -32022
	assert_equal "$(q 'reply(2)["error"]["data"]["requested"]')" 2025-11-25
}

@test "a modern request without clientCapabilities is -32602" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}
	wait 1
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)["error"]["code"]')" -32602
	[[ $(q 'reply(1)["error"]["message"]') == *clientCapabilities* ]]
}

@test "under the modern _meta, initialize, ping and logging/setLevel are unknown methods" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},$(modern)}}
	send {"jsonrpc":"2.0","id":2,"method":"ping","params":{$(modern)}}
	send {"jsonrpc":"2.0","id":3,"method":"logging/setLevel","params":{"level":"info",$(modern)}}
	wait 3
	EOF
	protocol_only
	for i in 1 2 3; do
		assert_equal "$(q "reply($i)[\"error\"][\"code\"]")" -32601
	done
}

@test "a client falls back to initialize after discover; legacy results stay as they were" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":1,"method":"server/discover","params":{$(modern)}}
	wait 1
	send $INIT
	send $INITED
	send {"jsonrpc":"2.0","id":2,"method":"tools/list"}
	send $(ping 3)
	wait 2
	wait 3
	EOF
	protocol_only
	assert_equal "$(q 'reply(0)["result"]["protocolVersion"]')" 2025-11-25
	assert_equal "$(q '"resultType" in reply(0)["result"]')" false
	assert_equal "$(q 'sorted(reply(2)["result"])')" '["tools"]'
	assert_equal "$(q 'reply(3)')" '{"jsonrpc":"2.0","id":3,"result":{}}'
}

@test "logging/setLevel takes the eight levels and refuses others with -32602" {
	mcp <<-EOF
	send $INIT
	send {"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"warning"}}
	send {"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"loud"}}
	send {"jsonrpc":"2.0","id":3,"method":"logging/setLevel","params":{}}
	wait 3
	EOF
	protocol_only
	assert_equal "$(q 'reply(1)["result"]')" '{}'
	assert_equal "$(q 'reply(2)["error"]["code"]')" -32602
	assert_equal "$(q 'reply(3)["error"]["code"]')" -32602
}

@test "2025-03-26: a batch gets one array with every response, a call's included" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{}}}
	wait 0
	send [$(ping 1),$INITED,$(call 2 "$TASK"),{"jsonrpc":"2.0","id":3,"method":"nope"}]
	wait 2
	EOF
	protocol_only
	assert_equal "$(q 'len(batches)')" 1
	assert_equal "$(q 'sorted(m["id"] for m in batches[0])')" '[1,2,3]'
	assert_equal "$(q 'reply(1)["result"]')" '{}'
	[[ $(q 'reply(2)["result"]["content"][0]["text"]') == "def add("* ]]
	assert_equal "$(q 'reply(3)["error"]["code"]')" -32601
}

@test "2025-03-26: a batch of notifications gets no response; an empty batch is -32600" {
	mcp <<-EOF
	send {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{}}}
	wait 0
	send [$INITED,{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}]
	send []
	send $(ping 1)
	wait 1
	EOF
	protocol_only
	assert_equal "$(q 'len(batches)')" 0
	assert_equal "$(q '[m.get("id") for m in rpc]')" '[0,null,1]'
	assert_equal "$(q 'rpc[1]["error"]["code"]')" -32600
}

@test "batches are refused with -32600 in the other versions" {
	for v in 2025-11-25 2025-06-18 2024-11-05; do
		mcp <<-EOF
		send {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"$v","capabilities":{}}}
		wait 0
		send [$(ping 1)]
		send $(ping 2)
		wait 2
		EOF
		protocol_only
		assert_equal "$(q 'len(batches)')" 0
		assert_equal "$(q 'rpc[1]["error"]["code"]')" -32600
		[[ $(q 'rpc[1]["error"]["message"]') == *"batches are not supported"* ]]
	done
}
