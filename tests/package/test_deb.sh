#!/usr/bin/env bash
# The Debian package (debian/): built from a copy of the source tree as a
# user would (`dpkg-buildpackage -us -uc -b`), listed (`dpkg -c`: the
# binary, every man page, both completions, the dissector, the docs),
# unpacked without installing (`dpkg -x`) and run from there (its
# version, a short recording on the built-in emulator), its dependencies
# checked, and lintian with no error.
#   test_deb.sh SOURCE_DIR
set -euo pipefail
src=$1
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup.sh installs it)"; exit 77; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/vmtrace-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "test_deb: $*" >&2; exit 1; }

# The tracked files as they are in the working tree (uncommitted changes
# included), without build directories: what a clean checkout builds.
mkdir "$work/vmtrace"
(cd "$src" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	xargs -0 cp --parents -t "$work/vmtrace") || fail "cannot copy the source tree"

cd "$work/vmtrace"
[ -f debian/control ] || fail "no debian/control in the copy"
start=$(date +%s)
DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1 ||
	{ tail -15 "$work/build.log" | cut -c1-300 >&2; fail "dpkg-buildpackage failed (log above)"; }
echo "built in $(($(date +%s) - start)) s"
deb=$(ls "$work"/vmtrace_*.deb)

# What the package holds.
dpkg -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/list"
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
need=(/usr/bin/vmtrace /usr/share/man/man1/vmtrace.1.gz /usr/share/man/man5/vmtrace-trace-db.5.gz
	/usr/share/bash-completion/completions/vmtrace /usr/share/zsh/vendor-completions/_vmtrace
	"/usr/lib/$arch/wireshark/plugins/vmtrace.lua" /usr/share/doc/vmtrace/copyright)
for c in record dump decode info show replay tui export diff; do
	need+=("/usr/share/man/man1/vmtrace-$c.1.gz")
done
for f in "${need[@]}"; do
	grep -qx "$f" "$work/list" || fail "the package lacks $f"
done
# Its dependencies: the libraries the binary links, found by dpkg-shlibdeps.
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsqlite3-0 libncursesw6 libpcap0.8 libbpf1; do
	grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
grep -q qemu-system-x86 <<<"$(dpkg-deb -f "$deb" Recommends)" || fail "Recommends lacks qemu-system-x86"
grep -q tshark <<<"$(dpkg-deb -f "$deb" Recommends)" || fail "Recommends lacks tshark"

# Unpacked, not installed: it runs from there.
dpkg -x "$deb" "$work/root"
vm=$work/root/usr/bin/vmtrace
"$vm" --version | grep -q '^vmtrace 0\.' || fail "unpacked vmtrace --version: $("$vm" --version 2>&1)"
"$vm" --version | grep -q '^features: decoder tui pcap' || fail "the package was built without a part: $("$vm" --version)"
"$vm" record --emu blk,net -q -o "$work/t.db" || fail "unpacked vmtrace could not record"
"$vm" replay -q "$work/t.db" | grep -q identical || fail "unpacked vmtrace: the recording does not replay"
MANWIDTH=80 man -l "$work/root/usr/share/man/man1/vmtrace-record.1.gz" 2>&1 | grep -q -- '--emu' ||
	fail "the packaged vmtrace-record(1) does not render"

# lintian: no error (warnings and notes are printed for the reader).
lintian --no-tag-display-limit "$deb" >"$work/lintian.txt" 2>&1 || true
grep -v '^running with root privileges' "$work/lintian.txt" || true
if grep -q '^E: ' "$work/lintian.txt"; then
	fail "lintian reports errors"
fi
echo "$(basename "$deb"): $(wc -l <"$work/list") paths, lintian: $(grep -c '^[EWI]: ' "$work/lintian.txt" || true) tags, no error"
