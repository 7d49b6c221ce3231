#!/usr/bin/env bash
# The model against show on a trace of tens of thousands of events (made
# here by the emulator): the window pages and drops lines many times, the
# request buffers that name memory are reloaded as the cursor moves, and
# every line stays the one show prints (test_tui_model).  And show's own
# part of the trace (--from --count, which loads only the buffers of the
# chains made available near it and those in flight at its start: fmt_row.h
# FMT_TDB_BUF_BEFORE / _AFTER) names memory as show of the whole trace does,
# at places where the driver fills a batch of blk buffers long before it
# notifies them, and across device resets.
set -u
vmtrace=$1
test_model=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$vmtrace" record -q --emu net,blk --workload 'net:frames=2048,batch=1;blk:sectors=2048,requests=256' \
	-o "$dir/big.vmt" || { echo "record failed"; exit 1; }
"$vmtrace" decode -q "$dir/big.vmt" -o "$dir/big.db" || { echo "decode failed"; exit 1; }
"$test_model" "$dir/big.db" || exit 1
# tiles DB: show --from --count 200, tiled over DB, against show of DB
tiles() {
	local db=$1 last from start n
	"$vmtrace" show "$db" >"$dir/all.txt" || { echo "show $db failed"; return 1; }
	last=$(tail -n 1 "$dir/all.txt" | awk '{ print $1 }')
	for ((from = 0; from <= last; from += 200)); do
		"$vmtrace" show --from "$from" --count 200 "$db" >"$dir/part.txt" || { echo "show --from $from failed"; return 1; }
		start=$(grep -n -m1 -E "^ *$from " "$dir/all.txt" | cut -d: -f1)
		[ -n "$start" ] || { echo "no event $from in show's output"; return 1; }
		n=$(wc -l <"$dir/part.txt")
		if ! tail -n "+$start" "$dir/all.txt" | head -n "$n" | diff -q - "$dir/part.txt" >/dev/null; then
			echo "$(basename "$db"): show --from $from --count 200 differs from show of the whole trace:"
			tail -n "+$start" "$dir/all.txt" | head -n "$n" | diff - "$dir/part.txt" | head -6
			return 1
		fi
	done
}
fail=0
tiles "$dir/big.db" || fail=1
# Three rounds (each resets the devices): receive buffers the device never
# filled end with their queue generation, so memory the next round reuses
# is not named by a request of the last (55 of 96 parts differed when they
# stayed in flight for good).
"$vmtrace" record -q --emu net,blk --repeat 3 --workload 'net:frames=300;blk:sectors=64,requests=16' \
	-o "$dir/rounds.db" || { echo "record --repeat failed"; exit 1; }
tiles "$dir/rounds.db" || fail=1
exit $fail
