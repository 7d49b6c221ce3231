#!/usr/bin/env bash
# The views and the timeline strip on trace.db files from someone else
# (RELIABILITY D01-D04, and rows a decoder never writes): each file is
# refused by tdb_open or browsed through every view and key, never a crash
# (a signal, a sanitizer's report) or a hang; text from the file reaches
# the screen escaped.
#   hostile_views.sh TEST_VIEWS SMALL.db BIG.db
set -u
tv=$1
small=$2
big=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { if [ "$2" != 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
# run FILE: every view on FILE; 0 when it did not crash or hang
run() {
	timeout 120 "$tv" hostile "$1" >"$dir/out" 2>"$dir/err"
	local rc=$?
	if [ $rc != 0 ] || grep -q 'Sanitizer\|runtime error' "$dir/err"; then
		echo "  $1: exit $rc: $(head -c 400 "$dir/err")"
		return 1
	fi
}

: >"$dir/empty.db"
head -c 4096 "$small" >"$dir/trunc.db"
printf 'not a database\n%.0s' {1..100} >"$dir/text.db"
for f in empty trunc text; do run "$dir/$f.db"; check "D01 $f" $?; done

# D02: bytes flipped across the files
for src in "$small" "$big"; do
	size=$(stat -c %s "$src")
	step=$(( size / 60 + 1 ))
	crashes=0
	for off in $(seq 0 "$step" "$size"); do
		cp "$src" "$dir/flip.db"
		printf '\xff' | dd of="$dir/flip.db" bs=1 seek="$off" conv=notrunc status=none
		run "$dir/flip.db" || crashes=1
	done
	check "D02 flipped bytes in $(basename "$src")" $crashes
done

if ! command -v sqlite3 >/dev/null; then
	echo "skip: rows a decoder never writes (no sqlite3 shell; scripts/setup.sh installs it)"
	exit $fail
fi
# Rows a decoder never writes: each file gets one kind of damage.
edit() { cp "$1" "$dir/$2.db"; sqlite3 "$dir/$2.db" "$3" && run "$dir/$2.db"; check "rows: $2" $?; }
edit "$small" request-kind "UPDATE requests SET kind = 'bogus' WHERE request = 2;"
edit "$small" request-text "UPDATE requests SET seq_notify = 'x', ts_used = 'y', length = -5 WHERE request = 1;"
edit "$small" request-device "UPDATE requests SET device = 200 WHERE request = 3;"
edit "$small" request-extremes "UPDATE requests SET ts_notify = 9223372036854775807, ts_used = -9223372036854775808, length = 9223372036854775807;"
edit "$small" violation-seq "UPDATE violations SET seq = 'x' WHERE rowid = 2; UPDATE violations SET seq = -5 WHERE rowid = 3;"
edit "$small" violation-pile "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
  INSERT INTO violations SELECT 40, 0, 'pile', 's', 'error', 'driver', 'm' || i FROM n;"
edit "$small" no-anomalies "DROP TABLE anomalies;"
edit "$small" anomaly-text "UPDATE anomalies SET seq = 'x', device = 'y', queue = 'z';"
edit "$small" status-text "UPDATE status_changes SET new = 'x', kind = 'bogus';"
edit "$small" queue-text "UPDATE queues SET size = 'x', desc_addr = 'y', seq_setup = -1, generation = 'g' WHERE device = 0 AND generation = 1;"
edit "$small" device-text "UPDATE devices SET device_id = 'x', status = 'y', version = 9, features_negotiated = 'z' WHERE device = 0;"
edit "$small" ts-backwards "UPDATE events SET ts_ns = 1000000000 - ts_ns;"
edit "$small" ts-text "UPDATE events SET ts_ns = 'x' WHERE seq % 7 = 3;"
edit "$small" ts-extremes "UPDATE events SET ts_ns = CASE WHEN seq % 2 THEN 9223372036854775807 ELSE -9223372036854775808 END;"
edit "$small" ts-first-last "UPDATE events SET ts_ns = 5 WHERE seq = (SELECT max(seq) FROM events);"
edit "$small" seq-gaps "DELETE FROM events WHERE seq % 3 = 1 AND seq NOT IN (SELECT seq FROM memory);"
edit "$big" ts-shuffled "UPDATE events SET ts_ns = (seq * 7919) % 1000003;"

# The file's text reaches the screen escaped: no raw control byte
cp "$small" "$dir/esc.db"
sqlite3 "$dir/esc.db" "UPDATE violations SET message = 'a' || char(27) || '[31mred' || char(7) WHERE rowid = 1;
  UPDATE devices SET name = 'dev' || char(27) || ']0;title' || char(7), type = char(155) WHERE device = 0;"
bad=0
for v in devices requests violations queues; do
	"$tv" screen "$dir/esc.db" "$v" _ - >"$dir/screen" 2>&1
	if LC_ALL=C grep -q "$(printf '[\033\007]')" "$dir/screen"; then bad=1; echo "  raw control byte in the $v view"; fi
done
grep -qF 'a\x1b[31' <("$tv" screen "$dir/esc.db" violations _ -) || { bad=1; echo "  the message is not shown escaped"; }
check "text from the file is escaped" $bad
exit $fail
