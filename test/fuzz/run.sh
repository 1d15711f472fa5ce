#!/bin/sh
# run.sh [SECONDS_PER_HARNESS] - build every libFuzzer harness in test/fuzz
# with clang (ASan + UBSan), replay every input kept in
# test/fuzz/regress/<harness>/, then fuzz each harness for the given time
# (default 15 s) on a copy of its seed corpus. Exits non-zero on a build
# failure, a crash, a leak or a sanitizer report.
#
# Environment: FUZZ_BUILD (build and work directory, default /tmp/ar-fuzz),
# FUZZ_CC (default clang), FUZZ_ONLY (space-separated harness names to run),
# FUZZ_JOBS (parallel fuzzing processes per harness, default 1).
set -eu

secs=${1:-15}
case $secs in
''|*[!0-9]*) echo "usage: run.sh [SECONDS_PER_HARNESS]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${FUZZ_BUILD:-/tmp/ar-fuzz}
cc=${FUZZ_CC:-clang}
jobs=${FUZZ_JOBS:-1}
cflags="-g -O1 -Wall -Wextra -fno-omit-frame-pointer -fno-sanitize-recover=all \
 -D_GNU_SOURCE -DPACKAGE_VERSION=\"fuzz\" -I$top/src -I$here"
libs="-lcurl -lcrypto -lmicrohttpd -lpthread -lm"

mkdir -p "$out/obj" "$out/corpus" "$out/artifacts" "$out/log"

# The library: every src/*.c but the programs' main files.
objs=
for src in "$top"/src/*.c; do
	name=$(basename "$src" .c)
	case $name in ar-*) continue ;; esac
	"$cc" $cflags -fsanitize=fuzzer-no-link,address,undefined \
	    -c "$src" -o "$out/obj/$name.o"
	objs="$objs $out/obj/$name.o"
done

harnesses=
for h in "$here"/fuzz_*.c; do
	name=$(basename "$h" .c)
	if [ -n "${FUZZ_ONLY:-}" ]; then
		case " $FUZZ_ONLY " in *" $name "*) ;; *) continue ;; esac
	fi
	"$cc" $cflags -fsanitize=fuzzer,address,undefined "$h" $objs $libs \
	    -o "$out/$name"
	harnesses="$harnesses $name"
done

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
fail=0
for name in $harnesses; do
	log="$out/log/$name.log"
	dict=
	[ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
	# The regression inputs, each run once.
	if [ -d "$here/regress/$name" ] &&
	    [ -n "$(ls -A "$here/regress/$name")" ]; then
		if ! "$out/$name" -rss_limit_mb=2048 -timeout=10 \
		    "$here/regress/$name"/* >"$log" 2>&1; then
			echo "FAIL $name: a regression input fails" >&2
			tail -40 "$log" >&2
			fail=1
			continue
		fi
	fi
	# The fuzz run, on a copy of the seeds so the tree stays clean; what
	# an earlier run in the same $FUZZ_BUILD found is kept.
	mkdir -p "$out/corpus/$name"
	if [ -d "$here/corpus/$name" ]; then
		cp -n "$here/corpus/$name"/* "$out/corpus/$name/" 2>/dev/null || :
	fi
	par=
	[ "$jobs" -gt 1 ] && par="-fork=$jobs"
	if (cd "$out/log" && "$out/$name" $dict $par -max_total_time="$secs" \
	    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$out/artifacts/$name-" "$out/corpus/$name") \
	    >"$log" 2>&1; then
		echo "ok   $name: $(grep -aoE '^#[0-9]+' "$log" | tail -n 1 |
		    tr -d '#') runs, corpus $(ls "$out/corpus/$name" |
		    wc -l) inputs"
	else
		echo "FAIL $name: see $log; the input is in $out/artifacts/" >&2
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
		    "$log" | head -10 >&2
		fail=1
	fi
done
exit $fail
