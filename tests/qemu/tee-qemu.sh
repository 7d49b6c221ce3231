#!/usr/bin/env bash
# A stand-in for qemu-system-x86_64 that runs the real one ($REAL_QEMU) and
# copies, byte for byte, the trace output QEMU writes to the file vmtrace
# gives it (-trace ...,file=/dev/fd/N) into $TRACE_COPY on its way to
# vmtrace.  A test then compares what QEMU itself logged with what vmtrace
# recorded, for the same boot.
set -euo pipefail

out_fd=
for a in "$@"; do
	case $a in
	*,file=/dev/fd/*) out_fd=${a##*,file=/dev/fd/} ;;
	esac
done
if [ -z "$out_fd" ]; then
	exec "$REAL_QEMU" "$@" # -trace help, -version
fi
exec {copy_fd}> >(exec tee -- "$TRACE_COPY" >&"$out_fd")
args=()
for a in "$@"; do
	case $a in
	*,file=/dev/fd/*) a="${a%,file=*},file=/dev/fd/$copy_fd" ;;
	esac
	args+=("$a")
done
eval "exec $out_fd>&-" # only tee writes to vmtrace now
exec "$REAL_QEMU" "${args[@]}"
