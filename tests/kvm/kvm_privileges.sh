#!/usr/bin/env bash
# `vmtrace record --bpf` without the privileges BPF needs: it must refuse
# before running anything, name exactly the capabilities missing, and exit
# non-zero (69 with a command, 1 with --pid).  As root the test also
# drops single capabilities (setpriv --bounding-set) and checks that
# CAP_BPF plus CAP_PERFMON, without CAP_SYS_ADMIN, are enough.
#
#   kvm_privileges.sh VMTRACE
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

vmtrace=$(realpath "$1")
grep -q -- '--bpf' <<<"$("$vmtrace" record --help)" || fail "vmtrace record --help does not mention --bpf"
bpf_built "$vmtrace" || skip "vmtrace was built without BPF capture"
[ -r /sys/kernel/btf/vmlinux ] || skip "the kernel has no BTF: vmtrace reports that before privileges"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
work=$(mktemp -d)
chmod 777 "$work"
trap 'rm -rf "$work"' EXIT

# refused NAME WANT_STATUS WANT_TEXT NOT_TEXT -- COMMAND...: the command
# (a vmtrace run, maybe under setpriv) fails with WANT_STATUS, says
# WANT_TEXT and not NOT_TEXT, and the traced command never ran.
refused() {
	local name=$1 want=$2 text=$3 not=$4 st
	shift 5
	rm -f "$work/ran"
	"$@" >"$work/$name.out" 2>&1
	st=$?
	echo "--- $name (exit $st):"
	cat "$work/$name.out"
	[ "$st" = "$want" ] || fail "$name: exit $st, want $want"
	grep -qF -- "$text" "$work/$name.out" || fail "$name: the message does not say '$text'"
	if [ -n "$not" ] && grep -qF -- "$not" "$work/$name.out"; then
		fail "$name: the message names '$not', which is not missing"
	fi
	[ ! -e "$work/ran" ] || fail "$name: the command ran although recording could not start"
	[ "$(grep -c . "$work/$name.out")" -le 2 ] || fail "$name: more than the one error line (libbpf noise?)"
}

if [ "$(id -u)" != 0 ]; then
	# Not root: this user is the unprivileged one (unless it holds the caps).
	out=$("$vmtrace" record --bpf -o "$work/o.vmt" -- true 2>&1) && skip "uid $(id -u) may load BPF programs: nothing to refuse"
	refused self 69 "needs the capabilities CAP_BPF and CAP_PERFMON" "" -- \
		"$vmtrace" record --bpf -o "$work/o.vmt" -- touch "$work/ran"
	echo "PASS"
	exit 0
fi

nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
refused nobody-command 69 "this process (uid 65534) lacks CAP_BPF and CAP_PERFMON: run vmtrace as root" "" -- \
	"${nobody[@]}" "$vmtrace" record --bpf -o "$work/o.vmt" -- touch "$work/ran"
[ ! -e "$work/o.vmt" ] || fail "a trace file was created although recording could not start"
refused nobody-pid 1 "lacks CAP_BPF and CAP_PERFMON" "" -- \
	"${nobody[@]}" "$vmtrace" record --bpf --pid $$ -o "$work/o.vmt"
refused root-without-bpf 69 "lacks CAP_BPF: it runs as root, but with a reduced capability set" "CAP_PERFMON:" -- \
	setpriv --bounding-set=-bpf,-sys_admin -- "$vmtrace" record --bpf -o "$work/o.vmt" -- touch "$work/ran"
refused root-without-perfmon 69 "lacks CAP_PERFMON: it runs as root" "lacks CAP_BPF" -- \
	setpriv --bounding-set=-perfmon,-sys_admin -- "$vmtrace" record --bpf -o "$work/o.vmt" -- touch "$work/ran"

# CAP_BPF and CAP_PERFMON are enough: no CAP_SYS_ADMIN needed.
setpriv --bounding-set=-sys_admin -- "$vmtrace" record --bpf -q -o "$work/ok.vmt" -- touch "$work/ran" \
	>"$work/ok.out" 2>&1
st=$?
cat "$work/ok.out"
[ "$st" = 0 ] || fail "with CAP_BPF and CAP_PERFMON but not CAP_SYS_ADMIN: exit $st"
[ -e "$work/ran" ] || fail "the command did not run"
echo "PASS"
