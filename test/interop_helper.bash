# interop_helper.bash - the packages of test/interop (npm ci --prefix
# test/interop): the MCP SDK, the conformance suite, Gemini CLI and Node 22.
# MCP_SDK_MODULES may name another node_modules directory holding them.

MODS=${MCP_SDK_MODULES:-$AR_TEST_DIR/interop/node_modules}

# interop_missing PATH...: prints why the tests cannot run when a PATH
# under $MODS is missing or $MODS/.bin/node is older than Node 22.
interop_missing() {
	local p
	for p in "$@"; do
		if [ ! -e "$MODS/$p" ]; then
			echo "$p is not installed: run npm ci --prefix test/interop"
			return
		fi
	done
	"$MODS/.bin/node" -e \
	    'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' \
	    2>/dev/null || echo "no Node 22 in $MODS/.bin: run npm ci --prefix test/interop"
}

# interop_skip WHY: nothing when WHY is empty; else skips the test, or
# fails it when CI=true (CI installs the packages: these tests must run).
interop_skip() {
	[ -z "$1" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "$(basename "$BATS_TEST_FILENAME"): $1 (CI=true: this test must run)" >&2
		return 1
	fi
	skip "$1"
}
