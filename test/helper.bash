# helper.bash - shared setup for the aurarouter Bats tests.
#
# Usage in a .bats file:
#	bats_require_minimum_version 1.5.0
#	load helper
#	setup_file() { mock_start; }
#	teardown_file() { mock_stop; }
#	setup() { ar_setup; }
#
# Environment (set by "make check"; defaulted here for running bats by hand):
#	AR_TEST_DIR	directory of this file (test sources, mock_backend.py)
#	AR_BIN		directory holding the built ar-* programs
#	AR_TEST_BIN	directory holding built test programs

: "${BATS_LIB_PATH:=/usr/lib/bats}"
case ":$BATS_LIB_PATH:" in
*:/usr/lib/bats:*) ;;
*) BATS_LIB_PATH="$BATS_LIB_PATH:/usr/lib/bats" ;;
esac
export BATS_LIB_PATH
bats_load_library bats-support
bats_load_library bats-assert

if [ -z "${AR_TEST_DIR:-}" ]; then
	AR_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fi
: "${AR_BIN:=$AR_TEST_DIR/../bin}"
: "${AR_TEST_BIN:=$AR_TEST_DIR}"
export AR_TEST_DIR AR_BIN AR_TEST_BIN

# ar_setup: per-test sandbox.  Fresh HOME, XDG_CACHE_HOME, XDG_STATE_HOME
# (so the answer cache, the ledger and the cooldowns start empty),
# AR_NO_CACHE=1 (the cache tests unset it), AR_COOLDOWN=0 (the cooldown
# tests unset it) and working directory
# under $BATS_TEST_TMPDIR, no AR_*/OLLAMA_*/OPENAI_*/GOOGLE_*/GEMINI_* variables (except
# the AR_BIN/AR_TEST_DIR/AR_TEST_BIN locations), no proxies, $AR_BIN first
# in PATH, C locale.  Also empties the mock's request log, if one runs.
ar_setup() {
	local v
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME" "$BATS_TEST_TMPDIR/work"
	unset XDG_CONFIG_HOME
	# the answer cache and the ledger: this test's own, never the user's
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	export XDG_STATE_HOME="$BATS_TEST_TMPDIR/state"
	for v in $(compgen -e); do
		case $v in
		AR_BIN | AR_TEST_DIR | AR_TEST_BIN) ;;
		OLLAMA_* | OPENAI_* | AR_* | GOOGLE_* | GEMINI_*) unset "$v" ;;
		esac
	done
	unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
	# Tests of other behaviours route the same task many times and count
	# the requests; the cache would answer them.  Cache tests unset it.
	export AR_NO_CACHE=1
	# Likewise a failing endpoint would cool down (AR_COOLDOWN) and the
	# next records would skip it; the cooldown tests unset this.
	export AR_COOLDOWN=0
	export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
	export PATH="$AR_BIN:$PATH"
	export LC_ALL=C
	cd "$BATS_TEST_TMPDIR/work" || return 1
	if [ -n "${MOCK_LOG:-}" ] && [ -f "$MOCK_LOG" ]; then
		: >"$MOCK_LOG"
		: >"$MOCK_LOG.gone"
	fi
}

# _free_port: print a TCP port on 127.0.0.1 where nothing listens.
_free_port() {
	"${PYTHON3:-python3}" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# mock_start: start test/mock_backend.py on 127.0.0.1 (a free port) and
# export MOCK_URL, MOCK_PORT, MOCK_KEY, MOCK_LOG, MOCK_PID and REFUSED_URL.
mock_start() {
	local dir="${BATS_FILE_TMPDIR:-$BATS_TEST_TMPDIR}" pf i
	pf="$dir/mock.port"
	rm -f "$pf"
	export MOCK_LOG="$dir/mock-requests.log"
	: >"$MOCK_LOG"
	"${PYTHON3:-python3}" "$AR_TEST_DIR/mock_backend.py" \
	    --port-file "$pf" --log "$MOCK_LOG" \
	    </dev/null >"$dir/mock.out" 2>&1 3>&- &
	export MOCK_PID=$!
	for ((i = 0; i < 300; i++)); do
		[ -s "$pf" ] && break
		if ! kill -0 "$MOCK_PID" 2>/dev/null; then
			echo "mock_backend.py died:" >&2
			cat "$dir/mock.out" >&2
			return 1
		fi
		sleep 0.1
	done
	if [ ! -s "$pf" ]; then
		echo "mock_backend.py did not start within 30 s" >&2
		cat "$dir/mock.out" >&2
		return 1
	fi
	export MOCK_PORT=$(cat "$pf")
	export MOCK_URL="http://127.0.0.1:$MOCK_PORT"
	export MOCK_KEY="AIzaSy-TEST-SECRET-7f3a9c"
	export REFUSED_URL="http://127.0.0.1:$(_free_port)"
}

# mock_stop: stop the mock started by mock_start.
mock_stop() {
	local i
	[ -n "${MOCK_PID:-}" ] || return 0
	kill "$MOCK_PID" 2>/dev/null || true
	# reaps it when it is our child; returns at once otherwise
	wait "$MOCK_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$MOCK_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$MOCK_PID" 2>/dev/null || true
	unset MOCK_PID
}

# use_mock: point both backends at the mock, with model "ok".
use_mock() {
	export OLLAMA_HOST="$MOCK_URL"
	export GOOGLE_GEMINI_BASE_URL="$MOCK_URL"
	export GEMINI_API_KEY="$MOCK_KEY"
	export AR_LOCAL_MODEL=ok
	export AR_CLOUD_MODEL=ok
}

# mock_requests: print the request log, one JSON object per line.
mock_requests() {
	cat "$MOCK_LOG"
}

# mock_gone PATH: waits (up to 10 s) until the mock logged that a client
# went away from a held request to PATH (see mock_backend.py), then prints
# the count of such lines.
mock_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "\"path\":\"$1\"" "$MOCK_LOG.gone" 2>/dev/null && break
		sleep 0.1
	done
	grep -c "\"path\":\"$1\"" "$MOCK_LOG.gone" 2>/dev/null || true
}

# mock_reset_log: empty the request log.
mock_reset_log() {
	: >"$MOCK_LOG"
}

# json_get PATH: print the value at dotted PATH of the JSON record on
# stdin (strings raw, anything else as compact JSON); exit 1 if absent.
json_get() {
	"${PYTHON3:-python3}" -c '
import json, sys
data = sys.stdin.read()
try:
    v = json.loads(data)
except ValueError:
    lines = [l for l in data.splitlines() if l.strip()]
    if not lines:
        sys.exit(1)
    try:
        v = json.loads(lines[0])
    except ValueError:
        sys.exit(1)
for k in sys.argv[1].split(".") if sys.argv[1] != "" else []:
    if isinstance(v, dict):
        if k not in v:
            sys.exit(1)
        v = v[k]
    elif isinstance(v, list):
        try:
            i = int(k)
        except ValueError:
            sys.exit(1)
        if i < 0 or i >= len(v):
            sys.exit(1)
        v = v[i]
    else:
        sys.exit(1)
if isinstance(v, str):
    print(v)
else:
    print(json.dumps(v, separators=(",", ":"), ensure_ascii=False))
' "$1"
}
