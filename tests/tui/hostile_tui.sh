#!/usr/bin/env bash
# trace.db files from someone else (RELIABILITY D01-D04) given to the TUI's
# script mode: empty, truncated, text, flipped bytes, a table replaced by a
# view, an unknown schema version.  Each is refused (exit 2, a message
# naming the file) or browsed (exit 0/1), never a crash (a signal, or a
# sanitizer's report), and never written to.
set -u
vmtrace=$1
good_src=$2
keys=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { if [ "$2" != 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
cp "$good_src" "$dir/good.db"

# tui FILE: run the keys on FILE; prints the exit status
tui() { "$vmtrace" tui --script "$keys" --size 100x30 "$1" >"$dir/out" 2>"$dir/err"; echo $?; }
# refused FILE PATTERN: exit 2, the file named, the pattern in the message
refused() {
	local rc; rc=$(tui "$1")
	[ "$rc" = 2 ] && grep -qF -- "$1" "$dir/err" && grep -qi -- "$2" "$dir/err" ||
		{ echo "  exit $rc: $(cat "$dir/err")"; return 1; }
}

rc=$(tui "$dir/good.db"); [ "$rc" = 0 ]; check "the good file is browsed" $?

: >"$dir/empty.db"
refused "$dir/empty.db" "not a vmtrace trace"; check "D01 empty file" $?
head -c 4096 "$dir/good.db" >"$dir/trunc.db"
refused "$dir/trunc.db" "trace\|damaged"; check "D01 truncated file" $?
printf 'this is not a database at all, just text\n%.0s' {1..200} >"$dir/text.db"
refused "$dir/text.db" "not a vmtrace trace"; check "D01 text file" $?

# D02: a byte flipped at many offsets: refused or browsed, never a crash
size=$(stat -c %s "$dir/good.db")
crashes=0
for off in $(seq 0 4093 "$size"); do
	cp "$dir/good.db" "$dir/flip.db"
	printf '\xff' | dd of="$dir/flip.db" bs=1 seek="$off" conv=notrunc status=none
	rc=$(tui "$dir/flip.db")
	if [ "$rc" -ge 3 ] || grep -q 'Sanitizer\|runtime error' "$dir/err"; then
		echo "  crash at offset $off (exit $rc): $(head -c 300 "$dir/err")"; crashes=1
	fi
done
check "D02 flipped bytes never crash" $crashes

if command -v sqlite3 >/dev/null; then
	# D03: a table replaced by a view is refused, and the file is not written
	cp "$dir/good.db" "$dir/view.db"
	sqlite3 "$dir/view.db" "ALTER TABLE events RENAME TO events_real; CREATE VIEW events AS SELECT * FROM events_real;"
	sum=$(md5sum <"$dir/view.db")
	refused "$dir/view.db" "no table 'events'"; check "D03 a view in place of table events" $?
	[ "$sum" = "$(md5sum <"$dir/view.db")" ]; check "D03 the file is not written" $?
	# D04: an unknown schema version
	cp "$dir/good.db" "$dir/version.db"
	sqlite3 "$dir/version.db" "UPDATE meta SET value = '99' WHERE key = 'schema_version';"
	refused "$dir/version.db" "version"; check "D04 an unknown schema version" $?
	# a register change whose seq is text (sorts after every integer):
	# the state pane says the row is damaged; its walk over the registers
	# does not meet the same register again and again
	cp "$dir/good.db" "$dir/regseq.db"
	sqlite3 "$dir/regseq.db" "UPDATE reg_changes SET seq = 'x' || seq WHERE rowid IN
		(SELECT rowid FROM reg_changes WHERE reg = 'Status' ORDER BY seq LIMIT 1);"
	rc=$(timeout 120 "$vmtrace" tui --script "$keys" --size 100x30 "$dir/regseq.db" >"$dir/out" 2>"$dir/err"; echo $?)
	[ "$rc" -le 1 ] && grep -q "a seq that is not one" "$dir/out"
	check "a text seq in reg_changes: browsed, the state pane names the damage" $?
else
	echo "skip: D03, D04 (no sqlite3 shell; scripts/setup.sh installs it)"
fi
exit $fail
