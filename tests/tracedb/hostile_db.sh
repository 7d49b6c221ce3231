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
	"$vmtrace" info --check "$dir/flip.db" >/dev/null 2>&1; rc3=$?
	if [ $rc -ge 128 ] || [ $rc2 -ge 128 ] || [ $rc3 -ge 128 ]; then
		echo "crash at offset $off (rc $rc/$rc2/$rc3)"; crashes=1
	fi
done
check "D02 flipped bytes never crash" $crashes

# D02: damage where opening does not look (docs/opening.md: no pass over
# the file): the events table's root page.  Reading the events meets it
# (exit 1, the message says the file is damaged); info --check finds it
# first (exit 2); nothing crashes.
cp "$dir/good.db" "$dir/deep.db"
root=$(sqlite3 "$dir/deep.db" "SELECT rootpage FROM sqlite_schema WHERE name = 'events'")
psize=$(sqlite3 "$dir/deep.db" "PRAGMA page_size")
head -c 512 /dev/zero | tr '\0' '\245' | dd of="$dir/deep.db" bs=1 seek=$(((root - 1) * psize)) conv=notrunc status=none
out=$("$vmtrace" info --check "$dir/deep.db" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "deep.db': the file is damaged: quick_check says" <<<"$out"
check "D02 info --check refuses damage past what opening reads (exit $rc: $out)" $?
out=$("$vmtrace" show "$dir/deep.db" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && grep -q "deep.db'.*(the file is damaged)" <<<"$out"
check "D02 show stops at the damage and names it (exit $rc: $out)" $?
"$vmtrace" info --check "$dir/good.db" >/dev/null; check "info --check passes a whole file" $?

# D03: a table replaced by a view is refused.
cp "$dir/good.db" "$dir/view.db"
sqlite3 "$dir/view.db" "DROP TABLE devices; CREATE VIEW devices AS SELECT 1 AS device;"
refused "$dir/view.db" "no table 'devices'"; check "D03 table replaced by a view" $?

# D03: every table a reader reads, replaced by a view of the same rows, is
# refused by every reader: a view is schema code that runs on a SELECT.
for t in meta devices events memory reg_changes status_changes features queues chains \
	descriptors used requests net_frames interrupts violations lost; do
	cp "$dir/good.db" "$dir/tview.db"
	sqlite3 "$dir/tview.db" "ALTER TABLE $t RENAME TO ${t}_real; CREATE VIEW $t AS SELECT * FROM ${t}_real;" ||
		{ echo "FAIL: could not make $t a view"; fail=1; continue; }
	bad=0
	for cmd in info show replay; do
		out=$("$vmtrace" "$cmd" "$dir/tview.db" 2>&1 >/dev/null); rc=$?
		if [ $rc -ne 2 ] || ! grep -qF "no table '$t'" <<<"$out"; then
			echo "  $cmd with a view named $t: exit $rc: $out"; bad=1
		fi
	done
	check "D03 a view in place of table $t is refused by info, show and replay" $bad
done

# D03: readers only run SELECT and PRAGMA statements on a read-only
# connection, so no trigger can fire; what does run schema code on a read
# is a view the readers query (violations_in_order, device_summary,
# request_latency are the decoder's own).  Replace each with one that
# (a) marks its rows with a plain literal, and (b) reads the
# pragma_database_list virtual table, which SQLite runs from a schema only
# when trusted_schema is on.  A view some command shows the literal of is
# read by that command; its (b) variant must then not run there (the
# marker never appears; refusing the file is fine, crashing is not).
viol_db() { # viol_db OUT MESSAGE-EXPR: good.db with one violation and the views rewritten
	cp "$dir/good.db" "$1"
	sqlite3 "$1" "INSERT INTO violations (seq, device, rule, section, severity, actor, message)
		VALUES (5, 0, 'status-order', '2.1.2 Device Status Field', 'error', 'driver', 'planted');
	DROP VIEW violations_in_order;
	CREATE VIEW violations_in_order AS SELECT v.seq, d.name AS device, v.severity, v.rule, $2 AS message,
		v.section FROM violations v LEFT JOIN devices d USING (device) ORDER BY v.seq;
	DROP VIEW device_summary;
	CREATE VIEW device_summary AS SELECT d.device, printf('0x%x', d.base) AS base, $2 AS name, d.type,
		d.version, d.status, printf('0x%x', d.features_negotiated) AS negotiated, d.events, 0 AS requests,
		0 AS violations FROM devices d;
	DROP VIEW request_latency;
	CREATE VIEW request_latency AS SELECT r.request, $2 AS device, r.queue, r.kind, r.op, r.sector, r.length,
		r.status, r.seq_notify, r.seq_used, r.seq_irq, 0 AS notify_to_used_ns, 0 AS used_to_irq_ns
		FROM requests r;"
}
unsafe="('UNSAFE-' || (SELECT name FROM pragma_database_list LIMIT 1))"
viol_db "$dir/vsafe.db" "'VIEW-READ'"
viol_db "$dir/vunsafe.db" "$unsafe"
# The guard this relies on: SQLite refuses the unsafe view with trusted_schema off.
sqlite3 "$dir/vunsafe.db" "PRAGMA trusted_schema=OFF; SELECT * FROM violations_in_order;" >/dev/null 2>&1
[ $? -ne 0 ]; check "D03 this SQLite refuses pragma_database_list in a view without trusted_schema" $?
before=$(sha256sum <"$dir/vunsafe.db")
readers=0
while IFS= read -r args; do
	# shellcheck disable=SC2086
	safe=$("$vmtrace" $args "$dir/vsafe.db" 2>&1)
	# shellcheck disable=SC2086
	out=$("$vmtrace" $args "$dir/vunsafe.db" 2>&1); rc=$?
	grep -q "VIEW-READ" <<<"$safe" || continue
	readers=$((readers + 1))
	! grep -q "UNSAFE-" <<<"$out" && [ $rc -lt 128 ]
	check "D03 vmtrace $args reads a view of the file but runs none of its unsafe code (exit $rc)" $?
done <<'EOF2'
info
info --json
show
show --violations
replay
replay --json
EOF2
echo "views of the file read by $readers command lines"
after=$(sha256sum <"$dir/vunsafe.db")
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
