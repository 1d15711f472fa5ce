#!/bin/sh
# sanitize.sh - build AuraRouter out of tree with AddressSanitizer (and
# LeakSanitizer) and UndefinedBehaviorSanitizer, and run the whole Bats
# suite (make check) on that build. Only our programs are instrumented:
# bats, python3 and the mock backend run as they are.
#
# Environment: SAN_BUILD (build directory, default /tmp/ar-sanitize),
# CC (default gcc), SAN_JOBS (make -j for the build, default 2).
# Needs ./configure (autoreconf -fi). Exits non-zero when a test fails or
# any sanitizer report was written.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${SAN_BUILD:-/tmp/ar-sanitize}
jobs=${SAN_JOBS:-2}
san="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
san="$san -fno-sanitize-recover=all"

if [ ! -x "$top/configure" ]; then
	echo "sanitize.sh: run autoreconf -fi first" >&2
	exit 2
fi
rm -rf "$build"
mkdir -p "$build"
cd "$build"
"$top/configure" -q CC="${CC:-gcc}" CFLAGS="$san" LDFLAGS="-fsanitize=address,undefined"
make -j"$jobs" >/dev/null

# Every report aborts the program (leaks are found at exit) and is also
# written to $build/reports/, so a report is caught even where a test
# expects a failure anyway. A 32 MB quarantine (not 256) keeps the peak
# RSS of the 100 MB answer cases within the fault matrix's bound. bats
# and python3 are not instrumented and ignore these variables.
mkdir -p reports
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
ASAN_OPTIONS=$ASAN_OPTIONS:strict_string_checks=1:quarantine_size_mb=32
ASAN_OPTIONS=$ASAN_OPTIONS:log_path=$build/reports/asan
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$build/reports/ubsan
export ASAN_OPTIONS UBSAN_OPTIONS
rv=0
if ! make check; then
	for log in test/*.log; do
		grep -q '^not ok' "$log" 2>/dev/null || continue
		echo "=== $log" >&2
		grep -A30 '^not ok' "$log" | head -120 >&2
	done
	rv=1
fi
if [ -n "$(ls reports)" ]; then
	echo "sanitize.sh: sanitizer reports:" >&2
	for f in reports/*; do
		echo "=== $f" >&2
		head -60 "$f" >&2
	done
	rv=1
fi
exit $rv
