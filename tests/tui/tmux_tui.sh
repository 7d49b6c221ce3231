#!/usr/bin/env bash
# The TUI in a real terminal (tmux): open a trace at 100x30, j j G q, and
# check the screen (the cursor on the last event), exit status 0, and the
# terminal restored (the inspector's screen gone, the shell's back).
# Uses a tmux server of its own (-S socket in a temporary directory).
set -u
vmtrace=$1
trace=$2
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 77; }
dir=$(mktemp -d)
sock="$dir/sock"
cleanup() { tmux -S "$sock" kill-server 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail=0
check() { if [ "$2" != 0 ]; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
cap() { tmux -S "$sock" capture-pane -p -t t; }
# wait_for TEXT: up to 20 s for TEXT on the screen
wait_for() {
	for _ in $(seq 1 200); do
		cap | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

tmux -S "$sock" -f /dev/null new-session -d -s t -x 100 -y 30 \
	"printf 'shell before\n'; TERM=xterm-256color '$vmtrace' tui '$trace'; echo \"tui exited \$?\"; sleep 600"
wait_for "[1 events]" ; check "the first screen shows" $?
cap | grep -q '^>  *0 ' ; check "the cursor is on event 0" $?
tmux -S "$sock" send-keys -t t j j
wait_for "seq 2 of" && cap | grep -q "^> *2 " ; check "j j moves the cursor to event 2" $?
last=$("$vmtrace" info --json "$trace" | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])' 2>/dev/null)
tmux -S "$sock" send-keys -t t G
wait_for "seq $((last - 1)) of" ; check "G goes to the last event (seq $((last - 1)))" $?
screen=$(cap)
grep -q "^> *$((last - 1)) " <<<"$screen" ; check "the cursor line is the last event" $?
grep -q "detail: seq $((last - 1))" <<<"$screen" ; check "the detail pane follows" $?
# KEY_RESIZE: the layout follows the terminal (80x24: the panes lower, the list shorter)
tmux -S "$sock" resize-window -t t -x 80 -y 24
for _ in $(seq 1 100); do [ "$(cap | wc -l)" = 24 ] && cap | sed -n 13p | grep -q 'detail: seq' && break; sleep 0.1; done
cap | sed -n 13p | grep -q '^-\[ detail: seq' ; check "after a resize to 80x24 the panes start on line 13 (under the strip)" $?
# a view and back, and the SQL prompt's rows
tmux -S "$sock" send-keys -t t 3
wait_for "[3 req]" && cap | grep -q "notify request" ; check "3 shows the requests view" $?
tmux -S "$sock" send-keys -t t Escape
wait_for "[1 evt]" ; check "Esc goes back to the events" $?
tmux -S "$sock" send-keys -t t ';select count(*) as n from events' Enter
wait_for "SQL: select count" && wait_for "$last" ; check "the SQL prompt shows the count ($last)" $?
# a statement that would run for ever: ^C stops it (the time limit is 2 s)
tmux -S "$sock" send-keys -t t ';with recursive c(x) as (select 1 union all select x+1 from c) select count(*) from c'
wait_for "count(*) from c_"
tmux -S "$sock" send-keys -t t Enter
sleep 0.3
tmux -S "$sock" send-keys -t t C-c
wait_for "stopped (interrupted)" ; check "^C stops a running statement, the TUI goes on" $?
# ^C in a prompt closes it (and does not quit)
tmux -S "$sock" send-keys -t t ';select'
wait_for ";select_"
tmux -S "$sock" send-keys -t t C-c
wait_for "another query" && sleep 0.2 && ! cap | grep -q ";select_" ; check "^C closes a prompt being typed" $?
tmux -S "$sock" send-keys -t t Escape
wait_for "q quit"
cap | sed -n 24p | grep -q 'q quit' ; check "after a resize the key line is the last of 24" $?
tmux -S "$sock" send-keys -t t q
wait_for "tui exited 0" ; check "q quits with exit status 0" $?
screen=$(cap)
! grep -q "1 evt" <<<"$screen" ; check "the terminal is restored (the TUI's screen is gone)" $?
grep -q "shell before" <<<"$screen" ; check "the shell's screen is back" $?
[ $fail = 0 ] || { echo "--- last screen:"; cap; }

# TERM=dumb cannot place the cursor: refused (exit 2) pointing to show
tmux -S "$sock" kill-session -t t
tmux -S "$sock" -f /dev/null new-session -d -s t -x 100 -y 30 \
	"TERM=dumb '$vmtrace' tui '$trace'; echo \"tui exited \$?\"; sleep 600"
wait_for "tui exited 2" ; check "TERM=dumb: exit 2" $?
cap | tr -d '\n' | grep -q "vmtrace show" ; check "TERM=dumb: the message points to vmtrace show" $?
exit $fail
