#!/usr/bin/env bash
# The dissector's view of an export, pinned: samples/violations.db (a
# careless driver: every kind of record, 18 violations as expert info, blk
# and rng requests linked to their completions) exported by vmtrace export
# and read by tshark -2 with export/wireshark/vmtrace.lua, one line a
# record (frame, interface, seq, Source, Destination, Info, expert message,
# its severity, links),
# against tests/export/lua/violations.fields.  After a change on purpose:
#
#   tests/export/lua/golden_dissector.sh build/cli/vmtrace . --regen
set -u
vmtrace=$1
src=$2
command -v tshark >/dev/null || { echo "tshark is not installed (scripts/setup.sh installs it)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
want=$src/tests/export/lua/violations.fields
"$vmtrace" export -o "$dir/v.pcapng" "$src/samples/violations.db" 2>/dev/null || { echo "export failed"; exit 1; }
# a HOME of its own: no personal plugin or preference changes the view
HOME=$dir tshark -2 -X "lua_script:$src/export/wireshark/vmtrace.lua" -r "$dir/v.pcapng" -T fields \
	-e frame.number -e frame.interface_name -e vmtrace.seq -e _ws.col.Source -e _ws.col.Destination -e _ws.col.Info -e _ws.expert.message \
	-e _ws.expert.severity -e vmtrace.request.notify_in -e vmtrace.request.used_in -e vmtrace.request.irq_in \
	>"$dir/got" 2>"$dir/err" || { echo "tshark failed:"; cat "$dir/err"; exit 1; }
if grep -qi "lua.*error\|malformed" "$dir/got" "$dir/err"; then
	echo "tshark reported an error:"; grep -i "error\|malformed" "$dir/got" "$dir/err" | head; exit 1
fi
if [ "${3:-}" = --regen ]; then
	cp "$dir/got" "$want"
	echo "rewritten: $want"
	exit 0
fi
diff -u "$want" "$dir/got" && echo "ok: $(wc -l <"$want") records as pinned"
