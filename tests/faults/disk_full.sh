#!/usr/bin/env bash
# Disk full (RELIABILITY F2): record and decode onto a small tmpfs.  A clear
# error and exit 1; the user's existing files at the output names are
# untouched; what was recorded before the disk filled is kept under a name
# the message gives, and decodes.  The tmpfs is mounted in a private mount
# namespace (unshare -m), so this needs root; it skips (77) where that is
# refused.
# usage: disk_full.sh VMTRACE
set -u
case $1 in /*) vmtrace=$1 ;; *) vmtrace=$(pwd)/$1 ;; esac
if [ -z "${VMTRACE_IN_NS:-}" ]; then
	if ! unshare -m true 2>/dev/null; then
		echo "SKIP: cannot make a private mount namespace (unshare -m) for a small tmpfs"
		exit 77
	fi
	exec env VMTRACE_IN_NS=1 unshare -m --propagation private bash "$0" "$vmtrace"
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/vmtrace-diskfull.XXXXXX") || exit 1
trap 'umount "$T/full" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
mkdir full
mount -t tmpfs -o size=1m tmpfs full || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

"$vmtrace" record -q --emu blk,rng -o small.vmt || { echo "cannot record"; exit 1; }
"$vmtrace" decode -q small.vmt -o full/t.db || { echo "cannot decode into the tmpfs"; exit 1; }
cp full/t.db t.db.orig
# A raw trace of a few MB: larger than the tmpfs.
"$vmtrace" record -q --emu net,net -w 'net:frames=4096' -o big.vmt || { echo "cannot record big.vmt"; exit 1; }

# decode: exit 1, "No space left", t.db untouched, nothing else left.
"$vmtrace" decode -q big.vmt -o full/t.db 2>err.txt
st=$?
[ $st = 1 ] || fail "decode onto a full disk: exit $st, want 1: $(cat err.txt)"
grep -q "full/t.db.decoding-.*\(disk is full\|No space left\|database or disk is full\)" err.txt ||
	fail "decode's message does not say the disk is full: $(cat err.txt)"
cmp -s full/t.db t.db.orig || fail "the user's t.db changed"
left=$(cd full && ls | grep -v '^t.db$')
[ -z "$left" ] || fail "a failed decode left files: $left"
[ $fails = 0 ] && ok "decode onto a full disk: exit 1, t.db untouched, nothing left"

# record (raw phase): exit 1, the message names the kept raw trace, t.db untouched.
"$vmtrace" record -q --emu net,net,net -w 'net:frames=4096' -o full/t.db 2>err.txt
st=$?
[ $st = 1 ] || fail "record onto a full disk: exit $st, want 1: $(cat err.txt)"
grep -q "No space left on device" err.txt || fail "record's message does not say the disk is full: $(cat err.txt)"
cmp -s full/t.db t.db.orig || fail "record changed the user's t.db"
kept=$(sed -n "s/.* are kept in '\([^']*\)'.*/\1/p" err.txt | head -n1)
if [ -n "$kept" ] && [ -s "$kept" ]; then
	ok "the events recorded before the disk filled are kept in $kept"
	"$vmtrace" dump "$kept" >/dev/null 2>&1
	[ $? -le 1 ] || fail "the kept raw trace does not read"
	mv "$kept" partial.vmt
	"$vmtrace" decode -q partial.vmt -o partial.db 2>/dev/null
	[ $? -le 1 ] && "$vmtrace" info partial.db >/dev/null || fail "the kept raw trace does not decode"
else
	fail "record does not name a kept raw trace that exists: $(cat err.txt)"
fi
left=$(cd full && ls | grep -v '^t.db$')
[ -z "$left" ] || fail "a failed record left files: $left"

# record (decode phase): the raw trace fits, its trace.db does not.
rm -f full/t.db
"$vmtrace" record -q --emu net -w 'net:frames=200' -o full/r.vmt 2>err.txt || fail "r.vmt does not fit"
rawsize=$(stat -c %s full/r.vmt)
rm -f full/r.vmt
"$vmtrace" record -q --emu net -w 'net:frames=200' -o full/r.db 2>err.txt
st=$?
if [ $st = 0 ]; then
	echo "note: the trace.db of a ${rawsize}-byte raw trace fitted; decode-phase case not exercised"
else
	[ $st = 1 ] || fail "record, decode phase: exit $st, want 1"
	grep -q "the raw trace is kept in" err.txt || fail "record does not name the kept raw trace: $(cat err.txt)"
	[ ! -e full/r.db ] || fail "a failed decode left full/r.db"
	ok "record whose decode does not fit: exit 1, raw trace kept and named"
fi

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo PASS
