#!/usr/bin/env bash
# vmtrace record -- COMMAND, with a stand-in QEMU (fake-qemu.sh): the
# checks made before anything starts, the words added to QEMU's command
# line, trace text to events, exit status and signals passed through, and
# what survives kill -9.
#
#   record_cli.sh VMTRACE
set -uo pipefail

vmtrace=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

mkdir "$work/bin"
cp "$here/fake-qemu.sh" "$work/bin/qemu-system-fake"
# Under real binaries' names too: the guest RAM layout depends on them.
for b in x86_64 aarch64 riscv64; do cp "$here/fake-qemu.sh" "$work/bin/qemu-system-$b"; done
export PATH="$work/bin:$PATH"
cd "$work" || exit 1

# expect STATUS PATTERN CMD...: exit status and a message on stderr.
expect() {
	local want=$1 pattern=$2 got
	shift 2
	"$@" >out.txt 2>err.txt </dev/null
	got=$?
	if [ "$got" != "$want" ]; then
		fail "'$*' exited $got, expected $want: $(cat err.txt)"
	elif ! grep -q -- "$pattern" err.txt; then
		fail "'$*': stderr lacks '$pattern': $(cat err.txt)"
	else
		ok "'$*' -> $want ($(head -1 err.txt))"
	fi
}

# --- refused before anything starts ---
expect 2 "is not QEMU" "$vmtrace" record -o a.db -- /bin/true
[ -z "$(ls -d a.db* 2>/dev/null)" ] || fail "a refused command left files behind: $(ls -d a.db*)"
# An output that cannot be used is refused before QEMU runs.
expect 2 "'/dev/full' exists and is not a regular file" env FAKE_ARGS=started.txt "$vmtrace" record -o /dev/full -- qemu-system-fake
[ ! -e started.txt ] || fail "QEMU was started although the output was refused"
mkdir outdir
expect 2 "(a directory)" env FAKE_ARGS=started.txt "$vmtrace" record -o outdir --raw r.vmt -- qemu-system-fake
[ ! -e started.txt ] && [ -d outdir ] && [ ! -e r.vmt ] || fail "a refused output: QEMU started or files touched"
rmdir outdir
expect 69 "cannot run 'qemu-system-nonexistent'" "$vmtrace" record -o a.db -- qemu-system-nonexistent
expect 69 "cannot trace MMIO" env FAKE_NO_EVENTS=1 "$vmtrace" record -o a.db -- qemu-system-fake
expect 2 "\-D" "$vmtrace" record -o a.db -- qemu-system-fake -D log.txt
expect 2 "daemonize" "$vmtrace" record -o a.db -- qemu-system-fake -daemonize
expect 2 "file=" "$vmtrace" record -o a.db -- qemu-system-fake -trace 'virtio_*,file=x.log'
expect 2 "\-m lots" "$vmtrace" record -o a.db -- qemu-system-fake -m lots
expect 2 "not both" "$vmtrace" record --emu blk -- qemu-system-fake
expect 2 "built-in emulator" "$vmtrace" record --legacy -- qemu-system-fake
[ ! -e a.db ] || fail "a refused command created a.db"

# --- the command line QEMU gets ---
before=$fails
FAKE_ARGS=args.txt "$vmtrace" record -q -o b.db -- qemu-system-x86_64 -M microvm,acpi=on -m 256 -nographic </dev/null
mapfile -t args <args.txt
# The virtio events (the device's own reports) come before the one -trace
# that names the file: QEMU keeps the file= of the last -trace only.
want_start=(-M microvm,acpi=on -m 256 -nographic -trace memory_region_ops_read
	-trace virtio_queue_notify -trace virtqueue_pop -trace virtqueue_fill -trace virtqueue_flush
	-trace virtio_blk_handle_read -trace virtio_blk_handle_write -trace virtio_scsi_cmd_req
	-trace scsi_req_parsed -trace scsi_req_parsed_lba -trace)
n=${#want_start[@]}
[ "${args[*]:0:$n}" = "${want_start[*]}" ] || fail "QEMU's arguments start '${args[*]:0:$n}'"
[[ ${args[$n]} =~ ^memory_region_ops_write,file=/dev/fd/[0-9]+$ ]] || fail "trace file argument is '${args[$n]}'"
[ "${args[$((n + 1))]}" = -object ] || fail "expected -object, got '${args[$((n + 1))]}'"
[[ ${args[$((n + 2))]} =~ ^memory-backend-file,id=vmtrace-ram,size=268435456,mem-path=/dev/fd/[0-9]+,share=on$ ]] ||
	fail "memory backend argument is '${args[$((n + 2))]}'"
[ "${args[*]:$((n + 3))}" = "-machine memory-backend=vmtrace-ram -global virtio-mmio.ioeventfd=off -msg timestamp=on" ] ||
	fail "QEMU's arguments end '${args[*]:$((n + 3))}'"
[ $fails = "$before" ] && ok "QEMU gets the user's words, then the trace, shared RAM, ioeventfd and timestamp options"

FAKE_ARGS=args2.txt "$vmtrace" record -o c.db -- qemu-system-fake -machine memory-backend=mine \
	-global virtio-mmio.ioeventfd=on </dev/null 2>err.txt
grep -q "memory-backend\|sets up guest memory" err.txt || fail "no note about the user's memory backend: $(cat err.txt)"
grep -q "vmtrace-ram\|ioeventfd=off" args2.txt && fail "vmtrace overrode the user's memory or ioeventfd choice"
ok "the user's own memory backend and ioeventfd setting are kept, with a note"

# --- guest RAM where the machine type puts it, or a warning ---
# meta_of DB KEY: one value of the trace's meta table.
meta_of() { sqlite3 "$1" "SELECT value FROM meta WHERE key = '$2'"; }
# ram_case WANT_BASE WANT_SIZE QEMU ARGS...: RAM shared, bounds recorded.
ram_case() {
	local base=$1 size=$2 db=ram$((++ram_n)).db
	shift 2
	FAKE_ARGS=ramargs.txt "$vmtrace" record -o "$db" -- "$@" </dev/null >out.txt 2>err.txt
	local st=$? got_base got_size
	got_base=$(meta_of "$db" ram_base)
	got_size=$(meta_of "$db" ram_size)
	if [ $st != 0 ] || [ "$got_base" != "$base" ] || [ "$got_size" != "$size" ]; then
		fail "'$*': exit $st, ram_base '$got_base' ram_size '$got_size' (expected $base, $size): $(cat err.txt)"
	elif ! grep -q "memory-backend=vmtrace-ram" ramargs.txt || grep -q "warning" err.txt; then
		fail "'$*': RAM not shared or a warning: $(cat err.txt)"
	else
		ok "'$*': RAM at $got_base, $got_size bytes"
	fi
}
ram_n=0
ram_case 1073741824 536870912 qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512M -nographic
ram_case 1073741824 1073741824 qemu-system-aarch64 -M virt,gic-version=3 -m size=1G
ram_case 1073741824 134217728 qemu-system-aarch64 -machine type=virt
ram_case 2147483648 2147483648 qemu-system-riscv64 -M virt -m 2G
ram_case 0 268435456 qemu-system-x86_64 -M microvm -m 256
grep -q "guest-ram.*at 0x40000000" <(sqlite3 ram1.db "SELECT key || ' ' || value FROM meta") ||
	fail "the aarch64 trace's guest-ram note lacks the base: $(sqlite3 ram1.db "SELECT value FROM meta WHERE key LIKE '%guest-ram%'")"

# no_ram_case PATTERN QEMU ARGS...: recorded (exit 0), RAM not shared, a
# warning naming the machine type, no RAM bounds in the trace (ram_size 0:
# unknown, docs/schema.md).
no_ram_case() {
	local pattern=$1 db=noram$((++ram_n)).db
	shift
	FAKE_ARGS=ramargs.txt "$vmtrace" record -o "$db" -- "$@" </dev/null >out.txt 2>err.txt
	local st=$?
	if [ $st != 0 ]; then
		fail "'$*' exited $st: $(cat err.txt)"
	elif ! grep -q "warning:.*$pattern.*register accesses are recorded, ring contents are not" err.txt; then
		fail "'$*': no warning naming '$pattern': $(cat err.txt)"
	elif grep -q "vmtrace-ram" ramargs.txt || [ "$(meta_of "$db" ram_size)" != 0 ]; then
		fail "'$*': RAM shared or bounds recorded without a layout"
	else
		ok "'$*': $(grep -m1 warning: err.txt)"
	fi
}
no_ram_case "machine type 'raspi3b' of qemu-system-aarch64" qemu-system-aarch64 -M raspi3b -m 1G
no_ram_case "machine type '(QEMU's default)' of qemu-system-riscv64" qemu-system-riscv64 -m 1G
no_ram_case "machine type 'isapc'" qemu-system-x86_64 -M isapc
no_ram_case "of qemu-system-fake" qemu-system-fake -M virt
no_ram_case "machine type 'virt' cannot hold 262144 MiB" qemu-system-aarch64 -M virt -m 256G
# The decoder places rings with the recorded bounds: a queue set up at
# 0x40001000 (in arm virt's RAM; past the end of a 128 MiB x86 machine's).
A=0xa003e00
mmio_line() {
	printf "memory_region_ops_%s cpu 0 mr 0x55 addr 0x%x value %s size 4 name 'virtio-mmio'\n" "$1" $((A + $2)) "$3"
}
{
	mmio_line read 0 0x74726976; mmio_line read 4 0x2; mmio_line read 8 0x4; mmio_line read 0xc 0x554d4551
	mmio_line write 0x70 0; mmio_line write 0x70 1; mmio_line write 0x70 3
	mmio_line write 0x14 0; mmio_line read 0x10 0x1; mmio_line write 0x14 1; mmio_line read 0x10 0x1
	mmio_line write 0x24 0; mmio_line write 0x20 0; mmio_line write 0x24 1; mmio_line write 0x20 1
	mmio_line write 0x70 0xb; mmio_line read 0x70 0xb
	mmio_line write 0x30 0; mmio_line read 0x34 0x100; mmio_line write 0x38 0x80
	mmio_line write 0x80 0x40001000; mmio_line write 0x84 0; mmio_line write 0x90 0x40002000
	mmio_line write 0x94 0; mmio_line write 0xa0 0x40003000; mmio_line write 0xa4 0
	mmio_line write 0x44 1; mmio_line write 0x70 0xf
} >virt-trace.txt
outside() { sqlite3 "$1" "SELECT count(*) FROM violations WHERE rule = 'ring-outside-memory'"; }
FAKE_TRACE=virt-trace.txt "$vmtrace" record -q -o virt-arm.db -- qemu-system-aarch64 -M virt </dev/null 2>err.txt ||
	fail "aarch64 virt trace: $(cat err.txt)"
FAKE_TRACE=virt-trace.txt "$vmtrace" record -q -o virt-x86.db -- qemu-system-x86_64 -M microvm </dev/null 2>err.txt ||
	fail "x86 trace: $(cat err.txt)"
if [ "$(outside virt-arm.db)" != 0 ] || [ "$(outside virt-x86.db)" != 1 ]; then
	fail "ring-outside-memory: $(outside virt-arm.db) on aarch64 virt (expected 0), $(outside virt-x86.db) on microvm (expected 1)"
else
	ok "rings at 0x40001000 are inside aarch64 virt's RAM and outside 128 MiB of microvm's"
fi

# A real qemu-system-aarch64 -M virt (Debian's qemu-system-arm), no kernel:
# it starts, records the machine's RAM bounds and stops on SIGTERM.
real_arm=$(PATH=${PATH#"$work/bin:"} command -v qemu-system-aarch64)
if [ -n "$real_arm" ]; then
	"$vmtrace" record -q -o arm.db -- "$real_arm" -M virt -cpu cortex-a57 -nographic -m 512 \
		-monitor none -serial none </dev/null 2>err.txt &
	pid=$!
	for _ in $(seq 100); do [ -n "$(find . -maxdepth 1 -name 'arm.db.recording-*.vmt' -size +0)" ] && break; sleep 0.1; done
	sleep 1
	kill -TERM $pid
	wait $pid
	st=$?
	if [ $st != 0 ] || [ "$(meta_of arm.db ram_base)" != 1073741824 ] || [ "$(meta_of arm.db ram_size)" != 536870912 ]; then
		fail "real aarch64 virt: exit $st, ram_base '$(meta_of arm.db ram_base)' ram_size '$(meta_of arm.db ram_size)': $(cat err.txt)"
	else
		ok "real $real_arm -M virt: started, stopped on SIGTERM (exit $st), RAM at 0x40000000 recorded"
	fi
else
	echo "skip: no qemu-system-aarch64 (Debian package qemu-system-arm)"
fi

# -q keeps the warning out, as it does every other one.
"$vmtrace" record -q -o noram-q.db -- qemu-system-aarch64 -M raspi3b </dev/null >out.txt 2>err.txt
[ $? = 0 ] && [ ! -s err.txt ] || fail "-q: exit or output: $(cat err.txt)"

# --- trace text to events; QEMU's exit status ---
cat >trace.txt <<'T'
memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e00 value 0x74726976 size 4 name 'virtio-mmio'
memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0x40 value 0x3 size 1 name 'pit'
memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e04 value 0x2 size 4 name 'virtio-mmio'
memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e08 value 0x2 size 4 name 'virtio-mmio'
memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e0c value 0x554d4551 size 4 name 'virtio-mmio'
memory_region_ops_write cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e70 value 0x1 size 4 name 'virtio-mmio'
memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e10 value 0x10130006e54 size 4 name 'virtio-mmio'
memory_region_ops_read cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e10 value 0x1 size 3 name 'virtio-mmio'
some other line QEMU printed
memory_region_ops_write cpu 0 mr 0x5581e0f3c2d0 addr 0xfeb02e70 value 0x0 size 4 name 'virtio-mmio'
T
FAKE_TRACE=trace.txt FAKE_EXIT=3 "$vmtrace" record -o d.db -- qemu-system-fake </dev/null >out.txt 2>err.txt
st=$?
[ $st = 3 ] || fail "vmtrace exited $st, QEMU exited 3"
grep -q "line 8" err.txt || fail "no warning naming the bad line 8: $(cat err.txt)"
grep -q "7 events\? (1 lost)\|events (1 lost)" err.txt || fail "summary does not count the lost line: $(tail -1 err.txt)"
mmio=$(sqlite3 d.db "SELECT count(*) FROM events WHERE type = 'mmio'")
[ "$mmio" = 7 ] || fail "$mmio MMIO events decoded, expected 7"
name=$(sqlite3 d.db "SELECT name FROM devices")
[ "$name" = "virtio-blk@0xfeb02e00" ] || fail "device named '$name'"
val=$(sqlite3 d.db "SELECT printf('0x%x', value) FROM events WHERE reg = 'DeviceFeatures'")
[ "$val" = 0x30006e54 ] || fail "a 4-byte read printed as 0x10130006e54 decoded as $val"
lost=$(sqlite3 d.db "SELECT value FROM meta WHERE key = 'lost'")
[ "$lost" = 1 ] || fail "meta says $lost lost"
marker=$(sqlite3 d.db "SELECT text FROM events WHERE type = 'marker'")
[[ $marker == "qemu trace line 8: size is not 1, 2, 4 or 8" ]] || fail "marker says '$marker'"
reason=$(sqlite3 d.db "SELECT value FROM meta WHERE key = 'stop_reason' OR key = 'raw.end_reason'" | head -1)
ok "7 accesses decoded, 1 lost and shown where, exit status 3 passed on ($reason)"

# --- signals: SIGTERM to vmtrace reaches QEMU; a clean finish ---
FAKE_TRACE=trace.txt FAKE_SLEEP=30 "$vmtrace" record -q -o e.db -- qemu-system-fake </dev/null 2>err.txt &
pid=$!
for _ in $(seq 50); do [ -n "$(find . -maxdepth 1 -name 'e.db.recording-*.vmt' -size +0)" ] && break; sleep 0.1; done
sleep 0.3
t0=$(date +%s%N)
kill -TERM $pid
wait $pid
st=$?
t1=$(date +%s%N)
[ $st = 143 ] || fail "after SIGTERM vmtrace exited $st (QEMU's trap exits 143)"
[ $(((t1 - t0) / 1000000)) -lt 2000 ] || fail "SIGTERM took $(((t1 - t0) / 1000000)) ms to finish"
[ "$(sqlite3 e.db "SELECT count(*) FROM events WHERE type = 'mmio'")" = 7 ] || fail "e.db lacks the events"
ok "SIGTERM passed on to QEMU, trace decoded, exit $st in $(((t1 - t0) / 1000000)) ms"

# --- QEMU dies of a signal: vmtrace writes everything, then dies the same way ---
FAKE_TRACE=trace.txt FAKE_SIGNAL=SEGV "$vmtrace" record -q -o f.db -- qemu-system-fake </dev/null 2>err.txt
st=$?
[ $st = 139 ] || fail "QEMU died of SIGSEGV, vmtrace exited $st (expected 139: the same signal)"
end=$(sqlite3 f.db "SELECT value FROM meta WHERE value LIKE '%signal 11%'" | head -1)
[ -n "$end" ] || fail "f.db does not say QEMU was killed by signal 11"
ok "QEMU's fatal signal re-raised after decoding ($end)"

# --- kill -9 of vmtrace: the raw trace keeps what was flushed, QEMU goes too ---
FAKE_TRACE=trace.txt FAKE_SLEEP=30 FAKE_ARGS=args3.txt "$vmtrace" record -q -o g.db -- qemu-system-fake </dev/null 2>err.txt &
pid=$!
for _ in $(seq 50); do [ -s args3.txt ] && break; sleep 0.1; done
sleep 1.6 # past the 1 s flush interval
kill -KILL $pid
wait $pid 2>/dev/null
sleep 0.5
pgrep -f "qemu-system-fake" >/dev/null && fail "QEMU outlived vmtrace's kill -9"
# The raw trace keeps its temporary name (nothing under g.db looks complete).
[ ! -e g.db ] || fail "a killed recording left g.db"
kept=$(ls g.db.recording-*.vmt 2>/dev/null | head -n1)
[ -s "$kept" ] || fail "no raw trace left after kill -9: $(ls)"
"$vmtrace" decode "$kept" -o g.db 2>err.txt
st=$?
[ $st = 0 ] || fail "decoding the killed recording exited $st: $(cat err.txt)"
grep -q "incomplete" err.txt || fail "decode does not say the killed recording is incomplete: $(cat err.txt)"
[ "$(sqlite3 g.db "SELECT count(*) FROM events WHERE type = 'mmio'")" = 7 ] || fail "flushed events missing after kill -9"
ok "after kill -9: QEMU stopped, raw trace readable and decoded"

[ $fails = 0 ] || { echo "$fails check(s) failed"; exit 1; }
