#!/bin/bash
# The bash completion as bash-completion loads it once installed (a file named
# vmtrace in a completions directory), driven without a terminal: each case
# sets COMP_WORDS/COMP_LINE as readline would for a line with the cursor at
# its end, calls the completion function and compares COMPREPLY.
# usage: bash_completion.sh VMTRACE COMPLETION_SCRIPT
set -u
bash_completion=/usr/share/bash-completion/bash_completion
if [[ ! -r $bash_completion ]]; then
	echo "SKIP: bash-completion is not installed ($bash_completion)"
	exit 77
fi
vmtrace=$(realpath "$1") script=$(realpath "$2")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/user/completions" "$tmp/files/sub"
ln -s "$vmtrace" "$tmp/bin/vmtrace"
ln -s "$script" "$tmp/user/completions/vmtrace"
PATH=$tmp/bin:$PATH
export BASH_COMPLETION_USER_DIR=$tmp/user
cd "$tmp/files" && touch a.db b.vmt c.pcapng d.json e.expect f.txt g.pcap

# shellcheck source=/dev/null
source "$bash_completion"
# The on-demand loader finds the file by the command's name, as after install.
_completion_loader vmtrace
completion_function=$(complete -p vmtrace 2>/dev/null | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
if [[ $completion_function != _vmtrace ]]; then
	echo "FAIL: loading $script by the name vmtrace gave: $(complete -p vmtrace 2>&1)"
	exit 1
fi
compopt() { :; } # it only works inside a completion readline started

# Print the candidates for LINE (cursor at the end), sorted, one per line.
# Words split at blanks and, as COMP_WORDBREAKS does, around '='.
candidates()
{
	local line=$1 word
	COMP_WORDS=()
	for word in $line; do
		while [[ $word == *=* ]]; do
			[[ ${word%%=*} ]] && COMP_WORDS+=("${word%%=*}")
			COMP_WORDS+=('=')
			word=${word#*=}
		done
		[[ $word ]] && COMP_WORDS+=("$word")
	done
	[[ $line == *' ' || $line == *= ]] && COMP_WORDS+=('')
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line COMP_POINT=${#line}
	COMPREPLY=()
	_vmtrace vmtrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | sort -u
}

failures=0
fail()
{
	echo "FAIL: '$1<TAB>': $2"
	failures=$((failures + 1))
}

# LINE gives exactly the words that follow.
expect_exactly()
{
	local line=$1 got want
	shift
	got=$(candidates "$line" | tr '\n' ' ')
	want=''
	(($#)) && want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
	[[ $got == "$want" ]] || fail "$line" "expected [$want], got [$got]"
}

# LINE's candidates include every word that follows.
expect_including()
{
	local line=$1 got word
	shift
	got=$(candidates "$line")
	for word; do
		grep -qxF -- "$word" <<<"$got" || fail "$line" "no '$word' in [$(tr '\n' ' ' <<<"$got")]"
	done
}

# LINE's candidates include none of the words that follow.
expect_none_of()
{
	local line=$1 got word
	shift
	got=$(candidates "$line")
	for word; do
		grep -qxF -- "$word" <<<"$got" && fail "$line" "'$word' should not be offered"
	done
}

commands=(record dump decode info show replay tui export diff help version)
expect_exactly 'vmtrace ' "${commands[@]}"
expect_exactly 'vmtrace rec' record
expect_exactly 'vmtrace help re' record replay
expect_including 'vmtrace record --' --emu --output --legacy --packed --workload --flush --bpf --pid --window --raw --
# QEMU's flags quoted in record's help text are not vmtrace's options.
expect_none_of 'vmtrace record -' -trace -msg -object -global -machine -kernel
expect_including 'vmtrace record -' -e -o -w -f -q -h

# Every long option each command's --help lists, found here independently.
for cmd in record dump decode info show replay tui export diff; do
	mapfile -t listed < <("$vmtrace" "$cmd" --help | sed -n '/^Example/q; s/^ \{1,8\}\(-[A-Za-z0-9], *\)\{0,1\}\(--[a-z][-a-z0-9]*\).*/\2/p')
	((${#listed[@]} >= 2)) || fail "vmtrace $cmd --" "found only ${#listed[@]} options in its --help"
	expect_including "vmtrace $cmd --" "${listed[@]}"
done

# Fixed value sets.
expect_exactly 'vmtrace export --format ' pcapng pcap perfetto
expect_exactly 'vmtrace record --flush ' block event
expect_exactly 'vmtrace record --emu b' blk
expect_exactly 'vmtrace record -e blk,c' blk,console
expect_exactly 'vmtrace record --emu=n' net
expect_exactly 'vmtrace show --type mmio,i' mmio,irq
expect_exactly 'vmtrace show --type ' mmio mem irq marker lost device violation queue
expect_exactly 'vmtrace replay -x ' all buffers config interrupts used violations
expect_exactly 'vmtrace diff --expect v' violations
# A number or address: nothing to offer (and no file names).
expect_exactly 'vmtrace show --from '
expect_exactly 'vmtrace replay --until '

# Files by kind (directories are offered too: they may hold such files).
expect_exactly 'vmtrace show ' a.db sub
expect_exactly 'vmtrace info ' a.db sub
expect_exactly 'vmtrace replay --keep-going ' a.db sub
expect_exactly 'vmtrace diff a.db ' a.db sub
expect_exactly 'vmtrace export ' a.db sub
expect_exactly 'vmtrace dump ' b.vmt sub
expect_exactly 'vmtrace decode ' b.vmt sub
expect_exactly 'vmtrace decode -o ' a.db sub
expect_exactly 'vmtrace record -o ' a.db b.vmt sub
expect_exactly 'vmtrace record --raw ' b.vmt sub
expect_exactly 'vmtrace export -o ' c.pcapng d.json g.pcap sub
expect_exactly 'vmtrace export --output=' c.pcapng d.json g.pcap sub
expect_exactly 'vmtrace replay -X ' e.expect sub
expect_exactly 'vmtrace diff --expect-file ' e.expect sub
expect_exactly 'vmtrace tui --script ' a.db b.vmt c.pcapng d.json e.expect f.txt g.pcap sub

# After "record --" the line belongs to QEMU's completion, not vmtrace's.
expect_none_of 'vmtrace record -o t.db -- qemu-system-x86_64 -' --emu --output -o --legacy
if type -P qemu-system-x86_64 >/dev/null; then
	expect_including 'vmtrace record -- qemu-system-x86_64 -' -kernel -device -append
fi
expect_including 'vmtrace record -- vmtrace-test-no-such-prog ' a.db f.txt

if ((failures)); then
	echo "$failures completion case(s) failed"
	exit 1
fi
echo "bash completion: all cases pass"
