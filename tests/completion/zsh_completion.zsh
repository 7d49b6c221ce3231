#!/bin/zsh -f
# The zsh completion as compinit finds it once installed (_vmtrace in a
# directory of $fpath): it must parse, register for vmtrace, and offer the
# right candidates.  An interactive zsh runs in a pseudo-terminal (zpty); a
# compadd wrapper there writes every candidate the completion adds to a file,
# and each case types a line, TAB, then clears the line.
# usage: zsh_completion.zsh VMTRACE COMPLETION_DIR
emulate -L zsh
setopt extendedglob
vmtrace=${1:A} completion_dir=${2:A}
[[ -x $vmtrace && -r $completion_dir/_vmtrace ]] || { print -u2 "usage: $0 VMTRACE COMPLETION_DIR"; exit 2 }

zsh -n $completion_dir/_vmtrace || { print "FAIL: _vmtrace does not parse"; exit 1 }

tmp=$(mktemp -d) || exit 1
trap 'zpty -d vmtrace_test 2>/dev/null; rm -rf $tmp' EXIT
mkdir -p $tmp/bin $tmp/files/sub
ln -s $vmtrace $tmp/bin/vmtrace
touch $tmp/files/{a.db,b.vmt,c.pcapng,d.json,e.expect,f.txt,g.pcap}

# compinit must find it by its #compdef line, with no error output.
registered=$(zsh -f -c "fpath=($completion_dir \$fpath); autoload -U compinit; compinit -u -D; print -r -- \$_comps[vmtrace]" 2>&1)
[[ $registered == _vmtrace ]] || { print "FAIL: compinit did not register _vmtrace for vmtrace: [$registered]"; exit 1 }

zmodload zsh/zpty || { print "FAIL: no zsh/zpty module"; exit 1 }
capture=$tmp/candidates
cat > $tmp/zshrc <<EOF
PS1='> ' PROMPT_EOL_MARK='' LISTMAX=100000
unsetopt automenu autolist listambiguous beep
PATH=$tmp/bin:\$PATH
fpath=($completion_dir \$fpath)
autoload -U compinit && compinit -u -D
cd $tmp/files
# Every candidate compadd adds goes to the capture file too; calls that only
# ask for matches back (-O, -A, -D) add nothing and are passed through.
compadd() {
  local end=\${@[(i)(-|--)]}
  if (( \${\${@[1,end-1]}[(I)-[OAD]*]} )); then
    builtin compadd "\$@"
    return
  fi
  local -a added
  builtin compadd -A added "\$@"
  (( \$#added )) && print -rl -- \$added >> $capture
  builtin compadd "\$@"
}
# ^T completes, then says it is done: typing on before that could cut the
# completion short.
complete-then-tell() {
  zle complete-word
  print done > $tmp/done
}
zle -N complete-then-tell
bindkey '^T' complete-then-tell
EOF
zpty vmtrace_test "zsh -f -i"
zpty -w vmtrace_test "source $tmp/zshrc; print RE''ADY"
out=
zpty -r -m vmtrace_test out '*READY*' || { print "FAIL: the interactive zsh did not start"; exit 1 }

integer failures=0
# reply = the candidates for LINE (cursor at the end), sorted.
candidates() {
  local line=$1 out
  integer tries
  : > $capture
  rm -f $tmp/done
  zpty -w -n vmtrace_test "$line"$'\x14'
  until [[ -e $tmp/done ]]; do
    (( tries++ < 200 )) || { print "FAIL: '$line<TAB>': no answer from zsh in 10 s"; exit 1 }
    sleep 0.05
  done
  zpty -w -n vmtrace_test $'\x15'    # ^U: clear the line
  while zpty -rt vmtrace_test out; do :; done
  reply=(${(ou)${(f)"$(<$capture)"}})
}

fail() {
  print -r -- "FAIL: '$1<TAB>': $2"
  (( failures++ ))
}

expect_exactly() {
  local line=$1 got want
  shift
  candidates $line
  got=${(j: :)reply}
  want=${(j: :)${(o)${(u)@}}}
  [[ $got == $want ]] || fail $line "expected [$want], got [$got]"
}

expect_including() {
  local line=$1 word
  local -a got
  shift
  candidates $line
  got=($reply)
  for word; do
    (( $got[(Ie)$word] )) || fail $line "no '$word' in [$got]"
  done
}

expect_none_of() {
  local line=$1 word
  local -a got
  shift
  candidates $line
  got=($reply)
  for word; do
    (( $got[(Ie)$word] )) && fail $line "'$word' should not be offered"
  done
}

expect_exactly 'vmtrace ' record dump decode info show replay tui export diff help version
expect_exactly 'vmtrace rec' record
expect_including 'vmtrace record --' --emu --output --legacy --packed --workload --flush --bpf --pid --window --raw
expect_none_of 'vmtrace record -' -trace -msg -object -global -machine
expect_exactly 'vmtrace help re' record replay
# Every long option each command's --help lists, found here independently.
local cmd
local -a listed
for cmd in record dump decode info show replay tui export diff; do
  listed=(${(f)"$($vmtrace $cmd --help | sed -n '/^Example/q; s/^ \{1,8\}\(-[A-Za-z0-9], *\)\{0,1\}\(--[a-z][-a-z0-9]*\).*/\2/p')"})
  (( $#listed >= 2 )) || fail "vmtrace $cmd --" "found only $#listed options in its --help"
  expect_including "vmtrace $cmd --" $listed
done
expect_exactly 'vmtrace replay -x ' all buffers config interrupts used violations
expect_exactly 'vmtrace export --format ' pcapng pcap perfetto
expect_exactly 'vmtrace record --flush ' block event
expect_exactly 'vmtrace record --emu b' blk
# After a comma, the next item (the part before it stays as typed).
expect_exactly 'vmtrace record -e blk,c' console
expect_exactly 'vmtrace show --type mmio,i' irq
expect_exactly 'vmtrace show --type ' mmio mem irq marker lost device violation queue
expect_exactly 'vmtrace show ' a.db sub
expect_exactly 'vmtrace dump ' b.vmt sub
expect_exactly 'vmtrace export -o ' c.pcapng d.json g.pcap sub
expect_exactly 'vmtrace replay -X ' e.expect sub
expect_exactly 'vmtrace diff a.db ' a.db sub
expect_exactly 'vmtrace record -o ' a.db b.vmt sub
expect_none_of 'vmtrace record -- qemu-system-x86_64 -' --emu --output --legacy
# zsh's own _qemu takes over after "--".
(( $+commands[qemu-system-x86_64] )) &&
  expect_including 'vmtrace record -o t.db -- qemu-system-x86_64 -' -kernel -append
expect_including 'vmtrace record -- qemu-system-x86_6' qemu-system-x86_64

if (( failures )); then
  print "$failures completion case(s) failed"
  exit 1
fi
print "zsh completion: all cases pass"
