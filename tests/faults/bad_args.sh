#!/usr/bin/env bash
# Bad command lines, as a careless user types them: every one exits 2 with
# a message on stderr, prints nothing on stdout, and creates no file.
# Numbers with a leading space or sign are refused (strtoull would read
# " -1" as 2^64-1); empty names and values are refused.
# usage: bad_args.sh VMTRACE
set -u
case $1 in /*) vmtrace=$1 ;; *) vmtrace=$(pwd)/$1 ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/vmtrace-badargs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0 n=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$vmtrace" record -q --emu blk,rng -o t.vmt && "$vmtrace" decode -q t.vmt -o t.db || { echo "set-up failed"; exit 1; }
mkdir adir
before=$(ls | sort)

# bad PATTERN ARGS...: exit 2, stderr matches PATTERN, stdout empty.
bad() {
	local pat=$1 got
	shift
	n=$((n + 1))
	"$vmtrace" "$@" >out.txt 2>err.txt
	got=$?
	if [ "$got" != 2 ]; then
		fail "vmtrace $*: exit $got, want 2: $(head -c 300 err.txt)"
	elif ! grep -qi -- "$pat" err.txt; then
		fail "vmtrace $*: stderr lacks '$pat': $(head -c 300 err.txt)"
	elif [ -s out.txt ]; then
		fail "vmtrace $*: printed on stdout: $(head -c 200 out.txt)"
	fi
	rm -f out.txt err.txt
}

bad "unknown command" frobnicate
bad "unknown command" help frobnicate
for num in ' -1' '-1' '+1' ' 5' '' 'x' '1x' '0x' '99999999999999999999999'; do
	bad "count" dump --count "$num" t.vmt
	bad "from" dump --from "$num" t.vmt
	bad "device" dump --device "$num" t.vmt
	bad "count" show --count "$num" t.db
	bad "from" show --from "$num" t.db
	bad "device" show --device "$num" t.db
	bad "until" replay --until "$num" t.db
	bad "payload-cap" decode --payload-cap "$num" t.vmt -o new.db
	bad "seed" record --emu rng --seed "$num"
	bad "workload" record --emu rng -w "rng:bytes=$num"
done
bad "count" show --count 0 t.db
bad "payload-cap" decode --payload-cap 0 t.vmt -o new.db
for w in '' ';' ';;' 'rng:' ':bytes=5' 'rng:bytes' 'rng:bytes=' 'rng:bytes=5,' 'rng:,bytes=5' \
	'rng:bytes=5,,requests=1' 'rng:bytes=5;' 'rng:bytes=65537' 'gpu:size=1' 'rng:speed=1'; do
	bad "workload" record --emu rng -w "$w"
done
bad "has no blk device" record --emu rng -w blk:sectors=1
bad "has no net device" record --emu blk -w net:frames=1
bad "blk-image is for a blk device" record --emu rng --blk-image /nonexistent
bad "No such file" record --emu blk --blk-image /nonexistent
bad "not a regular file" record --emu blk --blk-image adir
bad "more than the disk's 2048 sectors" record --emu blk -w blk:sectors=8192
bad "empty" record --emu ''
bad "empty" record --emu 'blk,'
bad "unknown device" record --emu 'blk,gpu'
bad "nothing to record" record
bad "empty output" record --emu rng -o ''
bad "name the same file" record --emu rng -o same.db --raw same.db
bad "already is the raw trace" record --emu rng -o a.vmt --raw b.vmt
bad "not a regular file" record --emu rng -o adir
bad "not a regular file" record --emu rng -o /dev/null
bad "bpf" record --emu rng --pid 1
bad "unknown option" record --emu rng --bogus
bad "needs an argument" record --emu rng -o
bad "flush" record --emu rng --flush ' 5'
bad "empty output" decode t.vmt -o ''
bad "not a regular file" decode t.vmt -o adir
bad "exactly one" decode
bad "exactly one" decode t.vmt t.vmt
bad "unable to open 'missing.vmt'" decode missing.vmt -o new.db
bad "not a raw trace\|raw trace" decode t.db -o new.db
bad "unable to open\|No such file" dump missing.vmt
bad "unable to read\|not a vmtrace" info missing.db
bad "not a vmtrace trace" info t.vmt
bad "at most one" show t.db t.db
bad "not a vmtrace trace" show t.vmt
bad "one trace at a time" replay t.db t.db
bad "expect-file" replay -X adir t.db
bad "expect-file" replay -X missing.expect t.db
bad "expect" replay -x '' t.db
bad "expect" replay -x 'NoSuchRegister' t.db
bad "not a vmtrace trace" replay t.vmt
bad "unrecognized\|unknown\|invalid" info --bogus t.db
bad "unrecognized\|unknown\|invalid" show --bogus t.db
bad "unrecognized\|unknown\|invalid" replay --bogus t.db
bad "unrecognized\|unknown\|invalid" dump --bogus t.vmt
bad "unrecognized\|unknown\|invalid" decode --bogus t.vmt

after=$(ls | sort)
[ "$before" = "$after" ] || fail "bad command lines created or removed files: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
[ "$fails" = 0 ] || { echo "$fails of $n bad command lines mishandled"; exit 1; }
echo "PASS: $n bad command lines, each exit 2 with a message and nothing on stdout"
