#!/usr/bin/env bats
# ar-mcp with a real client: the official MCP TypeScript SDK (npm
# @modelcontextprotocol/sdk, and the older release Gemini CLI pins), driven
# by test/interop/client.mjs against the mock backend.
#
# Needs node and the packages of test/interop: npm ci --prefix test/interop
# (MCP_SDK_MODULES may name another node_modules directory holding them).
# Without them the tests are skipped, or fail when CI=true.

bats_require_minimum_version 1.5.0
load helper
load interop_helper

setup_file() { mock_start; }
teardown_file() { mock_stop; }
setup() {
	ar_setup
	use_mock
	need_sdk
}

# need_sdk: node and the SDK packages are there, or skip (fail in CI).
need_sdk() {
	local why=
	command -v node >/dev/null || why="node is not installed"
	[ -n "$why" ] || why=$(interop_missing \
	    @modelcontextprotocol/sdk/package.json sdk-gemini-cli/package.json)
	interop_skip "$why"
}

# sdk NAME[@http]: the client's results with package NAME, over stdio or
# (with @http) over Streamable HTTP, run once per file (the mock's request
# log of that run goes to $BATS_FILE_TMPDIR/NAME[@http].mock).
sdk() {
	local dir="$BATS_FILE_TMPDIR/interop" out="$BATS_FILE_TMPDIR/$1.json"
	local pkg=${1%@http} transport=stdio
	[ "$pkg" = "$1" ] || transport=http
	if [ ! -s "$out" ]; then
		mkdir -p "$dir" "$(dirname "$out")"
		cp "$AR_TEST_DIR/interop/client.mjs" "$dir/"
		ln -sfn "$MODS" "$dir/node_modules"
		MCP_SDK=$pkg MCP_TRANSPORT=$transport AR_MCP="$AR_BIN/ar-mcp" \
		    timeout 300 node \
		    "$dir/client.mjs" >"$out.tmp" 2>"$out.err" || {
			cat "$out.tmp" "$out.err" >&2
			return 1
		}
		mv "$out.tmp" "$out"
		mock_requests >"$BATS_FILE_TMPDIR/$1.mock"
	fi
	cat "$out"
}

# r NAME EXPR: evaluates the Python expression EXPR over the results d of
# sdk NAME; prints strings raw, anything else as compact JSON.
r() {
	local json
	json=$(sdk "$1") || return 1
	"${PYTHON3:-python3}" -c '
import json, sys
d = json.loads(sys.stdin.read())
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))
' "$2" <<<"$json"
}

# sdk_clean NAME: no scenario failed, logged an error, wrote on stderr or
# leaked the API key.
sdk_clean() {
	local s
	assert_equal "$(r "$1" 'd.get("fatal", "")')" ""
	for s in list local fallback allFail cancel; do
		assert_equal "$(r "$1" "d['$s']['errors']")" "[]"
		assert_equal "$(r "$1" "d['$s']['stderr']")" ""
		assert_equal "$(r "$1" "d['$s']['nonProtocol']")" 0
	done
	[[ $(sdk "$1") != *"$MOCK_KEY"* ]]
}

# The checks every SDK release must pass; $1 the package, $2 the version
# it must negotiate.
sdk_scenarios() {
	sdk_clean "$1"
	assert_equal "$(r "$1" 'd["list"]["protocolVersion"]')" "$2"
	assert_equal "$(r "$1" 'd["local"]["result"]["structuredContent"]["backend"]')" ollama
	assert_equal "$(r "$1" 'd["fallback"]["result"]["structuredContent"]["backend"]')" gemini
	assert_equal "$(r "$1" 'd["allFail"]["result"]["isError"]')" true
	assert_equal "$(r "$1" 'd["cancel"]["answered"]')" false
	assert_equal "$(r "$1" 'd["cancel"]["connsAfter"]')" 0
}

@test "SDK client: connects, negotiates 2025-11-25 and lists intelligent_code_gen" {
	sdk_clean @modelcontextprotocol/sdk
	p='d["list"]'
	assert_equal "$(r @modelcontextprotocol/sdk "$p['protocolVersion']")" 2025-11-25
	assert_equal "$(r @modelcontextprotocol/sdk "$p['server']['name']")" aurarouter
	assert_equal "$(r @modelcontextprotocol/sdk "$p['capabilities']")" '{"logging":{},"tools":{"listChanged":false}}'
	[[ $(r @modelcontextprotocol/sdk "$p['instructions']") == *intelligent_code_gen* ]]
	assert_equal "$(r @modelcontextprotocol/sdk "[t['name'] for t in $p['tools']]")" '["intelligent_code_gen"]'
	assert_equal "$(r @modelcontextprotocol/sdk "$p['tools'][0]['inputSchema']['required']")" '["task"]'
	assert_equal "$(r @modelcontextprotocol/sdk "$p['tools'][0]['annotations']['readOnlyHint']")" false
	assert_equal "$(r @modelcontextprotocol/sdk "$p['tools'][0]['outputSchema']['type']")" object
}

@test "SDK client: a local answer is pure code, with progress through onprogress" {
	p='d["local"]'
	text=$(r @modelcontextprotocol/sdk "$p['result']['content'][0]['text']")
	[[ $text == "def add("* && $text != *'```'* ]]
	# The SDK validated structuredContent against the outputSchema.
	assert_equal "$(r @modelcontextprotocol/sdk "$p['result']['structuredContent']['code'] == $p['result']['content'][0]['text']")" true
	assert_equal "$(r @modelcontextprotocol/sdk "$p['result']['structuredContent']['backend']")" ollama
	assert_equal "$(r @modelcontextprotocol/sdk "[x['message'] for x in $p['progress'] if 'tokens)' not in x['message']]")" \
	    '["checking local model","local model generating","validating"]'
	assert_equal "$(r @modelcontextprotocol/sdk "[x['progress'] for x in $p['progress']] == sorted(set(x['progress'] for x in $p['progress']))")" true
}

@test "SDK client: a fallback answer names gemini and why local failed" {
	p='d["fallback"]'
	assert_equal "$(r @modelcontextprotocol/sdk "$p['result']['structuredContent']['backend']")" gemini
	assert_equal "$(r @modelcontextprotocol/sdk "[(a['backend'], a['ok']) for a in $p['result']['structuredContent']['attempts']]")" \
	    '[["ollama",false],["gemini",true]]'
	assert_equal "$(r @modelcontextprotocol/sdk "$p['result']['structuredContent']['attempts'][0]['error']['code']")" model_not_found
	[[ $(r @modelcontextprotocol/sdk "[x['message'] for x in $p['progress']]") == *'"falling back to the cloud","cloud model generating"'* ]]
}

@test "SDK client: every backend failing is an isError result with each reason" {
	p='d["allFail"]'
	assert_equal "$(r @modelcontextprotocol/sdk "$p['result'].get('isError')")" true
	assert_equal "$(r @modelcontextprotocol/sdk "'structuredContent' in $p['result']")" false
	text=$(r @modelcontextprotocol/sdk "$p['result']['content'][0]['text']")
	[[ $text == *"ollama missing: model_not_found"*"gemini http-400: http_error"* ]]
}

@test "SDK client: an AbortSignal cancels the call, the Ollama connection closes, no response" {
	p='d["cancel"]'
	assert_equal "$(r @modelcontextprotocol/sdk "$p['cancelled']['method']")" notifications/cancelled
	assert_equal "$(r @modelcontextprotocol/sdk "$p['cancelled']['params']['requestId']")" 1
	[[ $(r @modelcontextprotocol/sdk "$p['error']") == *"test cancel"* ]]
	assert_equal "$(r @modelcontextprotocol/sdk "$p['answered']")" false
	[[ $(r @modelcontextprotocol/sdk "$p['connsBefore']") -ge 1 ]]
	assert_equal "$(r @modelcontextprotocol/sdk "$p['connsAfter']")" 0
	# The hanging request had reached the mock.
	grep '/api/generate' "$BATS_FILE_TMPDIR/@modelcontextprotocol/sdk.mock" |
	    grep -q '"model": *"hang"'
}

@test "SDK client of Gemini CLI (1.23.0): negotiates 2025-06-18, every scenario passes" {
	assert_equal "$(r sdk-gemini-cli 'd["sdkVersion"]')" 1.23.0
	sdk_scenarios sdk-gemini-cli 2025-06-18
}

@test "SDK client (newest pinned 1.x): every scenario passes" {
	assert_equal "$(r @modelcontextprotocol/sdk 'd["sdkVersion"]')" 1.32.2
	sdk_scenarios @modelcontextprotocol/sdk 2025-11-25
}

@test "SDK client over Streamable HTTP: every scenario passes, progress and cancellation included" {
	n=@modelcontextprotocol/sdk@http
	assert_equal "$(r $n 'd["transport"]')" http
	sdk_scenarios $n 2025-11-25
	assert_equal "$(r $n "[x['message'] for x in d['local']['progress'] if 'tokens)' not in x['message']]")" \
	    '["checking local model","local model generating","validating"]'
	assert_equal "$(r $n 'd["cancel"]["cancelled"]["method"]')" notifications/cancelled
	[[ $(r $n 'd["cancel"]["connsBefore"]') -ge 1 ]]
	# SIGTERM after each scenario: a clean exit.
	assert_equal "$(r $n '[d[s]["exit"] for s in ("list", "local", "fallback", "allFail", "cancel")]')" '[0,0,0,0,0]'
}

@test "SDK client of Gemini CLI (1.23.0) over Streamable HTTP: every scenario passes" {
	sdk_scenarios sdk-gemini-cli@http 2025-06-18
}
