#!/usr/bin/env bash
# `vmtrace record --bpf -- COMMAND`: what happens around the command.
#   - its exit status comes back (sh -c 'exit 3' -> 3);
#   - a command that cannot start: 69 and a message (the trace's footer
#     says "command could not be started");
#   - SIGINT to vmtrace goes to the command (kvmhost in a long loop stops
#     with 130); vmtrace then writes and decodes everything and dies of
#     SIGINT itself; the trace is complete;
#   - kill -9 of vmtrace: the command does not outlive it
#     (PR_SET_PDEATHSIG), and the raw trace written so far (flushed every
#     second) reads back up to where it stopped.
#
#   kvm_command.sh VMTRACE KVMHOST
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

vmtrace=$(realpath "$1") kvmhost=$(realpath "$2")
need_kvm
need_bpf "$vmtrace"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

"$vmtrace" record --bpf -q -o "$work/st.vmt" -- sh -c 'exit 3'
st=$?
[ "$st" = 3 ] || fail "sh -c 'exit 3' under vmtrace: exit $st"

"$vmtrace" record --bpf -q -o "$work/none.vmt" -- "$work/no-such-command" 2>"$work/none.err"
st=$?
cat "$work/none.err"
[ "$st" = 69 ] || fail "a command that cannot start: exit $st, want 69"
grep -q "cannot start" "$work/none.err" || fail "no message says the command could not start"
# Nothing was recorded: no trace, and no temporary or lock left behind.
[ -z "$(ls -d "$work"/none.vmt* 2>/dev/null)" ] ||
	fail "a command that could not start left files: $(ls -d "$work"/none.vmt*)"

# wait_recording ERRFILE: until vmtrace says it records.
wait_recording() {
	local i
	for i in $(seq 100); do
		grep -q "recording" "$1" && return 0
		sleep 0.1
	done
	fail "vmtrace did not start recording"
}

# SIGINT: passed on, then vmtrace dies of it after writing everything.
"$vmtrace" record --bpf -o "$work/int.db" --raw "$work/int.vmt" -- "$kvmhost" --loop 4000000000 --timeout 120 \
	2>"$work/int.err" &
rec=$!
pids+=("$rec")
wait_recording "$work/int.err"
sleep 1
kill -INT "$rec"
wait "$rec"
st=$?
cat "$work/int.err"
host_skip_if_77 "$st" "$work/int.err"
[ "$st" = 130 ] || fail "vmtrace after SIGINT: exit $st, want 130 (died of SIGINT like its command)"
grep -q "command exited with status 130\|command killed by signal 2" "$work/int.err" ||
	fail "vmtrace does not say the command ended on SIGINT"
read -r events lost < <(trace_footer "$vmtrace" "$work/int.vmt")
[ -n "${events:-}" ] || fail "the trace after SIGINT is not complete"
[ "$events" -gt 1000 ] && [ "$lost" = 0 ] || fail "after SIGINT: $events events, $lost lost"
[ -s "$work/int.db" ] || fail "the trace was not decoded after SIGINT"

# kill -9: the command goes too; the raw trace holds what was flushed.
"$vmtrace" record --bpf -o "$work/k9.vmt" -- "$kvmhost" --loop 4000000000 --timeout 120 2>"$work/k9.err" &
rec=$!
pids+=("$rec")
wait_recording "$work/k9.err"
host=$(pgrep -P "$rec" -f kvmhost | head -n1)
[ -n "$host" ] || fail "no kvmhost child of vmtrace found"
pids+=("$host")
sleep 2.5
kill -KILL "$rec"
wait "$rec" 2>/dev/null
for i in $(seq 50); do
	kill -0 "$host" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$host" 2>/dev/null && fail "kvmhost outlived vmtrace's kill -9"
# The cut trace keeps its temporary name: nothing called k9.vmt looks complete.
[ ! -e "$work/k9.vmt" ] || fail "a killed recording left k9.vmt under its final name"
k9=$(ls "$work"/k9.vmt.recording-*.vmt 2>/dev/null | head -n1)
[ -n "$k9" ] || fail "no raw trace left after kill -9"
"$vmtrace" dump "$k9" >"$work/k9.txt" 2>"$work/k9.dump.err"
st=$?
cat "$work/k9.dump.err"
n=$(grep -c ' R Status ' "$work/k9.txt")
echo "after kill -9: $n Status reads readable"
[ "$st" -le 1 ] || fail "vmtrace dump of the cut trace: exit $st"
[ "$n" -gt 1000 ] || fail "only $n events reached the file in 2.5 s (flushed every second)"
echo "PASS"
