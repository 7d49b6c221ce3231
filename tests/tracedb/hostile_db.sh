#!/usr/bin/env bash
# trace.db files from someone else (RELIABILITY D01-D04): empty, truncated,
# flipped bytes, hostile schema objects, unknown schema version. vmtrace
# must refuse them cleanly (exit 2, a message naming the file), never crash,
# and never write to them.
set -u
vmtrace=$1
command -v sqlite3 >/dev/null || { echo "SKIP: the sqlite3 shell is not installed (scripts/setup.sh installs it)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { # check NAME CONDITION-RESULT
	if [ "$2" != 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi
}

"$vmtrace" record --emu blk,rng -q -o "$dir/t.vmt" || { echo "record failed"; exit 1; }
"$vmtrace" decode -q "$dir/t.vmt" -o "$dir/good.db" || { echo "decode failed"; exit 1; }
"$vmtrace" info "$dir/good.db" >/dev/null; check "good file opens" $?

# refused FILE PATTERN: info exits 2, names the file, matches the pattern, no crash.
refused() {
	local f=$1 pat=$2 out rc
	out=$("$vmtrace" info "$f" 2>&1); rc=$?
	[ $rc -eq 2 ] && grep -q -- "$f" <<<"$out" && grep -qi -- "$pat" <<<"$out"
}

: >"$dir/empty.db"
refused "$dir/empty.db" "not a vmtrace trace"; check "D01 empty file" $?

head -c 4096 "$dir/good.db" >"$dir/trunc.db"
refused "$dir/trunc.db" "trace\|damaged"; check "D01 truncated file" $?

printf 'this is not a database at all, just text\n%.0s' {1..200} >"$dir/text.db"
refused "$dir/text.db" "not a vmtrace trace"; check "D01 text file" $?

# D02: flipped bytes at many offsets: refused or opened, never a crash (rc >= 128).
size=$(stat -c %s "$dir/good.db")
crashes=0
for off in $(seq 0 997 "$size"); do
	cp "$dir/good.db" "$dir/flip.db"
	printf '\xff' | dd of="$dir/flip.db" bs=1 seek="$off" conv=notrunc status=none
	"$vmtrace" info "$dir/flip.db" >/dev/null 2>&1; rc=$?
	"$vmtrace" show "$dir/flip.db" >/dev/null 2>&1; rc2=$?
	if [ $rc -ge 128 ] || [ $rc2 -ge 128 ]; then echo "crash at offset $off (rc $rc/$rc2)"; crashes=1; fi
done
check "D02 flipped bytes never crash" $crashes

# D03: a table replaced by a view is refused.
cp "$dir/good.db" "$dir/view.db"
sqlite3 "$dir/view.db" "DROP TABLE devices; CREATE VIEW devices AS SELECT 1 AS device;"
refused "$dir/view.db" "no table 'devices'"; check "D03 table replaced by a view" $?

# D03: a trigger never fires and the file is never written.
cp "$dir/good.db" "$dir/trigger.db"
sqlite3 "$dir/trigger.db" "CREATE TABLE pwned(x); CREATE TRIGGER t AFTER INSERT ON meta BEGIN INSERT INTO pwned VALUES (1); END;"
before=$(sha256sum <"$dir/trigger.db")
"$vmtrace" info "$dir/trigger.db" >/dev/null 2>&1
"$vmtrace" info --json "$dir/trigger.db" >/dev/null 2>&1
"$vmtrace" show "$dir/trigger.db" >/dev/null 2>&1
after=$(sha256sum <"$dir/trigger.db")
[ "$before" = "$after" ]; check "D03 file never written" $?

# D04: unknown schema version.
cp "$dir/good.db" "$dir/v99.db"
sqlite3 "$dir/v99.db" "UPDATE meta SET value = '99' WHERE key = 'schema_version';"
refused "$dir/v99.db" "schema version '99'"; check "D04 unknown schema version" $?
# ... holding an escape sequence: shown as \x1b, never sent raw (a fuzz finding).
cp "$dir/good.db" "$dir/vesc.db"
sqlite3 "$dir/vesc.db" "UPDATE meta SET value = char(27) || '[2J' WHERE key = 'schema_version';"
out=$("$vmtrace" info "$dir/vesc.db" 2>&1)
! grep -q $'\x1b' <<<"$out" && grep -qF '\x1b[2J' <<<"$out"; check "D04 schema version with an escape is escaped" $?

# --json errors are JSON too.
out=$("$vmtrace" info --json "$dir/empty.db" 2>/dev/null)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert "error" in d' "$out"; check "--json error is JSON" $?

exit $fail
