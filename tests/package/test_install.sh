#!/usr/bin/env bash
# `meson install --destdir` of the build: every file vmtrace installs is
# where summary() says (binary, man pages, completions, the Wireshark
# dissector, the docs), nothing else is, and the installed binary runs
# from there: its version, and a short recording on the built-in
# emulator decoded and summarised.
#   test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
stage=$(mktemp -d "${TMPDIR:-/tmp}/vmtrace-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
fail() { echo "test_install: $*" >&2; exit 1; }

meson install -C "$build" --no-rebuild --destdir "$stage" >"$stage.log" 2>&1 ||
	{ cat "$stage.log" >&2; rm -f "$stage.log"; fail "meson install failed"; }
rm -f "$stage.log"

# Where meson put things: its own introspection of the build's options.
opt() { meson introspect --buildoptions "$build" | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"; }
prefix=$(opt prefix)
bindir=$(opt bindir)
mandir=$(opt mandir)
datadir=$(opt datadir)
root=$stage$prefix

want=("$bindir/vmtrace" "$datadir/doc/vmtrace/README.md")
for f in "$src"/docs/*.md; do
	want+=("$datadir/doc/vmtrace/$(basename "$f")")
done
ws=$(opt wireshark_plugin_dir)
[ -z "$ws" ] && ws=$(opt libdir)/wireshark/plugins
[ "$ws" != no ] && want+=("$ws/vmtrace.lua")
# Man pages and completions are there when the build has them (its
# summary says so): one page per command, vmtrace(1) and vmtrace-trace-db(5).
if [ -n "$(ls "$build"/man/*.[15] 2>/dev/null)" ]; then
	want+=("$mandir/man1/vmtrace.1" "$mandir/man5/vmtrace-trace-db.5")
	for c in $("$build"/cli/vmtrace --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on=0}'); do
		case $c in help|version) continue ;; esac
		want+=("$mandir/man1/vmtrace-$c.1")
	done
fi
for f in "${want[@]}"; do
	case $f in /*) p=$stage$f ;; *) p=$root/$f ;; esac
	[ -f "$p" ] || fail "not installed: $f"
done

# Nothing unexpected: every installed file is one of these kinds.
while IFS= read -r f; do
	case $f in
	*/bin/vmtrace|*/doc/vmtrace/*.md|*/wireshark/plugins/vmtrace.lua|*/man1/vmtrace*.1|*/man5/vmtrace-trace-db.5|\
	*/completions/vmtrace|*/site-functions/_vmtrace|*/vendor-completions/_vmtrace) ;;
	*) fail "installed but not expected: ${f#"$stage"}" ;;
	esac
done < <(find "$stage" -type f)

vm=$root/$bindir/vmtrace
case $bindir in /*) vm=$stage$bindir/vmtrace ;; esac
"$vm" version | grep -q '^vmtrace [0-9]' || fail "installed vmtrace version: $("$vm" version 2>&1)"
"$vm" record --emu blk,rng -q -o "$stage/t.db" || fail "installed vmtrace could not record"
"$vm" info "$stage/t.db" | grep -q 'virtio-blk@0x10000000' || fail "installed vmtrace info shows no blk device"
echo "installed $(find "$stage" -type f -not -name 't.db*' | wc -l) files under $stage$prefix; the installed vmtrace records and decodes"
