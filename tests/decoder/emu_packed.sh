#!/usr/bin/env bash
# The built-in emulator's packed virtqueues (record --emu ... --packed:
# exact driver and device stores) decoded by the packed ring decoder: no
# violations or anomalies, chains on every device, every used entry
# matched to a chain, every blk chain a blk request with its op.
#
#   emu_packed.sh VMTRACE
set -uo pipefail
vmtrace=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$vmtrace" record --emu blk,rng,net,console --packed -o "$work/t.db" >"$work/out.txt" 2>&1 ||
	{ echo "FAIL: record exited $?"; cat "$work/out.txt"; exit 1; }
python3 - "$work/t.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda sql, *a: db.execute(sql, a).fetchall()
fails = []
for dev, typ, neg in q("SELECT device, type, features_negotiated FROM devices ORDER BY device"):
    chains = q("SELECT count(*) FROM chains WHERE device = ?", dev)[0][0]
    used = q("SELECT count(*) FROM used WHERE device = ?", dev)[0][0]
    matched = q("SELECT count(*) FROM used WHERE device = ? AND chain IS NOT NULL", dev)[0][0]
    print(f"{typ}: packed={bool(neg >> 34 & 1)} chains={chains} used={used} matched={matched}")
    if not neg >> 34 & 1 or chains == 0 or used == 0 or matched != used:
        fails.append(f"{typ}: packed not negotiated, no chains or used entries, or used entries unmatched")
blk = q("SELECT count(*), count(r.op) FROM chains c LEFT JOIN requests r USING (chain) "
        "WHERE c.device = (SELECT device FROM devices WHERE type = 'block')")[0]
if blk[0] == 0 or blk[0] != blk[1]:
    fails.append(f"blk: {blk[1]} of {blk[0]} chains decoded as requests")
for t in ("violations", "anomalies"):
    n = q(f"SELECT count(*) FROM {t}")[0][0]
    if n:
        fails.append(f"{n} {t}: {q(f'SELECT rule, message FROM {t} LIMIT 3')}")
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY
