#!/usr/bin/env bash
# A longer fuzzing campaign of one target of a -Dfuzzing=true build:
#
#   tests/fuzz/campaign.sh TARGET MINUTES
#
# TARGET is rawtrace, qemu, virtqueue, rings or tracedb.  The corpus grows
# in $WORK/corpus (default build-fuzz/campaign/TARGET, started from the
# committed seeds), inputs that break something are kept in
# $WORK/findings, libFuzzer's output in $WORK/log.  After a finding the
# run starts again (next seed) until the time is up.  At the end it
# prints the executions, exec/s, libFuzzer's final coverage (cov: edges,
# ft: features), the corpus size and the findings.  The generated corpus
# is not for committing: copy a finding to tests/fuzz/regressions/TARGET/.
#
# Environment: BUILD (default build-fuzz), WORK, NICE (default 10),
# JOBS_SEED (first -seed, default 1), FUZZ_KNOWN (findings already
# reported that tracedb looks past: substrings of its report, '|' between).
set -euo pipefail

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -lt 1 ]; then
	echo "usage: tests/fuzz/campaign.sh TARGET MINUTES" >&2
	exit 2
fi
target=$1 minutes=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build-fuzz}
bin=$build/tests/fuzz/fuzz_$target
work=${WORK:-$build/campaign/$target}
seeds=$top/tests/fuzz/corpus/$target
dict=$top/tests/fuzz/dict/$target.dict

if [ ! -x "$bin" ]; then
	echo "campaign.sh: no $bin (configure with CC=clang meson setup $build -Dfuzzing=true" \
		"-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link," \
		"then ninja -C $build)" >&2
	exit 2
fi
mkdir -p "$work/corpus" "$work/findings"
if [ -z "$(ls -A "$work/corpus")" ]; then
	cp "$seeds"/* "$work/corpus/"
fi
log=$work/log
: >"$log"

args=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/findings/")
[ -f "$dict" ] && args+=(-dict="$dict")
seed=${JOBS_SEED:-1}
start=$(date +%s)
deadline=$((start + minutes * 60))
runs=0
while :; do
	now=$(date +%s)
	left=$((deadline - now))
	[ "$left" -ge 5 ] || break
	runs=$((runs + 1))
	echo "== run $runs: -seed=$seed, $left s left" >>"$log"
	t0=$(date +%s)
	status=0
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
		nice -n "${NICE:-10}" "$bin" "${args[@]}" -seed="$seed" -max_total_time="$left" \
		"$work/corpus" >>"$log" 2>&1 || status=$?
	seed=$((seed + 1))
	[ "$status" -eq 0 ] && break
	# A finding: go on with the next seed, unless the target cannot even
	# start (then every run would stop at once).
	if [ $(($(date +%s) - t0)) -lt 3 ]; then
		echo "campaign.sh: libFuzzer stopped at once (status $status); see $log" >&2
		break
	fi
done
elapsed=$(($(date +%s) - start))
[ "$elapsed" -gt 0 ] || elapsed=1

execs=$(awk -F: '/^stat::number_of_executed_units/ { n += $NF } END { print n + 0 }' "$log")
last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
corpus_files=$(find "$work/corpus" -type f | wc -l)
corpus_bytes=$(du -sk "$work/corpus" | cut -f1)
findings=$(find "$work/findings" -type f | sort)

echo "target:      $target ($bin)"
echo "time:        ${elapsed} s in $runs run(s)"
echo "executions:  $execs ($((execs / elapsed)) exec/s)"
echo "coverage:    cov ${cov:-?} ft ${ft:-?} (libFuzzer's last report)"
echo "corpus:      $corpus_files inputs, ${corpus_bytes} KiB in $work/corpus"
if [ -n "$findings" ]; then
	echo "findings:    $(wc -l <<<"$findings")"
	while read -r f; do
		echo "  $f"
	done <<<"$findings"
	grep -E '^(SUMMARY|fuzz:|==[0-9]+==ERROR)' "$log" | sort | uniq -c | sed 's/^/    /'
	exit 1
fi
echo "findings:    none"
