# bash completion for npte's binaries. `make install` (and so the package)
# installs it as completions/npte, with a link named after each binary so
# that bash-completion loads it on demand, and fills in @SBINDIR@ and @BINS@.
#
# Verbs, options and the kind of each argument are read from the binary's
# own --help (usage lines), so a new binary or verb completes with no edit
# here. Namespace and interface names come from npte itself, through the
# same sudo rule the user runs it with: a user is offered only the
# namespaces npte shows them, which are their own.

_npte_sbin='@SBINDIR@'

# _npte_bin WORD: the binary to read --help from: WORD as typed when it has
# a slash, else the installed one, else the one on PATH.
_npte_bin() {
	case $1 in
	*/*) printf '%s\n' "$1" ;;
	*) if [[ -x $_npte_sbin/$1 ]]; then printf '%s\n' "$_npte_sbin/$1"; else type -P -- "$1"; fi ;;
	esac
}

# _npte_priv BIN ARG...: BIN as root: directly for root, through `sudo -n`
# for a member of group npte when BIN is the installed one (the one the
# rule names); nothing otherwise (a sudo refused at every TAB would be
# logged, and mailed to the administrator, each time).
_npte_priv() {
	if ((EUID == 0)); then
		"$@" </dev/null 2>/dev/null
	elif [[ $1 == "$_npte_sbin"/* && " $(id -Gn 2>/dev/null) " == *" npte "* ]]; then
		sudo -n -- "$@" </dev/null 2>/dev/null
	fi
}

# _npte_parse CMD HELP VERB: from the usage lines of HELP, the verbs of CMD
# (_npte_verbs) and, for VERB (empty for a binary without verbs), its
# options (_npte_opts), each option's argument placeholder or '' (_npte_oargs)
# and its positional placeholders (_npte_pos; a trailing ... repeats).
_npte_parse() {
	local cmd=$1 verb=$3 line cur=- t raw core k
	local -a w pos
	_npte_verbs=() _npte_opts=() _npte_oargs=() _npte_pos=()
	while IFS= read -r line; do
		read -ra w <<<"${line#usage:}"
		if [[ ${w[0]:-} == "$cmd" ]]; then
			cur=${w[1]:-}
			if [[ $cur =~ ^[a-z][a-z0-9-]*$ ]]; then
				_npte_verbs+=("$cur") k=2
			else
				cur='' k=1
			fi
			[[ ${w[1]:-} == -h ]] && cur=-
			pos=()
		elif [[ $line =~ ^[[:space:]]+[[] ]]; then
			k=0
		else
			cur=-
		fi
		[[ $cur == "$verb" ]] || continue
		for ((; k < ${#w[@]}; k++)); do
			t=${w[k]}
			raw=${t//[\[\]]/}
			core=${raw%...}
			[[ $t == \(* ]] && break
			if [[ $core =~ ^--?[a-zA-Z][a-zA-Z-]*$ ]]; then
				_npte_opts+=("$core") _npte_oargs+=("")
				if [[ $t != *"]" && ${w[k + 1]:-} =~ ^[A-Za-z] ]]; then
					raw=${w[++k]}
					raw=${raw//[\[\]]/}
					_npte_oargs[-1]=${raw%...}
				fi
			elif [[ $core =~ ^[A-Z][A-Z0-9_]*$ ]]; then
				pos+=("$raw")
			fi
		done
		((${#pos[@]} > ${#_npte_pos[@]})) && _npte_pos=("${pos[@]}")
	done <<<"$2"
	return 0
}

# _npte_netns BIN: the caller's namespaces, as npte-netns lists them for the caller.
_npte_netns() {
	_npte_priv "${1%/*}/npte-netns" list | while read -r n _; do printf '%s\n' "$n"; done
}

# _npte_ifaces BIN NS: the interfaces of the caller's namespace NS.
_npte_ifaces() {
	local json
	[[ $2 =~ ^[a-z][a-z0-9]*$ ]] || return 0
	json=$(_npte_priv "${1%/*}/npte-netns" show --json "$2")
	json=${json#*\"links\":[}
	json=${json%%\"addresses\":*}
	grep -o '"ifindex":[0-9]*,"name":"[^"\\]*"' <<<"$json" | sed 's/.*"name":"//; s/"$//'
}

# _npte_words BIN VERB KIND NS: the candidates for a placeholder KIND
# (NS: the first positional word typed, for interfaces). Files are added
# by the caller (compgen -f) where KIND names one.
_npte_words() {
	case $3 in
	NAME | NS | LEFT | RIGHT) [[ $2 == create ]] || _npte_netns "$1" ;;
	IFACE) _npte_ifaces "$1" "$4" ;;
	DEST) echo default ;;
	PROFILE) "$1" "$2" --list 2>/dev/null | grep -o '^[a-z0-9][a-z0-9-]*' ;;
	FILE)
		# npte-lab names a shipped topology by its word
		[[ ${1##*/} == npte-lab ]] && for f in "${1%/*}"/../share/npte/lab/*.lab; do
			[[ -e $f ]] && f=${f##*/} && printf '%s\n' "${f%.lab}"
		done
		;;
	*'|'*) tr '|' '\n' <<<"$3" ;;
	esac
	return 0
}

_npte() {
	local cmd=${COMP_WORDS[0]##*/} cur=${COMP_WORDS[COMP_CWORD]} bin help verb='' i=1 n=0 j kind='' ns='' end=''
	COMPREPLY=()
	bin=$(_npte_bin "${COMP_WORDS[0]}") && help=$("$bin" --help 2>/dev/null) || return 0
	_npte_parse "$cmd" "$help" ""
	if ((${#_npte_verbs[@]})); then
		if ((COMP_CWORD == 1)); then
			mapfile -t COMPREPLY < <(compgen -W "${_npte_verbs[*]} -h --help --version" -- "$cur" | awk '!s[$0]++')
			return 0
		fi
		verb=${COMP_WORDS[1]} i=2
		_npte_parse "$cmd" "$help" "$verb"
	fi
	# walk the words before the cursor: options (and their arguments), positionals
	for ((; i < COMP_CWORD; i++)); do
		if [[ -z $end && ${COMP_WORDS[i]} == -- ]]; then
			end=1
		elif [[ -z $end && ${COMP_WORDS[i]} == -* ]]; then
			for j in "${!_npte_opts[@]}"; do
				[[ ${_npte_opts[j]} == "${COMP_WORDS[i]}" && -n ${_npte_oargs[j]} ]] || continue
				# the option's argument: the word after it, or the cursor
				((++i == COMP_CWORD)) && kind=${_npte_oargs[j]}
				break
			done
			[[ -n $kind ]] && break
		else
			((n == 0)) && ns=${COMP_WORDS[i]}
			# a command to run: complete its own arguments as that command's
			[[ ${_npte_pos[n]:-} == CMD ]] && declare -F _command_offset >/dev/null && {
				_command_offset "$i"
				return 0
			}
			((n++))
		fi
	done
	if [[ -z $kind ]]; then
		if [[ -z $end && $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "${_npte_opts[*]}" -- "$cur" | awk '!s[$0]++')
			return 0
		fi
		# no positional (list, gc): nothing to offer
		j=$((${#_npte_pos[@]} - 1))
		((j >= 0)) || return 0
		((n < j)) && j=$n
		kind=${_npte_pos[j]:-}
		[[ $kind == *... || $n -le $j ]] || return 0
		kind=${kind%...}
	fi
	[[ $kind == NAME && ${COMP_WORDS[i - 1]} == --profile ]] && kind=PROFILE
	mapfile -t COMPREPLY < <(compgen -W "$(_npte_words "$bin" "$verb" "$kind" "$ns")" -- "$cur")
	case $kind in
	FILE | TRACE | DIR) mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur") ;;
	CMD) mapfile -t COMPREPLY < <(compgen -c -- "$cur" | awk '!s[$0]++') ;;
	esac
	return 0
}

# shellcheck disable=SC2043 # one word before install fills in the list
for _npte_b in @BINS@; do
	complete -F _npte "$_npte_b"
done
unset _npte_b
