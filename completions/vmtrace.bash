# bash completion for vmtrace(1)                           -*- shell-script -*-
#
# Commands and option names are read from `vmtrace --help` and
# `vmtrace COMMAND --help` of the vmtrace being completed, so a new option
# completes without an edit here.  What this file knows by itself: the fixed
# value sets of some options and which kind of file each argument wants.
# Needs bash-completion (>= 2.x) for _init_completion, _filedir and
# _command_offset.
# shellcheck disable=SC2207  # COMPREPLY=($(compgen ...)): words without blanks

# Help text of "$1 $2 --help" ($2 empty: the top-level help), kept for the
# life of the shell: it only changes when the binary does.  _vmtrace_load_help
# must run in the completing shell itself (not in a $(...)) for the cache to
# last; _vmtrace_help then prints it from there.
declare -gA _vmtrace_help_cache 2>/dev/null

_vmtrace_load_help()
{
	local key="$1|$2"
	[[ ${_vmtrace_help_cache[$key]+set} ]] ||
		_vmtrace_help_cache[$key]=$(LC_ALL=C "$1" ${2:+"$2"} --help 2>/dev/null)
}

_vmtrace_help()
{
	_vmtrace_load_help "$1" "$2"
	printf '%s\n' "${_vmtrace_help_cache[$1|$2]}"
}

# The commands: the first word of each line under "commands:" up to a blank line.
_vmtrace_commands()
{
	local line in_list=''
	while IFS= read -r line; do
		if [[ $line == commands:* ]]; then
			in_list=1
		elif [[ $in_list ]]; then
			[[ $line =~ ^[[:blank:]]+([a-z][-a-z0-9]*)([[:blank:]]|$) ]] || break
			printf '%s\n' "${BASH_REMATCH[1]}"
		fi
	done < <(_vmtrace_help "$1" '')
}

# The options of command $2, one line each: "NAMES<TAB>METAVAR", NAMES the
# spellings separated by spaces (-o --output), METAVAR empty for a flag.
# An option line is indented and starts with "-X," "-X " or "--name"; QEMU's
# own flags quoted in record's text (-trace, -msg) have longer single-dash
# names and are not taken.  Examples at the end are not read.
_vmtrace_option_table()
{
	local line rest names metavar
	while IFS= read -r line; do
		[[ $line == Example* ]] && break
		[[ $line == [[:blank:]]* ]] || continue
		rest=${line#"${line%%[![:blank:]]*}"}
		names=''
		while :; do
			if [[ $rest =~ ^(--[A-Za-z0-9][-A-Za-z0-9]*)(.*)$ ]]; then
				names+=" ${BASH_REMATCH[1]}"
			elif [[ $rest =~ ^(-[A-Za-z0-9])([,[:blank:]].*)?$ ]]; then
				names+=" ${BASH_REMATCH[1]}"
			else
				break
			fi
			rest=${BASH_REMATCH[2]}
			rest=${rest#,}
			rest=${rest#"${rest%%[![:blank:]]*}"}
		done
		[[ $names ]] || continue
		rest=${rest#=}
		metavar=''
		[[ $rest =~ ^([A-Z][^[:blank:]]*) ]] && metavar=${BASH_REMATCH[1]}
		printf '%s\t%s\n' "${names# }" "$metavar"
	done < <(_vmtrace_help "$1" "$2")
}

# Complete one item of a comma-separated list from the words in $@.
_vmtrace_comma_list()
{
	local prefix=''
	[[ $cur == *,* ]] && prefix=${cur%,*},
	COMPREPLY=($(compgen -P "$prefix" -W "$*" -- "${cur##*,}"))
	compopt -o nospace
}

# Complete the argument of option $3 (long spelling when it has one) of
# command $2; $4 its metavar from the help.
_vmtrace_option_argument()
{
	local cmd=$2 opt=$3 metavar=$4
	case $cmd:$opt in
	record:--emu)
		_vmtrace_comma_list blk net console rng ;;
	record:--flush)
		COMPREPLY=($(compgen -W 'block event' -- "$cur")) ;;
	record:--output)
		_filedir '@(db|vmt)' ;;
	record:--raw)
		_filedir vmt ;;
	record:--pid)
		_pids ;;
	decode:--output)
		_filedir db ;;
	show:--type)
		_vmtrace_comma_list mmio mem irq marker lost device violation queue ;;
	export:--format)
		COMPREPLY=($(compgen -W 'pcapng pcap perfetto' -- "$cur")) ;;
	export:--output)
		_filedir '@(pcapng|pcap|json)' ;;
	*:--expect-file)
		_filedir expect ;;
	replay:--expect | diff:--expect)
		# [DEVICE:]WHAT: the WHATs that are not register names.
		COMPREPLY=($(compgen -W 'all buffers config interrupts used violations' -- "$cur")) ;;
	*)
		# Anything else named FILE is any file; numbers and addresses
		# (N, SEQ, BASE, ...) have nothing to offer.
		[[ $metavar == FILE* ]] && _filedir ;;
	esac
}

_vmtrace()
{
	local cur prev words cword split
	_init_completion -s || return

	local vmtrace=${words[0]}
	# shellcheck disable=SC2088  # the word as typed: its ~ is not expanded
	[[ $vmtrace == "~/"* ]] && vmtrace=$HOME/${vmtrace#"~/"}

	_vmtrace_load_help "$vmtrace" ''

	# The command is the first word that is not an option.
	local i cmd='' cmd_index=0
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} != -* ]]; then
			cmd=${words[i]} cmd_index=$i
			break
		fi
	done

	local table names metavar
	if [[ ! $cmd ]]; then
		if [[ $cur == -* ]]; then
			table=$(_vmtrace_option_table "$vmtrace" '')
			COMPREPLY=($(compgen -W "$(cut -f1 <<<"$table")" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_vmtrace_commands "$vmtrace")" -- "$cur"))
		fi
		return
	fi

	case $cmd in
	help)
		((cword == cmd_index + 1)) &&
			COMPREPLY=($(compgen -W "$(_vmtrace_commands "$vmtrace")" -- "$cur"))
		return ;;
	version)
		return ;;
	record)
		# After "--" the line is a QEMU (or VMM) command: its own completion.
		# _command_offset counts in COMP_WORDS, which can differ from words.
		local seen_record=''
		for ((i = 1; i < COMP_CWORD; i++)); do
			if [[ ! $seen_record ]]; then
				[[ ${COMP_WORDS[i]} == record ]] && seen_record=1
			elif [[ ${COMP_WORDS[i]} == -- ]]; then
				_command_offset $((i + 1))
				return
			fi
		done ;;
	esac

	_vmtrace_load_help "$vmtrace" "$cmd"
	table=$(_vmtrace_option_table "$vmtrace" "$cmd")

	# The argument of the option before the cursor.
	if [[ $prev == -* ]]; then
		while IFS=$'\t' read -r names metavar; do
			[[ " $names " == *" $prev "* ]] || continue
			if [[ $metavar ]]; then
				local long=${names##* }
				[[ $long == --* ]] || long=$prev
				_vmtrace_option_argument "$vmtrace" "$cmd" "$long" "$metavar"
				return
			fi
			break
		done <<<"$table"
	fi
	$split && return

	if [[ $cur == -* || $cmd == record ]]; then
		COMPREPLY=($(compgen -W "$(cut -f1 <<<"$table")" -- "$cur"))
		[[ $cmd == record && $cur == -* ]] && COMPREPLY+=($(compgen -W '--' -- "$cur"))
		return
	fi

	case $cmd in
	dump | decode) _filedir vmt ;;
	info | show | replay | tui | export | diff) _filedir db ;;
	*) _filedir ;;
	esac
} &&
	complete -F _vmtrace vmtrace

# ex: filetype=sh
