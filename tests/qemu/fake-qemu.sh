#!/usr/bin/env bash
# A stand-in for qemu-system-*, for testing `vmtrace record -- COMMAND`
# without booting anything.  Installed by the tests under a qemu-system-*
# name.  It answers the checks vmtrace makes (-trace help, -version), then
# writes the text of $FAKE_TRACE (default: none) to the trace file vmtrace
# gave it with -trace ...,file=PATH, prints its arguments to $FAKE_ARGS if
# set, sleeps $FAKE_SLEEP seconds (default 0; a signal ends the sleep), and
# exits with $FAKE_EXIT (default 0) or, with FAKE_SIGNAL, kills itself.
set -u

for a in "$@"; do
	case $a in
	help) # -trace help
		[ "${FAKE_NO_EVENTS:-}" = 1 ] || printf 'memory_region_ops_read\nmemory_region_ops_write\n'
		printf 'virtio_mmio_read\n'
		exit 0
		;;
	-version)
		echo "QEMU emulator version 0.0.0-fake"
		exit 0
		;;
	esac
done
[ -n "${FAKE_ARGS:-}" ] && printf '%s\n' "$@" >"$FAKE_ARGS"
trace=
for a in "$@"; do
	case $a in
	*file=*) trace=${a##*file=} ;;
	esac
done
if [ -n "$trace" ] && [ -n "${FAKE_TRACE:-}" ]; then
	cat -- "$FAKE_TRACE" >>"$trace"
fi
if [ "${FAKE_SLEEP:-0}" != 0 ]; then
	sleep "$FAKE_SLEEP" &
	sleeper=$!
	trap 'kill $sleeper; echo "fake-qemu: terminating on signal" >&2; exit 143' TERM
	trap 'kill $sleeper; echo "fake-qemu: interrupted" >&2; exit 130' INT
	wait $sleeper
fi
if [ -n "${FAKE_SIGNAL:-}" ]; then
	kill -s "$FAKE_SIGNAL" $$
fi
exit "${FAKE_EXIT:-0}"
