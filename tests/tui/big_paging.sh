#!/usr/bin/env bash
# The model against show on a trace of tens of thousands of events (made
# here by the emulator): the window pages and drops lines many times, the
# request buffers that name memory are reloaded as the cursor moves, and
# every line stays the one show prints (test_tui_model).
set -u
vmtrace=$1
test_model=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$vmtrace" record -q --emu net,blk --workload 'net:frames=2048,batch=1;blk:sectors=2048,requests=256' \
	-o "$dir/big.vmt" || { echo "record failed"; exit 1; }
"$vmtrace" decode -q "$dir/big.vmt" -o "$dir/big.db" || { echo "decode failed"; exit 1; }
"$test_model" "$dir/big.db"
