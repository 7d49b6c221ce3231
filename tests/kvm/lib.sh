# Shared by the tests/kvm scripts (sourced, bash).  Tests exit 0 (pass),
# 1 (fail) or 77 (skip, with a one-line reason), and skip only where
# /dev/kvm or BPF is really unavailable.

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# /dev/kvm must open read-write (kvmhost says why it cannot run otherwise).
need_kvm() {
	[ -c /dev/kvm ] || skip "/dev/kvm is absent"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not usable by uid $(id -u)"
}

# BPF: vmtrace built with it, and this process allowed to load programs
# (root, or CAP_BPF and CAP_PERFMON).
need_bpf() {
	local vmtrace=$1 out
	out=$("$vmtrace" record --help 2>&1)
	grep -q -- '--bpf' <<<"$out" || fail "vmtrace record --help does not mention --bpf"
	bpf_built "$vmtrace" || skip "vmtrace was built without BPF capture"
	[ -r /sys/kernel/btf/vmlinux ] || skip "the kernel has no BTF (/sys/kernel/btf/vmlinux): no CO-RE BPF"
	if [ "$(id -u)" != 0 ]; then
		# Without root, only file capabilities could help; vmtrace names them.
		out=$(cd "$(mktemp -d)" && "$vmtrace" record --bpf -q -o t.vmt -- true 2>&1)
		if grep -q "needs the capabilities" <<<"$out"; then
			skip "$(grep -m1 "needs the capabilities" <<<"$out" | cut -c1-200)"
		fi
	fi
	return 0
}

# True if vmtrace has BPF capture: without it, --bpf says so before
# looking for the process (a pid that cannot exist; nothing is loaded).
bpf_built() {
	local out
	out=$("$1" record --bpf --pid 2147483647 2>&1)
	! grep -q "built without BPF" <<<"$out"
}

# run_host OUT_ERR ARGS...: kvmhost in the foreground; 77 from it (KVM
# unusable) skips the test with its reason.
host_skip_if_77() {
	local st=$1 err=$2
	if [ "$st" = 77 ]; then
		skip "$(grep -m1 SKIP "$err" | sed 's/^kvmhost: SKIP: //')"
	fi
}

# The "N exits/s" of kvmhost's loop summary in FILE.
loop_rate() {
	sed -n 's/.*loop: [0-9]* exits in [0-9.]* s = \([0-9]*\) exits\/s.*/\1/p' "$1" | tail -n1
}

# The footer of raw trace FILE as `vmtrace dump --header` shows it: prints
# "N L" (events, lost: footer plus VMT_EV_LOST events), nothing if the
# trace was not closed cleanly.
trace_footer() {
	"$1" dump --header "$2" 2>/dev/null | tail -n1 | sed -n 's/^# end: \([0-9]*\) events, \([0-9]*\) lost.*/\1 \2/p'
}
