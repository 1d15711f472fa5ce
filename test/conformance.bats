#!/usr/bin/env bats
# ar-mcp --http against the official MCP conformance suite
# (@modelcontextprotocol/conformance, pinned in test/interop/package.json),
# at both revisions: --requirements 2025-11-25 (initialize, sessions) and
# --requirements 2026-07-28 (per-request _meta, no sessions). The only
# failures allowed are in test/conformance/expected-*.yml: checks that need
# the suite's own fixture tools, prompts or resources.
#
# Needs the packages of test/interop (npm ci --prefix test/interop), which
# bring Node 22 (the suite does not load on older Node) as the npm package
# "node"; MCP_SDK_MODULES may name another node_modules directory. Without
# them the tests are skipped, or fail when CI=true.

bats_require_minimum_version 1.5.0
load helper

MODS=${MCP_SDK_MODULES:-$AR_TEST_DIR/interop/node_modules}

setup() {
	ar_setup
	need_suite
}
teardown() { [ -z "${HTTP_PID:-}" ] || kill "$HTTP_PID" 2>/dev/null || true; }

# need_suite: the suite and a Node >= 22 are there, or skip (fail in CI).
need_suite() {
	local why=
	if [ ! -f "$MODS/@modelcontextprotocol/conformance/dist/index.js" ]; then
		why="the conformance suite is not installed: run npm ci --prefix test/interop"
	elif ! "$MODS/.bin/node" -e \
	    'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' \
	    2>/dev/null; then
		why="no Node 22 in $MODS/.bin: run npm ci --prefix test/interop"
	fi
	[ -z "$why" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "conformance.bats: $why (CI=true: this test must run)" >&2
		return 1
	fi
	skip "$why"
}

# suite VERSION: runs the suite against a fresh ar-mcp --http with the
# expected failures of VERSION; its output in $output.
suite() {
	ar-mcp --http 127.0.0.1:0 >url.txt 2>http.err &
	HTTP_PID=$!
	local i
	for ((i = 0; i < 150; i++)); do
		[ -s url.txt ] && break
		sleep 0.1
	done
	run env PATH="$MODS/.bin:$PATH" timeout 600 "$MODS/.bin/node" \
	    "$MODS/@modelcontextprotocol/conformance/dist/index.js" server \
	    --url "$(head -1 url.txt)" --requirements "$1" \
	    --expected-failures "$AR_TEST_DIR/conformance/expected-$1.yml" \
	    -o "$BATS_TEST_TMPDIR/results"
}

# passed SCENARIO...: each scenario's summary line says it passed.
passed() {
	local s
	for s in "$@"; do
		[[ $output == *"✓ $s: "*" passed, 0 failed"* ]] ||
		    { echo "scenario $s did not pass" >&2; return 1; }
	done
}

@test "conformance 2025-11-25: every check passes but those needing the suite's fixtures" {
	suite 2025-11-25
	assert_success
	[[ $output == *"Baseline check passed: all failures are expected."* ]]
	passed server-initialize ping tools-list logging-set-level \
	    dns-rebinding-protection server-sse-multiple-streams \
	    server-session-lifecycle
}

@test "conformance 2026-07-28: every check passes but those needing the suite's fixtures" {
	suite 2026-07-28
	assert_success
	[[ $output == *"Baseline check passed: all failures are expected."* ]]
	passed tools-list dns-rebinding-protection server-sse-multiple-streams \
	    http-header-validation input-required-result-unsupported-methods \
	    input-required-result-validate-input
	# Of caching and server-stateless, only the listed fixture checks fail.
	[[ $output == *"✗ caching: 4 passed, 3 failed"* ]]
	[[ $output == *"✗ server-stateless: "*" passed, 4 failed"* ]] || { grep -a "server-stateless:" <<<"$output" >&2; false; }
}
