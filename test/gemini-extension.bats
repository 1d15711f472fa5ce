#!/usr/bin/env bats
# The Gemini CLI extension (gemini-extension/), checked with the real
# Gemini CLI (npm @google/gemini-cli, pinned in test/interop/package.json)
# offline: gemini extensions link/install accept it, extensions list shows
# it with its context file, and mcp list connects to its server.
#
# Needs the packages of test/interop (npm ci --prefix test/interop; they
# bring Node 22); MCP_SDK_MODULES may name another node_modules directory.
# Without them the tests are skipped, or fail when CI=true.

bats_require_minimum_version 1.5.0
load helper
load interop_helper

setup() {
	ar_setup
	interop_skip "$(interop_missing @google/gemini-cli/bundle/gemini.js)"
	export GEMINI_CLI_HOME="$BATS_TEST_TMPDIR/gemini-home"
	export GEMINI_CLI_TRUST_WORKSPACE=true
	mkdir -p "$GEMINI_CLI_HOME"
	# The extension make built, starting this build's ar-mcp.
	EXT="$BATS_TEST_TMPDIR/ext/aurarouter"
	mkdir -p "$EXT"
	"${PYTHON3:-python3}" -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["mcpServers"]["aurarouter"]["command"] = sys.argv[2]
json.dump(d, open(sys.argv[3], "w"), indent=2)' \
	    "$AR_BIN/../gemini-extension/gemini-extension.json" \
	    "$AR_BIN/ar-mcp" "$EXT/gemini-extension.json"
	cp "$AR_TEST_DIR/../gemini-extension/GEMINI.md" "$EXT/"
}

gemini() {
	local why=
	if [ ! -f "$MODS/@google/gemini-cli/bundle/gemini.js" ]; then
		why="Gemini CLI is not installed: run npm ci --prefix test/interop"
	elif ! "$MODS/.bin/node" -e \
	    'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' \
	    2>/dev/null; then
		why="no Node 22 in $MODS/.bin: run npm ci --prefix test/interop"
	fi
	[ -z "$why" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "gemini-extension.bats: $why (CI=true: this test must run)" >&2
		return 1
	fi
	skip "$why"
}

gemini() {
	timeout 120 "$MODS/.bin/node" "$MODS/@google/gemini-cli/bundle/gemini.js" \
	    "$@" </dev/null
}

@test "the built manifest names the extension, its context file and the installed ar-mcp" {
	m="$AR_BIN/../gemini-extension/gemini-extension.json"
	assert_equal "$(json_get name <"$m")" aurarouter
	assert_equal "$(json_get contextFileName <"$m")" GEMINI.md
	[[ $(json_get mcpServers.aurarouter.command <"$m") == /*/ar-mcp ]]
	assert_equal "$(json_get version <"$m")" "$(ar-mcp -V | sed 's/.* //')"
	grep -q 'write_to' "$EXT/GEMINI.md"
	grep -q 'intelligent_code_gen' "$EXT/GEMINI.md"
}

@test "gemini extensions link accepts it; list shows it; mcp list connects to ar-mcp" {
	run gemini extensions link "$EXT" --consent
	assert_success
	assert_output --partial 'Extension "aurarouter" linked successfully and enabled.'
	run gemini extensions list
	assert_success
	assert_output --partial '✓ aurarouter ('
	assert_output --partial "$EXT/GEMINI.md"
	run gemini mcp list
	assert_success
	assert_output --partial "✓ aurarouter (from aurarouter): $AR_BIN/ar-mcp"
	assert_output --partial '(stdio) - Connected'
}

@test "gemini extensions install (a copy) accepts it too" {
	run gemini extensions install "$EXT" --consent --skip-settings
	assert_success
	assert_output --partial 'aurarouter'
	[ -f "$GEMINI_CLI_HOME/.gemini/extensions/aurarouter/gemini-extension.json" ]
	[ -f "$GEMINI_CLI_HOME/.gemini/extensions/aurarouter/GEMINI.md" ]
	run gemini mcp list
	assert_output --partial '- Connected'
}
