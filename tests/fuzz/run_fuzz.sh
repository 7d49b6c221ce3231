#!/usr/bin/env bash
# One seeded libFuzzer run of a fuzz target, as meson test --suite fuzz
# runs it:
#   run_fuzz.sh BINARY NAME CORPUS REGRESSIONS DICT SECONDS FINDINGS
# The seed corpus is copied into a temporary folder (the run adds to the
# copy, never to the committed seeds); the regressions are read as a second
# folder, so each of them runs first.  Exit 0 if the run ended with no
# finding; otherwise libFuzzer's status, with the input that broke it kept
# in FINDINGS (crash-*, timeout-*, oom-*, leak-*).
set -euo pipefail

if [ $# -ne 7 ]; then
	echo "usage: run_fuzz.sh BINARY NAME CORPUS REGRESSIONS DICT SECONDS FINDINGS" >&2
	exit 2
fi
bin=$1 name=$2 corpus=$3 regressions=$4 dict=$5 seconds=$6 findings=$7

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmtrace-fuzz-$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/corpus" "$findings"
cp "$corpus"/* "$tmp/corpus/" 2>/dev/null || true

args=(-seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
	-print_final_stats=1 -artifact_prefix="$findings/")
[ -n "$dict" ] && args+=(-dict="$dict")
status=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	"$bin" "${args[@]}" "$tmp/corpus" "$regressions" || status=$?
if [ "$status" -ne 0 ]; then
	echo "run_fuzz.sh: $name: libFuzzer exited with $status; inputs kept in $findings:" >&2
	ls -l "$findings" >&2 || true
fi
exit "$status"
