#!/usr/bin/env bash
# Faults around outputs (issue 11, RELIABILITY promises 7 and 8): a device
# node or a directory given as output, two recorders on one output, kill -9
# of a decode at several points, stdout that cannot be written.  Each case
# checks the exit status, the message, and that nothing the user had is
# gone or changed.
# usage: outputs.sh VMTRACE
set -u
case $1 in /*) vmtrace=$1 ;; *) vmtrace=$(pwd)/$1 ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/vmtrace-faults.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# run STATUS PATTERN CMD...: exit status and a stderr pattern.
run() {
	local want=$1 pat=$2 got
	shift 2
	"$@" >out.txt 2>err.txt
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$*: exit $got, want $want: $(head -c 400 err.txt)"
	elif [ -n "$pat" ] && ! grep -q -- "$pat" err.txt; then
		fail "$*: stderr lacks '$pat': $(head -c 400 err.txt)"
	else
		ok "$* -> $want"
	fi
}

"$vmtrace" record -q --emu blk,rng -o small.vmt || { echo "cannot record"; exit 1; }

# --- a device node or a directory as output: refused, untouched ---
if [ "$(id -u)" = 0 ]; then
	mknod node c 1 7 # /dev/full's numbers: writing it fails, reading it gives zeros
	run 2 "'node' exists and is not a regular file (a device)" "$vmtrace" decode small.vmt -o node
	run 2 "not a regular file" "$vmtrace" decode -f small.vmt -o node
	[ -c node ] && [ ! -e node.old ] || fail "the device node was moved or replaced"
	run 2 "not a regular file" "$vmtrace" record -q --emu rng -f -o node
	[ -c node ] || fail "record -f replaced the device node"
else
	echo "note: not root, device-node cases use /dev/full only"
fi
run 2 "'/dev/full' exists and is not a regular file" "$vmtrace" decode small.vmt -o /dev/full
run 2 "'/dev/full' exists and is not a regular file" "$vmtrace" decode -f small.vmt -o /dev/full
[ -c /dev/full ] && [ ! -e /dev/full.old ] || fail "/dev/full was moved or replaced"
mkdir dir && echo keep >dir/file
run 2 "'dir' exists and is not a regular file (a directory)" "$vmtrace" decode small.vmt -o dir
run 2 "(a directory)" "$vmtrace" decode -f small.vmt -o dir
run 2 "(a directory)" "$vmtrace" record -q --emu rng -o dir
[ "$(cat dir/file)" = keep ] && [ ! -e dir.old ] || fail "the directory given as output was touched"
# FILE.old that is a directory: the new file is kept under its temporary name, FILE stays.
"$vmtrace" decode -q small.vmt -o x.db || fail "decode into x.db"
cp x.db x.db.orig
mkdir x.db.old
run 1 "x.db.old' exists and is not a regular file" "$vmtrace" decode -q small.vmt -o x.db
cmp -s x.db x.db.orig || fail "x.db changed although it could not be moved aside"
ls x.db.decoding-* >/dev/null 2>&1 || fail "the new trace.db was not kept under its temporary name"
rm -rf x.db.old x.db.decoding-*
# A missing raw trace is bad input, and no output appears.
run 2 "unable to open 'nope.vmt'" "$vmtrace" decode nope.vmt -o y.db
[ -z "$(ls -d y.db* 2>/dev/null)" ] || fail "a refused decode left files: $(ls -d y.db*)"
run 2 "empty output file name" "$vmtrace" decode small.vmt -o ''

# --- two recorders on one output: the second is refused, the first completes ---
big=(--emu net,net,net,net -w 'net:frames=4096')
"$vmtrace" record -q "${big[@]}" -o c.db 2>first.err &
first=$!
for _ in $(seq 100); do [ -e c.db.lock ] && break; sleep 0.02; done
[ -e c.db.lock ] || fail "the first recorder took no lock"
run 2 "'c.db' is being written by another vmtrace (pid $first" "$vmtrace" record -q --emu rng -o c.db
run 2 "being written by another vmtrace" "$vmtrace" decode small.vmt -o c.db
wait "$first"
st=$?
[ "$st" = 0 ] || fail "the first recorder exited $st: $(cat first.err)"
[ -z "$(ls -d c.db.* 2>/dev/null)" ] || fail "temporaries or lock left behind: $(ls -d c.db.*)"
n=$("$vmtrace" info --json c.db | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))')
[ "$n" = 4 ] && ok "the first recording is whole (4 devices)" || fail "c.db holds $n devices, want 4"
# The finished file has the usual mode (mkstemp makes 0600 files).
[ "$(stat -c %a c.db)" = "$(printf '%o' $((0666 & ~0$(umask))))" ] || fail "c.db has mode $(stat -c %a c.db)"
# Two at once, both starting together, many times: never a lost or mixed file.
for i in 1 2 3 4 5; do
	"$vmtrace" record -q --emu blk,net -o r.db 2>a.err & a=$!
	"$vmtrace" record -q --emu blk,net -o r.db 2>b.err & b=$!
	wait $a; sa=$?; wait $b; sb=$?
	case "$sa$sb" in
	00 | 02 | 20) ;;
	*) fail "round $i: exits $sa and $sb: $(cat a.err b.err)" ;;
	esac
	"$vmtrace" info r.db >/dev/null 2>&1 || fail "round $i: r.db does not read"
	rm -f r.db.old
done
ok "five rounds of two recorders: one file that reads, every time"
# A lock left by a killed run is taken over.
echo 99999999 >s.db.lock
run 0 "" "$vmtrace" decode -q small.vmt -o s.db
[ ! -e s.db.lock ] || fail "the stale lock file is still there"

# --- kill -9 of a decode at several points: nothing under the final name ---
"$vmtrace" record -q --emu net,net,net,net,net,net,net,net -w 'net:frames=4096' -o big.vmt ||
	fail "cannot record big.vmt"
"$vmtrace" decode -q small.vmt -o k.db
cp k.db k.db.orig
hits=0
for delay in 0.05 0.2 0.4 0.7 1.0; do
	"$vmtrace" decode -q -f big.vmt -o k.db &
	pid=$!
	sleep "$delay"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	cmp -s k.db k.db.orig || { fail "after kill -9 at ${delay}s k.db is not the user's file"; cp k.db.orig k.db; }
	for tmp in k.db.decoding-*; do
		[ -e "$tmp" ] || continue
		hits=$((hits + 1))
		"$vmtrace" info "$tmp" >info.txt 2>&1
		st=$?
		[ $st = 2 ] || fail "info accepted the killed decode's '$tmp' (exit $st): $(head -3 info.txt)"
		rm -f "$tmp"
	done
done
[ $hits -ge 2 ] || fail "only $hits of 5 kills hit a decode under way (the decode is too fast to test)"
ok "kill -9 of decode at 5 points ($hits mid-decode): k.db untouched, the partial file refused"

# --- SIGTERM: a decode removes its temporary and lock; a recording keeps
# its raw trace and says where ---
"$vmtrace" decode -q -f big.vmt -o k.db &
pid=$!
for _ in $(seq 500); do [ -n "$(ls k.db.decoding-* 2>/dev/null)" ] && break; sleep 0.02; done
[ -n "$(ls k.db.decoding-* 2>/dev/null)" ] || fail "no decode temporary appeared in 10 s"
kill -TERM $pid
wait $pid
st=$?
[ $st = 143 ] || fail "decode after SIGTERM: exit $st, want 143"
cmp -s k.db k.db.orig || fail "SIGTERM of decode changed k.db"
[ -z "$(ls -d k.db.* 2>/dev/null | grep -v '^k.db.orig$')" ] || fail "SIGTERM of decode left: $(ls -d k.db.*)"
"$vmtrace" record -q --emu net,net,net,net,net,net,net,net -w 'net:frames=4096' -o term.db 2>term.err &
pid=$!
for _ in $(seq 100); do [ -n "$(ls term.db.recording-* 2>/dev/null)" ] && break; sleep 0.02; done
sleep 0.2
kill -TERM $pid
wait $pid
st=$?
kept=$(sed -n "s/^vmtrace: interrupted: what was recorded is kept in '\(.*\)'$/\1/p" term.err)
if [ $st != 143 ] || [ -z "$kept" ] || [ ! -s "$kept" ]; then
	fail "record after SIGTERM: exit $st, kept '$kept': $(cat term.err)"
else
	"$vmtrace" decode -q "$kept" -o term.db 2>/dev/null
	[ $? -le 1 ] && "$vmtrace" info term.db >/dev/null || fail "the raw trace kept after SIGTERM does not decode"
	ok "SIGTERM: decode leaves nothing, record keeps and names its raw trace"
fi
[ ! -e term.db.lock ] || fail "SIGTERM of record left its lock file"
run 0 "" "$vmtrace" decode -q -f big.vmt -o k.db
"$vmtrace" info k.db >/dev/null || fail "a decode after the kills does not read"

# --- a trace.db another process holds locked: "locked", not "damaged" ---
python3 - k.db <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[1] + ".held", "w").close()
time.sleep(4)
PY
holder=$!
for _ in $(seq 100); do [ -e k.db.held ] && break; sleep 0.05; done
run 2 "'k.db' is locked: another process is writing it" "$vmtrace" info k.db
grep -q "damaged" err.txt && fail "a locked trace.db is called damaged: $(cat err.txt)"
kill $holder 2>/dev/null; wait $holder 2>/dev/null; rm -f k.db.held

# --- a trace.db whose decode did not finish is refused by every reader ---
cp k.db cut.db
sqlite3 cut.db "DELETE FROM meta WHERE key = 'events'"
for cmd in info show replay; do
	run 2 "'cut.db' is incomplete: its decode did not finish" "$vmtrace" $cmd cut.db
done

# --- stdout that cannot be written: an error, never a silent success ---
full() { # full STATUS CMD...
	local want=$1 got
	shift
	"$@" >/dev/full 2>err.txt
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$* >/dev/full: exit $got, want $want"
	elif ! grep -q "unable to write to standard output" err.txt; then
		fail "$* >/dev/full: no message: $(cat err.txt)"
	else
		ok "$* >/dev/full -> $want"
	fi
}
full 1 "$vmtrace" info k.db
full 1 "$vmtrace" info --json k.db
full 1 "$vmtrace" show k.db
full 1 "$vmtrace" show --count 1 k.db
full 1 "$vmtrace" dump small.vmt
full 1 "$vmtrace" dump --header small.vmt
full 2 "$vmtrace" replay k.db
full 2 "$vmtrace" replay --json k.db
full 2 "$vmtrace" replay -q k.db
full 1 "$vmtrace" --help
full 1 "$vmtrace" version
full 1 "$vmtrace" help record
full 1 "$vmtrace" record --help

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo PASS
