#!/usr/bin/env bash
# vmtrace export's pcapng and pcap, read back by tshark (without the Lua
# dissector: tests/export/lua checks it): the interfaces name the devices,
# every record counted in the summary line is in the file, a QEMU guest's
# network frames decode as Ethernet, the pcap copy holds the same records,
# --device / --from / --to select, and a failed export leaves no file.
#
#   test_export.sh VMTRACE SRCROOT PCAP_READER   (tests/export/test_pcap_read;
#                                               'none' without libpcap)
set -u
vmtrace=$1
src=$2
pcap_reader=${3:-none}
command -v tshark >/dev/null || { echo "tshark is not installed (scripts/setup.sh installs it)"; exit 77; }
command -v capinfos >/dev/null || { echo "capinfos is not installed (package tshark)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { if [ "$2" != 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
ts() { tshark "$@" 2>/dev/null; }
# the number in the summary line before WORD ("169 events")
count_of() { sed -n "s/.* \([0-9][0-9]*\) $2.*/\1/p" "$1"; }

qemu=$src/samples/qemu-linux-modern.db
"$vmtrace" export -o "$dir/q.pcapng" "$qemu" 2>"$dir/q.err"
check "export of a QEMU boot exits 0" $?
cat "$dir/q.err"
events=$(count_of "$dir/q.err" events)
reqs=$(count_of "$dir/q.err" "request records")
frames=$(count_of "$dir/q.err" frames)
viol=$(count_of "$dir/q.err" violations)
records=$((events + reqs + viol))
user0=$(ts -r "$dir/q.pcapng" -Y user_dlt | wc -l)
eth=$(ts -r "$dir/q.pcapng" -Y eth | wc -l)
[ "$user0" = "$records" ]; check "tshark reads $user0 vmtrace records, the summary says $records" $?
[ "$eth" = "$frames" ] && [ "$frames" -gt 0 ]; check "tshark reads $eth Ethernet frames, the summary says $frames" $?
ts -r "$dir/q.pcapng" -Y 'arp || ip || ipv6' | grep -q .
check "the guest's frames decode as ARP/IP (virtio_net_hdr stripped)" $?
capinfos "$dir/q.pcapng" >"$dir/q.cap" 2>/dev/null
grep -q "Capture comment: *vmtrace" "$dir/q.cap" && grep -q "Capture comment: *source: qemu" "$dir/q.cap"
check "the section header names vmtrace and the trace's source" $?
grep -q "Time precision = nanoseconds" "$dir/q.cap"; check "interfaces have nanosecond timestamps" $?
missing=0
for name in $("$vmtrace" info --json "$qemu" | python3 -c 'import json,sys; [print(d["name"]) for d in json.load(sys.stdin)["devices"]]'); do
	grep -q "Name = $name\$" "$dir/q.cap" || { echo "  no interface $name"; missing=1; }
done
check "one interface per device, named like it" $missing
grep -q "Name = virtio-net@0x[0-9a-f]*-frames" "$dir/q.cap"; check "the network device's frames have an interface of their own" $?
# outbound (transmitq) and inbound (receiveq) directions
dirs=$(ts -r "$dir/q.pcapng" -Y eth -T fields -e frame.p2p_dir | sort -u | tr -d '\n')
[ "$dirs" = "01" ]; check "frames carry both directions in epb_flags (got '$dirs')" $?

# classic pcap: the same records, one link type
"$vmtrace" export --format pcap -o "$dir/q.pcap" "$qemu" 2>/dev/null
check "pcap export exits 0" $?
capinfos "$dir/q.pcap" >"$dir/p.cap" 2>/dev/null
grep -q "nanosecond pcap" "$dir/p.cap" && grep -q "File encapsulation: *USER 0" "$dir/p.cap"
check "pcap: nanosecond, link type USER0" $?
n=$(ts -r "$dir/q.pcap" | wc -l)
[ "$n" = "$user0" ]; check "pcap holds the $user0 records too (got $n)" $?
# the same bytes per record as in the pcapng
ts -r "$dir/q.pcap" -T fields -e data >"$dir/a"
ts -r "$dir/q.pcapng" -Y user_dlt -T fields -e data >"$dir/b"
cmp -s "$dir/a" "$dir/b"; check "pcap and pcapng records are the same bytes" $?
if [ "$pcap_reader" != none ]; then
	"$pcap_reader" "$dir/q.pcap" "$user0"; check "libpcap's pcap_open_offline reads the pcap: USER0, ns, $user0 records" $?
fi

# a part: one device, a seq range
"$vmtrace" export -o "$dir/part.pcapng" --device 0xfeb02e00 --from 20 --to 60 "$qemu" 2>/dev/null
check "export --device --from --to exits 0" $?
others=$(ts -r "$dir/part.pcapng" -T fields -e frame.interface_name | grep -vc '^virtio-blk@0xfeb02e00$')
[ "$others" = 0 ]; check "--device: only that device's records" $?
seqs=$(ts -r "$dir/part.pcapng" -T fields -e frame.number | wc -l)
[ "$seqs" -gt 0 ]; check "--device: its records are there ($seqs)" $?

# emulator samples: every kind of record the trace has
for s in emu-modern violations; do
	"$vmtrace" export -o "$dir/$s.pcapng" "$src/samples/$s.db" 2>"$dir/$s.err"
	check "export of samples/$s.db exits 0" $?
	n=$(ts -r "$dir/$s.pcapng" | wc -l)
	sum=$(($(count_of "$dir/$s.err" events) + $(count_of "$dir/$s.err" "request records") +
		$(count_of "$dir/$s.err" frames) + $(count_of "$dir/$s.err" violations)))
	[ "$n" = "$sum" ]; check "samples/$s.db: $n records, the summary says $sum" $?
done

# failures leave nothing that looks complete
"$vmtrace" export -o /dev/full "$qemu" 2>"$dir/full.err"
[ $? = 1 ] && grep -q "No space left" "$dir/full.err"; check "/dev/full: exit 1, says the disk is full" $?
[ -c /dev/full ]; check "/dev/full is still the device (written, not replaced)" $?
"$vmtrace" export -o "$dir/no/such/dir/x.pcapng" "$qemu" 2>/dev/null
[ $? = 1 ]; check "an output folder that does not exist: exit 1" $?
"$vmtrace" export -o "$dir/bad.pcapng" "$src/samples/emu-small.vmt" 2>/dev/null
[ $? = 2 ] && [ ! -e "$dir/bad.pcapng" ]; check "not a trace.db: exit 2, no file" $?
# a full filesystem (a small tmpfs, where mounting one is allowed)
mkdir "$dir/small"
if mount -t tmpfs -o size=64k tmpfs "$dir/small" 2>/dev/null; then
	"$vmtrace" export -o "$dir/small/q.pcapng" "$qemu" 2>"$dir/small.err"
	rc=$?
	left=$(ls -A "$dir/small" | wc -l)
	umount "$dir/small"
	[ $rc = 1 ] && [ "$left" = 0 ] && grep -q "No space left" "$dir/small.err"
	check "a full filesystem: exit 1, says so, leaves no file (left $left)" $?
else
	echo "skip: a full filesystem (this machine does not let the test mount a tmpfs)"
fi
# hostile trace.db files (RELIABILITY D01-D04): refused or exported, never a crash
cp "$qemu" "$dir/flip.db"
crashes=0
size=$(stat -c %s "$dir/flip.db")
for off in $(seq 100 7919 "$size"); do
	cp "$qemu" "$dir/flip.db"
	printf '\xff' | dd of="$dir/flip.db" bs=1 seek="$off" conv=notrunc status=none
	"$vmtrace" export -o "$dir/flip.pcapng" "$dir/flip.db" >/dev/null 2>"$dir/flip.err"
	rc=$?
	if [ $rc -ge 3 ] || grep -q 'Sanitizer\|runtime error' "$dir/flip.err"; then
		echo "  crash at offset $off (exit $rc): $(head -c 300 "$dir/flip.err")"; crashes=1
	fi
done
check "a byte flipped at many offsets: refused or exported, never a crash" $crashes
: >"$dir/empty.db"
"$vmtrace" export -o "$dir/e.pcapng" "$dir/empty.db" 2>"$dir/e.err"
[ $? = 2 ] && grep -q "empty.db" "$dir/e.err" && [ ! -e "$dir/e.pcapng" ]
check "an empty file: exit 2 naming it, no output" $?
# killed part-way: the named file does not exist (only a .partial- one may)
"$vmtrace" record -q --emu blk,net --repeat 400 -o "$dir/big.db" >/dev/null 2>&1
(timeout -s KILL 0.3 "$vmtrace" export -o "$dir/killed.pcapng" "$dir/big.db") 2>/dev/null
rc=$?
if [ $rc = 0 ]; then
	echo "skip: the export finished before it could be killed"
else
	[ ! -e "$dir/killed.pcapng" ]; check "killed part-way (exit $rc): no killed.pcapng" $?
fi
ls -a "$dir" | grep -q "^\.q\.pcapng\.partial" && { echo "FAIL: a finished export left its temporary file"; fail=1; }
exit $fail
